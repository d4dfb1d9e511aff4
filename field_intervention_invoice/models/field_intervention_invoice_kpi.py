from odoo import fields, models
from odoo.tools import SQL

DIMENSIONS = [
    ("all", "All"),
    ("technician", "Technician"),
    ("customer", "Customer"),
    ("project", "Project"),
]


class FieldInterventionInvoiceKpi(models.Model):
    """Monthly billing KPIs with medians, per company and per technician, customer or project
    (one row per month and dimension value; filter on one dimension), read from a materialized
    view refreshed every 10 minutes (see field.intervention.kpi.mview)."""

    _name = "field.intervention.invoice.kpi"
    _inherit = "field.intervention.kpi.mview"
    _description = "Intervention Billing KPIs"
    _auto = False
    _order = "month desc, dimension, id"
    _fi_mview_key = ("dimension", "company_id", "month", "dimension_key")

    dimension = fields.Selection(DIMENSIONS, readonly=True)
    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    technician_id = fields.Many2one("res.users", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    project_id = fields.Many2one("project.project", readonly=True)
    lead_time_mean = fields.Float(string="Lead Time Mean (days)", readonly=True, aggregator="avg")
    lead_time_median = fields.Float(string="Lead Time Median (days)", readonly=True, aggregator="avg")
    presented_count = fields.Integer(string="Presented", readonly=True)
    signed_count = fields.Integer(string="Signed", readonly=True)
    invoiced_count = fields.Integer(string="Invoiced", readonly=True)
    no_quantity_count = fields.Integer(string="No Billable Quantity", readonly=True)
    disputed_count = fields.Integer(string="Refused or Reserved", readonly=True)
    dispute_rate = fields.Float(string="Dispute Rate (%)", readonly=True, aggregator="avg")
    invoiced_rate = fields.Float(string="Invoiced vs Signed (%)", readonly=True, aggregator="avg")
    signed_value = fields.Monetary(string="Signed Work Value", readonly=True)
    unbilled_value = fields.Monetary(string="Signed, Not Invoiced", readonly=True)

    def _fi_mview_query(self):
        report_query = self.env["field.intervention.invoice.report"]._fi_query()
        return SQL(
            """
            SELECT row_number() OVER (ORDER BY dimension, company_id, month, technician_id,
                                               partner_id, project_id) AS id, kpi.*,
                   -- the value of the dimension (0 for the whole company or none): the natural key
                   COALESCE(kpi.technician_id, kpi.partner_id, kpi.project_id, 0) AS dimension_key
              FROM (
                SELECT CASE WHEN GROUPING(r.technician_id) = 0 THEN 'technician'
                            WHEN GROUPING(r.partner_id) = 0 THEN 'customer'
                            WHEN GROUPING(r.project_id) = 0 THEN 'project'
                            ELSE 'all' END AS dimension,
                       date_trunc('month', r.date)::date AS month,
                       r.company_id,
                       MIN(r.currency_id) AS currency_id,
                       r.technician_id,
                       r.partner_id,
                       r.project_id,
                       AVG(r.lead_time) AS lead_time_mean,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.lead_time) AS lead_time_median,
                       SUM(r.presented_count) AS presented_count,
                       SUM(r.signed_count) AS signed_count,
                       SUM(r.invoiced_count) AS invoiced_count,
                       SUM(r.no_quantity_count) AS no_quantity_count,
                       SUM(r.disputed_count) AS disputed_count,
                       100.0 * SUM(r.disputed_count) / NULLIF(SUM(r.presented_count), 0) AS dispute_rate,
                       -- of the signed interventions that bill something (invoiced_rate is NULL
                       -- for the others)
                       100.0 * SUM(r.invoiced_count) / NULLIF(COUNT(r.invoiced_rate), 0) AS invoiced_rate,
                       SUM(r.signed_value) AS signed_value,
                       SUM(r.unbilled_value) AS unbilled_value
                  FROM (%s) r
              GROUP BY GROUPING SETS (
                       (r.company_id, date_trunc('month', r.date)),
                       (r.company_id, date_trunc('month', r.date), r.technician_id),
                       (r.company_id, date_trunc('month', r.date), r.partner_id),
                       (r.company_id, date_trunc('month', r.date), r.project_id)
                   )
              ) kpi
            """,
            report_query,
        )
