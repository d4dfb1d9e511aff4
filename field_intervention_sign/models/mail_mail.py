from datetime import timedelta

from odoo import api, fields, models

MAIL_RETRY_DAYS = 7
# an intervention mail the mail server did not take is tried again after this delay
MAIL_RETRY_MINUTES = 5
# an intervention mail queued while the queue was running is picked up after this delay
MAIL_LATE_MINUTES = 1


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model
    def process_email_queue(self, ids=None, batch_size=1000):
        self._fi_requeue_undelivered()
        res = super().process_email_queue(ids=ids, batch_size=batch_size)
        self._fi_wake_queue_for_leftovers()
        return res

    def _fi_send_soon(self):
        """Have the mail queue send these mails right after the current transaction commits.

        Someone waits for them (the customer for the link to sign, the customer and billing for
        the signed report): they must not sit in the queue until its next scheduled run, which
        may be an hour away. The user's request does not talk to the mail server (core's
        ``force_send`` would make it wait for SMTP and lose the mail on a failure): it wakes the
        queue's scheduled action up, as core's event registrations do, and the mails are sent
        by it, with its error handling and our retries (:meth:`_fi_requeue_undelivered`).
        """
        if not self:
            return
        queue_cron = self.env.ref("mail.ir_cron_mail_scheduler_action", raise_if_not_found=False)
        if not queue_cron:
            return  # no queue action: the mails stay queued, nothing is lost
        now = fields.Datetime.now()
        moments = sorted({max(mail.scheduled_date or now, now) for mail in self})
        queue_cron.sudo()._trigger(moments)

    @api.model
    def _fi_undelivered_domain(self):
        """Intervention mails that failed because no mail server answered (a bad address sets
        a failure type and is not retried), recent enough to be retried."""
        return [
            ("model", "=", "field.intervention"),
            ("state", "=", "exception"),
            ("failure_type", "in", (False, "mail_smtp")),
            ("create_date", ">=", fields.Datetime.now() - timedelta(days=MAIL_RETRY_DAYS)),
        ]

    @api.model
    def _fi_requeue_undelivered(self):
        """Queue again the intervention mails that failed because no mail server answered.

        Core never retries a mail in exception, but a signed report must still reach the
        customer and billing once the server is back. A connection failure leaves no failure
        type on the mail (a bad address does): those are retried for MAIL_RETRY_DAYS days.
        """
        self.search(self._fi_undelivered_domain()).mark_outgoing()

    @api.model
    def _fi_wake_queue_for_leftovers(self):
        """After a run of the queue, schedule the next one for the intervention mails still
        waiting: those the mail server refused are tried again in MAIL_RETRY_MINUTES (not at
        the queue's next run, an hour later), and those queued while the queue was running
        (their wake-up may have been consumed by this very run) in MAIL_LATE_MINUTES."""
        queue_cron = self.env.ref("mail.ir_cron_mail_scheduler_action", raise_if_not_found=False)
        if not queue_cron:
            return
        now = fields.Datetime.now()
        moments = []
        if self.search_count(self._fi_undelivered_domain(), limit=1):
            moments.append(now + timedelta(minutes=MAIL_RETRY_MINUTES))
        waiting = [
            ("model", "=", "field.intervention"),
            ("state", "=", "outgoing"),
            "|",
            ("scheduled_date", "=", False),
            ("scheduled_date", "<=", now),
            ("create_date", ">=", now - timedelta(days=MAIL_RETRY_DAYS)),
        ]
        if self.search_count(waiting, limit=1):
            moments.append(now + timedelta(minutes=MAIL_LATE_MINUTES))
        if moments:
            queue_cron.sudo()._trigger(moments)
