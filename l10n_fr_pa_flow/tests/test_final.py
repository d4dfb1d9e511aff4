from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PaCommon


@tagged("post_install", "-at_install")
class TestFinal(PaCommon):
    """What the platform holds is final: a queued or accepted deposit freezes the invoice (no
    reset to draft, no cancellation, no change, by any of core's paths); a credit note, deposited
    too, corrects it; only a deposit the platform refused is corrected and deposited again."""

    def assert_final(self, move):
        as_billing = move.with_user(self.billing)
        line = as_billing.invoice_line_ids
        unchecked = as_billing.with_context(skip_readonly_check=True)  # core's readonly check skipped
        attempts = {
            "reset to draft": as_billing.button_draft,
            "cancel": as_billing.button_cancel,
            "state written to draft": lambda: as_billing.write({"state": "draft"}),
            "state written to cancel": lambda: as_billing.write({"state": "cancel"}),
            "price x10 on the line": lambda: line.write({"price_unit": line.price_unit * 10}),
            "lines through the invoice": lambda: unchecked.write(
                {"invoice_line_ids": [Command.update(line.id, {"quantity": 10})]}
            ),
            "number": lambda: as_billing.write({"name": "FAC/2026/99999"}),
            "customer": lambda: unchecked.write({"partner_id": self.individual.id}),
            "due date": lambda: unchecked.write({"invoice_date_due": "2027-06-30"}),
            "line added": lambda: (
                self.env["account.move.line"]
                .with_user(self.billing)
                .create({"move_id": move.id, "name": "Extra", "account_id": line.account_id.id, "balance": 0.0})
            ),
            "line deleted": lambda: line.with_context(force_delete=True).unlink(),
        }
        total, name = move.amount_total, move.name
        for label, attempt in attempts.items():
            with self.subTest(label), self.assertRaises(UserError):
                attempt()
        self.assertRecordValues(move, [{"state": "posted", "amount_total": total, "name": name}])
        self.assertFalse(move.show_reset_to_draft_button)

    def test_deposited_invoice_is_final(self):
        move = self.post_invoice()
        self.deposit()
        self.assertEqual(move.l10n_fr_pa_deposit_state, "sent")
        self.assert_final(move)
        self.assertEqual(len(self.pa.deposits()), 1, "one invoice, one number, one deposit")

    def test_queued_deposit_is_final(self):
        """Queued: the scheduled action may deposit it at any moment."""
        move = self.post_invoice()
        self.assertEqual(move.l10n_fr_pa_deposit_state, "queued")
        self.assert_final(move)

    def test_refused_by_the_buyer_is_final(self):
        """210 Refusée: the buyer refused an invoice the platform accepted; it was issued, a
        credit note corrects it."""
        move = self.post_invoice()
        self.deposit()
        self.pa.add_lifecycle(move, "210", self.at("2026-12-02 10:00"), reason_code="TX_TVA_ERR", reason="Taux")
        self.poll()
        self.assertEqual(move.l10n_fr_pa_status, "210")
        self.assert_final(move)

    def test_not_deposited_may_go_back_to_draft(self):
        """A posted invoice stopped before any deposit was queued (here: an individual, no
        e-invoice) goes back to draft as any invoice does."""
        move = self.post_invoice(partner=self.individual)
        self.assertFalse(move.l10n_fr_pa_flow_ids)
        self.assertTrue(move.show_reset_to_draft_button)
        move.with_user(self.billing).button_draft()
        self.assertEqual(move.state, "draft")

    def correct_and_post_again(self, move):
        as_billing = move.with_user(self.billing)
        name = move.name
        self.assertTrue(move.show_reset_to_draft_button)
        as_billing.button_draft()
        as_billing.write({"invoice_line_ids": [Command.update(move.invoice_line_ids.id, {"price_unit": 90.0})]})
        as_billing.action_post()
        self.assertEqual(move.name, name, "a rejected invoice was not issued: its number is kept")
        self.assertEqual(move.l10n_fr_pa_deposit_state, "queued")
        self.deposit()
        self.assertEqual(move.l10n_fr_pa_deposit_state, "sent")
        deposits = self.pa.deposits()
        self.assertEqual(len({info["trackingId"] for info in deposits}), 2, "a new deposit, a new trackingId")
        self.assert_final(move)

    def test_error_acknowledgement_corrected_and_deposited_again(self):
        move = self.post_invoice()
        self.pa.deposit_answers = [("Error", "InvalidSchema")]
        self.deposit()
        self.assertEqual(move.l10n_fr_pa_deposit_state, "error")
        self.correct_and_post_again(move)
        self.assertEqual(move.amount_untaxed, 90.0)

    def test_213_rejected_corrected_and_deposited_again(self):
        move = self.post_invoice()
        self.deposit()
        # dated before the new deposit starts (the database's time of the new flow), whatever the day
        rejected_at = self.env.cr.now() - timedelta(hours=1)
        self.pa.add_lifecycle(move, "213", rejected_at, reason_code="REJ_SEMAN", reason="BT-48")
        self.poll()
        self.assertEqual(move.l10n_fr_pa_status, "213")
        # billing reads what the standard's reason code means, and the platform's words
        self.assertIn("REJ_SEMAN (the invoice breaks a rule of the standard", move.message_ids[0].body)
        self.assertIn("BT-48", move.message_ids[0].body)
        self.correct_and_post_again(move)

    def test_credit_note_corrects_and_is_final_too(self):
        move = self.post_invoice()
        self.deposit()
        reversal = (
            self.env["account.move.reversal"]
            .with_user(self.billing)
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "reason": "Erreur de prix", "date": "2026-12-02"})
        )
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        refund.with_user(self.billing).action_post()
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.l10n_fr_pa_deposit_state, "queued", "the credit note goes to the platform too")
        self.deposit()
        self.assertEqual(refund.l10n_fr_pa_deposit_state, "sent")
        self.assertEqual(move.payment_state, "reversed")
        self.assert_final(refund)
        self.assert_final(move)
