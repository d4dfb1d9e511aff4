from odoo import api, fields, models


class FieldInterventionLineMixin(models.AbstractModel):
    """A line of an intervention report (time segment, checklist item, part, photo).

    Lines follow the lock of their intervention: once the report is locked (done, cancelled,
    signed...), none of its lines can be created, changed or deleted, whatever the channel.
    """

    _name = "field.intervention.line.mixin"
    _inherit = "field.intervention.protected.mixin"
    _description = "Intervention Report Line"

    # fields of the line a technician writes (the others are computed or follow the intervention)
    _fi_line_user_fields = ("intervention_id",)

    intervention_id = fields.Many2one("field.intervention", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="intervention_id.company_id", store=True, string="Company")

    def _fi_user_fields(self):
        fields_ = super()._fi_user_fields()
        if self.env.user.has_group("field_intervention.group_field_intervention_technician"):
            fields_ |= set(self._fi_line_user_fields)
        return fields_

    def _fi_protected_hint(self):
        return self.env._("they follow the intervention or are computed.")

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
