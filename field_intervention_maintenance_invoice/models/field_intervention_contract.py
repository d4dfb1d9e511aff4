from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, formatLang

from odoo.addons.field_intervention.tools.trusted_write import trusted_write

# months of one fee period
FEE_PERIOD_MONTHS = {"yearly": 12, "quarterly": 3, "monthly": 1}
# the terms that draw the grid of the fee periods: fixed once a period is invoiced
FEE_GRID_FIELDS = frozenset({"date_start", "fee_period"})


class FieldInterventionContract(models.Model):
    """The contract's fee, invoiced period by period by a scheduled action (each period at its
    start: a yearly fee in advance for the contract year, a quarterly or monthly one at the
    start of the quarter or month), and credited for its unused part when the contract is
    terminated within an invoiced period."""

    _inherit = "field.intervention.contract"

    fee_ids = fields.One2many(
        "field.intervention.contract.fee",
        "contract_id",
        string="Fee Periods",
        readonly=True,
        groups="account.group_account_invoice,field_intervention.group_field_intervention_manager",
    )
    fee_count = fields.Integer(string="Fee Invoices", compute="_compute_fee_count")

    def _compute_fee_count(self):
        Fee = self.env["field.intervention.contract.fee"]
        # the technicians read the contracts, not their invoicing: no count for them
        counts = (
            dict(Fee._read_group([("contract_id", "in", self.ids)], ["contract_id"], ["__count"]))
            if Fee.has_access("read")
            else {}
        )
        for contract in self:
            contract.fee_count = counts.get(contract, 0)

    def write(self, vals):
        if FEE_GRID_FIELDS.intersection(vals) and self.ids:
            invoiced = (
                self.env["field.intervention.contract.fee"]
                .sudo()
                ._read_group([("contract_id", "in", self.ids)], ["contract_id"])
            )
            if invoiced:
                raise UserError(
                    self.env._(
                        "Contract %(name)s has invoiced fee periods: its start date and billing period can "
                        "no longer change (terminate it and make a new contract).",
                        name=invoiced[0][0].sudo().name,
                    )
                )
        return super().write(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_terminate(self):
        """End the contract today; the unused part of a fee period invoiced in advance is
        credited (a draft credit note, or the draft invoice reduced)."""
        res = super().action_terminate()
        # the dispatcher's termination was checked above; the fee periods and the invoices are
        # the application's (the dispatcher has no accounting rights)
        contracts_sudo = self.sudo()
        for contract_sudo in contracts_sudo:
            contract_sudo._fi_credit_unused_fees(contract_sudo.date_terminated)
        return res

    @api.readonly
    def action_view_fees(self):
        """Open the fee periods of the contract and their invoices."""
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "field_intervention_maintenance_invoice.field_intervention_contract_fee_action"
        )
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Fee periods
    # ------------------------------------------------------------------
    def _fi_fee_periods(self, today, after=None):
        """[(start, end, amount)] of the fee periods of the contract that have started by
        ``today``, after the period starting on ``after`` (the last one invoiced).

        Periods follow each other from the contract's start date (each computed from it, so
        that a period starting on the 31st keeps its day). A contract that does not renew (no
        tacit renewal, or the customer refused it) stops at its end date: a last period cut by
        it is billed prorated by days."""
        self.ensure_one()
        months = FEE_PERIOD_MONTHS.get(self.fee_period, 12)
        last_day = None if self._fi_renews() else self.date_end
        periods = []
        index = 0
        if after:
            # jump to the period after ``after`` without walking the contract's history
            elapsed = relativedelta(after, self.date_start)
            index = max((elapsed.years * 12 + elapsed.months) // months, 0)
        while True:
            start = self.date_start + relativedelta(months=index * months)
            index += 1
            if start > today or (last_day and start > last_day):
                break
            if after and start <= after:
                continue
            end = self.date_start + relativedelta(months=index * months, days=-1)
            amount = self.fee_amount
            if last_day and end > last_day:
                amount = self._fi_prorate(amount, start, end, (last_day - start).days + 1)
                end = last_day
            periods.append((start, end, amount))
        return periods

    def _fi_prorate(self, amount, start, end, days):
        """``amount`` of the period [start, end] for ``days`` of it, rounded in the currency."""
        period_days = (end - start).days + 1
        return self.currency_id.round(amount * days / period_days)

    def _fi_fee_candidates(self, today):
        """[(contract, start, end, amount)] of the periods of the running contracts that have
        started and are not invoiced: one read of the last invoiced period of all of them."""
        running = self.filtered(lambda contract: contract.state == "running" and contract.fee_amount > 0)
        if not running:
            return []
        last = dict(
            self.env["field.intervention.contract.fee"]
            .sudo()
            ._read_group([("contract_id", "in", running.ids)], ["contract_id"], ["period_start:max"])
        )
        return [
            (contract, start, end, amount)
            for contract in running
            for start, end, amount in contract._fi_fee_periods(today, after=last.get(contract))
        ]

    @api.model
    def _cron_fi_invoice_fees(self, batch_size=200):
        """Scheduled action: the draft invoice of each started fee period, once, by batches
        (the cron framework commits after each call and calls again while periods remain)."""
        contracts = self.search([("state", "=", "running")])
        fees, remaining = contracts._fi_invoice_fees(limit=batch_size)
        self.env["ir.cron"]._notify_progress(done=len(fees), remaining=remaining)

    def _fi_invoice_fees(self, today=None, limit=None):
        """Record the started, not invoiced fee periods of the running contracts and create
        their draft customer invoices.

        Exactly once: the periods are inserted first, on their unique (contract, period start);
        only the transaction that inserted a period creates its invoice (a second run, or a
        second worker at the same time, inserts nothing and creates nothing).

        :param today: the clock (the company's today by default)
        :param limit: at most this many periods (the rest: the next call)
        :return: (the new fee periods, how many periods remain)
        """
        today = today or fields.Date.context_today(self)
        # a new contract year is billed at its revised fee: the revision due at its anniversary
        # first (once per anniversary, as the renewals' scheduled action does it)
        self.filtered(lambda contract: contract.state == "running")._fi_revise_prices(today)
        # the periods of a contract ending today are still invoiced: read before it expires
        candidates = self._fi_fee_candidates(today)
        self._fi_expire(today)
        batch = candidates[:limit] if limit else candidates
        fees = self.env["field.intervention.contract.fee"].sudo()._fi_insert(batch)
        if fees:
            fees._fi_create_invoices(today)
        return fees, len(candidates) - len(batch)

    def _fi_fee_lang(self):
        self.ensure_one()
        return self.partner_id.lang or self.env.lang or "en_US"

    def _fi_fee_product(self):
        """The product of the fee invoices: the company's setting, else the one this addon ships."""
        self.ensure_one()
        return self.company_id.fi_contract_fee_product_id or self.env.ref(
            "field_intervention_maintenance_invoice.product_contract_fee"
        )

    def _prepare_invoice(self, fee, today):
        """Values of the draft invoice of one fee period (hook, as OCA ``contract``)."""
        self.ensure_one()
        company = self.company_id
        return {
            "move_type": "out_invoice",
            "company_id": company.id,
            "partner_id": self.partner_id.id,
            "currency_id": company.currency_id.id,
            "invoice_date": today,
            "invoice_origin": self.name,
            "ref": self.name,
            # whom the customer deals with about the invoice: the billing clerk, else the
            # project's manager; never the scheduled action's user
            "invoice_user_id": (company.fi_billing_user_id or self.project_id.user_id).id,
            "invoice_line_ids": [Command.create(self._prepare_invoice_line(fee))],
        }

    def _prepare_invoice_line(self, fee):
        """Values of the invoice line of one fee period (hook, as OCA ``contract``): the fee
        product (its income account and taxes, mapped by the customer's fiscal position by the
        invoice itself; the company's sales tax if the product has none of the company), the
        period in the customer's language."""
        self.ensure_one()
        product = self._fi_fee_product()
        vals = {
            "display_type": "product",
            "product_id": product.id,
            "name": self._fi_fee_label(fee.period_start, fee.period_end),
            "quantity": 1.0,
            "price_unit": fee.amount,
        }
        company = self.company_id
        if not product.taxes_id._filter_taxes_by_company(company):
            # the shipped product of a company created after it: the company's sales tax
            fiscal_position = (
                self.env["account.fiscal.position"].with_company(company)._get_fiscal_position(self.partner_id)
            )
            vals["tax_ids"] = [Command.set(fiscal_position.map_tax(company.account_sale_tax_id).ids)]
        analytic = self.project_id.account_id
        if analytic:
            vals["analytic_distribution"] = {str(analytic.id): 100.0}
        return vals

    def _fi_fee_label(self, start, end):
        """'Contrat CTR/2027/0001 – période du 01/01/2027 au 31/12/2027' in the customer's language."""
        self.ensure_one()
        lang = self._fi_fee_lang()
        env = self.with_context(lang=lang).env
        return env._(
            "Contract %(number)s – period from %(start)s to %(end)s",
            number=self.name,
            start=format_date(env, start, lang_code=lang),
            end=format_date(env, end, lang_code=lang),
        )

    # ------------------------------------------------------------------
    # Termination: the unused part of an invoiced period
    # ------------------------------------------------------------------
    def _fi_credit_unused_fees(self, date):
        """Credit the part after ``date`` (the last day used) of the invoiced fee periods of
        the contract, once: the periods are locked, and one already credited is skipped.

        - posted invoice: a draft credit note (core's reversal of the invoice, its line set
          to the unused part);
        - draft invoice: it has not left, so it is reduced to the used part (cancelled if
          nothing of the period was used) rather than doubled by a credit note;
        - cancelled invoice: nothing to credit.

        :return: the credit notes created
        """
        self.ensure_one()
        fees = (
            self.env["field.intervention.contract.fee"]
            .sudo()
            .search(
                [
                    ("contract_id", "=", self.id),
                    ("period_end", ">", date),
                    ("move_id", "!=", False),
                    ("refund_id", "=", False),
                    ("refund_amount", "=", 0.0),
                ]
            )
        )
        fees = fees._fi_lock().filtered(lambda fee: not fee.refund_id and not fee.refund_amount)
        refunds = self.env["account.move"]
        for fee in fees:
            first_unused = max(date + relativedelta(days=1), fee.period_start)
            unused_days = (fee.period_end - first_unused).days + 1
            credit = self._fi_prorate(fee.amount, fee.period_start, fee.period_end, unused_days)
            if self.currency_id.is_zero(credit):
                continue
            invoice = fee.move_id
            if invoice.state == "posted":
                refund = self._fi_create_fee_refund(fee, invoice, first_unused, credit, date)
                refunds |= refund
                with trusted_write():
                    fee.write({"refund_id": refund.id, "refund_amount": credit})
            elif invoice.state == "draft":
                self._fi_reduce_draft_invoice(fee, invoice, credit, date)
                with trusted_write():
                    fee.write({"refund_amount": credit})
        return refunds

    def _fi_create_fee_refund(self, fee, invoice, first_unused, credit, date):
        """The draft credit note of the unused part of a posted fee invoice."""
        lang = self._fi_fee_lang()
        env = self.with_context(lang=lang).env
        label = env._(
            "Contract %(number)s – unused part from %(start)s to %(end)s (terminated on %(date)s)",
            number=self.name,
            start=format_date(env, first_unused, lang_code=lang),
            end=format_date(env, fee.period_end, lang_code=lang),
            date=format_date(env, date, lang_code=lang),
        )
        refund = invoice.with_company(invoice.company_id)._reverse_moves(
            [
                {
                    "invoice_date": date,
                    "ref": env._("Reversal of: %(invoice)s", invoice=invoice.name),
                    "invoice_origin": self.name,
                }
            ],
            cancel=False,
        )
        product_lines = refund.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        if product_lines:
            first, others = product_lines[0], product_lines[1:]
            commands = [Command.update(first.id, {"name": label, "quantity": 1.0, "price_unit": credit})]
            commands += [Command.delete(line.id) for line in others]
            refund.write({"invoice_line_ids": commands})
        return refund

    def _fi_reduce_draft_invoice(self, fee, invoice, credit, date):
        """A draft fee invoice (never sent) bills only the used part of its period, up to the
        termination date (its line says so); nothing used: it is cancelled."""
        used = self.currency_id.round(fee.amount - credit)
        lang = self._fi_fee_lang()
        env = self.with_context(lang=lang).env
        message = env._(
            "Contract %(number)s terminated on %(date)s: this draft invoice bills only the part of the period "
            "used (%(credit)s less).",
            number=self.name,
            date=format_date(env, date, lang_code=lang),
            credit=formatLang(env, credit, currency_obj=self.currency_id),
        )
        if self.currency_id.is_zero(used):
            invoice.button_cancel()
        else:
            line = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")[:1]
            if line:
                label = self._fi_fee_label(fee.period_start, date)
                invoice.write({"invoice_line_ids": [Command.update(line.id, {"name": label, "price_unit": used})]})
        invoice.message_post(body=message)
