from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

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
    }
)
MANAGER_GROUP = "field_intervention.group_field_intervention_manager"
FIELD_SERVICE_GROUP = "field_intervention.group_field_intervention_technician"
PARTS_POLICIES = [("none", "No parts"), ("listed", "Listed parts"), ("all", "All parts")]


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

    _sql_constraints = [  # noqa: RUF012
        ("duration_positive", "CHECK(duration_months > 0)", "The duration of a contract must be positive."),
        ("fee_positive", "CHECK(fee_amount >= 0)", "The fee of a contract cannot be negative."),
    ]

    @api.depends("date_start", "duration_months")
    def _compute_date_end(self):
        for contract in self:
            contract.date_end = (
                contract.date_start + relativedelta(months=contract.duration_months, days=-1)
                if contract.date_start and contract.duration_months > 0
                else False
            )

    @api.depends("fee_period", "fee_amount")
    def _compute_fee_yearly(self):
        per_year = {"yearly": 1, "quarterly": 4, "monthly": 12}
        for contract in self:
            contract.fee_yearly = contract.fee_amount * per_year.get(contract.fee_period, 1)

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
        if not self.tacit_renewal and self.date_end:
            end = min(end, self.date_end)
        return end

    def _fi_expire(self, today):
        """Running contracts past their end without tacit renewal become expired."""
        ended = self.filtered(
            lambda contract: (
                contract.state == "running"
                and not contract.tacit_renewal
                and contract.date_end
                and contract.date_end < today
            )
        )
        ended._fi_set_state({"state": "expired"})
        return ended

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
        Visit = self.env["field.intervention.visit"]
        visits = Visit
        for contract in self.filtered(lambda rec: rec.state == "running"):
            end = contract._fi_planning_end(today)
            visits |= Visit._fi_insert([(line, due) for line in contract.line_ids for due in line._fi_due_dates(end)])
        visits._fi_create_missions()
        return visits
