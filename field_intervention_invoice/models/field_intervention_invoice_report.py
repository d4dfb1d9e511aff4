from odoo import fields, models
from odoo.tools import SQL

# Fields both SQL views read: the ORM flushes them before either view is queried.
BILLING_VIEW_DEPENDS = {
    "field.intervention": [
        "state",
        "invoice_id",
        "signed_date",
        "intervention_date",
        "company_id",
        "commercial_partner_id",
        "project_id",
        "technician_ids",
        "has_reserves",
        "invoice_no_quantity",
    ],
    "field.intervention.part": ["intervention_id", "product_id", "quantity"],
    "field.intervention.signature": ["intervention_id", "status"],
    "account.move": ["state", "invoice_date"],
    "account.move.line": ["move_id", "intervention_id", "display_type", "balance"],
    "account.analytic.line": ["intervention_id", "unit_amount"],
    "project.project": ["labour_product_id"],
    "product.template": ["list_price"],
}


class FieldInterventionInvoiceReport(models.Model):
    """One row per intervention presented to the customer for signature (signed, refused or
    disputed), with its billing figures. Means and rates aggregate with ``avg`` in pivots:
    the rates are 0/100 per row (NULL when not applicable), the lead time is NULL until the
    invoice is posted."""

    _name = "field.intervention.invoice.report"
    _description = "Intervention Billing Analysis"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "intervention_id"
    _depends = BILLING_VIEW_DEPENDS

    intervention_id = fields.Many2one("field.intervention", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    project_id = fields.Many2one("project.project", readonly=True)
    technician_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="Main technician (the first one) of the intervention.",
    )
    date = fields.Date(readonly=True, help="Signature date, else intervention date.")
    signed_date = fields.Date(string="Signature Date", readonly=True)
    invoice_id = fields.Many2one("account.move", readonly=True)
    invoice_date = fields.Date(readonly=True, help="Date of the posted invoice.")
    lead_time = fields.Float(
        string="Billing Lead Time (days)",
        readonly=True,
        aggregator="avg",
        help="Invoice date - signature date, for posted invoices.",
    )
    presented_count = fields.Integer(string="Presented", readonly=True)
    signed_count = fields.Integer(string="Signed", readonly=True)
    disputed_count = fields.Integer(string="Refused or Reserved", readonly=True)
    invoiced_count = fields.Integer(string="Invoiced", readonly=True)
    no_quantity_count = fields.Integer(
        string="No Billable Quantity",
        readonly=True,
        help="Signed interventions that bill nothing (no invoice is made): not counted in the "
        "invoiced rate nor in the unbilled value.",
    )
    dispute_rate = fields.Float(string="Dispute Rate (%)", readonly=True, aggregator="avg")
    invoiced_rate = fields.Float(string="Invoiced vs Signed (%)", readonly=True, aggregator="avg")
    signed_value = fields.Monetary(string="Signed Work Value", readonly=True)
    unbilled_value = fields.Monetary(
        string="Signed, Not Invoiced",
        readonly=True,
        help="Value of the signed work without a posted invoice (invoice amount when a draft "
        "exists, else worked hours and parts at list price).",
    )

    @property
    def _table_query(self):
        return self._fi_query()

    def _fi_query(self):
        """The rows of the report (the KPIs aggregate the same query)."""
        return SQL(
            """
            SELECT fi.id AS id,
                   fi.id AS intervention_id,
                   fi.company_id,
                   rc.currency_id,
                   fi.commercial_partner_id AS partner_id,
                   fi.project_id,
                   tech.user_id AS technician_id,
                   COALESCE(fi.signed_date::date, fi.intervention_date) AS date,
                   fi.signed_date::date AS signed_date,
                   fi.invoice_id,
                   posted.invoice_date,
                   (posted.invoice_date - fi.signed_date::date)::float AS lead_time,
                   1 AS presented_count,
                   (fi.state = 'signed')::int AS signed_count,
                   (fi.state = 'disputed' OR refusal.refused OR fi.has_reserves IS TRUE)::int AS disputed_count,
                   (posted.id IS NOT NULL)::int AS invoiced_count,
                   (fi.state = 'signed' AND fi.invoice_no_quantity IS TRUE)::int AS no_quantity_count,
                   CASE WHEN fi.state = 'disputed' OR refusal.refused OR fi.has_reserves IS TRUE THEN 100.0 ELSE 0.0 END
                       AS dispute_rate,
                   CASE WHEN fi.state != 'signed' OR fi.invoice_no_quantity IS TRUE THEN NULL
                        WHEN posted.id IS NOT NULL THEN 100.0 ELSE 0.0 END AS invoiced_rate,
                   CASE WHEN fi.state = 'signed' AND fi.invoice_no_quantity IS NOT TRUE
                        THEN COALESCE(billed.amount, estimate.amount) ELSE 0 END AS signed_value,
                   CASE WHEN fi.state = 'signed' AND fi.invoice_no_quantity IS NOT TRUE AND posted.id IS NULL
                        THEN COALESCE(billed.amount, estimate.amount) ELSE 0 END AS unbilled_value
              FROM field_intervention fi
              JOIN res_company rc ON rc.id = fi.company_id
              -- the labour price of each project, joined once (hashed): as a subquery of the
              -- estimate below, PostgreSQL scanned the projects and products again for every
              -- intervention (half the time of the dashboards at 150,000 interventions)
         LEFT JOIN (
                   SELECT pp.id AS project_id, pt.list_price
                     FROM project_project pp
                     JOIN product_product prod ON prod.id = pp.labour_product_id
                     JOIN product_template pt ON pt.id = prod.product_tmpl_id
                   ) labour ON labour.project_id = fi.project_id
         LEFT JOIN account_move posted ON posted.id = fi.invoice_id AND posted.state = 'posted'
         LEFT JOIN LATERAL (
                   SELECT EXISTS (
                          SELECT 1 FROM field_intervention_signature s
                           WHERE s.intervention_id = fi.id AND s.status = 'refused'
                          ) AS refused
                   ) refusal ON TRUE
         LEFT JOIN LATERAL (
                   SELECT MIN(rel.user_id) AS user_id
                     FROM field_intervention_res_users_rel rel
                    WHERE rel.intervention_id = fi.id
                   ) tech ON TRUE
         LEFT JOIN LATERAL (
                   SELECT SUM(-aml.balance) AS amount
                     FROM account_move_line aml
                    WHERE aml.move_id = fi.invoice_id
                      AND aml.intervention_id = fi.id
                      AND aml.display_type = 'product'
                   ) billed ON fi.invoice_id IS NOT NULL
         LEFT JOIN LATERAL (
                   SELECT COALESCE((
                              SELECT SUM(aal.unit_amount) FROM account_analytic_line aal
                               WHERE aal.intervention_id = fi.id
                          ), 0) * COALESCE(labour.list_price, 0) + COALESCE((
                              SELECT SUM(part.quantity * pt.list_price)
                                FROM field_intervention_part part
                                JOIN product_product prod ON prod.id = part.product_id
                                JOIN product_template pt ON pt.id = prod.product_tmpl_id
                               WHERE part.intervention_id = fi.id
                          ), 0) AS amount
                   ) estimate ON TRUE
             WHERE fi.state IN ('signed', 'disputed')
                OR EXISTS (SELECT 1 FROM field_intervention_signature s WHERE s.intervention_id = fi.id)
            """
        )
