from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import Form, tagged

from ..models.mail_mail import MAIL_LATE_MINUTES, MAIL_RETRY_MINUTES
from .common import FiSignCase


@tagged("-at_install", "post_install")
class TestMailsLeaveNow(FiSignCase):
    """The mails someone waits for wake the mail queue up at once; the user's request never
    talks to the mail server (the queue's scheduled action sends them)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.queue_cron = cls.env.ref("mail.ir_cron_mail_scheduler_action")

    def setUp(self):
        super().setUp()
        # the request must not reach the mail server, nor ask the queue to send now
        self.smtp = self.startPatcher(patch.object(type(self.env["ir.mail_server"]), "send_email", autospec=True))
        self.send = self.startPatcher(patch.object(type(self.env["mail.mail"]), "send", autospec=True))

    def _queue_triggers(self):
        return self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", self.queue_cron.id)])

    def _assert_queue_woken_now(self, before, start):
        new = self._queue_triggers() - before
        self.assertTrue(new, "the mail queue is not woken up: the mail waits for its next scheduled run")
        self.assertTrue(all(start <= trigger.call_at <= fields.Datetime.now() for trigger in new), new)

    def _assert_nothing_sent(self):
        self.smtp.assert_not_called()
        self.send.assert_not_called()
        mails = self._mails()
        self.assertTrue(mails)
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})

    def test_sign_request_wakes_the_mail_queue(self):
        before, start = self._queue_triggers(), fields.Datetime.now()
        action = self.intervention.with_user(self.tech).action_fi_send_for_signature()
        wizard = Form(self.env[action["res_model"]].with_user(self.tech).with_context(**action["context"])).save()
        wizard.action_send()
        self._assert_queue_woken_now(before, start)
        self._assert_nothing_sent()

    def test_signed_report_wakes_the_mail_queue(self):
        """Portal signature (the customer's own account): the signed report to the customer and
        to billing, and the reserves to the dispatcher, leave as soon as the signed PDF exists."""
        before, start = self._queue_triggers(), fields.Datetime.now()
        # as the portal route does: the sudo record, the customer's user as origin
        values = self._sign_values(signer_role="portal_user", reserves="Porte rayée.")
        self.intervention.sudo()._fi_submit_signature(values, {"user": self.portal_user})
        self.assertEqual(self.intervention.signature_id.signer_role, "portal_user")
        self._run_sign_jobs()  # the signature's scheduled action, right after the answer
        self.assertTrue(self.intervention.signed_pdf_id)
        self.assertFalse(self.intervention.sign_pending_job)
        self._assert_queue_woken_now(before, start)
        self._assert_nothing_sent()
        self.assertEqual(len(self._mails()), 3)

    def test_refusal_wakes_the_mail_queue(self):
        before, start = self._queue_triggers(), fields.Datetime.now()
        self._sign(decision="refuse", refusal_reason="Travail non fait.", signature=False)
        self._assert_queue_woken_now(before, start)
        self._assert_nothing_sent()

    def test_signed_report_waits_for_its_pdf_then_leaves_with_the_retry(self):
        """The mails leave with the signed PDF: not before it exists, at once when the retry
        job produces it."""
        Intervention = type(self.env["field.intervention"])
        before = self._queue_triggers()
        with (
            patch.object(Intervention, "_fi_render_report_pdf", side_effect=RuntimeError("wkhtmltopdf down")),
            self.assertLogs("odoo.addons.field_intervention_sign.models.field_intervention_sign_job_mixin"),
        ):
            self._sign()
        self.assertFalse(self._mails())
        self.assertEqual(self._queue_triggers() - before, self.env["ir.cron.trigger"])
        start = fields.Datetime.now()
        self.intervention.with_user(self.manager).action_fi_retry_sign_jobs()
        self.assertTrue(self.intervention.signed_pdf_id)
        self._assert_queue_woken_now(before, start)
        self._assert_nothing_sent()

    def test_queue_run_schedules_the_next_attempt_of_waiting_mails(self):
        """A mail the mail server did not take is tried again minutes later, not at the queue's
        next run an hour later; a mail queued during a run of the queue is not forgotten."""
        self._sign()
        outage, late = self._mails()
        self.send.side_effect = lambda mails, **kw: outage.write(
            {"state": "exception", "failure_reason": "Connection refused"}
        )
        before, start = self._queue_triggers(), fields.Datetime.now()
        self.env["mail.mail"].process_email_queue()
        self.assertEqual(outage.state, "exception")
        self.assertEqual(late.state, "outgoing")  # as if queued while the queue was running
        delays = sorted(
            round((trigger.call_at - start) / timedelta(minutes=1)) for trigger in self._queue_triggers() - before
        )
        self.assertEqual(delays, [MAIL_LATE_MINUTES, MAIL_RETRY_MINUTES])
        # once everything left, no further run is scheduled
        self.send.side_effect = lambda mails, **kw: mails.write({"state": "sent"})
        before = self._queue_triggers()
        self.env["mail.mail"].process_email_queue()
        self.assertEqual(set(self._mails().mapped("state")), {"sent"})
        self.assertEqual(self._queue_triggers() - before, self.env["ir.cron.trigger"])
        self.smtp.assert_not_called()
