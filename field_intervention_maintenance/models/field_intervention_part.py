from odoo import api, fields, models


class FieldInterventionPart(models.Model):
    _inherit = "field.intervention.part"

    fi_covered = fields.Boolean(
        string="Covered by the Contract",
        compute="_compute_fi_covered",
        store=True,
        help="The intervention's maintenance contract covers this part: it is not invoiced.",
    )

    @api.depends("product_id", "intervention_id.fi_cover_parts", "intervention_id.fi_cover_product_ids")
    def _compute_fi_covered(self):
        """From the contract's terms the intervention took when it was created: set when the
        part is added (or its product changed), locked with the report."""
        for part in self:
            part.fi_covered = bool(part.intervention_id) and part.intervention_id._fi_covers_product(part.product_id)
