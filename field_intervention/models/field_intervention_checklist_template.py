from odoo import fields, models

TEMPLATE_USER_FIELDS = frozenset({"project_id", "sequence", "name", "active"})


class FieldInterventionChecklistTemplate(models.Model):
    _name = "field.intervention.checklist.template"
    _inherit = "field.intervention.protected.mixin"
    _description = "Intervention Checklist Template Item"
    _order = "project_id, sequence, id"

    project_id = fields.Many2one("project.project", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Check", required=True, translate=True)
    active = fields.Boolean(default=True)

    def _fi_user_fields(self):
        # who may change the project's checklist is the access rights' call (the dispatcher)
        return super()._fi_user_fields() | TEMPLATE_USER_FIELDS
