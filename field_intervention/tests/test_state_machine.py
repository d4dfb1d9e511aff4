from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import FieldInterventionCommon


@tagged("-at_install", "post_install")
class TestStateMachine(FieldInterventionCommon):
    def test_create_defaults(self):
        intervention = self.env["field.intervention"].with_user(self.tech_a).create({"task_id": self.task.id})
        self.assertRegex(intervention.name, r"^BI/\d{4}/\d{5}$")
        self.assertEqual(intervention.partner_id, self.customer)
        self.assertEqual(intervention.site_id, self.site)
        self.assertEqual(intervention.technician_ids, self.tech_a)
        self.assertEqual(intervention.company_id, self.company)
        self.assertEqual(intervention.state, "draft")
        self.assertEqual(intervention.checklist_line_ids.mapped("name"), ["Contrôle pression", "Nettoyage brûleur"])
        self.assertEqual(intervention.access_url, f"/my/interventions/{intervention.id}")
        self.assertEqual(self.task.intervention_count, 1)
        self.assertEqual(self.project.intervention_count, 1)
        self.assertIn("openstreetmap.org", self.task.intervention_site_map_url)
        self.assertIn("Lyon", intervention.site_map_url.replace("+", " "))

    def test_create_from_mission_in_code(self):
        """The intervention of a mission from code (planned visits, imports) is the one the
        New Intervention form opens: same values, the model's rules as the current user."""
        action = self.task.with_user(self.tech_a).action_new_intervention()
        self.assertEqual(action["res_model"], "field.intervention")
        self.assertEqual(action["context"], {"default_task_id": self.task.id})
        other_task = self._fi_create_task("Dépannage", self.customer, self.site, self.tech_b)
        interventions = (self.task | other_task).with_user(self.manager)._fi_create_interventions()
        self.assertEqual(interventions.task_id, self.task | other_task)
        self.assertEqual(interventions.mapped("technician_ids"), self.tech_a | self.tech_b)
        self.assertEqual(set(interventions.mapped("state")), {"draft"})
        self.assertEqual(interventions[0].checklist_line_ids.mapped("name"), ["Contrôle pression", "Nettoyage brûleur"])
        employee = self._fi_create_user("fi_plain", "Paul Plain", "base.group_user")
        with self.assertRaises(AccessError):  # the rights of the current user apply: not a technician
            self.task.with_user(employee)._fi_create_interventions()

    def test_sequence_per_company(self):
        first = self._create_intervention()
        second = self._create_intervention()
        self.assertEqual(int(second.name[-5:]), int(first.name[-5:]) + 1)
        other_project = self.env["project.project"].create(
            {
                "name": "Other FS",
                "is_field_service": True,
                "company_id": self.other_company.id,
            }
        )
        other_task = self.env["project.task"].create(
            {
                "name": "Other mission",
                "project_id": other_project.id,
                "partner_id": self.customer.id,
            }
        )
        other = self.env["field.intervention"].create(
            {"task_id": other_task.id, "technician_ids": [Command.set(self.tech_other.ids)]}
        )
        self.assertEqual(other.company_id, self.other_company)
        self.assertTrue(other.name.endswith("00001"))

    def test_task_must_be_field_service(self):
        project = self.env["project.project"].create({"name": "Internal"})
        task = self.env["project.task"].create({"name": "Not a mission", "project_id": project.id})
        with self.assertRaises(UserError):
            self.env["field.intervention"].create({"task_id": task.id})

    def test_full_cycle(self):
        intervention = self._create_intervention().with_user(self.tech_a)
        with freeze_time("2026-03-02 08:00:00"):
            intervention.action_start()
        self.assertEqual(intervention.state, "in_progress")
        self.assertTrue(intervention.is_running)
        self.assertEqual(intervention.timer_state, "running")
        with freeze_time("2026-03-02 09:00:00"):
            intervention.action_pause()
        self.assertFalse(intervention.is_running)
        with self.assertRaises(UserError):
            intervention.action_pause()
        with freeze_time("2026-03-02 09:15:00"):
            intervention.action_resume()
        with self.assertRaises(UserError):
            intervention.action_resume()
        with freeze_time("2026-03-02 10:15:00"):
            intervention.action_stop()
        self.assertEqual(intervention.state, "in_progress")
        self.assertAlmostEqual(intervention.duration, 2.0)
        self.assertAlmostEqual(intervention.pause_duration, 0.25)
        self.assertEqual(str(intervention.date_start), "2026-03-02 08:00:00")
        self.assertEqual(str(intervention.date_end), "2026-03-02 10:15:00")
        self.assertEqual(str(intervention.intervention_date), "2026-03-02")
        intervention.work_description = "Remplacement du filtre"
        intervention.action_done()
        self.assertEqual(intervention.state, "done")
        intervention.with_user(self.manager).action_reopen()
        self.assertEqual(intervention.state, "in_progress")

    def test_stop_without_start(self):
        intervention = self._create_intervention().with_user(self.tech_a)
        with self.assertRaisesRegex(UserError, "press Start"):
            intervention.action_stop()
        intervention.action_start()
        intervention.action_stop()
        with self.assertRaisesRegex(UserError, "press Start"):
            intervention.action_stop()
        self.assertEqual(intervention.state, "in_progress")

    def test_done_guards(self):
        intervention = self._create_intervention().with_user(self.tech_a)
        with self.assertRaisesRegex(UserError, "No time is recorded"):
            intervention.action_done()  # draft without time
        intervention.action_start()
        with self.assertRaisesRegex(UserError, "Stop the timer"):
            intervention.action_done()
        intervention.action_stop()
        intervention.write({"time_ids": [Command.clear()]})
        intervention.work_description = "Something"
        with self.assertRaisesRegex(UserError, "No time is recorded"):
            intervention.action_done()
        intervention.write(
            {
                "time_ids": [
                    Command.create(
                        {
                            "date_start": "2026-03-02 08:00:00",
                            "date_end": "2026-03-02 09:00:00",
                        }
                    )
                ]
            }
        )
        intervention.work_description = "  "
        with self.assertRaisesRegex(UserError, "Describe the work"):
            intervention.action_done()
        # what was entered is still there
        self.assertAlmostEqual(intervention.duration, 1.0)
        intervention.work_description = "Réglage du brûleur"
        intervention.action_done()
        self.assertEqual(intervention.state, "done")

    def test_cancel_and_reset(self):
        intervention = self._create_intervention().with_user(self.tech_a)
        with self.assertRaises(UserError):
            intervention.action_reset_draft()
        intervention.action_cancel()
        self.assertEqual(intervention.state, "cancel")
        with self.assertRaises(UserError):
            intervention.action_start()
        intervention.action_reset_draft()
        self.assertEqual(intervention.state, "draft")

    def test_locked_content(self):
        intervention = self._create_intervention()
        intervention.write(
            {
                "work_description": "Travaux",
                "time_ids": [Command.create({"date_start": "2026-03-02 08:00:00", "date_end": "2026-03-02 09:00:00"})],
                "part_ids": [Command.create({"product_id": self.part_product.id, "quantity": 1})],
            }
        )
        intervention.with_user(self.tech_a).action_done()
        # addons may lock more states (field_intervention_sign adds "signed")
        self.assertTrue({"done", "cancel"} <= set(intervention._get_locked_states()))
        self.assertIn("work_description", intervention._get_content_fields())
        tech_intervention = intervention.with_user(self.tech_a)
        with self.assertRaisesRegex(UserError, "can no longer be modified"):
            tech_intervention.work_description = "Changed"
        with self.assertRaises(UserError):
            tech_intervention.part_ids.quantity = 3
        with self.assertRaises(UserError):
            tech_intervention.checklist_line_ids[0].result = "done"
        with self.assertRaises(UserError):
            tech_intervention.time_ids.unlink()
        with self.assertRaises(UserError):
            intervention.timesheet_ids.unit_amount = 12
        with self.assertRaises(UserError):
            intervention.timesheet_ids.unlink()
        # non-content fields stay writable (activities, chatter...)
        intervention.message_post(body="Note")
        with self.assertRaises(UserError):
            intervention.unlink()
        self.assertEqual(intervention.work_description, "Travaux")
