from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    fi_maintenance_horizon_days = fields.Integer(related="company_id.fi_maintenance_horizon_days", readonly=False)
