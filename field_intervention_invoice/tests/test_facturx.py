import facturx
from lxml import etree

from odoo.tests import tagged

from .common import FieldInterventionInvoiceCommon

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


@tagged("-at_install", "post_install")
class TestFacturX(FieldInterventionInvoiceCommon):
    """The Factur-X XML carries the French e-invoicing data and is valid against the XSD."""

    def _export(self, intervention):
        invoice = self._invoice_of(intervention)
        invoice.action_post()
        xml, __ = self.env["account.edi.xml.cii"]._export_invoice(invoice)
        return invoice, xml, etree.fromstring(xml)

    def _text(self, tree, xpath):
        return [node.text for node in tree.xpath(xpath, namespaces=NS)]

    def test_facturx_content_and_xsd(self):
        intervention = self._sign(self._create_done_intervention())
        __, xml, tree = self._export(intervention)
        self.assertEqual(
            self._text(
                tree, "//rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"
            ),
            ["M1"],
            "BT-23: goods and services",
        )
        notes = {
            note.findtext("ram:SubjectCode", namespaces=NS): note.findtext("ram:Content", namespaces=NS)
            for note in tree.xpath("//rsm:ExchangedDocument/ram:IncludedNote", namespaces=NS)
            if note.findtext("ram:SubjectCode", namespaces=NS)
        }
        self.assertEqual(notes["PMT"], "Indemnité forfaitaire pour frais de recouvrement : 40 €")
        self.assertIn("Pénalités de retard", notes["PMD"])
        self.assertEqual(notes["AAB"], "Pas d'escompte pour paiement anticipé")
        self.assertEqual(
            self._text(tree, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID"),
            ["303265045"],
            "seller SIREN",
        )
        self.assertEqual(
            tree.xpath("//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID/@schemeID", namespaces=NS),
            ["0002"],
        )
        self.assertEqual(
            self._text(tree, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID"),
            ["552100554"],
            "buyer SIREN",
        )
        self.assertEqual(self._text(tree, "//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CityName"), ["Lyon"])
        self.assertIn("Fournil Lyon", self._text(tree, "//ram:ShipToTradeParty/ram:Name")[0])
        service_date = intervention.intervention_date.strftime("%Y%m%d")
        self.assertEqual(
            self._text(tree, "//ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString"),
            [service_date],
        )
        self.assertEqual(
            self._text(tree, "//ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString"),
            [service_date],
        )
        self.assertTrue(facturx.xml_check_xsd(xml, flavor="factur-x", level="extended"))
        self.assertTrue(facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931"))

    def test_services_only_and_mentions_disabled(self):
        self.company.fi_invoice_mentions = False
        intervention = self._sign(self._create_done_intervention(parts=[]))
        __, xml, tree = self._export(intervention)
        self.assertEqual(
            self._text(tree, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"),
            ["S1"],
        )
        self.assertFalse(tree.xpath("//ram:IncludedNote/ram:SubjectCode", namespaces=NS))
        self.assertTrue(facturx.xml_check_xsd(xml, flavor="factur-x", level="extended"))
