from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    fi_contract_fee_product_id = fields.Many2one(related="company_id.fi_contract_fee_product_id", readonly=False)
