from odoo import api, fields, models


class FieldInterventionChecklistLine(models.Model):
    _name = "field.intervention.checklist.line"
    _description = "Intervention Checklist Item"
    _order = "intervention_id, sequence, id"

    intervention_id = fields.Many2one("field.intervention", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="intervention_id.company_id", store=True, string="Company")
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Check", required=True)
    result = fields.Selection(
        [("todo", "To Do"), ("done", "Done"), ("not_done", "Not Done"), ("na", "N/A")],
        required=True,
        default="todo",
    )
    note = fields.Char()

    @api.model_create_multi
    def create(self, vals_list):
        self.env["field.intervention"].browse(
            {vals["intervention_id"] for vals in vals_list if vals.get("intervention_id")}
        )._check_content_editable()
        return super().create(vals_list)

    def write(self, vals):
        self.intervention_id._check_content_editable()
        res = super().write(vals)
        if "intervention_id" in vals:
            self.intervention_id._check_content_editable()
        return res

    def unlink(self):
        self.intervention_id._check_content_editable()
        return super().unlink()
