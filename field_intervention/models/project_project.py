from odoo import api, fields, models


class ProjectProject(models.Model):
    _name = "project.project"
    _inherit = ["project.project", "field.intervention.guarded.mixin"]  # noqa: RUF012

    is_field_service = fields.Boolean(
        string="Field Service",
        help="Tasks of this project are mission orders: technicians record interventions on them.",
    )
    labour_product_id = fields.Many2one(
        "product.product",
        domain="[('type', '=', 'service')]",
        check_company=True,
        help="Service product used to value the technicians' worked time.",
    )
    travel_product_id = fields.Many2one(
        "product.product",
        domain="[('type', '=', 'service')]",
        check_company=True,
        help="Service product used to value travel time or distance.",
    )
    part_product_ids = fields.Many2many(
        "product.product",
        "project_project_field_intervention_part_rel",
        "project_id",
        "product_id",
        string="Common Parts",
        check_company=True,
        help="Parts and consumables proposed first to the technicians.",
    )
    checklist_template_ids = fields.One2many(
        "field.intervention.checklist.template",
        "project_id",
        help="Items copied to the checklist of every new intervention of this project.",
    )
    intervention_ids = fields.One2many("field.intervention", "project_id", string="Interventions")
    intervention_count = fields.Integer(compute="_compute_intervention_count")

    def _fi_guarded_fields(self):
        return super()._fi_guarded_fields() | {"intervention_count"}

    def _fi_guarded_hint(self):
        return self.env._("it is computed.")

    def _compute_intervention_count(self):
        Intervention = self.env["field.intervention"]
        if not Intervention.has_access("read"):
            self.intervention_count = 0
            return
        counts = dict(Intervention._read_group([("project_id", "in", self.ids)], ["project_id"], ["__count"]))
        for project in self:
            project.intervention_count = counts.get(project, 0)

    @api.readonly
    def action_view_interventions(self):
        """Open the interventions of the project."""
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("field_intervention.field_intervention_action")
        action["domain"] = [("project_id", "=", self.id)]
        action["context"] = {"search_default_project_id": self.id}
        return action
