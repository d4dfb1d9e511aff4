from odoo import api, models


class FieldInterventionInvoiceCheck(models.AbstractModel):
    _inherit = "field.intervention.invoice.check"

    @api.model
    def _signed_content_mismatch(self, intervention, data):
        """The contract's coverage is part of what was signed: billing leaves off only that."""
        mismatch = super()._signed_content_mismatch(intervention, data)
        if not mismatch and intervention._fi_coverage_mismatch():
            return self.env._("what the contract covers")
        return mismatch
