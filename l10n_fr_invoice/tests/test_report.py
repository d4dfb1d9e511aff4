import re
from html import unescape

from odoo import Command
from odoo.tests import tagged

from .common import L10nFrInvoiceCommon


@tagged("post_install", "-at_install")
class TestReport(L10nFrInvoiceCommon):
    """The printed invoice carries the French legal mentions, whoever made it."""

    def html(self, invoice):
        html, __ = self.env["ir.actions.report"]._render_qweb_html("account.report_invoice", invoice.ids)
        return re.sub(r"\s+", " ", unescape(html.decode()))

    def test_mentions(self):
        self.company.write({"l10n_fr_legal_form": "SAS", "l10n_fr_share_capital": 10000.0, "l10n_fr_rcs_city": "Paris"})
        html = self.html(self.make_invoice())
        for text in (
            "SIREN <span>552100554</span>",
            "Provision of services",
            "Pénalités de retard : trois fois le taux d'intérêt légal",
            "Indemnité forfaitaire pour frais de recouvrement : 40 €",
            "Pas d'escompte pour paiement anticipé",
            "Option for the payment of tax on debits",
            "Cent vingt euros",
            "RCS <span>Paris</span> <span>303265045</span>",
        ):
            self.assertIn(text, html)
        self.assertNotIn("Option to pay tax on debits", html, "core's line is replaced by ours")

    def test_vat_on_receipts_prints_no_option(self):
        invoice = self.make_invoice(
            lines=[
                {
                    "product_id": self.service.id,
                    "quantity": 1,
                    "price_unit": 100.0,
                    "tax_ids": [Command.set(self.tax_on_payment.ids)],
                }
            ]
        )
        self.assertNotIn("tax on debits", self.html(invoice))

    def test_mentions_can_be_disabled(self):
        self.company.write({"l10n_fr_invoice_mentions": False, "l10n_fr_amount_in_words": False})
        html = self.html(self.make_invoice())
        self.assertNotIn("Indemnité forfaitaire", html)
        self.assertNotIn("Cent vingt euros", html)
