from odoo import fields, models

INVOICE_POLICIES = [
    ("per_intervention", "Per intervention, at signature"),
    ("weekly", "Grouped per customer and week"),
    ("monthly", "Grouped per customer and month"),
    ("manual", "Manual"),
    ("no", "Not billable"),
]


class ProjectProject(models.Model):
    _inherit = "project.project"

    intervention_invoice_policy = fields.Selection(
        INVOICE_POLICIES,
        string="Intervention Invoicing",
        default="per_intervention",
        # not required: projects are also created by code that does not know this addon (empty
        # reads as per intervention, see field.intervention._compute_invoice_policy)
        help="Per intervention: a draft invoice is created when the customer signs the report.\n"
        "Weekly / monthly: a scheduled action invoices each customer once per period.\n"
        "Manual: billing creates the invoices.\n"
        "Not billable: warranty or contract work, never invoiced.",
    )
