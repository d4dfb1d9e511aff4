from datetime import timedelta

from odoo import api, fields, models

MAIL_RETRY_DAYS = 7


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model
    def process_email_queue(self, ids=None, batch_size=1000):
        self._fi_requeue_undelivered()
        return super().process_email_queue(ids=ids, batch_size=batch_size)

    @api.model
    def _fi_requeue_undelivered(self):
        """Queue again the intervention mails that failed because no mail server answered.

        Core never retries a mail in exception, but a signed report must still reach the
        customer and billing once the server is back. A connection failure leaves no failure
        type on the mail (a bad address does): those are retried for MAIL_RETRY_DAYS days.
        """
        self.search(
            [
                ("model", "=", "field.intervention"),
                ("state", "=", "exception"),
                ("failure_type", "in", (False, "mail_smtp")),
                ("create_date", ">=", fields.Datetime.now() - timedelta(days=MAIL_RETRY_DAYS)),
            ]
        ).mark_outgoing()
