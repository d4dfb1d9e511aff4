from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    fi_billing_email = fields.Char(related="company_id.fi_billing_email", readonly=False)
    fi_sign_show_prices = fields.Boolean(related="company_id.fi_sign_show_prices", readonly=False)
