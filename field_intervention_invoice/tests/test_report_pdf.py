import io
import re

from PyPDF2 import PdfReader

from odoo import Command
from odoo.tests import HttpCase, tagged
from odoo.tools.misc import format_date

from .common import FieldInterventionInvoiceCommon


@tagged("-at_install", "post_install")
class TestInvoicePdf(FieldInterventionInvoiceCommon, HttpCase):
    """The French mentions and the amount in French words are printed on the real PDF
    (rendered by wkhtmltopdf; the text is what matters here, not the styling assets).

    HttpCase: wkhtmltopdf fetches the report assets from the test server, which would wait
    forever on the registry of a plain TransactionCase."""

    def _pdf_pages(self, invoice, user=None):
        """Text of each page of the invoice PDF, whitespace normalised."""
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        if user:
            report = report.with_user(user)
        pdf, __ = report._render_qweb_pdf("account.account_invoices", invoice.ids)
        self.assertTrue(pdf.startswith(b"%PDF"))
        return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]

    def _pdf_text(self, invoice, user=None):
        return " ".join(self._pdf_pages(invoice, user=user))

    def _legal_invoice(self, extra_lines=0):
        """A posted invoice of a signed intervention (labour and parts) to a French-speaking
        customer, from a company with its full legal identity; extra_lines makes it longer."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        self.company.write(
            {
                "l10n_fr_legal_form": "SAS",
                "l10n_fr_share_capital": 10000.0,
                "l10n_fr_rcs_city": "Paris",
            }
        )
        invoice = self._invoice_of(self._sign(self._create_done_intervention())).with_user(self.billing)
        if extra_lines:
            invoice.write(
                {
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": self.part_a.id,
                                "name": f"Filtre F-200, lot {index + 1}",
                                "quantity": 1.0,
                                "price_unit": 12.5,
                                "tax_ids": [Command.set(self.tax_10.ids)],
                            }
                        )
                        for index in range(extra_lines)
                    ]
                }
            )
        invoice.action_post()
        return invoice

    def test_legal_mentions_in_pdf(self):
        """Every mention of C. com. L441-9, CGI ann. II art. 242 nonies A and the reform is on
        the PDF that Debian's wkhtmltopdf renders, in the customer's language (French)."""
        invoice = self._legal_invoice()
        text = self._pdf_text(invoice, user=self.billing)
        intervention_date = invoice.sudo().invoice_line_ids.intervention_id.intervention_date
        expected = {
            "seller name": "Chauffage Services SAS",
            "seller legal form and share capital": "SAS au capital de",
            "seller share capital amount": "10 000,00",
            "seller address": "1 rue du Four",
            "seller SIREN": "SIREN 303265045",
            "seller SIRET": "SIRET 30326504500011",
            "seller RCS registration": "RCS Paris 303265045",
            "seller VAT number": "N° TVA : FR40303265045",
            "buyer name": "Boulangerie Martin SARL",
            "buyer billing address": "12 rue de la Paix",
            "buyer SIREN": "SIREN 552100554",
            "delivery address (intervention site)": "3 avenue Jean Jaurès",
            "invoice number": invoice.name,
            "invoice date": format_date(self.env, invoice.invoice_date, lang_code="fr_FR"),
            "service date": "Date de prestation " + format_date(self.env, intervention_date, lang_code="fr_FR"),
            "line designation": "Main d'oeuvre technicien",
            "line unit price": "55,00",
            "line VAT rate": "20 %",
            "totals per VAT rate": "Taux de TVA Base HT Montant TVA",
            "due date": "Date d'échéance",
            "due date value": format_date(self.env, invoice.invoice_date_due, lang_code="fr_FR"),
            "late-payment penalty rate": "Pénalités de retard : trois fois le taux d'intérêt légal",
            "recovery fee": "Indemnité forfaitaire pour frais de recouvrement : 40 €",
            "discount terms": "Pas d'escompte pour paiement anticipé",
            "nature of the operation": "Livraison de biens et prestation de services",
            "VAT on debits option": "Option pour le paiement de la taxe d'après les débits",
        }
        for mention, value in expected.items():
            with self.subTest(mention=mention):
                self.assertIn(value, text, f"the invoice PDF lacks the {mention} ({value!r})")

    def test_identity_on_every_page(self):
        """A two-page invoice starts each page with the seller's identity (wkhtmltopdf prints
        no header), and the last page still carries the totals and the mentions."""
        invoice = self._legal_invoice(extra_lines=40)
        pages = self._pdf_pages(invoice, user=self.billing)
        self.assertGreaterEqual(len(pages), 2, "the long invoice should take two pages at least")
        for number, page in enumerate(pages, start=1):
            for mention, value in (
                ("seller name", "Chauffage Services SAS"),
                ("seller SIREN", "SIREN 303265045"),
                ("seller VAT number", "FR40303265045"),
                ("invoice number", invoice.name),
            ):
                with self.subTest(page=number, mention=mention):
                    self.assertIn(value, page, f"page {number} lacks the {mention}")
        self.assertIn("Filtre F-200, lot 40", " ".join(pages), "a line is missing from the PDF")
        self.assertIn("Indemnité forfaitaire pour frais de recouvrement : 40 €", pages[-1])

    def test_french_mentions_in_pdf(self):
        intervention = self._sign(self._create_done_intervention())
        invoice = self._invoice_of(intervention)
        invoice.action_post()
        text = self._pdf_text(invoice)
        self.assertIn("Indemnité forfaitaire pour frais de recouvrement : 40 €", text)
        self.assertIn("Pas d'escompte pour paiement anticipé", text)
        self.assertIn("Pénalités de retard : trois fois le taux d'intérêt légal", text)
        self.assertIn("Deux cent cinquante-cinq euros", text)
        self.assertIn(intervention.name, text)

    def test_mentions_can_be_disabled(self):
        self.company.write({"l10n_fr_invoice_mentions": False, "l10n_fr_amount_in_words": False})
        # services taxed with the French chart's VAT due on payment ("20% S"): no option for VAT on debits
        on_payment = self.env["account.chart.template"].with_company(self.company).ref("tva_normale_encaissement")
        (self.labour_product | self.travel_product).taxes_id = on_payment
        invoice = self._invoice_of(self._sign(self._create_done_intervention()))
        text = self._pdf_text(invoice)
        self.assertIn(invoice.invoice_origin, text)  # the text is there, only the mentions are not
        self.assertNotIn("Indemnité forfaitaire", text)
        self.assertNotIn("cinquante-cinq euros", text)
        self.assertNotIn(
            "tax on debits", text, "VAT on debits is printed only when the services' taxes are due on the invoice"
        )
