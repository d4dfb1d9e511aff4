from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    fi_hours_overrun_ratio = fields.Float(related="company_id.fi_hours_overrun_ratio", readonly=False)
    fi_billing_user_id = fields.Many2one(related="company_id.fi_billing_user_id", readonly=False)
