from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from odoo.addons.field_intervention_sign.tests.common import run_sign_jobs

from . import test_api_sync
from .common import FiMobileCase


@tagged("-at_install", "post_install")
class TestMobileMailsLeaveNow(FiMobileCase):
    # the offline day of the sync tests (a module attribute: its class is not loaded twice)
    _offline_day = test_api_sync.TestApiSync._offline_day

    def test_offline_signature_wakes_the_mail_queue(self):
        """The signed report of a signature synced from the phone leaves at once: the sync wakes
        the mail queue up, and does not talk to the mail server itself."""
        queue_cron = self.env.ref("mail.ir_cron_mail_scheduler_action")
        Trigger = self.env["ir.cron.trigger"].sudo()
        before = Trigger.search([("cron_id", "=", queue_cron.id)])
        intervention = self._intervention()
        entry = self.entry(self.day(), intervention)
        ops, __, __ = self._offline_day(intervention, entry)
        start = fields.Datetime.now()
        with (
            patch.object(type(self.env["ir.mail_server"]), "send_email", autospec=True) as smtp,
            patch.object(type(self.env["mail.mail"]), "send", autospec=True) as send,
        ):
            answer = self.sync(ops)
            # the signature's scheduled action, right after the sync's answer
            run_sign_jobs(self.env)
        self.assertEqual(self.statuses(answer), ["ok"] * len(ops), answer["results"])
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "field.intervention"), ("res_id", "=", intervention.id)])
        )
        self.assertTrue(mails)
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        smtp.assert_not_called()
        send.assert_not_called()
        woken = Trigger.search([("cron_id", "=", queue_cron.id)]) - before
        self.assertTrue(woken, "the mail queue is not woken up: the signed report waits for its next run")
        self.assertTrue(all(start <= trigger.call_at <= fields.Datetime.now() for trigger in woken))
