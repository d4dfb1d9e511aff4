from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_amount, format_date

from odoo.addons.field_intervention.tools.trusted_write import trusted_write

# the terms of the contract: the dispatcher writes them while the contract is a draft or runs
CONTRACT_USER_FIELDS = frozenset(
    {
        "partner_id",
        "site_ids",
        "project_id",
        "user_id",
        "line_ids",
        "date_start",
        "duration_months",
        "tacit_renewal",
        "include_labour",
        "include_travel",
        "parts_policy",
        "covered_product_ids",
        "fee_period",
        "fee_amount",
        "note",
        "responsible_id",
        "notice_days",
        "price_revision",
        "revision_percentage",
        "revision_index_id",
    }
)
MANAGER_GROUP = "field_intervention.group_field_intervention_manager"
FIELD_SERVICE_GROUP = "field_intervention.group_field_intervention_technician"
PARTS_POLICIES = [("none", "No parts"), ("listed", "Listed parts"), ("all", "All parts")]
FEE_PERIODS_PER_YEAR = {"yearly": 1, "quarterly": 4, "monthly": 12}
# Code de la consommation L215-1: the consumer is told at the earliest three months and at the
# latest one month before the end of the period in which they may refuse the renewal
NOTICE_EARLIEST = relativedelta(months=3)
NOTICE_LATEST = relativedelta(months=1)
# a business customer: the contract's responsible is reminded one month before the deadline
BUSINESS_REMINDER = relativedelta(months=1)


class FieldInterventionContract(models.Model):
    """A maintenance contract: the customer's equipment serviced at a periodicity, what the
    contract includes and its price. Its status moves only through its actions."""

    _name = "field.intervention.contract"
    _description = "Maintenance Contract"
    _inherit = ["field.intervention.protected.mixin", "mail.thread", "mail.activity.mixin"]  # noqa: RUF012
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Number", required=True, copy=False, readonly=True, default="/", index="trigram")
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, tracking=True, check_company=True
    )
    site_ids = fields.Many2many(
        "res.partner",
        "field_intervention_contract_site_rel",
        "contract_id",
        "site_id",
        string="Sites",
        check_company=True,
        help="Addresses of the customer covered by the contract.",
    )
    project_id = fields.Many2one(
        "project.project",
        string="Field Service Project",
        required=True,
        check_company=True,
        domain="[('is_field_service', '=', True)]",
        help="Project of the missions of the contract's visits.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Default Technician",
        domain="[('share', '=', False)]",
        help="Technician assigned to the planned visits (the dispatcher can change them).",
    )
    line_ids = fields.One2many("field.intervention.contract.line", "contract_id", string="Equipment", copy=True)
    date_start = fields.Date(string="Start Date", required=True, default=fields.Date.context_today, tracking=True)
    duration_months = fields.Integer(string="Duration (months)", default=12, required=True)
    date_end = fields.Date(string="End Date", compute="_compute_date_end", store=True)
    tacit_renewal = fields.Boolean(
        default=True, help="The contract renews itself at its end for the same duration, unless terminated."
    )
    include_labour = fields.Boolean(string="Labour Included", default=True)
    include_travel = fields.Boolean(string="Travel Included", default=True)
    parts_policy = fields.Selection(
        PARTS_POLICIES,
        string="Parts Included",
        default="none",
        required=True,
    )
    covered_product_ids = fields.Many2many(
        "product.product",
        "field_intervention_contract_product_rel",
        "contract_id",
        "product_id",
        string="Covered Parts",
        check_company=True,
    )
    fee_period = fields.Selection(
        [("yearly", "Yearly, in advance"), ("quarterly", "Quarterly"), ("monthly", "Monthly")],
        string="Billing Period",
        default="yearly",
        required=True,
    )
    fee_amount = fields.Monetary(string="Fee per Period", help="Price excluding tax billed each period.")
    fee_yearly = fields.Monetary(string="Yearly Fee", compute="_compute_fee_yearly")
    note = fields.Html(string="Terms")
    state = fields.Selection(
        [("draft", "Draft"), ("running", "Running"), ("terminated", "Terminated"), ("expired", "Expired")],
        string="Status",
        required=True,
        default="draft",
        copy=False,
        tracking=True,
        index=True,
    )
    date_terminated = fields.Date(string="Termination Date", copy=False, readonly=True, tracking=True)
    # the planning is the field service's: billing reads a visit's contract, not its visits
    visit_ids = fields.One2many(
        "field.intervention.visit", "contract_id", string="Visits", readonly=True, groups=FIELD_SERVICE_GROUP
    )
    visit_count = fields.Integer(compute="_compute_visit_count", groups=FIELD_SERVICE_GROUP)
    responsible_id = fields.Many2one(
        "res.users",
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        tracking=True,
        help="Dispatcher following the contract: renewal reminders and price revision warnings are for them.",
    )
    # renewal (tacit renewal, Code de la consommation L215-1 for consumers)
    notice_days = fields.Integer(
        string="Cancellation Notice (days)",
        default=30,
        help="The customer refuses the renewal at the latest this many days before the end date.",
    )
    renewal_count = fields.Integer(
        string="Renewals", default=0, copy=False, readonly=True, help="Terms the contract renewed for."
    )
    renewal_deadline = fields.Date(
        string="Refuse Renewal By",
        compute="_compute_renewal_deadline",
        store=True,
        help="Last day on which the customer may refuse the renewal of the current term.",
    )
    is_consumer = fields.Boolean(
        string="Consumer",
        compute="_compute_is_consumer",
        help="The customer is an individual (not a company, no VAT number, no SIRET or company "
        "registry): the renewal notice of the Code de la consommation (L215-1) is sent to them.",
    )
    renewal_notice_sent_for = fields.Date(
        copy=False,
        readonly=True,
        help="End date of the term whose renewal notice (consumer) or reminder (business) was issued.",
    )
    renewal_refused_date = fields.Date(
        string="Renewal Refused On",
        copy=False,
        readonly=True,
        tracking=True,
        help="The customer refused the renewal: the contract ends at its end date.",
    )
    # yearly price revision
    price_revision = fields.Selection(
        [("none", "None"), ("percentage", "Fixed percentage"), ("index", "Price index")],
        default="none",
        required=True,
        help="How the fee is revised at each anniversary of the contract.",
    )
    revision_percentage = fields.Float(string="Revision (%)", digits=(16, 2))
    revision_index_id = fields.Many2one(
        "field.intervention.price.index",
        string="Base Index",
        ondelete="restrict",
        help="Value of the index the current fee is based on: at the anniversary, the fee is "
        "multiplied by the value of the same index twelve months later divided by this one.",
    )
    revision_index_value = fields.Float(string="Base Index Value", related="revision_index_id.value", digits=(16, 4))
    price_revision_date = fields.Date(
        string="Last Price Revision", copy=False, readonly=True, help="Anniversary of the last revision of the fee."
    )
    price_revision_next = fields.Date(string="Next Price Revision", compute="_compute_price_revision_next")
    price_revision_missing_for = fields.Date(
        string="Revision Waiting For Index",
        copy=False,
        readonly=True,
        help="Anniversary whose revision waits for an index value not entered yet.",
    )
    fee_revised = fields.Monetary(
        string="Revised Fee per Period",
        compute="_compute_fee_revised",
        help="Fee per period after the next price revision, when it is known already.",
    )
    fee_yearly_revised = fields.Monetary(string="Revised Yearly Fee", compute="_compute_fee_revised")

    _sql_constraints = [  # noqa: RUF012
        ("duration_positive", "CHECK(duration_months > 0)", "The duration of a contract must be positive."),
        ("fee_positive", "CHECK(fee_amount >= 0)", "The fee of a contract cannot be negative."),
        ("notice_days_positive", "CHECK(notice_days >= 0)", "The cancellation notice cannot be negative."),
    ]

    @api.depends("date_start", "duration_months", "renewal_count")
    def _compute_date_end(self):
        """End of the current term: each renewal adds the contract's duration."""
        for contract in self:
            contract.date_end = (
                contract.date_start
                + relativedelta(months=contract.duration_months * (contract.renewal_count + 1), days=-1)
                if contract.date_start and contract.duration_months > 0
                else False
            )

    @api.depends("date_end", "notice_days")
    def _compute_renewal_deadline(self):
        for contract in self:
            contract.renewal_deadline = (
                contract.date_end - relativedelta(days=contract.notice_days) if contract.date_end else False
            )

    @api.depends("partner_id.commercial_partner_id.is_company", "partner_id.commercial_partner_id.vat")
    def _compute_is_consumer(self):
        for contract in self:
            contract.is_consumer = contract.partner_id._fi_is_consumer() if contract.partner_id else False

    @api.depends("fee_period", "fee_amount")
    def _compute_fee_yearly(self):
        for contract in self:
            contract.fee_yearly = contract.fee_amount * FEE_PERIODS_PER_YEAR.get(contract.fee_period, 1)

    @api.depends("date_start", "price_revision_date", "price_revision")
    def _compute_price_revision_next(self):
        for contract in self:
            contract.price_revision_next = (
                contract._fi_anniversaries_after(contract.price_revision_date or contract.date_start, limit=1)[0]
                if contract.price_revision != "none" and contract.date_start
                else False
            )

    @api.depends(
        "fee_amount", "fee_period", "price_revision", "revision_percentage", "revision_index_id", "currency_id"
    )
    def _compute_fee_revised(self):
        revised = self._fi_revised_fees()
        for contract in self:
            fee = revised.get(contract, (0.0, False))[0]
            contract.fee_revised = fee
            contract.fee_yearly_revised = fee * FEE_PERIODS_PER_YEAR.get(contract.fee_period, 1)

    @api.constrains("notice_days", "duration_months")
    def _check_notice_days(self):
        for contract in self:
            if not contract.date_start:
                continue
            term_days = (
                contract.date_start + relativedelta(months=contract.duration_months) - contract.date_start
            ).days
            if contract.notice_days and contract.notice_days >= term_days:
                raise ValidationError(
                    self.env._("The cancellation notice of %(name)s is longer than its term.", name=contract.name)
                )

    @api.constrains("price_revision", "revision_percentage", "revision_index_id")
    def _check_price_revision(self):
        for contract in self:
            if contract.price_revision == "index" and not contract.revision_index_id:
                raise ValidationError(
                    self.env._("Contract %(name)s is revised by an index: choose its base index.", name=contract.name)
                )
            if contract.price_revision == "percentage" and contract.revision_percentage <= -100:
                raise ValidationError(self.env._("A revision percentage must be above -100%."))

    def _compute_visit_count(self):
        counts = dict(
            self.env["field.intervention.visit"]._read_group(
                [("contract_id", "in", self.ids)], ["contract_id"], ["__count"]
            )
        )
        for contract in self:
            contract.visit_count = counts.get(contract, 0)

    @api.constrains("partner_id", "site_ids")
    def _check_sites(self):
        for contract in self:
            customer = contract.partner_id.commercial_partner_id
            foreign = contract.site_ids.filtered(lambda site, customer=customer: site.commercial_partner_id != customer)
            if foreign:
                raise ValidationError(
                    self.env._(
                        "%(sites)s are not addresses of %(customer)s.",
                        sites=", ".join(foreign.mapped("display_name")),
                        customer=customer.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        contracts = super().create(vals_list)
        with trusted_write():
            for contract in contracts.filtered(lambda rec: rec.name == "/"):
                contract.name = (
                    self.env["ir.sequence"]
                    .with_company(contract.company_id)
                    .next_by_code("field.intervention.contract")
                    or "/"
                )
        return contracts

    def write(self, vals):
        if CONTRACT_USER_FIELDS.intersection(vals):
            self._fi_check_terms_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_started(self):
        if any(contract.state != "draft" for contract in self):
            raise UserError(self.env._("Only draft contracts can be deleted: terminate the contract instead."))

    # ------------------------------------------------------------------
    # Protected fields (field.intervention.protected.mixin)
    # ------------------------------------------------------------------
    def _fi_user_fields(self):
        fields_ = super()._fi_user_fields()
        if self.env.user.has_group(MANAGER_GROUP):
            fields_ |= CONTRACT_USER_FIELDS
        return fields_

    def _fi_protected_hint(self):
        return self.env._("use the contract's buttons (Confirm, Terminate...).")

    def _fi_check_terms_editable(self):
        closed = self.filtered(lambda contract: contract.state in ("terminated", "expired"))
        if closed:
            raise UserError(
                self.env._("Contract %(name)s is closed: its terms can no longer change.", name=closed[0].name)
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _fi_check_manager(self):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only the dispatchers manage the maintenance contracts."))
        self.check_access("write")

    def _fi_set_state(self, vals):
        with trusted_write():
            self.write(vals)

    def action_confirm(self):
        """Start the contract: its visits are planned from now on."""
        self._fi_check_manager()
        for contract in self:
            if contract.state != "draft":
                raise UserError(self.env._("Contract %(name)s is not a draft.", name=contract.name))
            if not contract.line_ids:
                raise UserError(
                    self.env._("Contract %(name)s covers no equipment: add its equipment first.", name=contract.name)
                )
        self._fi_set_state({"state": "running"})
        return True

    def action_terminate(self):
        """End a running contract today: no visit is planned any more, and the visits due after
        today that nobody started are cancelled with their missions (the ones due by today stay:
        the dispatcher decides)."""
        self._fi_check_manager()
        if any(contract.state != "running" for contract in self):
            raise UserError(self.env._("Only a running contract can be terminated."))
        today = fields.Date.context_today(self)
        self._fi_set_state({"state": "terminated", "date_terminated": today})
        self.visit_ids.filtered(lambda visit: visit.state == "planned" and visit.due_date > today)._fi_cancel()
        return True

    def action_refuse_renewal(self):
        """The customer refuses the renewal (by letter, mail or phone, recorded by the
        dispatcher): the contract runs until its end date, then expires."""
        self._fi_check_manager()
        for contract in self:
            if contract.state != "running" or not contract.tacit_renewal:
                raise UserError(
                    self.env._(
                        "Contract %(name)s does not renew by tacit renewal: there is no renewal to refuse.",
                        name=contract.name,
                    )
                )
            if contract.renewal_refused_date:
                raise UserError(self.env._("The renewal of contract %(name)s is refused already.", name=contract.name))
        today = fields.Date.context_today(self)
        self._fi_set_state({"renewal_refused_date": today})
        for contract in self:
            contract.message_post(
                body=self.env._(
                    "The customer refuses the renewal: the contract ends on %(date)s.",
                    date=format_date(self.env, contract.date_end),
                )
            )
        return True

    @api.readonly
    def action_view_visits(self):
        """Open the visits of the contract."""
        self.ensure_one()
        self.check_access("read")
        # billing reads the contract of a visit it invoices, not the planning of its visits
        self.env["field.intervention.visit"].check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "field_intervention_maintenance.field_intervention_visit_action"
        )
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Planning (the scheduled action)
    # ------------------------------------------------------------------
    def _fi_planning_end(self, today):
        """Last day whose visits are planned now: the company's horizon, within the contract."""
        self.ensure_one()
        end = today + relativedelta(days=self.company_id.fi_maintenance_horizon_days)
        if not self._fi_renews() and self.date_end:
            end = min(end, self.date_end)
        return end

    def _fi_renews(self):
        """Whether the contract renews at its end date: tacit renewal, not refused."""
        self.ensure_one()
        return self.tacit_renewal and not self.renewal_refused_date

    def _fi_expire(self, today):
        """Running contracts past their end that do not renew (no tacit renewal, or the
        customer refused it) become expired."""
        ended = self.filtered(
            lambda contract: (
                contract.state == "running"
                and not contract._fi_renews()
                and contract.date_end
                and contract.date_end < today
            )
        )
        ended._fi_set_state({"state": "expired"})
        return ended

    def _fi_renew(self, today):
        """Running contracts past their end that renew start a new term of the same duration
        (every term missed since, if the scheduled action did not run): the end date moves,
        which also makes the next term's renewal notice due.

        :return: the renewed contracts
        """
        renewed = self.filtered(
            lambda contract: (
                contract.state == "running"
                and contract._fi_renews()
                and contract.date_end
                and contract.date_end < today
            )
        )
        for contract in renewed:
            count = contract.renewal_count
            while contract.date_start + relativedelta(months=contract.duration_months * (count + 1), days=-1) < today:
                count += 1
            contract._fi_set_state({"renewal_count": count})
            contract.message_post(
                body=self.env._(
                    "Contract renewed by tacit renewal until %(date)s.",
                    date=format_date(self.env, contract.date_end),
                )
            )
        return renewed

    @api.model
    def _cron_plan_visits(self):
        """Scheduled action: every visit due within the horizon becomes a mission, once."""
        contracts = self.search([("state", "=", "running")])
        contracts._fi_plan_visits()

    def _fi_plan_visits(self, today=None):
        """Create the visits due within the horizon of the running contracts, and their missions.

        Safe to run twice and on several workers at once: the visits are inserted with
        ``ON CONFLICT DO NOTHING`` on their unique (contract line, due date), one contract at a
        time; only the transaction that inserted a visit creates its mission.

        :return: the new visits
        """
        today = today or fields.Date.context_today(self)
        self._fi_expire(today)
        self._fi_renew(today)
        Visit = self.env["field.intervention.visit"]
        visits = Visit
        for contract in self.filtered(lambda rec: rec.state == "running"):
            end = contract._fi_planning_end(today)
            visits |= Visit._fi_insert([(line, due) for line in contract.line_ids for due in line._fi_due_dates(end)])
        visits._fi_create_missions()
        return visits

    # ------------------------------------------------------------------
    # Renewal and price revision (the scheduled action)
    # ------------------------------------------------------------------
    @api.model
    def _cron_renewals(self):
        """Scheduled action, daily: end or renew the contracts past their end date, revise the
        fees at their anniversary, send the renewal notices (consumers) and reminders
        (businesses) due. Only the running contracts that may have something to do are read."""
        today = fields.Date.context_today(self)
        contracts = self.search(
            [
                ("state", "=", "running"),
                "|",
                "|",
                ("date_end", "<", today),
                ("price_revision", "!=", "none"),
                ("renewal_deadline", "<=", today + NOTICE_EARLIEST),
            ]
        )
        contracts._fi_run_renewals(today)

    def _fi_run_renewals(self, today):
        """The renewal work of the scheduled action on ``self`` at the date ``today``."""
        self._fi_expire(today)
        self._fi_renew(today)
        running = self.filtered(lambda contract: contract.state == "running")
        running._fi_revise_prices(today)
        running._fi_send_renewal_notices(today)

    # -- renewal notice -------------------------------------------------
    def _fi_notice_due(self, today):
        """Whether the renewal notice (consumer) or reminder (business) of the current term is
        due at ``today``: the refusal deadline is between one and three months away (consumer,
        L215-1), or at most one month away (business)."""
        self.ensure_one()
        if not (
            self.state == "running"
            and self._fi_renews()
            and self.renewal_deadline
            and self.renewal_notice_sent_for != self.date_end
        ):
            return False
        if self.is_consumer:
            return today + NOTICE_LATEST <= self.renewal_deadline <= today + NOTICE_EARLIEST
        return today <= self.renewal_deadline <= today + BUSINESS_REMINDER

    def _fi_claim_notice(self):
        """Record, in this transaction, that the notice of the current term is issued, unless
        another transaction did: a conditional UPDATE, so that of two concurrent runs only one
        sends (the other one's UPDATE finds the row changed and claims nothing).

        :return: True if this transaction claimed it
        """
        self.ensure_one()
        self.flush_recordset(["renewal_notice_sent_for", "date_end"])
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET renewal_notice_sent_for = date_end WHERE id = %s AND date_end IS NOT NULL"
                " AND renewal_notice_sent_for IS DISTINCT FROM date_end RETURNING id",
                SQL.identifier(self._table),
                self.id,
            )
        )
        claimed = bool(self.env.cr.fetchone())
        self.invalidate_recordset(["renewal_notice_sent_for"])
        return claimed

    def _fi_send_renewal_notices(self, today):
        """Send the renewal notice of each contract due (consumers: a dedicated mail in the
        customer's language, logged in the chatter), or schedule the reminder of its
        responsible (businesses), exactly once per term.

        :return: the contracts notified
        """
        due = self.filtered(lambda contract: contract._fi_notice_due(today))
        notified = self.browse()
        template = self.env.ref("field_intervention_maintenance.mail_template_fi_contract_renewal_notice")
        for contract in due:
            if not contract._fi_claim_notice():
                continue
            notified |= contract
            if contract.is_consumer and contract.partner_id.email:
                contract.message_post_with_source(template, message_type="comment", subtype_xmlid="mail.mt_comment")
            elif contract.is_consumer:
                # the notice must reach the consumer (letter or mail): without an address to
                # mail it to, the responsible sends the letter, at the latest a month before
                contract.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=contract.renewal_deadline - NOTICE_LATEST,
                    summary=self.env._("Renewal notice to send by letter"),
                    note=self.env._(
                        "The customer of contract %(name)s has no e-mail address: send them the renewal "
                        "notice (Code de la consommation L215-1) by letter by %(latest)s. They may refuse "
                        "the renewal until %(deadline)s.",
                        name=contract.name,
                        latest=format_date(self.env, contract.renewal_deadline - NOTICE_LATEST),
                        deadline=format_date(self.env, contract.renewal_deadline),
                    ),
                    user_id=(contract.responsible_id or contract.create_uid).id,
                )
            else:
                contract.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=contract.renewal_deadline,
                    summary=self.env._("Contract renewal"),
                    note=self.env._(
                        "Contract %(name)s renews on %(date)s unless the customer refuses by %(deadline)s.",
                        name=contract.name,
                        date=format_date(self.env, contract.date_end + relativedelta(days=1)),
                        deadline=format_date(self.env, contract.renewal_deadline),
                    ),
                    user_id=(contract.responsible_id or contract.create_uid).id,
                )
        return notified

    # -- price revision -------------------------------------------------
    def _fi_revised_fees(self):
        """The fee per period of each contract after its next revision, when known.

        :return: dict {contract: (new fee, index value used or False)}, without the contracts
            not revised or whose index value is not entered yet
        """
        by_index = self.filtered(lambda contract: contract.price_revision == "index")
        later = by_index.revision_index_id._fi_year_after()
        revised = {}
        for contract in self:
            if contract.price_revision == "percentage":
                revised[contract] = (
                    contract.currency_id.round(contract.fee_amount * (1 + contract.revision_percentage / 100)),
                    False,
                )
            elif contract.price_revision == "index" and contract.revision_index_id in later:
                new_index = later[contract.revision_index_id]
                revised[contract] = (
                    contract.currency_id.round(
                        contract.fee_amount * new_index.value / contract.revision_index_id.value
                    ),
                    new_index,
                )
        return revised

    def _fi_anniversaries_after(self, after, until=None, limit=None):
        """The anniversaries of the contract's start after the date ``after`` (counted from the
        start: a contract started on 29 February has its anniversaries on 28 February), up to
        ``until`` included or ``limit`` of them."""
        self.ensure_one()
        dates, years = [], 1
        while limit is None or len(dates) < limit:
            anniversary = self.date_start + relativedelta(years=years)
            if until and anniversary > until:
                break
            if anniversary > after:
                dates.append(anniversary)
            years += 1
        return dates

    def _fi_last_anniversary(self, today):
        """The latest anniversary of the contract's start due for a revision at ``today``, or
        False. The revision of each anniversary is done once: a run after several missed ones
        revises once, for the latest."""
        self.ensure_one()
        if self.price_revision == "none" or not self.date_start:
            return False
        due = self._fi_anniversaries_after(self.price_revision_date or self.date_start, until=today)
        return due[-1] if due else False

    def _fi_revise_prices(self, today):
        """Revise the fee of the contracts whose anniversary came: by the percentage, or by the
        ratio of the index value twelve months after the base one, rounded to the cent; the
        base index moves to the value used. A missing index value is reported once (chatter
        and an activity of the responsible) and the revision is done at the first run after
        it is entered.

        :return: the revised contracts
        """
        due = {contract: contract._fi_last_anniversary(today) for contract in self}
        due = {contract: anniversary for contract, anniversary in due.items() if anniversary}
        contracts = self.browse([contract.id for contract in due])
        revised_fees = contracts._fi_revised_fees()
        revised = self.browse()
        for contract, anniversary in due.items():
            if contract not in revised_fees:
                contract._fi_report_missing_index(anniversary)
                continue
            new_fee, new_index = revised_fees[contract]
            contract._fi_apply_revision(anniversary, new_fee, new_index)
            revised |= contract
        return revised

    def _fi_apply_revision(self, anniversary, new_fee, new_index):
        self.ensure_one()
        old_fee, old_index = self.fee_amount, self.revision_index_id
        vals = {"fee_amount": new_fee, "price_revision_date": anniversary, "price_revision_missing_for": False}
        if new_index:
            vals["revision_index_id"] = new_index.id
        self._fi_set_state(vals)
        params = {
            "date": format_date(self.env, anniversary),
            "old": self._fi_format_amount(old_fee),
            "new": self._fi_format_amount(new_fee),
        }
        if new_index:
            body = self.env._(
                "Price revised on %(date)s by the index: %(old)s × %(new_index)s / %(old_index)s = %(new)s per period.",
                new_index=new_index.display_name,
                old_index=old_index.display_name,
                **params,
            )
        else:
            body = self.env._(
                "Price revised on %(date)s by %(percentage)s%%: %(old)s → %(new)s per period.",
                percentage=self.revision_percentage,
                **params,
            )
        self.message_post(body=body)

    def _fi_report_missing_index(self, anniversary):
        """Say once per anniversary which index value the revision waits for."""
        self.ensure_one()
        if self.price_revision_missing_for == anniversary:
            return
        self._fi_set_state({"price_revision_missing_for": anniversary})
        base = self.revision_index_id
        message = self.env._(
            "The price revision of %(date)s waits for the value of index %(index)s for %(month)s "
            "(base: %(base)s): enter it under Configuration > Price Indices, the fee is revised at "
            "the next run.",
            date=format_date(self.env, anniversary),
            index=base.name,
            month=(base.month + relativedelta(months=12)).strftime("%m/%Y"),
            base=base.display_name,
        )
        self.message_post(body=message)
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Price index value missing"),
            note=message,
            user_id=(self.responsible_id or self.create_uid).id,
        )

    def _fi_format_amount(self, amount):
        return format_amount(self.env, amount, self.currency_id)
