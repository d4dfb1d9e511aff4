from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    fi_hours_overrun_ratio = fields.Float(
        string="Hours Overrun Tolerance",
        default=0.2,
        help="An invoice is flagged for review when the worked hours exceed the planned duration "
        "of the mission by more than this ratio (0.2 = 20%).",
    )
    fi_billing_user_id = fields.Many2one(
        "res.users",
        string="Billing Responsible",
        domain="[('share', '=', False)]",
        help="Receives the activities about interventions that could not be invoiced.",
    )
