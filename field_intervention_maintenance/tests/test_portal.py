from datetime import timedelta
from urllib.parse import urlparse

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tools.misc import format_date

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import MaintenanceCommon


@tagged("-at_install", "post_install")
class TestPortalEquipment(MaintenanceCommon, HttpCase):
    """ "My equipment": a customer sees its own equipment and history, nobody else's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        contact = cls.env["res.partner"].create({"name": "Jeanne Martin", "parent_id": cls.customer.id})
        other_contact = cls.env["res.partner"].create({"name": "Paul Parc", "parent_id": cls.other_customer.id})
        cls.portal_user = mail_new_test_user(
            cls.env, login="fi_portal_own", groups="base.group_portal", partner_id=contact.id, password="fi_portal_own"
        )
        cls.portal_other = mail_new_test_user(
            cls.env, login="fi_portal_other", groups="base.group_portal", partner_id=other_contact.id
        )
        # a report of the boiler presented to the customer, and a draft one it does not see yet
        start = fields.Datetime.now() - timedelta(hours=3)
        cls.done_intervention = cls._create_intervention(
            equipment_ids=[Command.set(cls.boiler.ids)],
            work_description="Nettoyage du corps de chauffe",
            time_ids=[Command.create({"date_start": start, "date_end": start + timedelta(hours=1)})],
        )
        cls.done_intervention.with_user(cls.tech_a).action_done()
        cls.draft_intervention = cls._create_intervention(
            equipment_ids=[Command.set(cls.boiler.ids)], work_description="Brouillon interne"
        )

    def test_record_rules(self):
        Equipment = self.env["field.intervention.equipment"].with_user(self.portal_user)
        self.assertEqual(Equipment.search([]), self.boiler | self.heat_pump)
        with self.assertRaises(AccessError):
            self.other_equipment.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            self.boiler.with_user(self.portal_user).write({"brand": "Forgé"})
        with self.assertRaises(AccessError):
            Equipment.create({"site_id": self.site.id, "kind": "gas_boiler"})
        self.assertEqual(
            self.env["field.intervention.equipment"].with_user(self.portal_other).search([]), self.other_equipment
        )
        with self.assertRaises(AccessError):
            self.boiler.with_user(self.portal_other)._fi_portal_interventions()

    def test_my_equipment_pages(self):
        self.authenticate("fi_portal_own", "fi_portal_own")
        response = self.url_open("/my/equipment")
        self.assertEqual(response.status_code, 200)
        self.assertIn("SN-1", response.text)
        self.assertIn(f"/my/equipment/{self.heat_pump.id}", response.text)
        self.assertNotIn("De Dietrich", response.text)
        last_service = format_date(self.env, self.done_intervention.intervention_date, lang_code=self.portal_user.lang)
        self.assertIn(last_service, response.text, "the boiler's last service")
        page = self.url_open(f"/my/equipment/{self.boiler.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Nettoyage du corps de chauffe", page.text)
        self.assertIn(self.done_intervention.name, page.text)
        self.assertNotIn("Brouillon interne", page.text, "a draft report is not the customer's yet")
        # another customer's equipment: back to the portal home, nothing shown
        foreign = self.url_open(f"/my/equipment/{self.other_equipment.id}")
        self.assertEqual(urlparse(foreign.url).path, "/my")
        self.assertNotIn("De Dietrich", foreign.text)
        home = self.url_open("/my")
        self.assertIn("/my/equipment", home.text)

    def test_label_link_opens_the_form_for_employees(self):
        self.authenticate(self.tech_a.login, self.tech_a.login)
        response = self.url_open(f"/my/equipment/{self.boiler.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn(f"field_intervention_equipment_action/{self.boiler.id}", response.headers["Location"])

    def test_label_link_needs_a_login(self):
        response = self.url_open(f"/my/equipment/{self.boiler.id}")
        self.assertEqual(urlparse(response.url).path, "/web/login")
