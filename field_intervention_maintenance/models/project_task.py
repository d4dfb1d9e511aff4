from odoo import Command, fields, models

# the equipment to service and the visits of a mission are set by the planning
TASK_GUARDED_FIELDS = frozenset({"fi_visit_ids"})


class ProjectTask(models.Model):
    _inherit = "project.task"

    fi_equipment_ids = fields.Many2many(
        "field.intervention.equipment",
        "field_intervention_equipment_task_rel",
        "task_id",
        "equipment_id",
        string="Equipment to Service",
        check_company=True,
    )
    fi_visit_ids = fields.One2many("field.intervention.visit", "task_id", string="Maintenance Visits", readonly=True)

    def _fi_guarded_fields(self):
        return super()._fi_guarded_fields() | TASK_GUARDED_FIELDS

    def _fi_prepare_intervention_values(self):
        values = super()._fi_prepare_intervention_values()
        if self.fi_equipment_ids:
            values["equipment_ids"] = [Command.set(self.fi_equipment_ids.ids)]
        return values

    def write(self, vals):
        res = super().write(vals)
        if vals.get("user_ids"):
            self._fi_create_visit_interventions()
        return res

    def _fi_create_visit_interventions(self):
        """A planned visit's mission gets its intervention once the dispatcher assigns it, so
        that the technician's day (and phone) shows it like any other mission."""
        if not self.env.su and not self.env.user.has_group("field_intervention.group_field_intervention_technician"):
            return self.env["field.intervention"]
        tasks = self.filtered(lambda task: task.fi_visit_ids and task.user_ids and not task.intervention_ids)
        return tasks._fi_create_interventions()
