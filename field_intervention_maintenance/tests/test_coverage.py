import io
import re
from datetime import timedelta
from html import unescape

from PyPDF2 import PdfReader

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import MaintenanceCommon


class CoverageCommon(MaintenanceCommon):
    """A running contract covering labour, travel and one listed part, its visit planned and
    assigned to the technician: the visit's intervention, and a part the contract lists and one
    it does not."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.covered_part, cls.extra_part = cls.env["product.product"].create(
            [
                {"name": "Joint de brûleur", "default_code": "JB-1", "type": "consu", "sale_ok": True},
                {"name": "Vase d'expansion 8 L", "default_code": "VE-8", "type": "consu", "sale_ok": True},
            ]
        )
        cls.contract = cls._create_contract(
            [(cls.boiler, "yearly", 5)],
            user_id=cls.tech_a.id,
            include_labour=True,
            include_travel=True,
            parts_policy="listed",
            covered_product_ids=[Command.set(cls.covered_part.ids)],
        )
        cls.visit = cls.contract._fi_plan_visits(today=cls.today)
        cls.intervention = cls.visit.task_id.intervention_ids

    def _add_parts(self, intervention=None):
        intervention = (intervention or self.intervention).with_user(self.tech_a)
        intervention.write(
            {
                "part_ids": [
                    Command.create({"product_id": self.covered_part.id, "quantity": 1.0}),
                    Command.create({"product_id": self.extra_part.id, "quantity": 1.0}),
                ]
            }
        )
        return intervention.part_ids.sorted("id")


@tagged("-at_install", "post_install")
class TestCoverage(CoverageCommon):
    def test_visit_intervention_knows_its_contract_and_coverage(self):
        intervention = self.intervention
        self.assertEqual(len(intervention), 1)
        self.assertEqual(intervention.fi_contract_id, self.contract)
        self.assertTrue(intervention.fi_cover_labour)
        self.assertTrue(intervention.fi_cover_travel)
        self.assertEqual(intervention.fi_cover_parts, "listed")
        self.assertEqual(intervention.fi_cover_product_ids, self.covered_part)
        covered, extra = self._add_parts()
        self.assertTrue(covered.fi_covered)
        self.assertFalse(extra.fi_covered, "a part the contract does not list is extra")
        # a later change of the contract does not change what the visit made under it covers
        self.contract.with_user(self.manager).write({"include_labour": False, "parts_policy": "all"})
        self.assertTrue(intervention.fi_cover_labour)
        self.assertFalse(extra.fi_covered)
        self.assertEqual(
            intervention._fi_get_signed_extra()["coverage"],
            {
                "contract": self.contract.name,
                "labour": True,
                "travel": True,
                "parts": "listed",
                "products": [["JB-1", "Joint de brûleur"]],
            },
        )

    def test_other_intervention_is_not_covered(self):
        intervention = self._create_intervention()
        self.assertFalse(intervention.fi_contract_id)
        self.assertFalse(intervention.fi_cover_labour)
        covered, extra = self._add_parts(intervention)
        self.assertFalse(covered.fi_covered or extra.fi_covered)
        self.assertEqual(intervention._fi_get_signed_extra(), {}, "nothing added to its signed content")

    def test_coverage_is_not_the_users_to_set(self):
        __, extra = self._add_parts()
        intervention = self.intervention.with_user(self.tech_a)
        for vals in ({"fi_contract_id": False}, {"fi_cover_labour": False}, {"fi_cover_parts": "all"}):
            with self.assertRaises(AccessError):
                intervention.write(vals)
            with self.assertRaises(AccessError):
                self.intervention.with_user(self.manager).write(vals)
        with self.assertRaises(AccessError):
            extra.with_user(self.tech_a).write({"fi_covered": True})
        with self.assertRaises(AccessError):
            self.env["field.intervention.part"].with_user(self.tech_a).create(
                {"intervention_id": intervention.id, "product_id": self.extra_part.id, "fi_covered": True}
            )
        self.assertFalse(extra.fi_covered)

    def test_coverage_is_locked_with_the_report(self):
        covered, __ = self._add_parts()
        start = fields.Datetime.now().replace(microsecond=0) - timedelta(hours=2)
        intervention = self.intervention.with_user(self.tech_a)
        intervention.write(
            {
                "work_description": "Entretien annuel de la chaudière.",
                "time_ids": [Command.create({"date_start": start, "date_end": start + timedelta(hours=1)})],
            }
        )
        intervention.action_done()
        # not even the application's own code changes it once the report is locked
        with self.assertRaises(UserError):
            self.intervention.write({"fi_cover_labour": False})
        with self.assertRaises(UserError):
            covered.write({"fi_covered": False})
        self.assertTrue(self.intervention.fi_cover_labour)
        self.assertTrue(covered.fi_covered)


@tagged("-at_install", "post_install")
class TestCoverageReport(CoverageCommon, HttpCase):
    """HttpCase: wkhtmltopdf fetches the report assets from the test server."""

    def _pdf_text(self, intervention):
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdf, __ = report._render_qweb_pdf("field_intervention.action_report_field_intervention", intervention.ids)
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        return re.sub(r"\s+", " ", text)

    def test_report_states_what_is_covered_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        self.intervention.with_user(self.tech_a).write({"travel_duration": 0.5})
        self._add_parts()
        text = self._pdf_text(self.intervention)
        number = self.contract.name
        self.assertIn(
            f"Le contrat d'entretien {number} couvre : main-d'œuvre, déplacement, les pièces [JB-1] Joint de brûleur.",
            text,
        )
        # beside the worked time, the travel and the covered part; not beside the extra part
        self.assertEqual(text.count(f"Couvert par le contrat {number}"), 3)
        extra_row = text[text.index("[VE-8] Vase d'expansion 8 L") :]
        self.assertNotIn("Couvert par le contrat", extra_row)

    def test_what_you_sign_states_what_is_covered(self):
        """The device and portal screen the customer signs on says it too, before the signature."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        self._add_parts()
        intervention = self.intervention.with_context(lang="fr_FR")
        text = re.sub(r"\s+", " ", unescape(str(intervention._fi_render_summary_html())))
        number = self.contract.name
        self.assertIn(f"Le contrat d'entretien {number} couvre : main-d'œuvre, déplacement", text)
        self.assertEqual(text.count(f"Couvert par le contrat {number}"), 1, "beside the covered part only")
        other = self._create_intervention()
        self._add_parts(other)
        self.assertNotIn("Couvert par le contrat", str(other.with_context(lang="fr_FR")._fi_render_summary_html()))

    def test_report_without_contract_says_nothing_of_coverage(self):
        intervention = self._create_intervention(travel_duration=0.5)
        self._add_parts(intervention)
        text = self._pdf_text(intervention)
        self.assertNotIn("Maintenance contract", text)
        self.assertNotIn("Covered by", text)
