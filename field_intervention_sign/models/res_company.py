from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    fi_billing_email = fields.Char(
        "Billing Email for Signed Reports",
        help="Address that receives the signed intervention reports, refusals and reserves "
        "(e.g. the billing team's shared mailbox).",
    )
    fi_sign_show_prices = fields.Boolean(
        "Show Part Prices to the Signer",
        help="Show the sale price of the parts on the signing screens.",
    )
