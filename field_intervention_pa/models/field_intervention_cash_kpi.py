from odoo import fields, models
from odoo.tools import SQL

DIMENSIONS = [
    ("all", "All"),
    ("technician", "Technician"),
    ("customer", "Customer"),
]
MEASURES = ("sign_to_deposit", "deposit_to_acceptance", "acceptance_to_cash", "sign_to_cash")


class FieldInterventionCashKpi(models.Model):
    """Monthly to-cash KPIs of the invoices born from interventions: mean and median days from
    signature to deposit, deposit to approval, approval to collection and signature to
    collection, per company and per technician or customer (filter on one dimension), read from
    a materialized view refreshed every 10 minutes (see field.intervention.kpi.mview); the
    stuck invoices are counted at the time of the refresh."""

    _name = "field.intervention.cash.kpi"
    _inherit = "field.intervention.kpi.mview"
    _description = "Intervention Invoices to Cash KPIs"
    _auto = False
    _order = "month desc, dimension, id"
    _fi_mview_key = ("dimension", "company_id", "month", "dimension_key")

    dimension = fields.Selection(DIMENSIONS, readonly=True)
    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    technician_id = fields.Many2one("res.users", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    invoice_count = fields.Integer(string="Invoices", readonly=True)
    cashed_count = fields.Integer(string="Collected", readonly=True)
    stuck_count = fields.Integer(string="Stuck", readonly=True)
    sign_to_deposit_mean = fields.Float(string="Signature to Deposit, Mean (days)", readonly=True, aggregator="avg")
    sign_to_deposit_median = fields.Float(string="Signature to Deposit, Median (days)", readonly=True, aggregator="avg")
    deposit_to_acceptance_mean = fields.Float(
        string="Deposit to Approval, Mean (days)", readonly=True, aggregator="avg"
    )
    deposit_to_acceptance_median = fields.Float(
        string="Deposit to Approval, Median (days)", readonly=True, aggregator="avg"
    )
    acceptance_to_cash_mean = fields.Float(
        string="Approval to Collection, Mean (days)", readonly=True, aggregator="avg"
    )
    acceptance_to_cash_median = fields.Float(
        string="Approval to Collection, Median (days)", readonly=True, aggregator="avg"
    )
    sign_to_cash_mean = fields.Float(string="Signature to Collection, Mean (days)", readonly=True, aggregator="avg")
    sign_to_cash_median = fields.Float(string="Signature to Collection, Median (days)", readonly=True, aggregator="avg")

    def _fi_mview_query(self):
        measures = SQL(",\n").join(
            SQL(
                "AVG(r.%(m)s) AS %(mean)s, percentile_cont(0.5) WITHIN GROUP (ORDER BY r.%(m)s) AS %(median)s",
                m=SQL.identifier(measure),
                mean=SQL.identifier(f"{measure}_mean"),
                median=SQL.identifier(f"{measure}_median"),
            )
            for measure in MEASURES
        )
        return SQL(
            """
            SELECT row_number() OVER (ORDER BY dimension, company_id, month, technician_id, partner_id) AS id,
                   kpi.*,
                   -- the value of the dimension (0 for the whole company or none): the natural key
                   COALESCE(kpi.technician_id, kpi.partner_id, 0) AS dimension_key
              FROM (
                SELECT CASE WHEN GROUPING(r.technician_id) = 0 THEN 'technician'
                            WHEN GROUPING(r.partner_id) = 0 THEN 'customer'
                            ELSE 'all' END AS dimension,
                       r.month,
                       r.company_id,
                       r.technician_id,
                       r.partner_id,
                       COUNT(*) AS invoice_count,
                       COUNT(r.cash_date) AS cashed_count,
                       COUNT(*) FILTER (WHERE r.is_stuck) AS stuck_count,
                       %(measures)s
                  FROM (%(report)s) r
              GROUP BY GROUPING SETS (
                       (r.company_id, r.month),
                       (r.company_id, r.month, r.technician_id),
                       (r.company_id, r.month, r.partner_id)
                   )
              ) kpi
            """,
            measures=measures,
            report=self.env["field.intervention.cash.report"]._fi_cash_query(),
        )
