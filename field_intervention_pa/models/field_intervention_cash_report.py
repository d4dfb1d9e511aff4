from odoo import fields, models
from odoo.tools import SQL

STEPS = [
    ("deposit", "Deposit"),
    ("acceptance", "Approval"),
    ("cash", "Collection"),
]
CASH_VIEW_DEPENDS = {
    "account.move": [
        "state",
        "move_type",
        "fi_from_intervention",
        "company_id",
        "commercial_partner_id",
        "amount_total",
        "l10n_fr_pa_deposit_date",
        "l10n_fr_pa_acceptance_date",
        "l10n_fr_pa_cash_date",
        "l10n_fr_pa_status",
    ],
    "account.move.line": ["move_id", "intervention_id"],
    "field.intervention": ["signed_date", "technician_ids"],
    "res.company": ["fi_pa_stuck_days"],
}


class FieldInterventionCashReport(models.Model):
    """One row per posted customer invoice born from interventions: the dates of its way to
    cash (signature of the report, deposit on the platform, approval by the customer,
    collection) and the days between them; where it waits, and since how long."""

    _name = "field.intervention.cash.report"
    _description = "Intervention Invoices to Cash"
    _auto = False
    _order = "signed_date desc, id desc"
    _rec_name = "invoice_id"
    _depends = CASH_VIEW_DEPENDS

    invoice_id = fields.Many2one("account.move", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    technician_id = fields.Many2one("res.users", readonly=True, help="Main technician of the first intervention.")
    amount_total = fields.Monetary(readonly=True, currency_field="currency_id")
    month = fields.Date(readonly=True, help="Month of the signature.")
    signed_date = fields.Datetime(string="Signature", readonly=True)
    deposit_date = fields.Datetime(string="Deposit", readonly=True)
    acceptance_date = fields.Datetime(string="Approval", readonly=True)
    cash_date = fields.Datetime(string="Collection", readonly=True)
    pa_status = fields.Selection(
        selection=lambda self: self.env["account.move"]._fields["l10n_fr_pa_status"].selection,
        string="Platform Status",
        readonly=True,
    )
    sign_to_deposit = fields.Float(string="Signature to Deposit (days)", readonly=True, aggregator="avg")
    deposit_to_acceptance = fields.Float(string="Deposit to Approval (days)", readonly=True, aggregator="avg")
    acceptance_to_cash = fields.Float(string="Approval to Collection (days)", readonly=True, aggregator="avg")
    sign_to_cash = fields.Float(string="Signature to Collection (days)", readonly=True, aggregator="avg")
    stuck_step = fields.Selection(STEPS, string="Waiting For", readonly=True)
    waiting_days = fields.Float(string="Waiting (days)", readonly=True, aggregator="max")
    is_stuck = fields.Boolean(string="Stuck", readonly=True)

    @property
    def _table_query(self):
        return self._fi_cash_query()

    def _fi_cash_query(self):

        def days(end, start):
            return SQL("EXTRACT(EPOCH FROM (%s - %s)) / 86400.0", SQL(end), SQL(start))

        return SQL(
            """
            SELECT c.*,
                   %(sign_to_deposit)s AS sign_to_deposit,
                   %(deposit_to_acceptance)s AS deposit_to_acceptance,
                   %(acceptance_to_cash)s AS acceptance_to_cash,
                   %(sign_to_cash)s AS sign_to_cash,
                   CASE WHEN c.deposit_date IS NULL THEN 'deposit'
                        WHEN c.cash_date IS NULL AND c.acceptance_date IS NULL THEN 'acceptance'
                        WHEN c.cash_date IS NULL THEN 'cash' END AS stuck_step,
                   CASE WHEN c.cash_date IS NULL
                        THEN EXTRACT(EPOCH FROM (NOW() AT TIME ZONE 'UTC'
                             - COALESCE(c.acceptance_date, c.deposit_date, c.signed_date))) / 86400.0
                        END AS waiting_days,
                   (c.cash_date IS NULL AND COALESCE(c.acceptance_date, c.deposit_date, c.signed_date)
                        < (NOW() AT TIME ZONE 'UTC') - make_interval(days => c.stuck_after)) AS is_stuck
              FROM (
                SELECT m.id AS id,
                       m.id AS invoice_id,
                       m.company_id,
                       m.currency_id,
                       m.commercial_partner_id AS partner_id,
                       m.amount_total,
                       m.l10n_fr_pa_status AS pa_status,
                       signed.signed_date,
                       date_trunc('month', signed.signed_date)::date AS month,
                       signed.technician_id,
                       m.l10n_fr_pa_deposit_date AS deposit_date,
                       m.l10n_fr_pa_acceptance_date AS acceptance_date,
                       m.l10n_fr_pa_cash_date AS cash_date,
                       COALESCE(rc.fi_pa_stuck_days, 7) AS stuck_after
                  FROM account_move m
                  JOIN res_company rc ON rc.id = m.company_id
                  JOIN LATERAL (
                       SELECT MIN(fi.signed_date) AS signed_date,
                              (SELECT MIN(rel.user_id)
                                 FROM field_intervention_res_users_rel rel
                                WHERE rel.intervention_id = MIN(fi.id)) AS technician_id
                         FROM account_move_line aml
                         JOIN field_intervention fi ON fi.id = aml.intervention_id
                        WHERE aml.move_id = m.id
                       ) signed ON signed.signed_date IS NOT NULL
                 WHERE m.state = 'posted'
                   AND m.move_type = 'out_invoice'
                   AND m.fi_from_intervention
              ) c
            """,
            sign_to_deposit=days("c.deposit_date", "c.signed_date"),
            deposit_to_acceptance=days("c.acceptance_date", "c.deposit_date"),
            acceptance_to_cash=days("c.cash_date", "c.acceptance_date"),
            sign_to_cash=days("c.cash_date", "c.signed_date"),
        )
