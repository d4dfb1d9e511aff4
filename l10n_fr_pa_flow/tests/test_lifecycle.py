from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from .common import PaCommon


@tagged("post_install", "-at_install")
class TestLifecycle(PaCommon):
    def setUp(self):
        super().setUp()
        self.move = self.post_invoice()
        self.deposit()

    def test_platform_dates_read_as_utc(self):
        Flow = self.env["l10n_fr_pa.flow"]
        expected = datetime(2026, 12, 1, 8, 5, 30)
        for value in ("2026-12-01T08:05:30Z", "2026-12-01T09:05:30+01:00", "2026-12-01T08:05:30.250Z"):
            self.assertEqual(Flow._parse_datetime(value), expected, value)
        self.assertFalse(Flow._parse_datetime("le 1er décembre"))

    def test_poll_records_history(self):
        self.pa.add_lifecycle(self.move, "200", self.at("2026-12-01 09:05"))
        self.pa.add_lifecycle(self.move, "205", self.at("2026-12-02 14:00"), reason="OK pour paiement")
        self.poll()
        self.move.invalidate_recordset(["l10n_fr_pa_status_ids"])
        history = self.move.l10n_fr_pa_status_ids
        self.assertEqual(history.mapped("code"), ["205", "200"], "newest first")
        self.assertEqual(self.move.l10n_fr_pa_status, "205")
        self.assertEqual(self.move.l10n_fr_pa_acceptance_date, self.at("2026-12-02 14:00"))
        self.assertEqual(history[0].reason, "OK pour paiement")
        self.assertEqual(history[0].source, "platform")
        # the search asked for lifecycle flows, then from the cursor on
        searches = [what for method, path, what in self.pa.requests if path == "/v1/flows/search"]
        self.assertEqual(searches[0], {"limit": 100, "where": {"flowType": ["CustomerInvoiceLC"]}})
        self.assertEqual(self.company.l10n_fr_pa_poll_cursor, "2026-12-02T02:00:00Z")
        self.poll()
        last = [what for method, path, what in self.pa.requests if path == "/v1/flows/search"][-1]
        self.assertEqual(last["where"]["updatedAfter"], "2026-12-02T02:00:00Z")
        self.assertEqual(len(self.move.l10n_fr_pa_status_ids), 2)
        downloads = [what for method, path, what in self.pa.requests if path.startswith("/v1/flows/LC")]
        self.assertEqual(downloads, [{"docType": "Original"}] * 2)

    def test_same_flow_twice_records_once(self):
        remote = self.pa.add_lifecycle(self.move, "200", self.at("2026-12-01 09:05"))
        flow_model = self.env["l10n_fr_pa.flow"]
        flow_model._process_remote_flow(self.company, remote)
        flow_model._process_remote_flow(self.company, remote)
        self.company.l10n_fr_pa_poll_cursor = False
        self.poll()
        self.assertEqual(len(self.move.l10n_fr_pa_status_ids), 1)
        downloads = [path for method, path, what in self.pa.requests if path.startswith("/v1/flows/LC")]
        self.assertEqual(len(downloads), 1, "a recorded flow is not downloaded again")

    def test_out_of_order(self):
        """Statuses arriving out of order: the history follows their dates, a terminal status is
        not overridden by an earlier-dated one."""
        self.pa.add_lifecycle(self.move, "210", self.at("2026-12-20 10:00"), reason_code="DOUBLON", reason="Doublon")
        with freeze_time("2026-12-20 11:00:00"):
            self.poll()
        self.pa.add_lifecycle(self.move, "205", self.at("2026-12-05 10:00"))
        self.pa.add_lifecycle(self.move, "200", self.at("2026-12-01 09:05"))
        with freeze_time("2026-12-21 09:00:00"):
            self.poll()
        self.move.invalidate_recordset(["l10n_fr_pa_status_ids"])
        self.assertEqual(self.move.l10n_fr_pa_status_ids.mapped("code"), ["210", "205", "200"])
        self.assertEqual(self.move.l10n_fr_pa_status, "210")
        self.assertEqual(self.move.l10n_fr_pa_acceptance_date, self.at("2026-12-05 10:00"))
        # a later non-terminal status does not replace a terminal one either
        self.pa.add_lifecycle(self.move, "211", self.at("2026-12-21 10:00"))
        with freeze_time("2026-12-21 11:00:00"):
            self.poll()
        self.assertEqual(self.move.l10n_fr_pa_status, "210")

    def test_refusal_opens_activity(self):
        self.pa.add_lifecycle(self.move, "210", self.at("2026-12-02 10:00"), reason_code="DOUBLON", reason="Déjà payée")
        self.poll()
        self.assertEqual(self.move.l10n_fr_pa_status, "210")
        self.assertTrue(self.move.l10n_fr_pa_attention)
        activity = self.move.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertIn("Refused", activity.summary)
        self.assertIn("Déjà payée", self.move.message_ids[0].body)

    def test_unmatched_and_unreadable_are_kept(self):
        other = self.post_invoice()  # not deposited yet, another number
        remote = self.pa.add_lifecycle(other, "200", self.at("2026-12-01 09:05"))
        self.pa.files[remote["flowId"]] = self.pa.files[remote["flowId"]].replace(other.name.encode(), b"UNKNOWN-42")
        broken = self.pa.add_lifecycle(self.move, "205", self.at("2026-12-02 10:00"))
        self.pa.files[broken["flowId"]] = b"garbage"
        self.poll()
        statuses = self.env["l10n_fr_pa.status"].search([("pa_flow_id", "in", [remote["flowId"], broken["flowId"]])])
        self.assertEqual(len(statuses), 2)
        self.assertFalse(statuses.move_id)
        self.assertTrue(all(statuses.mapped("error")))
        self.assertFalse(self.move.l10n_fr_pa_status_ids)

    def test_pagination(self):
        """A full page (100) means more: the cron asks to run again, the next page starts after
        the last updatedAt read."""
        for index in range(101):
            flow = self.pa.add_lifecycle(self.move, "204", self.at("2026-12-02 10:00"))
            flow["updatedAt"] = f"2026-12-02T10:{index // 60:02d}:{index % 60:02d}Z"
        progress = []
        with patch.object(
            type(self.env["ir.cron"]), "_notify_progress", lambda cron, **kwargs: progress.append(kwargs)
        ):
            self.poll()
            self.assertEqual(len(self.move.l10n_fr_pa_status_ids), 100)
            self.assertEqual(self.company.l10n_fr_pa_poll_cursor, "2026-12-02T10:01:39Z")
            self.poll()
        self.assertEqual(len(self.move.l10n_fr_pa_status_ids), 101)
        self.assertEqual(progress, [{"done": 100, "remaining": 1}, {"done": 1, "remaining": 0}])

    def test_rejected_213_deposited_again(self):
        """A 213 Rejetée: billing corrects and deposits again; the statuses of the new deposit
        count, the old ones stay in the history.

        The new deposit starts when PostgreSQL stamps its flow (``create_date``, the
        transaction's ``cr.now()``), not at a Python clock: the platform's dates are taken
        around that stamp, so that the test holds on any day and at any hour."""
        redeposit_at = self.env.cr.now()  # what the database stamps on the new deposit's flow
        self.pa.add_lifecycle(
            self.move, "213", redeposit_at - timedelta(hours=2), reason_code="REJ_SEMAN", reason="BT-48"
        )
        self.poll()
        self.assertEqual(self.move.l10n_fr_pa_status, "213")
        self.assertTrue(self.move.l10n_fr_pa_attention)
        with freeze_time(redeposit_at):
            self.move.with_user(self.billing).action_l10n_fr_pa_deposit()
            self.deposit()
        self.assertEqual(len(self.flows(self.move)), 2)
        self.assertEqual(self.flows(self.move)[-1].create_date, redeposit_at)
        self.assertEqual(self.move.l10n_fr_pa_deposit_state, "sent")
        self.assertFalse(self.move.l10n_fr_pa_status, "the 213 was about the previous deposit")
        self.pa.add_lifecycle(self.move, "200", redeposit_at + timedelta(minutes=5))
        self.poll()
        self.assertEqual(self.move.l10n_fr_pa_status, "200")
        self.assertFalse(self.move.l10n_fr_pa_attention)
        self.assertEqual(len(self.move.l10n_fr_pa_status_ids), 2)

    def test_flow_the_platform_cannot_give(self):
        """A lifecycle flow the platform answers 404 for is kept with the reason, and does not
        hold the cursor back."""
        missing = self.pa.add_lifecycle(self.move, "205", self.at("2026-12-02 10:00"))
        del self.pa.files[missing["flowId"]]
        self.pa.add_lifecycle(self.move, "210", self.at("2026-12-10 10:00"), reason_code="DOUBLON")
        self.poll()
        self.assertEqual(self.move.l10n_fr_pa_status, "210")
        (kept,) = self.env["l10n_fr_pa.status"].search([("pa_flow_id", "=", missing["flowId"])])
        self.assertIn("404", kept.error)
