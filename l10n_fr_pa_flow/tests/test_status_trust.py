from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import PaCommon


@tagged("post_install", "-at_install")
class TestStatusTrust(PaCommon):
    """Which statuses count: the seller's own statuses (209, 212) only when this company sent
    them, and a status dated in the future does not outrank those received after it."""

    def setUp(self):
        super().setUp()
        self.move = self.post_invoice()
        self.deposit()

    def test_seller_statuses_from_elsewhere_change_nothing(self):
        self.pa.add_lifecycle(self.move, "200", datetime(2026, 12, 1, 9, 5))
        self.pa.add_lifecycle(self.move, "212", datetime(2026, 12, 1, 9, 30), amount=self.move.amount_total)
        self.pa.add_lifecycle(self.move, "209", datetime(2026, 12, 1, 9, 40))
        with freeze_time("2026-12-01 10:00:00"):
            self.poll()
        self.move.invalidate_recordset(["l10n_fr_pa_status_ids"])
        statuses = self.move.l10n_fr_pa_status_ids
        self.assertEqual(sorted(statuses.mapped("code")), ["200", "209", "212"], "recorded, all of them")
        refused = statuses.filtered(lambda status: status.code in ("209", "212"))
        self.assertTrue(all("seller's own" in (status.error or "") for status in refused), refused.mapped("error"))
        self.assertEqual(self.move.l10n_fr_pa_status, "200")
        self.assertFalse(self.move.l10n_fr_pa_cash_date, "not collected: nobody paid")
        self.assertFalse(self.move.activity_ids)
        self.assertEqual(self.move.payment_state, "not_paid")

    def test_status_dated_in_the_future(self):
        """A 207 dated weeks ahead is received first, a 205 received two days later: the 205 is
        the current status (the 207 counts from its receipt)."""
        self.pa.add_lifecycle(self.move, "207", datetime(2027, 1, 15, 10, 0), reason_code="CMD_ERR", reason="Bon")
        with freeze_time("2026-12-03 10:00:00"):
            self.poll()
        self.assertEqual(self.move.l10n_fr_pa_status, "207")
        self.pa.add_lifecycle(self.move, "205", datetime(2026, 12, 5, 9, 0))
        with freeze_time("2026-12-05 10:00:00"):
            self.poll()
        self.move.invalidate_recordset(["l10n_fr_pa_status_ids"])
        self.assertEqual(self.move.l10n_fr_pa_status, "205")
        self.assertFalse(self.move.l10n_fr_pa_attention)
        (future,) = self.move.l10n_fr_pa_status_ids.filtered(lambda status: status.code == "207")
        self.assertEqual(future.date, datetime(2027, 1, 15, 10, 0), "the history keeps the date it carried")
