from datetime import date, datetime

from freezegun import freeze_time
from lxml import etree

from odoo import Command
from odoo.tests import tagged

from odoo.addons.l10n_fr_invoice.tools.einvoice_check import NS

from .common import FieldInterventionPaCommon

BUYER = "//ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty"


@tagged("-at_install", "post_install")
class TestInterventionEinvoiceChecks(FieldInterventionPaCommon):
    """Intervention invoices, with the suite's Factur-X data, pass the checks before deposit,
    or are stopped."""

    def _draft_invoice(self, customer=None):
        with freeze_time(datetime(2026, 3, 2, 10, 0)):
            task = self._create_task(customer) if customer else None
            intervention = self._create_done_intervention(task=task, start=datetime(2026, 3, 2, 7, 0))
            self._sign(intervention)
        invoice = self._invoice_of(intervention)
        invoice.invoice_date = date(2026, 3, 3)
        return invoice

    def test_vat_only_customer_deposited_with_its_siren(self):
        """A French business customer known by its VAT number only: the invoice's file gives
        its SIREN (BT-47) and its directory address (BT-49), and is deposited."""
        customer = self._fi_create_customer(
            "Copropriété Soleil", vat="FR96552100554", property_product_pricelist=self.pricelist.id
        )
        invoice = self._draft_invoice(customer)
        invoice.with_user(self.billing).action_post()
        xml = self.env["account.edi.xml.cii"]._export_invoice(invoice)[0]
        self.assertEqual(invoice._l10n_fr_check_einvoice(xml), [])
        tree = etree.fromstring(xml)
        siren = tree.xpath(f"{BUYER}/ram:SpecifiedLegalOrganization/ram:ID/text()", namespaces=NS)
        self.assertEqual(siren, ["552100554"])
        address = tree.xpath(f"{BUYER}/ram:URIUniversalCommunication/ram:URIID/text()", namespaces=NS)
        self.assertEqual(address, ["552100554"])
        self.assertEqual(len(tree.xpath(f"{BUYER}/ram:URIUniversalCommunication", namespaces=NS)), 1)
        self.env["l10n_fr_pa.flow"]._cron_deposit()
        self.assertEqual(invoice.l10n_fr_pa_deposit_state, "sent")

    def test_line_without_vat_not_deposited(self):
        invoice = self._draft_invoice()
        invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")[:1].tax_ids = [Command.clear()]
        invoice.with_user(self.billing).with_context(l10n_fr_pa_post_invalid=True).action_post()
        self.env["l10n_fr_pa.flow"]._cron_deposit()
        self.assertFalse(self.pa.deposits(), "nothing reaches the platform")
        self.assertEqual(invoice.l10n_fr_pa_deposit_state, "error")
        self.assertIn("BR-FXEXT-CO-04", invoice.l10n_fr_pa_deposit_reason)
