from odoo import Command
from odoo.tests import tagged

from ..tools.einvoice_check import NS
from .common import L10nFrInvoiceCommon

AGREEMENT = "//ram:ApplicableHeaderTradeAgreement"
BUYER = f"{AGREEMENT}/ram:BuyerTradeParty"
SELLER = f"{AGREEMENT}/ram:SellerTradeParty"


@tagged("post_install", "-at_install")
class TestEinvoice(L10nFrInvoiceCommon):
    """The Factur-X French extension on any invoice of a French company (no intervention, no
    platform), and the French checks it passes, by rule id."""

    def notes(self, tree):
        return {
            code: content
            for code, content in zip(
                self.text(tree, "//rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode"),
                self.text(tree, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content"),
                strict=False,
            )
        }

    def rules(self, move):
        return [rule for rule, __ in move._l10n_fr_check_einvoice()]

    def test_typed_invoice_to_a_customer_known_by_its_vat_number(self):
        """Billing types lines without product for a French business known by its VAT number
        only: the SIREN comes from the VAT number (BT-47, BT-49), every line has a name (BR-25)."""
        garage = self.env["res.partner"].create(
            {
                "name": "Garage du Centre",
                "is_company": True,
                "country_id": self.env.ref("base.fr").id,
                "city": "Lyon",
                "vat": "FR96552100554",
            }
        )
        invoice = self.make_invoice(
            partner=garage,
            lines=[
                {
                    "name": "Dépannage\nle 1er décembre",
                    "quantity": 1,
                    "price_unit": 80.0,
                    "tax_ids": [Command.set(self.tax_on_invoice.ids)],
                },
                {
                    "name": "Remise commerciale",
                    "quantity": 1,
                    "price_unit": 100.0,
                    "discount": 10.0,
                    "tax_ids": [Command.set(self.tax_on_invoice.ids)],
                },
            ],
        )
        tree = self.cii(invoice)
        self.assertEqual(self.text(tree, f"{BUYER}/ram:SpecifiedLegalOrganization/ram:ID"), ["552100554"])
        self.assertEqual(self.text(tree, f"{BUYER}/ram:URIUniversalCommunication/ram:URIID"), ["552100554"])
        self.assertEqual(self.text(tree, f"{BUYER}/ram:URIUniversalCommunication/ram:URIID/@schemeID"), ["0225"])
        self.assertEqual(self.text(tree, f"{SELLER}/ram:SpecifiedLegalOrganization/ram:ID"), ["303265045"])
        self.assertEqual(
            self.text(tree, "//ram:SpecifiedTradeProduct/ram:Name"), ["Dépannage", "Remise commerciale"], "BR-25"
        )
        self.assertEqual(self.text(tree, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"), ["S1"])
        notes = self.notes(tree)
        self.assertEqual(notes["BAR"], "B2B")
        self.assertEqual(notes["PMT"], "Indemnité forfaitaire pour frais de recouvrement : 40 €")
        self.assertEqual(self.rules(invoice), [])

    def test_several_rates_and_price_included(self):
        tax_10 = self.env["account.chart.template"].with_company(self.company).ref("tva_intermediaire")
        included = self.tax_on_invoice.copy({"name": "20 % TTC", "price_include_override": "tax_included"})
        invoice = self.make_invoice(
            lines=[
                {
                    "product_id": self.service.id,
                    "quantity": 3,
                    "price_unit": 33.33,
                    "tax_ids": [Command.set(self.tax_on_invoice.ids)],
                },
                {"product_id": self.goods.id, "quantity": 7, "price_unit": 12.37, "tax_ids": [Command.set(tax_10.ids)]},
                {
                    "product_id": self.goods.id,
                    "quantity": 1,
                    "price_unit": 119.99,
                    "tax_ids": [Command.set(included.ids)],
                },
            ]
        )
        tree = self.cii(invoice)
        self.assertEqual(self.text(tree, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"), ["M1"])
        self.assertEqual(self.rules(invoice), [])

    def test_individual_is_b2c(self):
        invoice = self.make_invoice(partner=self.individual)
        tree = self.cii(invoice)
        self.assertEqual(self.notes(tree), {"BAR": "B2C"})
        self.assertEqual(self.text(tree, f"{BUYER}/ram:SpecifiedLegalOrganization/ram:ID"), [])
        self.assertEqual(invoice._l10n_fr_einvoicing_treatment(), "B2C")
        self.assertEqual(self.rules(invoice), [])

    def test_business_abroad_is_b2bint(self):
        belgian = self.env["res.partner"].create(
            {
                "name": "Chauffage Bruxelles SA",
                "is_company": True,
                "country_id": self.env.ref("base.be").id,
                "vat": "BE0477472701",
            }
        )
        invoice = self.make_invoice(partner=belgian)
        tree = self.cii(invoice)
        self.assertEqual(self.notes(tree)["BAR"], "B2BINT")
        self.assertEqual(self.text(tree, f"{BUYER}/ram:SpecifiedLegalOrganization/ram:ID"), [], "no SIREN abroad")
        self.assertEqual(invoice._l10n_fr_einvoicing_treatment(), "B2BINT")

    def test_credit_note_names_the_invoice(self):
        invoice = self.make_invoice()
        reversal = self.env["account.move.reversal"].with_context(active_model="account.move", active_ids=invoice.ids)
        credit_note = self.env["account.move"].browse(
            reversal.create({"journal_id": invoice.journal_id.id, "reason": "Erreur"}).refund_moves()["res_id"]
        )
        credit_note.action_post()
        tree = self.cii(credit_note)
        self.assertEqual(self.text(tree, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID"), [invoice.name])
        self.assertEqual(self.text(tree, "//rsm:ExchangedDocument/ram:TypeCode"), ["381"])
        self.assertEqual(self.rules(credit_note), [])

    def test_line_without_vat_is_found_with_what_to_correct(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        invoice = self.make_invoice(
            lines=[{"name": "Main d'oeuvre", "quantity": 1, "price_unit": 50.0, "tax_ids": [Command.clear()]}]
        )
        problems = dict(invoice.with_context(lang="fr_FR")._l10n_fr_check_einvoice())
        self.assertIn("BR-FXEXT-CO-04", problems)
        self.assertIn("Main d'oeuvre", problems["BR-FXEXT-CO-04"])

    def test_seller_and_buyer_without_siren(self):
        self.company.write({"siret": False, "vat": False, "company_registry": False})
        nameless = self.env["res.partner"].create(
            {"name": "Société X", "is_company": True, "country_id": self.env.ref("base.fr").id}
        )
        invoice = self.make_invoice(partner=nameless)
        self.assertEqual(sorted(self.rules(invoice)), ["BR-FR-10", "BR-FR-11", "BR-FR-21"])

    def sale_abroad(self, country, vat, tax_xmlid):
        """A posted invoice of the service, at 0 % VAT (the French chart's ``tax_xmlid``), to a
        business in ``country``, and its CII."""
        customer = self.env["res.partner"].create(
            {"name": "Chauffage SA", "is_company": True, "country_id": self.env.ref(country).id, "vat": vat}
        )
        tax = self.env["account.chart.template"].with_company(self.company).ref(tax_xmlid)
        line = {"product_id": self.service.id, "quantity": 1, "price_unit": 100.0, "tax_ids": [Command.set(tax.ids)]}
        invoice = self.make_invoice(partner=customer, lines=[line])
        return invoice, self.cii(invoice)

    def test_service_to_an_eu_business_is_reverse_charged(self):
        invoice, tree = self.sale_abroad("base.be", "BE0477472701", "tva_sale_service_intra_0")
        self.assertEqual(set(self.text(tree, "//ram:ApplicableTradeTax/ram:CategoryCode")), {"AE"})
        self.assertIn("VATEX-EU-AE", self.text(tree, "//ram:ApplicableTradeTax/ram:ExemptionReasonCode"))
        self.assertEqual(self.rules(invoice), [])
        self.assertEqual(len(invoice._l10n_fr_vat_mentions()), 1)
        self.assertIn("283-2", invoice._l10n_fr_vat_mentions()[0])

    def test_service_exported_outside_the_eu(self):
        invoice, tree = self.sale_abroad("base.ch", "CHE-116.281.710 MWST", "tva_sale_service_export_0")
        self.assertEqual(set(self.text(tree, "//ram:ApplicableTradeTax/ram:CategoryCode")), {"G"})
        self.assertEqual(self.rules(invoice), [])
        self.assertIn("262 I", invoice._l10n_fr_vat_mentions()[0])

    def test_credit_note_typed_by_hand_names_no_invoice(self):
        """A credit note not made from its invoice breaks BR-FR-CO-05: billing is told how to fix it."""
        credit_note = self.make_invoice(move_type="out_refund")
        self.assertIn("BR-FR-CO-05", self.rules(credit_note))

    def test_invoice_in_another_currency_gives_its_vat_in_euros(self):
        usd = self.setup_other_currency("USD")
        invoice = self.make_invoice(post=False)
        invoice.currency_id = usd
        invoice.action_post()
        tree = self.cii(invoice)
        self.assertEqual(self.text(tree, "//ram:ApplicableHeaderTradeSettlement/ram:TaxCurrencyCode"), ["EUR"])
        amounts = {
            node.get("currencyID"): node.text
            for node in tree.xpath(
                "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount", namespaces=NS
            )
        }
        self.assertEqual(set(amounts), {"USD", "EUR"}, "BR-FR-CO-12: the VAT in the invoice's currency and in euros")
        self.assertEqual(float(amounts["EUR"]), abs(invoice.amount_tax_signed))
        self.assertEqual(self.rules(invoice), [])

    def test_due_date_not_before_the_invoice_date(self):
        """A draft made on one day and posted days later is not due before it is issued (BR-FR-CO-07)."""
        invoice = self.make_invoice(post=False)
        invoice.write({"invoice_date": False, "invoice_date_due": "2026-01-01", "invoice_payment_term_id": False})
        invoice.action_post()
        self.assertEqual(invoice.invoice_date_due, invoice.invoice_date)
        self.assertEqual(self.rules(invoice), [])

    def test_legal_notes_even_when_not_printed(self):
        self.company.l10n_fr_invoice_mentions = False
        tree = self.cii(self.make_invoice())
        self.assertEqual(set(self.notes(tree)), {"BAR", "PMT", "PMD", "AAB"}, "BR-FR-05")
