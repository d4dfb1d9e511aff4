from odoo import api, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.model
    def _fi_intervention_quantities(self, intervention, data):
        """A visit's mission sold on an order: the hours its contract covers are not billed."""
        if intervention.fi_cover_labour:
            return {}
        return super()._fi_intervention_quantities(intervention, data)
