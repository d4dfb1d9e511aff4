from odoo import api, fields, models
from odoo.exceptions import ValidationError


class FieldIntervention(models.Model):
    _inherit = "field.intervention"

    equipment_ids = fields.Many2many(
        "field.intervention.equipment",
        "field_intervention_equipment_rel",
        "intervention_id",
        "equipment_id",
        string="Equipment Serviced",
        check_company=True,
    )

    @api.constrains("equipment_ids", "partner_id")
    def _check_equipment_customer(self):
        for rec in self:
            customer = rec.partner_id.commercial_partner_id
            foreign = rec.equipment_ids.filtered(lambda equipment, customer=customer: equipment.partner_id != customer)
            if foreign:
                raise ValidationError(
                    self.env._(
                        "%(equipment)s is not equipment of %(customer)s, the customer of %(name)s.",
                        equipment=", ".join(foreign.mapped("display_name")),
                        customer=customer.display_name,
                        name=rec.name,
                    )
                )

    def _get_content_fields(self):
        return super()._get_content_fields() | {"equipment_ids"}
