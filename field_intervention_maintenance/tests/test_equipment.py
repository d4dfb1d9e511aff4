import base64
import io
import re
from datetime import timedelta

from PyPDF2 import PdfReader

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import MaintenanceCommon


@tagged("-at_install", "post_install")
class TestEquipment(MaintenanceCommon):
    def test_technician_records_equipment_on_site(self):
        equipment = self.boiler
        self.assertEqual(equipment.partner_id, self.customer, "the customer is the commercial partner of the site")
        self.assertEqual(equipment.energy, "gas")
        self.assertEqual(equipment.create_uid, self.tech_a)
        self.assertIn("Viessmann", equipment.name)
        equipment.with_user(self.tech_a).write({"model": "Vitodens 100", "power_kw": 24.0})
        self.assertEqual(equipment.power_kw, 24.0)

    def test_protected_fields_refused(self):
        for vals in ({"partner_id": self.other_customer.id}, {"intervention_ids": [Command.set([])]}):
            with self.assertRaises(AccessError):
                self.boiler.with_user(self.tech_a).write(vals)
        with self.assertRaises(AccessError):
            self.boiler.with_user(self.tech_a).unlink()

    def test_equipment_under_contract_moves_within_its_customer(self):
        self._create_contract([(self.boiler, "yearly", 10)])
        other_site = self._fi_create_site(self.customer, "Boulangerie Martin - Boutique")
        self.boiler.with_user(self.tech_a).write({"site_id": other_site.id})
        self.assertEqual(self.boiler.partner_id, self.customer)
        with self.assertRaises(ValidationError):  # sold with the house: the contract is the old owner's
            self.boiler.with_user(self.tech_a).write({"site_id": self.other_customer.id})
        # not under an open contract: it can follow its new owner
        self.heat_pump.with_user(self.tech_a).write({"site_id": self.other_customer.id})
        self.assertEqual(self.heat_pump.partner_id, self.other_customer)

    def test_refrigerant_only_where_there_is_one(self):
        self.assertTrue(self.heat_pump.has_refrigerant)
        with self.assertRaises(ValidationError):
            self.boiler.write({"refrigerant": "R410A"})

    def test_intervention_records_equipment_serviced(self):
        intervention = self._create_intervention(equipment_ids=[Command.set(self.boiler.ids)])
        self.assertEqual(self.boiler.intervention_ids, intervention)
        self.assertEqual(self.boiler.with_user(self.tech_a).intervention_count, 1)
        with self.assertRaises(ValidationError):
            intervention.write({"equipment_ids": [Command.link(self.other_equipment.id)]})
        start = fields.Datetime.now() - timedelta(hours=2)
        segment = {"date_start": start, "date_end": start + timedelta(hours=1)}
        intervention.write({"work_description": "Entretien", "time_ids": [Command.create(segment)]})
        intervention.with_user(self.tech_a).action_done()
        with self.assertRaises(UserError):  # the report is locked
            intervention.with_user(self.tech_a).write({"equipment_ids": [Command.clear()]})

    def test_qr_label(self):
        self.assertTrue(self.boiler.qr_url.endswith(f"/my/equipment/{self.boiler.id}"))
        png = base64.b64decode(self.boiler._fi_qr_image())
        self.assertTrue(png.startswith(b"\x89PNG"))
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("field_intervention_maintenance.report_equipment_label", self.boiler.ids)[0]
            .decode()
        )
        self.assertIn("SN-1", html)
        self.assertIn("data:image/png;base64,", html)
        action = self.boiler.with_user(self.tech_a).action_print_label()
        self.assertEqual(action["report_name"], "field_intervention_maintenance.report_equipment_label")

    def test_mission_creates_its_intervention_from_code(self):
        """field_intervention's method: the intervention of a mission from code, with the
        equipment the mission is to service; the form action opens the same values."""
        self.task.fi_equipment_ids = self.boiler
        action = self.task.with_user(self.tech_a).action_new_intervention()
        self.assertEqual(action["context"]["default_task_id"], self.task.id)
        self.assertEqual(action["context"]["default_equipment_ids"], [Command.set(self.boiler.ids)])
        intervention = self.task.with_user(self.tech_a)._fi_create_interventions()
        self.assertEqual(len(intervention), 1)
        self.assertEqual(intervention.task_id, self.task)
        self.assertEqual(intervention.site_id, self.site)
        self.assertEqual(intervention.technician_ids, self.tech_a)
        self.assertEqual(intervention.equipment_ids, self.boiler)
        self.assertEqual(intervention.state, "draft")
        self.assertNotEqual(intervention.name, "/")


@tagged("-at_install", "post_install")
class TestEquipmentLabel(MaintenanceCommon, HttpCase):
    """HttpCase: wkhtmltopdf fetches the report assets from the test server (shared test cursor)."""

    def test_labels_printed_together_in_the_customers_language(self):
        """Labels are printed in batches (the list's Print), one page each, in the customer's
        language and in UTF-8, whoever prints them (here an English-speaking technician)."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = self.company.partner_id.lang = "fr_FR"
        boiler = self._create_equipment(self.site, kind="gas_boiler", brand="Viessmann", serial_number="SN-FR")
        boiler.with_user(self.tech_a).write({"power_kw": 24.5})
        self.assertEqual(boiler.name, "Chaudière gaz Viessmann", "in the company's language, not the technician's")
        equipment = boiler | self.heat_pump
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdf, _format = report._render_qweb_pdf("field_intervention_maintenance.report_equipment_label", equipment.ids)
        pages = [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]
        self.assertEqual(len(pages), 2, pages)
        self.assertIn("Chaudière", pages[0])
        self.assertIn("Numéro de série : SN-FR", pages[0])
        self.assertIn("24,5 kW", pages[0])
        self.assertIn(f"/my/equipment/{boiler.id}", pages[0])
        self.assertIn("R32", pages[1])
        self.assertIn(f"/my/equipment/{self.heat_pump.id}", pages[1])
