from odoo import api, fields, models


class FieldInterventionLineMixin(models.AbstractModel):
    """A line of an intervention report (time segment, checklist item, part, photo).

    Lines follow the lock of their intervention: once the report is locked (done, cancelled,
    signed...), none of its lines can be created, changed or deleted, whatever the channel.
    """

    _name = "field.intervention.line.mixin"
    _description = "Intervention Report Line"

    intervention_id = fields.Many2one("field.intervention", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="intervention_id.company_id", store=True, string="Company")

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

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked(self):
        self.intervention_id._check_content_editable()
