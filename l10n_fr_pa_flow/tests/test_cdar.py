from datetime import date, datetime
from decimal import Decimal

from odoo.tests import tagged
from odoo.tests.common import BaseCase

from odoo.addons.l10n_fr_pa_flow.tools.cdar import CdarError, LifecycleMessage, Party, build_cdar, parse_cdar


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
        self.assertIn(b'<ram:GlobalID schemeID="0225">303265045</ram:GlobalID>', xml)
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
