from odoo.tests import tagged

from odoo.addons.l10n_fr_pa_flow.tools.cdar import parse_cdar

from .common import PaCommon


@tagged("post_install", "-at_install")
class TestCollection(PaCommon):
    def pay(self, move, amount):
        register = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"amount": amount, "payment_date": "2026-12-15"})
        )
        return register._create_payments()

    def test_212_on_full_payment(self):
        move = self.post_invoice()
        self.deposit()
        self.pay(move, 120.0)
        self.assertEqual(move.payment_state, "paid")
        self.deposit()
        lifecycle = self.flows(move, "CustomerInvoiceLC")
        self.assertRecordValues(lifecycle, [{"status_code": "212", "amount": 120.0, "state": "sent"}])
        info = self.pa.deposits()[-1]
        self.assertEqual((info["flowSyntax"], info["processingRule"]), ("CDAR", "B2B"))
        message = parse_cdar(self.pa.files[lifecycle.pa_flow_id])
        self.assertEqual((message.status_code, message.amount, message.invoice_number), ("212", 120, move.name))
        self.assertEqual(message.seller_siren, "303265045")
        self.assertEqual(move.l10n_fr_pa_collected_sent, 120.0)
        self.assertEqual(move.l10n_fr_pa_status, "212")
        self.assertEqual(move.l10n_fr_pa_status_ids.source, "company")
        self.deposit()
        self.assertEqual(len(self.flows(move, "CustomerInvoiceLC")), 1, "declared once")

    def test_partial_payments_and_goods(self):
        move = self.post_invoice()
        goods = self.post_invoice(product=self.goods)
        self.deposit()
        self.pay(move, 50.0)
        self.pay(goods, 60.0)
        self.deposit()
        self.assertEqual(move.payment_state, "partial")
        self.assertEqual(self.flows(move, "CustomerInvoiceLC").mapped("amount"), [50.0])
        self.assertFalse(self.flows(goods, "CustomerInvoiceLC"), "goods: VAT is due on delivery, no 212")
        self.pay(move, 70.0)
        self.deposit()
        self.assertEqual(self.flows(move, "CustomerInvoiceLC").mapped("amount"), [50.0, 70.0])

    def test_vat_on_debits_declares_nothing(self):
        """VAT on debits is read from the taxes: a service taxed with a VAT due on the invoice
        (the French chart's "20%") owes it on the invoice, so its collection is not declared."""
        self.tax = self.env["account.chart.template"].with_company(self.company).ref("tva_normale")
        move = self.post_invoice()
        self.assertTrue(move._l10n_fr_vat_on_debits())
        self.deposit()
        self.assertFalse(move._l10n_fr_pa_declares_collection())
        self.pay(move, 120.0)
        self.deposit()
        self.assertFalse(self.flows(move, "CustomerInvoiceLC"))

    def test_not_deposited_declares_nothing(self):
        move = self.post_invoice()
        self.pay(move, 120.0)
        self.env["account.move"]._l10n_fr_pa_enqueue_collections()
        self.assertFalse(self.flows(move, "CustomerInvoiceLC"))

    def test_reversal_after_declaration(self):
        move = self.post_invoice()
        self.deposit()
        payment = self.pay(move, 120.0)
        self.deposit()
        self.assertEqual(move.payment_state, "paid")
        payment.move_id.line_ids.remove_move_reconcile()
        self.assertEqual(move.payment_state, "not_paid")
        self.deposit()
        self.assertEqual(len(self.flows(move, "CustomerInvoiceLC")), 1, "no negative 212")
        self.assertIn("undone", move.activity_ids.summary)
        self.assertEqual(move.l10n_fr_pa_collected_sent, 0.0)

    def test_written_payment_state_is_no_collection(self):
        """``payment_state`` is a field billing can write: a 212 declares what reconciled
        payments brought in, nothing else."""
        move = self.post_invoice()
        self.deposit()
        move.with_user(self.billing).write({"payment_state": "paid"})
        self.assertEqual(move.payment_state, "paid")
        self.deposit()
        self.assertFalse(self.flows(move, "CustomerInvoiceLC"), "no money came in: nothing to declare")
        self.assertEqual(move.l10n_fr_pa_collected_sent, 0.0)

    def test_credit_note_is_no_collection(self):
        """A partial credit note reconciled with the invoice lowers what is due, it brings no cash."""
        move = self.post_invoice()
        self.deposit()
        refund = move._reverse_moves([{"invoice_date": "2026-12-02", "date": "2026-12-02"}])
        refund.invoice_line_ids.price_unit = 20.0
        refund.action_post()  # reconciled with the invoice it reverses
        self.assertEqual(move.payment_state, "partial")
        self.deposit()
        self.assertFalse(self.flows(move, "CustomerInvoiceLC"))
        self.pay(move, 96.0)  # the rest, in cash
        self.deposit()
        self.assertEqual(self.flows(move, "CustomerInvoiceLC").mapped("amount"), [96.0])
