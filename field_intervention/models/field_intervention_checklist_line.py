from odoo import fields, models


class FieldInterventionChecklistLine(models.Model):
    _name = "field.intervention.checklist.line"
    _inherit = "field.intervention.line.mixin"
    _description = "Intervention Checklist Item"
    _order = "intervention_id, sequence, id"
    _fi_line_user_fields = ("intervention_id", "sequence", "name", "result", "note")

    sequence = fields.Integer(default=10)
    name = fields.Char(string="Check", required=True)
    result = fields.Selection(
        [("todo", "To Do"), ("done", "Done"), ("not_done", "Not Done"), ("na", "N/A")],
        required=True,
        default="todo",
    )
    note = fields.Char()
