from decimal import Decimal

from lxml import etree

from odoo import Command
from odoo.tests import tagged

from odoo.addons.l10n_fr_pa_flow.tools.cdar import NS, CollectedAmount, parse_cdar

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
        self.assertEqual(message.collected, [CollectedAmount(Decimal("120.00"), Decimal("20.00"))])
        self.assertEqual(move.l10n_fr_pa_collected_sent, 120.0)
        self.assertEqual(move.l10n_fr_pa_status, "212")
        self.assertEqual(move.l10n_fr_pa_status_ids.source, "company")
        self.deposit()
        self.assertEqual(len(self.flows(move, "CustomerInvoiceLC")), 1, "declared once")

    def test_212_is_the_sellers_status_per_vat_rate(self):
        """The official rules (BR-FR-CDV): a status of the seller is a "23" naming the seller as
        its issuer, sent to the buyer at its electronic address; its one status detail is
        numbered; the amount collected is given per VAT rate, here split pro rata of the
        invoice's amounts per rate, to the cent."""
        reduced = self.tax.copy({"name": "TVA 10 % (PA test)", "amount": 10.0})
        move = self.post_invoice(
            lines=[
                {"product_id": self.service.id, "price_unit": 100.0, "tax_ids": [Command.set(tax.ids)]}
                for tax in (self.tax, reduced)
            ]
        )
        self.assertEqual(move.amount_total, 230.0)
        self.deposit()
        self.pay(move, 100.0)  # 120/230 at 20 %, 110/230 at 10 %: 52.17 and 47.83 (47.826 rounds up)
        self.deposit()
        lifecycle = self.flows(move, "CustomerInvoiceLC")
        self.assertRecordValues(lifecycle, [{"status_code": "212", "amount": 100.0, "state": "sent"}])
        content = self.pa.files[lifecycle.pa_flow_id]
        root = etree.fromstring(content)

        def values(path):
            return [node.text for node in root.iterfind(path, NS)]

        document = "rsm:ExchangedDocument"
        status = "rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument/ram:SpecifiedDocumentStatus"
        self.assertEqual(values("rsm:AcknowledgementDocument/ram:TypeCode"), ["23"])
        self.assertEqual(values(f"{document}/ram:SenderTradeParty/ram:RoleCode"), ["SE"])
        self.assertEqual(values(f"{document}/ram:IssuerTradeParty/ram:GlobalID"), ["303265045"])
        self.assertEqual(values(f"{document}/ram:IssuerTradeParty/ram:RoleCode"), ["SE"])
        self.assertEqual(values(f"{document}/ram:RecipientTradeParty/ram:RoleCode"), ["BY"])
        address = root.find(f"{document}/ram:RecipientTradeParty/ram:URIUniversalCommunication/ram:URIID", NS)
        self.assertEqual((address.get("schemeID"), address.text), ("0225", "552100554"))
        self.assertEqual(values(f"{status}/ram:SequenceNumeric"), ["1"])
        characteristic = f"{status}/ram:SpecifiedDocumentCharacteristic"
        self.assertEqual(values(f"{characteristic}/ram:TypeCode"), ["MEN", "MEN"])
        self.assertEqual(values(f"{characteristic}/ram:ValueAmount"), ["52.17", "47.83"])
        self.assertEqual(values(f"{characteristic}/ram:ValuePercent"), ["20.00", "10.00"])
        message = parse_cdar(content)
        self.assertEqual(message.amount, Decimal("100.00"))
        self.assertEqual((message.ack_type_code, message.issuer.role), ("23", "SE"))
        self.assertEqual((message.recipient.address, message.recipient.address_scheme), ("552100554", "0225"))
        # the rest: 130.00, split again on its own, every cent declared once
        self.pay(move, 130.0)
        self.deposit()
        self.assertEqual(move.payment_state, "paid")
        second = parse_cdar(self.pa.files[self.flows(move, "CustomerInvoiceLC")[-1].pa_flow_id])
        self.assertEqual(
            [(part.vat_rate, part.amount) for part in second.collected],
            [(Decimal("20.00"), Decimal("67.83")), (Decimal("10.00"), Decimal("62.17"))],
        )

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
