import facturx
from lxml import etree

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import FieldInterventionInvoiceCommon

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
AGREEMENT = "//rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
SELLER = AGREEMENT + "/ram:SellerTradeParty"
BUYER = AGREEMENT + "/ram:BuyerTradeParty"
SHIP_TO = "//ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty"
SETTLEMENT = "//rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"


@tagged("-at_install", "post_install")
class TestFacturX(FieldInterventionInvoiceCommon):
    """The Factur-X XML carries the French e-invoicing data, is valid against the XSD and meets
    the EN 16931 and FNFE BR-FR rules (each assertion names the rule it holds the XML to)."""

    def _post(self, intervention):
        invoice = self._invoice_of(intervention).with_user(self.billing)
        invoice.action_post()
        return invoice

    def _xml(self, move):
        """CII XML of the move as the billing user exports it, checked against the XSD."""
        xml, __ = self.env["account.edi.xml.cii"].with_user(self.billing)._export_invoice(move.with_user(self.billing))
        self.assertTrue(facturx.xml_check_xsd(xml, flavor="factur-x", level="extended"), "XSD (EXTENDED)")
        self.assertTrue(facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931"), "XSD (EN 16931)")
        return etree.fromstring(xml)

    def _export(self, intervention):
        invoice = self._post(intervention)
        return invoice, self._xml(invoice)

    def _text(self, tree, xpath):
        return [node if isinstance(node, str) else node.text for node in tree.xpath(xpath, namespaces=NS)]

    def _notes(self, tree):
        return {
            note.findtext("ram:SubjectCode", namespaces=NS): note.findtext("ram:Content", namespaces=NS)
            for note in tree.xpath("//rsm:ExchangedDocument/ram:IncludedNote", namespaces=NS)
            if note.findtext("ram:SubjectCode", namespaces=NS)
        }

    def _assert_seller(self, tree):
        self.assertEqual(
            self._text(tree, SELLER + "/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']"),
            ["303265045"],
            "BR-FR-10: seller SIREN (BT-30), scheme 0002",
        )
        self.assertEqual(
            self._text(tree, SELLER + "/ram:URIUniversalCommunication/ram:URIID[@schemeID='0225']"),
            ["303265045"],
            "BR-FR-13: seller electronic address (BT-34) is its SIREN, scheme 0225",
        )

    def _assert_b2b_buyer(self, tree, address="552100554"):
        self.assertEqual(self._notes(tree).get("BAR"), "B2B", "BR-FR-20: treatment note BAR is B2B")
        self.assertEqual(
            self._text(tree, BUYER + "/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']"),
            ["552100554"],
            "BR-FR-11: buyer SIREN (BT-47), 9 digits, scheme 0002",
        )
        self.assertEqual(
            self._text(tree, BUYER + "/ram:URIUniversalCommunication/ram:URIID[@schemeID='0225']"),
            [address],
            "BR-FR-12/BR-FR-21: buyer electronic address (BT-49) starts with its SIREN, scheme 0225",
        )

    def test_b2b_invoice(self):
        intervention = self._sign(self._create_done_intervention())
        __, tree = self._export(intervention)
        self.assertEqual(
            self._text(
                tree, "//rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"
            ),
            ["M1"],
            "BR-FR-08: billing framework BT-23 is M1 (goods and services)",
        )
        notes = self._notes(tree)
        self.assertEqual(notes["PMT"], "Indemnité forfaitaire pour frais de recouvrement : 40 €", "BR-FR-05: PMT")
        self.assertIn("Pénalités de retard", notes["PMD"], "BR-FR-05: PMD")
        self.assertEqual(notes["AAB"], "Pas d'escompte pour paiement anticipé", "BR-FR-05: AAB")
        self._assert_seller(tree)
        self._assert_b2b_buyer(tree)
        self.assertEqual(self._text(tree, SHIP_TO + "/ram:PostalTradeAddress/ram:CityName"), ["Lyon"])
        self.assertIn("Fournil Lyon", self._text(tree, SHIP_TO + "/ram:Name")[0])
        self.assertFalse(tree.xpath(SHIP_TO + "/ram:DefinedTradeContact", namespaces=NS), "CII-SR-312: no contact")
        self.assertEqual(
            sorted(
                zip(
                    self._text(tree, SETTLEMENT + "/ram:ApplicableTradeTax/ram:CategoryCode"),
                    self._text(tree, SETTLEMENT + "/ram:ApplicableTradeTax/ram:RateApplicablePercent"),
                    strict=True,
                )
            ),
            [("S", "20.0")],
            "BR-FR-15/BR-S-05: VAT category S with its rate",
        )
        service_date = intervention.intervention_date.strftime("%Y%m%d")
        self.assertEqual(
            self._text(tree, "//ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString"),
            [service_date],
        )
        self.assertEqual(
            self._text(tree, "//ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString"),
            [service_date],
        )

    def test_routing_suffix(self):
        """An invoicing address with a routing code of the French directory (SIREN_CODE)."""
        with self.assertRaises(ValidationError):
            self.customer.write({"peppol_eas": "0225", "peppol_endpoint": "ACHATS 552100554"})
        self.customer.write({"peppol_eas": "0225", "peppol_endpoint": "552100554_ACHATS"})
        self.customer.vat = "FR96552100554"  # core recomputes the scheme when identifiers change
        self.assertEqual(self.customer.peppol_eas, "0225")
        __, tree = self._export(self._sign(self._create_done_intervention(parts=[])))
        self._assert_b2b_buyer(tree, address="552100554_ACHATS")

    def test_credit_note(self):
        invoice, __ = self._export(self._sign(self._create_done_intervention()))
        reversal = (
            self.env["account.move.reversal"]
            .with_user(self.billing)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "Geste commercial"})
        )
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"]).with_user(self.billing)
        refund.action_post()
        tree = self._xml(refund)
        self.assertEqual(self._text(tree, "//rsm:ExchangedDocument/ram:TypeCode"), ["381"], "BR-FR-04: credit note")
        self.assertEqual(
            self._text(tree, SETTLEMENT + "/ram:InvoiceReferencedDocument/ram:IssuerAssignedID"),
            [invoice.name],
            "BR-FR-CO-05: the credit note names the invoice it corrects (BT-25)",
        )
        self.assertEqual(
            self._text(
                tree, SETTLEMENT + "/ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString"
            ),
            [invoice.invoice_date.strftime("%Y%m%d")],
            "BR-FR-CO-05: with the invoice date (BT-26)",
        )
        self._assert_seller(tree)
        self._assert_b2b_buyer(tree)
        self.assertIn("PMT", self._notes(tree), "BR-FR-05: PMT on credit notes too")

    def test_b2c_individual(self):
        individual = self.env["res.partner"].create(
            {
                "name": "Jean Dupont",
                "street": "5 rue des Lilas",
                "zip": "69003",
                "city": "Lyon",
                "country_id": self.env.ref("base.fr").id,
                "property_product_pricelist": self.pricelist.id,
            }
        )
        invoice, tree = self._export(self._sign(self._create_done_intervention(task=self._create_task(individual))))
        self.assertEqual(invoice.fi_check_state, "clean")
        self.assertEqual(self._notes(tree), {"BAR": "B2C"}, "BR-FR-20: treatment B2C, no B2B payment notes")
        self.assertFalse(tree.xpath(BUYER + "/ram:SpecifiedLegalOrganization", namespaces=NS), "B2C: no buyer SIREN")
        self.assertFalse(tree.xpath(BUYER + "/ram:URIUniversalCommunication", namespaces=NS), "B2C: no BT-49")
        self._assert_seller(tree)

    def test_site_without_country(self):
        self.site.country_id = False
        invoice, tree = self._export(self._sign(self._create_done_intervention()))
        self.assertEqual(
            self._text(tree, SHIP_TO + "/ram:PostalTradeAddress/ram:CountryID"),
            ["FR"],
            "BR-57: the deliver-to address falls back to the customer's country",
        )
        self.assertIn(
            "Intervention site Boulangerie Martin SARL, Fournil Lyon has no country", invoice.fi_check_reasons
        )

    def test_services_only_and_mentions_disabled(self):
        self.company.l10n_fr_invoice_mentions = False
        __, tree = self._export(self._sign(self._create_done_intervention(parts=[])))
        self.assertEqual(
            self._text(tree, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"),
            ["S1"],
            "BR-FR-08: billing framework BT-23 is S1 (services)",
        )
        self.assertEqual(
            set(self._notes(tree)),
            {"BAR", "PMT", "PMD", "AAB"},
            "BR-FR-05: a business's e-invoice carries the legal mentions even when the PDF does not print them",
        )


@tagged("-at_install", "post_install")
class TestFacturXChecks(FieldInterventionInvoiceCommon):
    """The pre-billing checks tell billing, in its words, what would make an invalid e-invoice."""

    def _invoice(self, customer, parts=None):
        task = self._create_task(customer)
        return self._invoice_of(self._sign(self._create_done_intervention(task=task, parts=parts or [])))

    def test_customer_without_siren(self):
        customer = self._create_customer("Plomberie Sans Siren", False)
        invoice = self._invoice(customer)
        self.assertEqual(invoice.fi_check_state, "to_review")
        self.assertIn(
            "Plomberie Sans Siren has no SIREN: enter its SIRET (or SIREN) on the customer; "
            "French e-invoices require it.",
            invoice.fi_check_reasons,
        )
        customer.siret = "55210055400013"
        invoice.with_user(self.billing).action_fi_recheck()
        self.assertEqual(invoice.fi_check_state, "clean")

    def test_line_without_tax(self):
        untaxed = self.env["product.product"].create(
            {
                "name": "Fourniture diverse",
                "type": "consu",
                "list_price": 8.0,
                "property_account_income_id": self.income_account.id,
                "taxes_id": [Command.clear()],
            }
        )
        invoice = self._invoice(self.customer, parts=[(untaxed, 1.0)])
        self.assertIn("Line without VAT: Fourniture diverse", invoice.fi_check_reasons)

    def test_foreign_customer(self):
        customer = self._create_customer(
            "Brasserie Bruxelloise", False, country_id=self.env.ref("base.be").id, zip="1000", city="Bruxelles"
        )
        invoice = self._invoice(customer)
        self.assertIn(
            "Brasserie Bruxelloise is not a French customer: the invoice is outside French B2B e-invoicing",
            invoice.fi_check_reasons,
        )

    def test_address_not_starting_with_siren(self):
        self.customer.write({"peppol_eas": "0225", "peppol_endpoint": "303265045_ACHATS"})
        invoice = self._invoice(self.customer)
        self.assertIn(
            "The e-invoicing address 303265045_ACHATS of Boulangerie Martin SARL does not start with its SIREN "
            "552100554.",
            invoice.fi_check_reasons,
        )
