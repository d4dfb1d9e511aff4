from odoo import fields, models


class FieldInterventionChecklistTemplate(models.Model):
    _name = "field.intervention.checklist.template"
    _description = "Intervention Checklist Template Item"
    _order = "project_id, sequence, id"

    project_id = fields.Many2one("project.project", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Check", required=True, translate=True)
    active = fields.Boolean(default=True)
