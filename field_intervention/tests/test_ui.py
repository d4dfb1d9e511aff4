from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user


@tagged("-at_install", "post_install")
class TestPhoneTour(HttpCase):
    browser_size = "390x844"
    touch_enabled = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.technician = mail_new_test_user(
            cls.env,
            login="fi_tour_tech",
            name="Thomas Tour",
            groups="field_intervention.group_field_intervention_technician",
            tz="Europe/Paris",
            lang="en_US",
        )
        cls.env["hr.employee"].create({"name": "Thomas Tour", "user_id": cls.technician.id})
        customer = cls.env["res.partner"].create(
            {
                "name": "Hôtel du Parc",
                "street": "5 place Bellecour",
                "zip": "69002",
                "city": "Lyon",
                "phone": "+33 4 78 00 00 00",
                "country_id": cls.env.ref("base.fr").id,
            }
        )
        cls.env["product.product"].create({"name": "Joint torique 12mm", "type": "consu"})
        project = cls.env["project.project"].create(
            {
                "name": "Maintenance tour",
                "is_field_service": True,
                "allow_timesheets": True,
                "privacy_visibility": "employees",
                "checklist_template_ids": [Command.create({"name": "Test étanchéité"})],
            }
        )
        task = cls.env["project.task"].create(
            {
                "name": "Fuite salle de bain",
                "project_id": project.id,
                "partner_id": customer.id,
                "user_ids": [Command.set(cls.technician.ids)],
                "planned_date_start": fields.Datetime.now(),
            }
        )
        cls.intervention = cls.env["field.intervention"].create(
            {
                "task_id": task.id,
                "work_description": "Remplacement du joint",
            }
        )

    def test_phone_tour(self):
        self.start_tour(
            "/odoo/action-field_intervention.field_intervention_action_my",
            "field_intervention_phone_tour",
            login="fi_tour_tech",
        )
        intervention = self.intervention
        self.assertEqual(intervention.state, "done")
        self.assertEqual(intervention.part_ids.product_id.name, "Joint torique 12mm")
        self.assertEqual(intervention.part_ids.quantity, 2)
        self.assertEqual(intervention.checklist_line_ids.result, "done")
        self.assertTrue(intervention.time_ids)
        self.assertEqual(intervention.timesheet_ids.user_id, self.technician)
