from odoo import Command
from odoo.tests import tagged

from .common import L10nFrInvoiceCommon


@tagged("post_install", "-at_install")
class TestVatOnDebits(L10nFrInvoiceCommon):
    """VAT on debits has one truth, the taxes of the lines, as core l10n_fr_account reads them."""

    def line(self, product, tax):
        return {"product_id": product.id, "quantity": 1, "price_unit": 100.0, "tax_ids": [Command.set(tax.ids)]}

    def test_services_taxed_on_the_invoice(self):
        invoice = self.make_invoice(lines=[self.line(self.service, self.tax_on_invoice)])
        self.assertTrue(invoice._l10n_fr_vat_on_debits())
        self.assertFalse(invoice._l10n_fr_vat_on_receipts())

    def test_services_taxed_on_payment(self):
        invoice = self.make_invoice(lines=[self.line(self.service, self.tax_on_payment)])
        self.assertFalse(invoice._l10n_fr_vat_on_debits())
        self.assertTrue(invoice._l10n_fr_vat_on_receipts())

    def test_goods_are_neither(self):
        """Goods owe their VAT on delivery whatever the option: it is about services."""
        invoice = self.make_invoice(lines=[self.line(self.goods, self.tax_on_invoice)])
        self.assertFalse(invoice._l10n_fr_vat_on_debits())
        self.assertFalse(invoice._l10n_fr_vat_on_receipts())
        self.assertEqual(invoice._l10n_fr_business_process(), "B1")

    def test_line_without_product_is_a_service(self):
        invoice = self.make_invoice(
            lines=[
                {
                    "name": "Dépannage",
                    "quantity": 1,
                    "price_unit": 80.0,
                    "tax_ids": [Command.set(self.tax_on_payment.ids)],
                }
            ]
        )
        self.assertEqual(invoice._l10n_fr_business_process(), "S1")
        self.assertTrue(invoice._l10n_fr_vat_on_receipts())
