from odoo import fields, models

from .project_project import INVOICE_POLICIES


class ResPartner(models.Model):
    _inherit = "res.partner"

    intervention_invoice_policy = fields.Selection(
        INVOICE_POLICIES,
        string="Intervention Invoicing",
        help="Overrides the invoicing policy of the field service projects for this customer. "
        "Leave empty to follow the project.",
    )
