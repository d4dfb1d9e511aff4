from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    fi_pa_stuck_days = fields.Integer(related="company_id.fi_pa_stuck_days", readonly=False)
