from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    fi_maintenance_horizon_days = fields.Integer(
        string="Maintenance Planning Horizon (days)",
        default=30,
        help="Contract visits due within this many days become missions.",
    )
