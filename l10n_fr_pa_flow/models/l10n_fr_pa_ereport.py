import base64
import hashlib
import json
import uuid
from collections import defaultdict
from datetime import datetime, time, timedelta

from odoo import api, fields, models

from ..tools.ereport import (
    GOODS,
    NOT_SUBJECT,
    PAYMENTS,
    REGIME_MONTHLY,
    SERVICES,
    TRANSACTIONS,
    build_report,
    last_ended_period,
    period,
)
from ..tools.trusted import pa_trusted

# how far back the daily run looks for sales never reported (a period ended on the eve of a
# connection is reported; older history is not)
NEW_HORIZON_DAYS = 92
# how far back a reported period is restated (RE) when its sales change
CORRECTION_DAYS = 366
# an invoice written this long before a report may not have been seen by it: it is looked at again
CHANGE_MARGIN_DAYS = 1
# the flow type of a report: (kind, has unitary data, has aggregated data)
FLOW_TYPES = {
    (TRANSACTIONS, True, True): "MultiFlowReport",
    (TRANSACTIONS, True, False): "UnitaryCustomerTransactionReport",
    (TRANSACTIONS, False, True): "AggregatedCustomerTransactionReport",
    (TRANSACTIONS, False, False): "AggregatedCustomerTransactionReport",
    (PAYMENTS, True, True): "MultiFlowReport",
    (PAYMENTS, True, False): "UnitaryCustomerPaymentReport",
    (PAYMENTS, False, True): "AggregatedCustomerPaymentReport",
    (PAYMENTS, False, False): "AggregatedCustomerPaymentReport",
}
STATE_OF_FLOW = {"queued": "queued", "sent": "sent", "error": "error", "cancelled": "error"}


class L10nFrPaEreport(models.Model):
    """One e-reporting transmission of a company for one period: its sales that are not
    e-invoices (to individuals, aggregated per day, category and VAT rate; to businesses abroad,
    invoice per invoice), or the collections of its services whose VAT is due on receipt. It is
    deposited on the approved platform as a flow (syntax FRR). A period whose sales change after
    it was reported is sent again as a rectificative transmission (RE), which replaces all the
    data of the period. Written by this module's methods only (users read)."""

    _name = "l10n_fr_pa.ereport"
    _inherit = ["l10n_fr_pa.trusted.mixin", "mail.thread", "mail.activity.mixin"]  # noqa: RUF012
    _description = "E-reporting Transmission"
    _order = "date_start desc, kind, id desc"
    _rec_name = "transmission_id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    kind = fields.Selection(
        [(TRANSACTIONS, "Transactions"), (PAYMENTS, "Payments")], required=True, readonly=True, index=True
    )
    date_start = fields.Date(string="Period Start", required=True, readonly=True)
    date_end = fields.Date(string="Period End", required=True, readonly=True, index=True)
    type_code = fields.Selection(
        [("IN", "Initial"), ("RE", "Rectificative")],
        string="Type",
        required=True,
        readonly=True,
        help="A rectificative transmission replaces all the data reported before for the period.",
    )
    transmission_id = fields.Char(string="Transmission ID", required=True, readonly=True, copy=False)
    issued_at = fields.Datetime(string="Issued On", readonly=True)
    flow_id = fields.Many2one("l10n_fr_pa.flow", string="Platform Flow", readonly=True, ondelete="restrict")
    flow_type = fields.Selection(related="flow_id.flow_type")
    file = fields.Binary(related="flow_id.file")
    file_name = fields.Char(related="flow_id.file_name")
    reason_code = fields.Char(related="flow_id.reason_code")
    state = fields.Selection(
        [("draft", "Draft"), ("queued", "Queued"), ("sent", "Deposited"), ("error", "Rejected")],
        compute="_compute_state",
        store=True,
        index=True,
    )
    move_ids = fields.Many2many(
        "account.move",
        "l10n_fr_pa_ereport_move_rel",
        "ereport_id",
        "move_id",
        string="Invoices",
        readonly=True,
        help="The invoices whose sales (or collections) the transmission reports.",
    )
    amount = fields.Monetary(
        readonly=True,
        help="Transactions: the total excluding VAT reported; payments: the total collected.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    fingerprint = fields.Char(readonly=True, help="Digest of the data reported: a change means a restatement.")

    _sql_constraints = [  # noqa: RUF012
        (
            "transmission_id_unique",
            "unique(company_id, transmission_id)",
            "A transmission ID identifies one e-reporting transmission.",
        ),
    ]

    @api.depends("flow_id.state")
    def _compute_state(self):
        for report in self:
            report.state = STATE_OF_FLOW.get(report.flow_id.state, "draft")

    # ------------------------------------------------------------------
    # The daily run
    # ------------------------------------------------------------------
    @api.model
    def _cron_ereport(self, today=None):
        """Build and queue the reports of the periods that have ended (per the company's VAT
        regime), for each French company connected to a platform: a period with sales not yet
        reported gets its initial report (none when there were no sales), a reported period
        whose data changed since gets a rectificative one. The deposit cron sends them."""
        today = today or self._ereport_today()
        companies = self.env["res.company"].sudo().search([("l10n_fr_pa_enabled", "=", True)])
        reports = self.browse()
        with pa_trusted():
            for company in companies.filtered(lambda company: company._l10n_fr_pa_ready()):
                for kind in (TRANSACTIONS, PAYMENTS):
                    reports |= self.sudo()._report_company(company, kind, today)
        if reports:
            self.env.ref("l10n_fr_pa_flow.ir_cron_l10n_fr_pa_deposit")._trigger()
        return reports

    @api.model
    def _ereport_today(self, now=None):
        """The day in France (the administration's calendar), whatever the time zone of the
        scheduled action's user: just after midnight in Paris, the period that ended at midnight
        is due, though it is still the day before in UTC. ``now``: a UTC datetime (default: now)."""
        return fields.Date.context_today(self.with_context(tz="Europe/Paris"), timestamp=now or fields.Datetime.now())

    @api.model
    def _report_company(self, company, kind, today):
        regime = company.l10n_fr_pa_vat_regime or REGIME_MONTHLY
        __, last_end = last_ended_period(regime, kind, today)
        since = today - timedelta(days=NEW_HORIZON_DAYS)
        days = (
            self._sales(company, since, last_end).mapped("invoice_date")
            if kind == TRANSACTIONS
            else [day for __, day, __ in self._collections(company, since, last_end)]
        )
        reported = self.search(
            [
                ("company_id", "=", company.id),
                ("kind", "=", kind),
                ("date_end", "<=", last_end),
                ("date_end", ">=", today - timedelta(days=CORRECTION_DAYS)),
            ],
            order="id",
        )
        latest = {(report.date_start, report.date_end): report for report in reported}
        periods = {period(regime, kind, day) for day in days} - set(latest)
        periods |= self._changed_periods(company, kind, latest)
        reports = self.browse()
        for start, end in sorted(periods):
            reports |= self._report_period(company, kind, start, end, today)
        return reports

    @api.model
    def _changed_periods(self, company, kind, latest):
        """The reported periods of ``latest`` ({(start, end): last report}) whose data may have
        changed since their last report: one of its invoices, or an invoice dated (transactions)
        or collected (payments) in the period, was written after it. The others are not read
        again: the daily run costs what changed, not a year of sales. What was written before
        the previous run of the scheduled action (``lastcall``, which Odoo gives its jobs) was
        seen by that run: only what came since is read. The margin covers a transaction that
        wrote an invoice while a run was under way."""
        if not latest:
            return set()
        margin = timedelta(days=CHANGE_MARGIN_DAYS)
        since = min(report.create_date for report in latest.values())
        if lastcall := self.env.context.get("lastcall"):
            since = max(since, fields.Datetime.to_datetime(lastcall))
        changed = self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("write_date", ">", since - margin),
            ]
        )
        if not changed:
            return set()
        if kind == TRANSACTIONS:
            days = {move: [move.invoice_date] if move.invoice_date else [] for move in changed}
        else:
            days = {move: [day for day, __ in move._l10n_fr_pa_collections()] for move in changed}
        periods = set()
        for (start, end), report in latest.items():
            recent = changed.filtered(lambda move, report=report: move.write_date > report.create_date - margin)
            if recent & report.move_ids or any(start <= day <= end for move in recent for day in days[move]):
                periods.add((start, end))
        return periods

    @api.model
    def _report_period(self, company, kind, start, end, today):
        """The report of one period when it is due: never reported (with data), or changed."""
        values = self._period_values(company, kind, start, end)
        fingerprint = hashlib.sha256(
            json.dumps([values["aggregated"], values["unitary"]], default=str, sort_keys=True).encode()
        ).hexdigest()
        previous = self.search(
            [("company_id", "=", company.id), ("kind", "=", kind), ("date_start", "=", start), ("date_end", "=", end)],
            order="id desc",
        )
        if previous[:1].fingerprint == fingerprint or not (previous or values["moves"]):
            return self.browse()
        type_code = "RE" if previous.filtered(lambda report: report.state in ("queued", "sent")) else "IN"
        if type_code == "IN" and not values["moves"]:
            return self.browse()  # nothing was reported, nothing to report: no empty report
        siren = company.partner_id._l10n_fr_siren() or ""
        letter = "T" if kind == TRANSACTIONS else "P"
        transmission_id = f"ER-{siren}-{start:%Y%m%d}-{end:%Y%m%d}-{letter}-{type_code}{len(previous) + 1}"
        issued_at = fields.Datetime.now()
        if issued_at.date() < today:  # a run for a day to come (tests): issued on that day
            issued_at = datetime.combine(today, time(6, 0))
        header = {
            "id": transmission_id,
            "name": transmission_id.replace("-", "_"),
            "issued_at": issued_at,
            "type_code": type_code,
            # the declarant sends through its platform, which sets itself as the sender (0238)
            "sender_id": siren,
            "sender_scheme": "0002",
            "sender_name": company.name,
            "sender_role": "SE",
            "siren": siren,
            "company_name": company.name,
        }
        content = build_report(header, kind, start, end, values["aggregated"], values["unitary"])
        flow_type = FLOW_TYPES[(kind, bool(values["unitary"]), bool(values["aggregated"]))]
        flow = (
            self.env["l10n_fr_pa.flow"]
            .sudo()
            .create(
                {
                    "company_id": company.id,
                    "flow_type": flow_type,
                    "processing_rule": "NotApplicable",
                    "flow_syntax": "FRR",
                    "tracking_id": str(uuid.uuid4()),
                    "file_name": f"{header['name']}.xml",
                    "file": base64.b64encode(content),
                    "sha256": hashlib.sha256(content).hexdigest(),
                }
            )
        )
        return self.create(
            {
                "company_id": company.id,
                "kind": kind,
                "date_start": start,
                "date_end": end,
                "type_code": type_code,
                "transmission_id": transmission_id,
                "issued_at": issued_at,
                "flow_id": flow.id,
                "move_ids": [fields.Command.set(values["moves"].ids)],
                "amount": values["amount"],
                "fingerprint": fingerprint,
            }
        )

    def _deposit_rejected(self, flow):
        """The platform refused the transmission: billing is told why, with an activity (a
        rejected report is not sent again by itself; a change of the period's data is)."""
        for report in self.sudo():
            user = report.company_id._l10n_fr_pa_billing_user()
            reason = flow._reason_label(flow.reason_code)
            body = self.env._(
                "The approved platform refused the e-reporting transmission %(transmission)s (%(code)s): "
                "%(reason)s %(message)s",
                transmission=report.transmission_id,
                code=flow.reason_code,
                reason=reason,
                message=flow.reason_message or "",
            )
            report.message_post(body=body, message_type="notification", subtype_xmlid="mail.mt_note")
            report.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("E-reporting refused: %(transmission)s", transmission=report.transmission_id),
                note=body,
                user_id=user.id or self.env.uid,
            )

    # ------------------------------------------------------------------
    # What a period holds
    # ------------------------------------------------------------------
    @api.model
    def _sales(self, company, start, end):
        """The posted invoices and credit notes of the period that are e-reported, not
        e-invoiced: to individuals (B2C) and to businesses abroad (B2BINT)."""
        moves = self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
                ("invoice_date", ">=", start),
                ("invoice_date", "<=", end),
            ],
            order="invoice_date, name, id",
        )
        return moves.filtered(lambda move: move._l10n_fr_einvoicing_treatment() in ("B2C", "B2BINT"))

    @api.model
    def _collections(self, company, start, end):
        """[(invoice, date, amount in company currency)]: the collections of the period of the
        e-reported invoices whose services owe their VAT on receipt of payment."""
        invoices = self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "!=", "not_paid"),
                ("invoice_date", "<=", end),
                ("invoice_date", ">=", start - timedelta(days=CORRECTION_DAYS)),
            ],
            order="invoice_date, name, id",
        )
        return [
            (invoice, day, value)
            for invoice in invoices
            if invoice._l10n_fr_einvoicing_treatment() in ("B2C", "B2BINT") and invoice._l10n_fr_vat_on_receipts()
            for day, value in invoice._l10n_fr_pa_collections()
            if start <= day <= end
        ]

    @api.model
    def _period_values(self, company, kind, start, end):
        """{'aggregated', 'unitary', 'moves', 'amount'} of the report of one period."""
        if kind == TRANSACTIONS:
            moves = self._sales(company, start, end)
            b2c = moves.filtered(lambda move: move._l10n_fr_einvoicing_treatment() == "B2C")
            aggregated = self._aggregate_sales(company, b2c)
            unitary = [move._l10n_fr_pa_ereport_invoice() for move in moves - b2c]
            total = sum(base for values in aggregated for __, base, __ in values["subtotals"])
            total += sum(move.amount_untaxed_signed for move in moves - b2c)
            return {"aggregated": aggregated, "unitary": unitary, "moves": moves, "amount": total}
        collections = self._collections(company, start, end)
        by_day = defaultdict(lambda: defaultdict(float))
        by_invoice = defaultdict(lambda: defaultdict(float))
        for invoice, day, value in collections:
            shares = invoice._l10n_fr_pa_receipt_shares()
            target = by_day[day] if invoice._l10n_fr_einvoicing_treatment() == "B2C" else by_invoice[(invoice, day)]
            for tax_rate, share in shares.items():
                target[tax_rate] += value * share
        currency = company.currency_id
        aggregated = [
            {"date": day, "subtotals": [(r, currency.round(v)) for r, v in sorted(rates.items(), reverse=True)]}
            for day, rates in sorted(by_day.items())
        ]
        unitary = [
            {
                "number": invoice.name,
                "issue_date": invoice.invoice_date,
                "date": day,
                "subtotals": [(r, currency.round(v)) for r, v in sorted(rates.items(), reverse=True)],
            }
            for (invoice, day), rates in sorted(by_invoice.items(), key=lambda item: (item[0][1], item[0][0].id))
        ]
        moves = self.env["account.move"].concat(*(invoice for invoice, __, __ in collections))
        total = sum(value for __, __, value in collections)
        return {"aggregated": aggregated, "unitary": unitary, "moves": moves, "amount": total}

    @api.model
    def _aggregate_sales(self, company, moves):
        """10.3: the sales of ``moves`` per day, category (goods TLB1, services TPS1, not subject
        to French VAT TNT1) and VAT rate, in the company's currency (credit notes negative)."""
        groups = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
        invoices = defaultdict(set)
        currency = company.currency_id
        for move in moves:
            services = move._l10n_fr_service_lines()
            debits = move._l10n_fr_vat_on_debits()
            for line in move.invoice_line_ids.filtered(lambda line: line.display_type == "product"):
                taxes = line.tax_ids.flatten_taxes_hierarchy().filtered(lambda tax: tax.amount_type == "percent")
                tax_rate = sum(taxes.mapped("amount"))
                if not tax_rate:
                    category = NOT_SUBJECT
                else:
                    category = SERVICES if line in services else GOODS
                base = -line.balance
                tax = (
                    (line.price_total - line.price_subtotal) * base / line.price_subtotal
                    if line.price_subtotal
                    else 0.0
                )
                key = (move.invoice_date, currency.name, category, "5" if category == SERVICES and debits else "")
                groups[key][tax_rate][0] += base
                groups[key][tax_rate][1] += tax
                invoices[key].add(move.id)
        return [
            {
                "date": day,
                "currency": currency_name,
                "category": category,
                "due_code": due_code,
                "count": len(invoices[(day, currency_name, category, due_code)]),
                "subtotals": [
                    (tax_rate, currency.round(base), currency.round(tax))
                    for tax_rate, (base, tax) in sorted(rates.items(), reverse=True)
                ],
            }
            for (day, currency_name, category, due_code), rates in sorted(groups.items())
        ]
