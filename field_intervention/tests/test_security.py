from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import FieldInterventionCommon


@tagged("-at_install", "post_install")
class TestSecurity(FieldInterventionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.intervention_a = cls._create_intervention(work_description="Secret A")
        cls.intervention_b = cls._create_intervention(cls.tech_b, work_description="Secret B")
        other_project = cls.env["project.project"].create(
            {
                "name": "Other FS",
                "is_field_service": True,
                "company_id": cls.other_company.id,
            }
        )
        other_task = cls.env["project.task"].create({"name": "Other mission", "project_id": other_project.id})
        cls.intervention_other = cls.env["field.intervention"].create(
            {
                "task_id": other_task.id,
                "technician_ids": [Command.set(cls.tech_other.ids)],
            }
        )
        cls.all_interventions = cls.intervention_a | cls.intervention_b | cls.intervention_other

    def _visible(self, user):
        return self.env["field.intervention"].with_user(user).search([("id", "in", self.all_interventions.ids)])

    def test_technician_sees_own(self):
        self.assertEqual(self._visible(self.tech_a), self.intervention_a)
        self.assertEqual(self._visible(self.tech_b), self.intervention_b)
        self.assertEqual(self._visible(self.tech_other), self.intervention_other)

    def test_technician_cannot_open_other(self):
        with self.assertRaises(AccessError):
            self.intervention_b.with_user(self.tech_a).read(["work_description"])
        with self.assertRaises(AccessError):
            self.intervention_b.with_user(self.tech_a).write({"findings": "x"})
        with self.assertRaises(AccessError):
            self.intervention_b.with_user(self.tech_a).action_start()
        with self.assertRaises(AccessError):
            self.intervention_b.checklist_line_ids.with_user(self.tech_a).read(["name"])
        # no leak through the mission either
        task_interventions = self.task.with_user(self.tech_a).intervention_ids
        self.assertEqual(task_interventions, self.intervention_a)

    def test_technician_cannot_delete(self):
        with self.assertRaises(AccessError):
            self.intervention_a.with_user(self.tech_a).unlink()

    def test_manager_sees_company(self):
        self.assertEqual(self._visible(self.manager), self.intervention_a | self.intervention_b)
        self.intervention_b.with_user(self.manager).write({"findings": "Vu"})
        self.intervention_b.with_user(self.manager).action_cancel()
        self.intervention_b.with_user(self.manager).unlink()
        self.assertFalse(self.intervention_b.exists())

    def test_other_company(self):
        with self.assertRaises(AccessError):
            self.intervention_a.with_user(self.tech_other).read(["name"])
        with self.assertRaises(AccessError):
            self.intervention_other.with_user(self.manager).read(["name"])

    def test_technician_records_own_job(self):
        intervention = self.intervention_a.with_user(self.tech_a)
        intervention.action_start()
        intervention.write(
            {
                "part_ids": [Command.create({"product_id": self.part_product.id, "quantity": 2})],
                "checklist_line_ids": [
                    Command.update(self.intervention_a.checklist_line_ids[0].id, {"result": "done"})
                ],
            }
        )
        intervention.action_stop()
        self.assertEqual(intervention.part_ids.quantity, 2)
        self.assertEqual(intervention.checklist_line_ids[0].result, "done")

    def test_technicians_are_field_service_technicians(self):
        """Issue 20: labour is billed hours x technicians: only field service technicians of the
        company can be technicians of an intervention, whoever writes it (not only the view)."""
        clerk = self._fi_create_user("fi_clerk", "Clara Clerk", "base.group_user")
        intervention = self._create_intervention()
        for user in (clerk, self.tech_other):  # an internal user; a technician of another company
            with self.subTest(user=user.name), self.assertRaises(ValidationError) as caught:
                intervention.with_user(self.manager).write({"technician_ids": [Command.link(user.id)]})
            self.assertIn(user.name, str(caught.exception))
        with self.assertRaises(ValidationError):
            self._create_intervention(user=clerk)
        # a mission assigned to a clerk and a technician: the clerk is not made a technician
        self.task.user_ids = clerk | self.tech_b
        self.assertEqual(self.env["field.intervention"].create({"task_id": self.task.id}).technician_ids, self.tech_b)
