from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    fi_contract_fee_product_id = fields.Many2one(
        "product.product",
        string="Maintenance Contract Fee Product",
        domain="[('type', '=', 'service'), ('company_id', 'in', (id, False))]",
        help="Product of the lines of the maintenance contracts' fee invoices (its income account and "
        "taxes). Empty: the 'Maintenance contract fee' product shipped with the application.",
    )
