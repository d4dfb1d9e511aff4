import io

from freezegun import freeze_time
from PyPDF2 import PdfReader

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import FieldInterventionCommon


@tagged("-at_install", "post_install")
class TestReport(FieldInterventionCommon, HttpCase):
    """HttpCase: wkhtmltopdf fetches the report assets from the test server (shared test cursor)."""

    def test_pdf_content(self):
        with freeze_time("2026-03-02 07:00:00"):
            intervention = self._create_intervention(technician_ids=[Command.set((self.tech_a | self.tech_b).ids)])
            intervention.with_user(self.tech_a).action_start()
        with freeze_time("2026-03-02 09:30:00"):
            intervention.with_user(self.tech_a).action_stop()
        intervention.write(
            {
                "work_description": "Remplacement du filtre et réglage du brûleur",
                "findings": "Prévoir le remplacement du vase d'expansion",
                "part_ids": [Command.create({"product_id": self.part_product.id, "quantity": 3})],
            }
        )
        intervention.checklist_line_ids[0].write({"result": "done", "note": "1,5 bar"})
        intervention.with_user(self.tech_a).action_done()

        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdf, report_format = report._render_qweb_pdf(
            "field_intervention.action_report_field_intervention", intervention.ids
        )
        self.assertEqual(report_format, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        reader = PdfReader(io.BytesIO(pdf))
        text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
        for expected in (
            intervention.name,
            self.company.name,
            "123456782",  # company SIREN
            "FR11123456782",
            "Boulangerie Martin SARL",
            "552100554",  # customer SIREN
            "Lyon",  # intervention site
            "Alice Technician",
            "Bruno Technician",
            "Remplacement du filtre",
            "vase d'expansion",
            "Contrôle pression",
            "1,5 bar",
            "Filtre à air F-200",
            "02:30",  # worked time
        ):
            self.assertIn(expected, text)
        self.assertEqual(
            intervention._get_report_base_filename(),
            f"{intervention.name.replace('/', '-')} - Boulangerie Martin SARL",
        )
        action = self.env.ref("field_intervention.action_report_field_intervention")
        self.assertEqual(action.paperformat_id.format, "A4")
        html = report._render_qweb_html(action, intervention.ids)[0].decode()
        self.assertIn('id="fi_signature_block"', html)

    def test_reports_printed_together(self):
        """Several reports printed at once (the list's Print): one PDF with each report from a
        new page, on Debian's wkhtmltopdf too, which takes a single input document."""
        first = self._create_intervention(work_description="Premier passage")
        second = self._create_intervention(work_description="Second passage")
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        action = "field_intervention.action_report_field_intervention"
        pdf, _format = report._render_qweb_pdf(action, (first | second).ids)
        pages = [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]
        first_pages = [index for index, text in enumerate(pages) if first.name in text]
        second_pages = [index for index, text in enumerate(pages) if second.name in text]
        self.assertTrue(first_pages and second_pages, pages)
        self.assertLess(max(first_pages), min(second_pages), "each report starts on a page of its own")
