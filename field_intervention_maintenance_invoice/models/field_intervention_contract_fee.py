import logging
from collections import defaultdict

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.tools import SQL, format_date

from odoo.addons.field_intervention.tools.trusted_write import trusted_write

_logger = logging.getLogger(__name__)


class FieldInterventionContractFee(models.Model):
    """One billed period of a maintenance contract's fee: the evidence that the period was
    invoiced, once. Inserted by the fee invoicing only (unique per contract and period start),
    then linked to its draft invoice; a termination links the credit note of the unused part.
    Nobody creates, changes or deletes one by hand."""

    _name = "field.intervention.contract.fee"
    _description = "Maintenance Contract Fee Period"
    _inherit = ["field.intervention.protected.mixin"]  # noqa: RUF012
    _order = "period_start desc, id desc"
    _check_company_auto = True
    _rec_name = "contract_name"

    contract_id = fields.Many2one("field.intervention.contract", required=True, readonly=True, ondelete="restrict")
    contract_name = fields.Char(related="contract_id.name", string="Contract Number")
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(related="contract_id.partner_id", string="Customer")
    period_start = fields.Date(required=True, readonly=True)
    period_end = fields.Date(required=True, readonly=True)
    amount = fields.Monetary(
        readonly=True, help="Fee of the period, excluding tax (prorated when the contract ends within it)."
    )
    move_id = fields.Many2one(
        "account.move", string="Invoice", readonly=True, index="btree_not_null", ondelete="set null", copy=False
    )
    refund_id = fields.Many2one(
        "account.move", string="Credit Note", readonly=True, index="btree_not_null", ondelete="set null", copy=False
    )
    refund_amount = fields.Monetary(string="Credited", readonly=True, help="Unused part credited at termination.")
    # shown to the dispatcher, who reads no invoice (related fields are read as the application)
    invoice_name = fields.Char(related="move_id.name", string="Invoice Number")
    invoice_state = fields.Selection(related="move_id.state", string="Invoice Status")
    refund_name = fields.Char(related="refund_id.name", string="Credit Note Number")

    _sql_constraints = [  # noqa: RUF012
        # one invoice per contract period: the exactly-once of the scheduled action
        (
            "period_unique",
            "UNIQUE(contract_id, period_start)",
            "This period of the contract is already invoiced.",
        ),
        ("period_order", "CHECK(period_end >= period_start)", "A fee period cannot end before it starts."),
    ]

    @api.depends("contract_name", "period_start", "period_end")
    def _compute_display_name(self):
        for fee in self:
            fee.display_name = self.env._(
                "%(contract)s: %(start)s - %(end)s",
                contract=fee.contract_name or "",
                start=format_date(self.env, fee.period_start),
                end=format_date(self.env, fee.period_end),
            )

    def _fi_protected_hint(self):
        return self.env._("the fee periods are recorded by the fee invoicing only.")

    @api.model
    def _fi_insert(self, candidates):
        """Insert the fee periods of ``candidates`` [(contract, start, end, amount)] that do not
        exist yet, in one ``INSERT ... ON CONFLICT DO NOTHING`` on the unique (contract, period
        start): a period another transaction (a second worker) inserts at the same time is
        waited for, then skipped. If that transaction committed after this one's snapshot,
        PostgreSQL (repeatable read) refuses the statement as a serialization failure: those
        periods are the other worker's, and this call inserts none (the next run takes any
        other candidate of the statement).

        :return: the fee periods this call inserted
        """
        if not candidates:
            return self.browse()
        self.env.flush_all()
        query = SQL(
            """
            INSERT INTO field_intervention_contract_fee (contract_id, company_id, period_start, period_end, amount,
                                                         create_uid, create_date, write_uid, write_date)
                 SELECT contract.id, contract.company_id, candidate.period_start, candidate.period_end,
                        candidate.amount,
                        %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
                   FROM unnest(%(contracts)s::int[], %(starts)s::date[], %(ends)s::date[], %(amounts)s::numeric[])
                        AS candidate(contract_id, period_start, period_end, amount)
                   JOIN field_intervention_contract contract ON contract.id = candidate.contract_id
            ON CONFLICT (contract_id, period_start) DO NOTHING
              RETURNING id
            """,
            uid=self.env.uid,
            contracts=[contract.id for contract, __, __, __ in candidates],
            starts=[start for __, start, __, __ in candidates],
            ends=[end for __, __, end, __ in candidates],
            amounts=[amount for __, __, __, amount in candidates],
        )
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
                ids = [row[0] for row in self.env.cr.fetchall()]
        except SerializationFailure:
            _logger.info(
                "Fee periods of contracts %s invoiced by a concurrent transaction.",
                sorted({contract.id for contract, __, __, __ in candidates}),
            )
            return self.browse()
        # inserted in SQL: the cached lists of fee periods of the contracts are stale
        self.env["field.intervention.contract"].invalidate_model(["fee_ids", "fee_count"])
        return self.browse(ids)

    def _fi_lock(self):
        """Lock the fee periods for this transaction; one that a concurrent transaction changed
        after this one's snapshot raises a serialization failure (the request is retried)."""
        if self:
            self.env.flush_all()
            self.env.cr.execute(
                SQL("SELECT id FROM field_intervention_contract_fee WHERE id IN %s FOR NO KEY UPDATE", tuple(self.ids))
            )
            self.invalidate_recordset()
        return self

    def _fi_create_invoices(self, today):
        """The draft invoices of the fee periods, in one ``create`` per company; each period
        gets its invoice."""
        by_company = defaultdict(lambda: self.browse())
        for fee in self:
            by_company[fee.company_id] |= fee
        Move = self.env["account.move"]
        for company, fees in by_company.items():
            vals_list = [fee.contract_id._prepare_invoice(fee, today) for fee in fees]
            moves = (
                Move.with_company(company)
                .with_context(default_move_type="out_invoice", tracking_disable=True)
                .create(vals_list)
            )
            with trusted_write():
                for fee, move in zip(fees, moves, strict=True):
                    fee.move_id = move
        return self.move_id
