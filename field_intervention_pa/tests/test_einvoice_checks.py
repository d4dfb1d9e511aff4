from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time
from lxml import etree

from odoo import Command
from odoo.tests import tagged

from odoo.addons.field_intervention_invoice.tests.common import FieldInterventionInvoiceCommon
from odoo.addons.l10n_fr_pa_flow.tests.common import BASE_URL, TOKEN_URL, FakePa
from odoo.addons.l10n_fr_pa_flow.tools import pa_client
from odoo.addons.l10n_fr_pa_flow.tools.einvoice_check import NS

BUYER = "//ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty"


@tagged("-at_install", "post_install")
class TestInterventionEinvoiceChecks(FieldInterventionInvoiceCommon):
    """Intervention invoices, with the suite's Factur-X data, pass the checks before deposit,
    or are stopped."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "l10n_fr_pa_enabled": True,
                "l10n_fr_pa_base_url": BASE_URL,
                "l10n_fr_pa_token_url": TOKEN_URL,
                "l10n_fr_pa_client_id": "client",
                "l10n_fr_pa_client_secret": "secret",
                "l10n_fr_pa_flow_syntax": "CII",
                "fi_billing_user_id": cls.billing.id,
            }
        )
        cls.env["res.company"].search([("id", "!=", cls.company.id)]).l10n_fr_pa_enabled = False

    def setUp(self):
        super().setUp()
        pa_client._TOKENS.clear()
        self.pa = FakePa()
        pa = self.pa
        self.startPatcher(
            patch.object(pa_client.PaClient, "_http", lambda client, method, url, **kw: pa(client, method, url, **kw))
        )
        self.startPatcher(patch.object(type(self.env["ir.cron"]), "_trigger", lambda self, at=None: None))

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
        self.assertEqual(invoice._l10n_fr_pa_check_einvoice(xml), [])
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
