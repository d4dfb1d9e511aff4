import io
import re

from PyPDF2 import PdfReader

from odoo.tests import HttpCase, tagged

from .common import FieldInterventionInvoiceCommon


@tagged("-at_install", "post_install")
class TestInvoicePdf(FieldInterventionInvoiceCommon, HttpCase):
    """The French mentions and the amount in French words are printed on the real PDF
    (rendered by wkhtmltopdf; the text is what matters here, not the styling assets).

    HttpCase: wkhtmltopdf fetches the report assets from the test server, which would wait
    forever on the registry of a plain TransactionCase."""

    def _pdf_text(self, invoice):
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdf, __ = report._render_qweb_pdf("account.account_invoices", invoice.ids)
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        return re.sub(r"\s+", " ", text)

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
        self.company.write({"fi_invoice_mentions": False, "fi_amount_in_words_fr": False})
        invoice = self._invoice_of(self._sign(self._create_done_intervention()))
        text = self._pdf_text(invoice)
        self.assertIn(invoice.invoice_origin, text)  # the text is there, only the mentions are not
        self.assertNotIn("Indemnité forfaitaire", text)
        self.assertNotIn("cinquante-cinq euros", text)
