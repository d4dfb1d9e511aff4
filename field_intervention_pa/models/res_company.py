from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    fi_pa_stuck_days = fields.Integer(
        string="Stuck After (days)",
        default=7,
        help="An invoice born from interventions is listed as stuck when it waits longer than "
        "this at a step (deposit, approval, collection).",
    )
