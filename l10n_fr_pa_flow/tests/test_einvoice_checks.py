import facturx
from lxml import etree

from odoo import Command
from odoo.exceptions import RedirectWarning
from odoo.tests import tagged

from odoo.addons.l10n_fr_invoice.tools.einvoice_check import NS

from .common import PaCommon

BUYER = "//ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty"
SUMMATION = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"


@tagged("post_install", "-at_install")
class TestEinvoiceChecks(PaCommon):
    """The e-invoice of a French company's invoice is checked against the rules a platform
    applies, each under its official id; an invoice that breaks them is not deposited, and
    billing reads which rule and what to correct, in French."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.billing.lang = "fr_FR"

    def invoice(self, lines=None, partner=None):
        """A posted invoice (confirmed by billing when it breaks the rules): its file has its
        number."""
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or self.customer).id,
                "invoice_date": "2026-12-01",
                "invoice_line_ids": [
                    Command.create(vals)
                    for vals in lines
                    or [{"product_id": self.service.id, "price_unit": 100.0, "tax_ids": [Command.set(self.tax.ids)]}]
                ],
            }
        )
        move.with_user(self.billing).with_context(l10n_fr_pa_post_invalid=True).action_post()
        return move

    def xml(self, move):
        return self.env["account.edi.xml.cii"]._export_invoice(move)[0]

    def rules(self, move, xml=None):
        return [rule for rule, __ in move._l10n_fr_check_einvoice(xml)]

    @staticmethod
    def edit(xml, path, change):
        tree = etree.fromstring(xml)
        for node in tree.xpath(path, namespaces=NS):
            change(node)
        return etree.tostring(tree)

    # ------------------------------------------------------------------
    # The rules, by id
    # ------------------------------------------------------------------
    def test_valid_invoice_passes(self):
        move = self.invoice()
        xml = self.xml(move)
        self.assertEqual(move._l10n_fr_check_einvoice(), [])
        self.assertTrue(facturx.xml_check_xsd(xml, flavor="factur-x", level="extended"))
        tree = etree.fromstring(xml)
        # BT-30 and BT-47 are SIRENs (core writes SIRETs), BT-34 and BT-49 the French directory's
        self.assertEqual(
            tree.xpath(f"{BUYER}/ram:SpecifiedLegalOrganization/ram:ID/text()", namespaces=NS), ["552100554"]
        )
        self.assertEqual(
            tree.xpath(f"{BUYER}/ram:URIUniversalCommunication/ram:URIID/@schemeID", namespaces=NS), ["0225"]
        )
        self.assertEqual(
            tree.xpath(f"{BUYER}/ram:URIUniversalCommunication/ram:URIID/text()", namespaces=NS), ["552100554"]
        )
        self.assertEqual(
            tree.xpath("//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID/text()", namespaces=NS),
            ["303265045"],
        )

    def test_line_without_vat_br_co_04(self):
        move = self.invoice(
            [
                {"product_id": self.service.id, "price_unit": 100.0, "tax_ids": [Command.set(self.tax.ids)]},
                {"product_id": self.goods.id, "price_unit": 50.0, "tax_ids": [Command.clear()]},
            ]
        )
        problems = dict(move.with_context(lang="fr_FR")._l10n_fr_check_einvoice())
        self.assertIn("BR-FXEXT-CO-04", problems)
        self.assertIn("Ligne 2 (Vanne) sans TVA", problems["BR-FXEXT-CO-04"])
        move.button_draft()
        move.invoice_line_ids[1].tax_ids = self.tax
        self.assertNotIn("BR-FXEXT-CO-04", self.rules(move))

    def test_line_name_br_25(self):
        """A line without product is named by its label (BT-153); a line with neither breaks BR-25."""
        move = self.invoice(
            [
                {"name": "Dépannage urgent\nle 3 décembre", "price_unit": 80.0, "tax_ids": [Command.set(self.tax.ids)]},
            ]
        )
        xml = self.xml(move)
        self.assertTrue(facturx.xml_check_xsd(xml, flavor="factur-x", level="extended"), "XSD (EXTENDED)")
        tree = etree.fromstring(xml)
        self.assertEqual(tree.xpath("//ram:SpecifiedTradeProduct/ram:Name/text()", namespaces=NS), ["Dépannage urgent"])
        self.assertEqual(
            tree.xpath("//ram:SpecifiedTradeProduct/ram:Description/text()", namespaces=NS),
            ["Dépannage urgent\nle 3 décembre"],
        )
        self.assertEqual(self.rules(move), [])
        unnamed = self.invoice([{"name": False, "price_unit": 80.0, "tax_ids": [Command.set(self.tax.ids)]}])
        self.assertIn("BR-25", self.rules(unnamed))

    def test_totals_br_co_10_13_15_16(self):
        move = self.invoice()
        xml = self.xml(move)
        self.assertEqual(self.rules(move, xml), [])

        def set_to(value):
            def change(node):
                node.text = value

            return change

        cases = {
            "BR-FXEXT-CO-10": f"{SUMMATION}/ram:LineTotalAmount",
            "BR-FXEXT-CO-13": f"{SUMMATION}/ram:TaxBasisTotalAmount",
            "BR-FXEXT-CO-15": f"{SUMMATION}/ram:GrandTotalAmount",
            "BR-FXEXT-CO-16": f"{SUMMATION}/ram:DuePayableAmount",
        }
        for rule, path in cases.items():
            with self.subTest(rule=rule):
                self.assertIn(rule, self.rules(move, self.edit(xml, path, set_to("999.00"))))

    def test_seller_siren_br_fr_10(self):
        move = self.invoice()
        self.assertNotIn("BR-FR-10", self.rules(move))
        self.company.write({"siret": False, "vat": False, "company_registry": False})
        problems = dict(move.with_context(lang="fr_FR")._l10n_fr_check_einvoice())
        self.assertIn("Votre société n'a pas de SIREN", problems["BR-FR-10"])

    def test_buyer_siren_from_vat_br_fr_11_21(self):
        """A French business customer known by its VAT number only: its SIREN is read in it
        (BT-47) and its electronic address is that SIREN (BT-49, scheme 0225)."""
        vat_only = self.customer.copy({"siret": False, "vat": "FR96552100554"})
        move = self.invoice(partner=vat_only)
        xml = self.xml(move)
        self.assertEqual(self.rules(move, xml), [])
        no_siren = self.edit(xml, f"{BUYER}/ram:SpecifiedLegalOrganization", lambda node: node.getparent().remove(node))
        problems = dict(move.with_context(lang="fr_FR")._l10n_fr_check_einvoice(no_siren))
        self.assertIn("BR-FR-11", problems)
        self.assertIn("sans SIREN", problems["BR-FR-11"])
        self.assertIn("BR-FR-21", problems)

        def other_scheme(node):
            node.set("schemeID", "9957")
            node.text = "FR96552100554"

        wrong_address = self.edit(xml, f"{BUYER}/ram:URIUniversalCommunication/ram:URIID", other_scheme)
        self.assertEqual(self.rules(move, wrong_address), ["BR-FR-21"])

    def test_invalid_xml_xsd(self):
        move = self.invoice()
        broken = self.edit(
            self.xml(move), "//ram:SpecifiedTradeProduct/ram:Name", lambda node: node.getparent().remove(node)
        )
        self.assertIn("XSD", self.rules(move, broken))

    # ------------------------------------------------------------------
    # Stopped before it leaves
    # ------------------------------------------------------------------
    def test_line_without_vat_not_deposited(self):
        """The intervention invoice with a line without VAT: billing confirms posting it, it is
        not deposited (no request reaches the platform), the invoice says which rule and what to
        correct, in French, and can be reset to draft, corrected and deposited."""
        # billing's invoice: billing reads its problems, in billing's language
        move = (
            self.env["account.move"]
            .with_user(self.billing)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": "2026-12-01",
                    "invoice_line_ids": [
                        Command.create(
                            {"product_id": self.service.id, "price_unit": 100.0, "tax_ids": [Command.set(self.tax.ids)]}
                        ),
                        Command.create({"name": "Pièces", "price_unit": 40.0, "tax_ids": [Command.clear()]}),
                    ],
                }
            )
        )
        as_billing = move.with_user(self.billing).with_context(lang="fr_FR")
        with self.assertRaises(RedirectWarning) as caught:
            as_billing.action_post()
        self.assertIn("BR-FXEXT-CO-04 : Ligne 2 (Pièces) sans TVA", str(caught.exception))
        self.assertEqual(move.state, "draft")
        as_billing.with_context(l10n_fr_pa_post_invalid=True).action_post()
        self.assertEqual(move.state, "posted")
        self.deposit()
        self.assertFalse(self.pa.requests, "nothing reaches the platform")
        flow = self.flows(move)
        self.assertRecordValues(flow, [{"state": "error", "reason_code": "InvoiceRulesError", "attempts": 0}])
        self.assertEqual(move.l10n_fr_pa_deposit_state, "error")
        reason = as_billing.l10n_fr_pa_deposit_reason
        self.assertIn("Non déposée", reason)
        self.assertIn("BR-FXEXT-CO-04 : Ligne 2 (Pièces) sans TVA", reason)
        self.assertTrue(move.activity_ids, "billing gets an activity")
        # not held by the platform: back to draft, corrected, deposited
        self.assertFalse(move._l10n_fr_pa_locked())
        as_billing.button_draft()
        as_billing.invoice_line_ids[1].tax_ids = self.tax
        as_billing.action_post()
        self.assertEqual(self.flows(move)[-1].state, "queued")
        self.deposit()
        self.assertEqual(len(self.pa.deposits()), 1)
        self.assertEqual(move.l10n_fr_pa_deposit_state, "sent")

    def test_file_checked_before_it_leaves(self):
        """A queued deposit whose file breaks the rules when it is built is stopped too."""
        move = self.post_invoice()
        self.assertEqual(self.flows(move).state, "queued")
        self.company.write({"siret": False, "vat": False, "company_registry": False})
        self.deposit()
        self.assertFalse(self.pa.deposits())
        self.assertRecordValues(self.flows(move), [{"state": "error", "reason_code": "InvoiceRulesError"}])
        self.assertIn("BR-FR-10", self.flows(move).reason_message)
        self.assertEqual(self.flows(move).attempt_ids.outcome, "stopped")

    def test_productless_invoice_deposited_xsd_valid(self):
        """An invoice typed by billing with lines without product is deposited, its file valid."""
        move = self.post_invoice(
            lines=[
                {"name": "Main d'oeuvre", "quantity": 2, "price_unit": 60.0, "tax_ids": [Command.set(self.tax.ids)]},
                {"name": "Déplacement", "price_unit": 30.0, "tax_ids": [Command.set(self.tax.ids)]},
            ],
            user=self.billing,
        )
        self.deposit()
        self.assertEqual(self.flows(move).state, "sent")
        (content,) = self.pa.files.values()
        self.assertTrue(facturx.xml_check_xsd(content, flavor="factur-x", level="extended"))
