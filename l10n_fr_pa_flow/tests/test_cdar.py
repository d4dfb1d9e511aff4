from datetime import date, datetime
from decimal import Decimal

from odoo.tests import tagged
from odoo.tests.common import BaseCase

from odoo.addons.l10n_fr_pa_flow.tools.cdar import (
    CdarError,
    CollectedAmount,
    LifecycleMessage,
    Party,
    build_cdar,
    parse_cdar,
)


@tagged("post_install", "-at_install")
class TestCdar(BaseCase):
    def message(self, **values):
        return LifecycleMessage(
            **{
                "message_id": "MSG-1",
                "status_code": "212",
                "status_label": "Encaissée",
                "invoice_number": "INV/2026/00042",
                "invoice_date": date(2026, 12, 1),
                "seller_siren": "303265045",
                "issued_at": datetime(2026, 12, 3, 10, 30, 5),
                "sender": Party("303265045", "SE"),
                "recipient": Party("552100554", "BY"),
                "amount": Decimal("120.00"),
                **values,
            }
        )

    def test_round_trip(self):
        xml = build_cdar(self.message(reason_code="PAYMENT", reason="Virement reçu"))
        self.assertIn(b'<udt:DateTimeString format="204">20261203103005</udt:DateTimeString>', xml)
        self.assertIn(b'<qdt:DateTimeString format="102">20261201</qdt:DateTimeString>', xml)
        self.assertIn(b'<ram:GlobalID schemeID="0002">303265045</ram:GlobalID>', xml)
        self.assertIn(b"<ram:TypeCode>23</ram:TypeCode>", xml)  # the seller's status
        self.assertIn(b"<ram:SequenceNumeric>1</ram:SequenceNumeric>", xml)
        self.assertIn(b"<ram:ID>urn.cpro.gouv.fr:1p0:CDV:invoice</ram:ID>", xml)
        parsed = parse_cdar(xml)
        self.assertEqual(parsed.status_code, "212")
        self.assertEqual(parsed.invoice_number, "INV/2026/00042")
        self.assertEqual(parsed.invoice_date, date(2026, 12, 1))
        self.assertEqual(parsed.seller_siren, "303265045")
        self.assertEqual(parsed.issued_at, datetime(2026, 12, 3, 10, 30, 5))
        self.assertEqual(parsed.amount, Decimal("120.00"))
        self.assertEqual(parsed.currency, "EUR")
        self.assertEqual((parsed.reason_code, parsed.reason), ("PAYMENT", "Virement reçu"))
        self.assertEqual((parsed.sender.siren, parsed.sender.role), ("303265045", "SE"))
        self.assertEqual(parsed.status_label, "Encaissée")

    def test_collected_per_vat_rate_and_parties(self):
        xml = build_cdar(
            self.message(
                amount=Decimal("230.00"),
                collected=[
                    CollectedAmount(Decimal(120), Decimal(20)),
                    CollectedAmount(Decimal(110), Decimal("5.5")),
                ],
                issuer=Party("303265045", "SE"),
                recipient=Party("552100554", "BY", address="552100554_ACHATS"),
            )
        )
        self.assertIn(b'<ram:ValueAmount currencyID="EUR">110.00</ram:ValueAmount>', xml)
        self.assertIn(b"<ram:ValuePercent>5.50</ram:ValuePercent>", xml)
        self.assertIn(b'<ram:URIID schemeID="0225">552100554_ACHATS</ram:URIID>', xml)
        parsed = parse_cdar(xml)
        self.assertEqual(parsed.amount, Decimal("230.00"))
        self.assertEqual(
            parsed.collected,
            [CollectedAmount(Decimal("120.00"), Decimal("20.00")), CollectedAmount(Decimal("110.00"), Decimal("5.50"))],
        )
        self.assertEqual(parsed.issuer, Party("303265045", "SE"))
        self.assertEqual(parsed.recipient, Party("552100554", "BY", address="552100554_ACHATS"))
        self.assertEqual(parsed.ack_type_code, "23")

    def test_reads_a_platform_status(self):
        """A platform's status (305, sender WK) as the standard's samples write it: status code,
        receipt date, a changed-value indicator; no issuer identifier."""
        xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossDomainAcknowledgementAndResponse
 xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100">
 <rsm:ExchangedDocumentContext>
  <ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>REGULATED</ram:ID>
  </ram:BusinessProcessSpecifiedDocumentContextParameter>
  <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn.cpro.gouv.fr:1p0:CDV:invoice</ram:ID>
  </ram:GuidelineSpecifiedDocumentContextParameter>
 </rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument>
  <ram:ID>INV-42_200_20261201</ram:ID>
  <ram:IssueDateTime><udt:DateTimeString format="204">20261201101500</udt:DateTimeString></ram:IssueDateTime>
  <ram:SenderTradeParty><ram:RoleCode>WK</ram:RoleCode></ram:SenderTradeParty>
  <ram:IssuerTradeParty><ram:Name>PA</ram:Name><ram:RoleCode>WK</ram:RoleCode></ram:IssuerTradeParty>
  <ram:RecipientTradeParty>
   <ram:GlobalID schemeID="0002">303265045</ram:GlobalID><ram:RoleCode>SE</ram:RoleCode>
   <ram:URIUniversalCommunication><ram:URIID schemeID="0225">303265045</ram:URIID></ram:URIUniversalCommunication>
  </ram:RecipientTradeParty>
 </rsm:ExchangedDocument>
 <rsm:AcknowledgementDocument>
  <ram:MultipleReferencesIndicator><udt:Indicator>false</udt:Indicator></ram:MultipleReferencesIndicator>
  <ram:TypeCode>305</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="204">20261201101000</udt:DateTimeString></ram:IssueDateTime>
  <ram:ReferenceReferencedDocument>
   <ram:IssuerAssignedID>INV/2026/00042</ram:IssuerAssignedID>
   <ram:StatusCode>43</ram:StatusCode>
   <ram:TypeCode>380</ram:TypeCode>
   <ram:ReceiptDateTime><udt:DateTimeString format="204">20261201100000</udt:DateTimeString></ram:ReceiptDateTime>
   <ram:FormattedIssueDateTime><qdt:DateTimeString format="102">20261201</qdt:DateTimeString>
   </ram:FormattedIssueDateTime>
   <ram:ProcessConditionCode>200</ram:ProcessConditionCode>
   <ram:ProcessCondition>Deposee</ram:ProcessCondition>
   <ram:IssuerTradeParty><ram:GlobalID schemeID="0002">303265045</ram:GlobalID></ram:IssuerTradeParty>
  </ram:ReferenceReferencedDocument>
 </rsm:AcknowledgementDocument>
</rsm:CrossDomainAcknowledgementAndResponse>"""
        parsed = parse_cdar(xml)
        self.assertEqual((parsed.ack_type_code, parsed.status_code, parsed.status_label), ("305", "200", "Deposee"))
        self.assertEqual((parsed.invoice_number, parsed.seller_siren), ("INV/2026/00042", "303265045"))
        self.assertEqual(parsed.issued_at, datetime(2026, 12, 1, 10, 15))
        self.assertEqual((parsed.sender.role, parsed.sender.siren, parsed.issuer.role), ("WK", "", "WK"))
        self.assertEqual(parsed.recipient, Party("303265045", "SE", address="303265045"))
        self.assertIsNone(parsed.amount)
        self.assertEqual(parsed.collected, [])
        # a platform's message this module writes is a 305
        platform = build_cdar(self.message(status_code="200", amount=None, sender=Party("", "WK")))
        self.assertIn(b"<ram:TypeCode>305</ram:TypeCode>", platform)
        self.assertNotIn(b"SequenceNumeric", platform)

    def test_without_amount(self):
        parsed = parse_cdar(build_cdar(self.message(status_code="205", amount=None)))
        self.assertEqual(parsed.status_code, "205")
        self.assertIsNone(parsed.amount)

    def test_refuses_what_it_cannot_read(self):
        with self.assertRaisesRegex(CdarError, "not XML"):
            parse_cdar(b"<not xml")
        with self.assertRaisesRegex(CdarError, "not a CDAR"):
            parse_cdar(b"<Invoice/>")
        xml = build_cdar(self.message()).replace(b"<ram:ProcessConditionCode>212</ram:ProcessConditionCode>", b"")
        with self.assertRaisesRegex(CdarError, "ProcessConditionCode"):
            parse_cdar(xml)
        with self.assertRaisesRegex(CdarError, "not a CDAR message"):
            # no entity expansion, no network
            parse_cdar(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
