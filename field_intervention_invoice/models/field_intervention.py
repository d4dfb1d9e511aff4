import json
import logging
from collections import defaultdict
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY
from odoo.tools import SQL, float_compare, float_round, format_date

from .project_project import INVOICE_POLICIES

_logger = logging.getLogger(__name__)

BILLING_GROUP = "account.group_account_invoice"
MANAGER_GROUP = "field_intervention.group_field_intervention_manager"
MANAGER_OR_BILLING = f"{BILLING_GROUP},{MANAGER_GROUP}"


# first key of the transaction-level advisory locks that share the invoicing cron between workers
CUSTOMER_LOCK_NAMESPACE = 0x46490001


class _DryRun(Exception):
    """Raised inside a savepoint to roll back a trial invoicing."""


class InvoicingBatch:
    """What the invoicing of a batch of interventions reads, fetched once and memoized.

    Every lookup made per intervention while preparing the invoices goes through this object so
    that the number of SQL queries per intervention stays bounded (no search in a loop).
    """

    def __init__(self, interventions):
        self.env = interventions.env
        self.hours = defaultdict(float)  # intervention id -> worked hours (all timesheets)
        self.sale_hours = defaultdict(float)  # (intervention id, sale line id) -> hours
        self.timesheets = defaultdict(list)  # intervention id -> [(timesheet id, sale line id)]
        groups = (
            self.env["account.analytic.line"]
            .sudo()
            ._read_group(
                [("intervention_id", "in", interventions.ids)],
                ["intervention_id", "so_line"],
                ["unit_amount:sum", "id:array_agg"],
            )
        )
        for intervention, so_line, unit_amount, ids in groups:
            self.hours[intervention.id] += unit_amount
            if so_line:
                self.sale_hours[intervention.id, so_line.id] += unit_amount
            self.timesheets[intervention.id] += [(ts_id, so_line.id) for ts_id in ids]
        self.sale_items = {}  # (intervention id, item index) -> sale.order.line
        self._prices = {}
        self._taxes = {}
        self._fiscal_positions = {}
        self._invoice_partners = {}

    def sale_line(self, intervention):
        """Sale order line of the mission when it is sold on a confirmed order."""
        sale_line = intervention.task_id.sale_line_id
        return sale_line if sale_line.order_id.state == "sale" else sale_line.browse()

    def invoice_partner(self, intervention):
        partner = intervention.partner_id.commercial_partner_id
        if partner.id not in self._invoice_partners:
            self._invoice_partners[partner.id] = partner.browse(partner.address_get(["invoice"])["invoice"])
        return self._invoice_partners[partner.id]

    def fiscal_position(self, intervention):
        partner = self.invoice_partner(intervention)
        key = (intervention.company_id.id, partner.id, intervention.site_id.id)
        if key not in self._fiscal_positions:
            self._fiscal_positions[key] = (
                self.env["account.fiscal.position"]
                .with_company(intervention.company_id)
                ._get_fiscal_position(partner, delivery=intervention.site_id or partner)
            )
        return self._fiscal_positions[key]

    def pricelist(self, intervention):
        return intervention.partner_id.commercial_partner_id.property_product_pricelist

    def currency(self, intervention):
        sale_line = self.sale_line(intervention)
        if sale_line:
            return sale_line.order_id.currency_id
        return self.pricelist(intervention).currency_id or intervention.company_id.currency_id

    def taxes(self, product, intervention):
        """Product taxes of the company mapped by the fiscal position, and the product taxes."""
        fiscal_position = self.fiscal_position(intervention)
        key = (product.id, intervention.company_id.id, fiscal_position.id)
        if key not in self._taxes:
            product_taxes = product.taxes_id._filter_taxes_by_company(intervention.company_id)
            self._taxes[key] = (fiscal_position.map_tax(product_taxes), product_taxes)
        return self._taxes[key]

    def price(self, product, quantity, uom, intervention):
        """Unit price of the customer's pricelist, corrected for price-included taxes."""
        pricelist = self.pricelist(intervention)
        date = intervention.intervention_date or fields.Date.context_today(intervention)
        key = (pricelist.id, product.id, quantity, uom.id, date, intervention.company_id.id)
        if key not in self._prices:
            price = pricelist.with_company(intervention.company_id)._get_product_price(
                product,
                quantity or 1.0,
                currency=self.currency(intervention),
                uom=uom,
                date=date,
            )
            taxes, product_taxes = self.taxes(product, intervention)
            self._prices[key] = self.env["account.tax"]._fix_tax_included_price_company(
                price, product_taxes, taxes, intervention.company_id
            )
        return self._prices[key]


class FieldIntervention(models.Model):
    _inherit = "field.intervention"

    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True, string="Customer Entity"
    )
    invoice_policy = fields.Selection(
        INVOICE_POLICIES,
        string="Invoicing Policy",
        compute="_compute_invoice_policy",
        store=True,
        readonly=False,
        index=True,
        copy=False,
        groups=MANAGER_OR_BILLING,
        help="From the customer when set there, else from the project.",
    )
    invoice_status = fields.Selection(
        [("no", "Nothing to Invoice"), ("to_invoice", "To Invoice"), ("invoiced", "Invoiced")],
        compute="_compute_invoice_status",
        store=True,
        index=True,
        copy=False,
        groups=MANAGER_OR_BILLING,
    )
    invoice_line_ids = fields.One2many(
        "account.move.line",
        "intervention_id",
        string="Invoice Lines",
        readonly=True,
        copy=False,
        groups=BILLING_GROUP,
    )
    invoice_id = fields.Many2one(
        "account.move",
        compute="_compute_invoice_id",
        store=True,
        index="btree_not_null",
        copy=False,
        groups=BILLING_GROUP,
        help="Invoice that currently bills this intervention (cancelled or reversed invoices release it).",
    )
    invoice_error = fields.Text(
        string="Invoicing Error",
        readonly=True,
        copy=False,
        groups=BILLING_GROUP,
        help="Why the last automatic invoicing failed. Fix the cause, then use Create Invoice.",
    )

    @api.depends(
        "partner_id.intervention_invoice_policy",
        "partner_id.commercial_partner_id.intervention_invoice_policy",
        "project_id.intervention_invoice_policy",
    )
    def _compute_invoice_policy(self):
        for rec in self:
            rec.invoice_policy = (
                rec.partner_id.intervention_invoice_policy
                or rec.partner_id.commercial_partner_id.intervention_invoice_policy
                or rec.project_id.intervention_invoice_policy
                or "per_intervention"
            )

    @api.depends("invoice_line_ids.fi_invoice_claim", "invoice_line_ids.move_id")
    def _compute_invoice_id(self):
        for rec in self:
            claims = rec.invoice_line_ids.filtered("fi_invoice_claim")
            rec.invoice_id = claims[:1].move_id

    @api.depends("state", "invoice_policy", "invoice_id")
    def _compute_invoice_status(self):
        for rec in self:
            if rec.invoice_id:
                rec.invoice_status = "invoiced"
            elif rec.state == "signed" and rec.invoice_policy != "no":
                rec.invoice_status = "to_invoice"
            else:
                rec.invoice_status = "no"

    # ------------------------------------------------------------------
    # Protected fields: billing sets the invoicing policy; the rest is the invoicing's own
    # ------------------------------------------------------------------
    def _fi_user_fields(self):
        fields_ = super()._fi_user_fields()
        if self.env.user.has_group(BILLING_GROUP) or self.env.user.has_group(MANAGER_GROUP):
            fields_.add("invoice_policy")
        return fields_

    # ------------------------------------------------------------------
    # Hooks of field_intervention_sign
    # ------------------------------------------------------------------
    def _on_customer_signed(self):
        """Create the draft invoice of the interventions invoiced one by one at signature.

        Invoicing must never make the signature fail: errors are stored on the intervention
        and an activity is scheduled for billing (see :meth:`_fi_invoice_isolated`).
        """
        res = super()._on_customer_signed()
        # the signer (customer or technician) has no billing rights; the signature flow has
        # checked its access to these interventions before calling this hook
        interventions_sudo = self.sudo()
        interventions_sudo.filtered(
            lambda rec: rec.invoice_policy == "per_intervention" and rec.invoice_status == "to_invoice"
        )._fi_invoice_isolated()
        return res

    def _on_signed_pdf_ready(self):
        """Attach the signed report to the invoice when it is produced after the invoice."""
        res = super()._on_signed_pdf_ready()
        # called by the signature flow after its access checks; billing fields need sudo
        interventions_sudo = self.sudo()
        interventions_sudo._fi_attach_signed_pdfs()
        return res

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_fi_create_invoice(self):
        """Create the draft invoices of the selected interventions (billing users)."""
        self.env["account.move"].check_access("create")
        self.check_access("read")
        # billing users may lack rights on timesheets and sale orders read by the invoicing
        interventions_sudo = self.sudo()
        todo_sudo = interventions_sudo.filtered(lambda rec: rec.invoice_status == "to_invoice")
        if not todo_sudo:
            raise UserError(
                self.env._(
                    "Nothing to invoice: only signed interventions that are billable and not invoiced yet "
                    "can be invoiced."
                )
            )
        moves, errors = todo_sudo._fi_invoice_isolated(notify=False)
        if errors and not moves:
            raise UserError("\n".join(errors.values()))
        return moves.with_env(self.env)._fi_action_view()

    def action_fi_view_invoice(self):
        """Open the invoice of the intervention (billing's screen)."""
        self.ensure_one()
        self.check_access("read")
        if not self.env.user.has_group(BILLING_GROUP):
            raise AccessError(self.env._("Only billing opens the invoices of the interventions."))
        return self.invoice_id._fi_action_view()

    # ------------------------------------------------------------------
    # Scheduled action
    # ------------------------------------------------------------------
    @api.model
    def _fi_cron_domain(self):
        """Signed interventions whose invoicing is due now (grouped periods must be over)."""
        today = fields.Date.context_today(self)
        week_start = today - timedelta(days=today.weekday())
        month_start = today.replace(day=1)
        return [
            ("state", "=", "signed"),
            ("invoice_status", "=", "to_invoice"),
            ("invoice_error", "=", False),
            "|",
            "|",
            ("invoice_policy", "=", "per_intervention"),
            "&",
            ("invoice_policy", "=", "weekly"),
            ("intervention_date", "<", week_start),
            "&",
            ("invoice_policy", "=", "monthly"),
            ("intervention_date", "<", month_start),
        ]

    @api.model
    def _cron_fi_invoice(self, batch_size=200):
        """Invoice one batch of due interventions and report the progress to the cron.

        The cron framework commits after each call and calls again while records remain, so a
        large backlog is processed in batches, and another worker can take over between runs.
        Whole customers are kept in one batch so that grouped invoices are complete.
        """
        domain = self._fi_cron_domain()
        batch = self._fi_cron_next_batch(domain, batch_size)
        if batch:
            batch._fi_invoice_isolated()
        remaining = self.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)

    @api.model
    def _fi_cron_next_batch(self, domain, batch_size):
        """Whole customers up to ``batch_size`` interventions, skipping the customers that
        another worker is invoicing right now, so that several workers share the backlog."""
        counts = self._read_group(domain, ["commercial_partner_id"], ["__count"], order="commercial_partner_id")
        partner_ids, total = [], 0
        for partner, count in counts:
            if partner_ids and total + count > batch_size:
                break
            if not self._fi_try_lock_customer(partner.id):
                continue
            partner_ids.append(partner.id)
            total += count
        if not partner_ids:
            return self.browse()
        return self.search(domain + [("commercial_partner_id", "in", partner_ids)], order="id")

    @api.model
    def _fi_try_lock_customer(self, partner_id):
        """Take the customer for this transaction (released at commit) unless another has it."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", CUSTOMER_LOCK_NAMESPACE, partner_id))
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------
    # Invoicing
    # ------------------------------------------------------------------
    def _fi_invoice_isolated(self, notify=True):
        """Invoice the interventions; those that cannot be invoiced do not stop the others.

        :return: (created moves, {intervention id: error message})
        """
        if len(self.company_id) > 1:  # each company's invoices in its own company environment
            moves, errors = self.env["account.move"], {}
            for company in self.company_id:
                company_moves, company_errors = (
                    self.filtered(lambda rec, company=company: rec.company_id == company)
                    .with_company(company)
                    ._fi_invoice_isolated(notify=notify)
                )
                moves |= company_moves.with_env(self.env)
                errors.update(company_errors)
            return moves, errors
        todo = self.with_company(self.company_id or self.env.company)._fi_lock_for_invoicing()
        if not todo:
            return self.env["account.move"], {}
        data = InvoicingBatch(todo)
        errors = todo._fi_get_invoicing_errors(data)
        valid = todo.filtered(lambda rec: rec.id not in errors)
        moves = self.env["account.move"]
        if valid:
            try:
                with self.env.cr.savepoint():
                    moves = valid._fi_create_invoices(data)
            except Exception as exc:  # noqa: BLE001 - isolate the failing interventions below
                self._fi_reraise_concurrency_error(exc)
                _logger.info(
                    "Batch invoicing of %s interventions failed (%s), retrying group by group", len(valid), exc
                )
                moves, group_errors = valid._fi_create_invoices_by_group()
                errors.update(group_errors)
        invoiced = todo.filtered(lambda rec: rec.id not in errors)
        invoiced.filtered("invoice_error").invoice_error = False
        if errors:
            todo.browse(list(errors))._fi_set_invoice_errors(errors, notify=notify)
        return moves, errors

    def _fi_create_invoices_by_group(self):
        """Slow path after a failure: invoice group by group, find the failing interventions of
        a failing group with trial runs, and invoice the rest of the group together."""
        moves, errors = self.env["account.move"], {}
        data = InvoicingBatch(self)
        for group in self._fi_split_groups(data):
            try:
                with self.env.cr.savepoint():
                    moves |= group._fi_create_invoices(InvoicingBatch(group))
                continue
            except Exception as exc:  # noqa: BLE001 - recorded as the intervention's error
                self._fi_reraise_concurrency_error(exc)
                if len(group) == 1:
                    errors[group.id] = group._fi_error_message(exc)
                    continue
            failing = group.browse()
            for rec in group:
                try:
                    with self.env.cr.savepoint():
                        rec._fi_create_invoices(InvoicingBatch(rec))
                        raise _DryRun()
                except _DryRun:
                    continue  # invoiceable alone: the trial was rolled back
                except Exception as exc:  # noqa: BLE001 - recorded as the intervention's error
                    self._fi_reraise_concurrency_error(exc)
                    errors[rec.id] = rec._fi_error_message(exc)
                    failing |= rec
            rest = group - failing
            if rest:
                try:
                    with self.env.cr.savepoint():
                        moves |= rest._fi_create_invoices(InvoicingBatch(rest))
                except Exception as exc:  # noqa: BLE001 - recorded as the interventions' error
                    self._fi_reraise_concurrency_error(exc)
                    errors.update({rec.id: rec._fi_error_message(exc) for rec in rest})
        return moves, errors

    @api.model
    def _fi_reraise_concurrency_error(self, exc):
        """Concurrency errors must abort the transaction so that it is retried as a whole."""
        if getattr(exc, "pgcode", None) in PG_CONCURRENCY_ERRORS_TO_RETRY:
            raise exc

    def _fi_error_message(self, exc):
        self.ensure_one()
        if isinstance(exc, pg_errors.UniqueViolation):
            return self.env._("Intervention %(name)s is already invoiced.", name=self.name)
        message = exc.args[0] if isinstance(exc, UserError) and exc.args else str(exc)
        return self.env._("Intervention %(name)s could not be invoiced: %(error)s", name=self.name, error=message)

    def _fi_lock_for_invoicing(self):
        """Lock the interventions still to invoice; skip those another transaction is invoicing.

        With the unique index on the claiming invoice lines this gives exactly-once invoicing:
        the lock avoids useless work and errors when the cron and a user (or two workers) meet,
        the index refuses a second invoice whatever the path.
        """
        if not self:
            return self
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """SELECT id FROM field_intervention
                WHERE id IN %s AND state = 'signed' AND invoice_status = 'to_invoice'
                ORDER BY id FOR NO KEY UPDATE SKIP LOCKED""",
                tuple(self.ids),
            )
        )
        locked_ids = {row[0] for row in self.env.cr.fetchall()}
        return self.filtered(lambda rec: rec.id in locked_ids)

    def _fi_get_invoicing_errors(self, data):
        """Anticipated reasons why interventions cannot be invoiced, per intervention id."""
        errors = {}
        for rec in self:
            message = rec._fi_check_invoiceable(data)
            if message:
                errors[rec.id] = self.env._(
                    "Intervention %(name)s could not be invoiced: %(error)s", name=rec.name, error=message
                )
        return errors

    def _fi_check_invoiceable(self, data):
        self.ensure_one()
        if not self.partner_id:
            return self.env._("it has no customer.")
        sale_line = data.sale_line(self)
        if self.task_id.sale_line_id and not sale_line:
            return self.env._(
                "sale order %(order)s of the mission is not confirmed.",
                order=self.task_id.sale_line_id.order_id.display_name,
            )
        if not sale_line and data.hours[self.id] and not self.project_id.labour_product_id:
            return self.env._("project %(project)s has no labour product.", project=self.project_id.display_name)
        mismatch = self._fi_signed_content_mismatch(data)
        if mismatch:
            return self.env._(
                "what would be billed (%(what)s) differs from the report the customer signed. "
                "Bill the difference on a new intervention.",
                what=mismatch,
            )
        items = self._fi_get_billable_items(data)
        if not items and not (sale_line and self._fi_get_sale_hours(data)):
            return self.env._("there is nothing to invoice (no worked time, travel or part).")
        for item in items:
            product = item["product"].with_company(self.company_id)
            if not product.active:
                return self.env._("product %(product)s is archived.", product=product.display_name)
            if not (product.property_account_income_id or product.categ_id.property_account_income_categ_id):
                return self.env._(
                    "product %(product)s has no income account (set one on the product or its category).",
                    product=product.display_name,
                )
        return False

    def _fi_signed_content_mismatch(self, data):
        """What of the billable content (hours, travel, parts) differs from the content frozen in
        the signature evidence, as a short label, else False. The report is locked once done, so
        this only fires if something went around the locks: billing never bills unsigned work."""
        self.ensure_one()
        signature_sudo = self.sudo().signature_id
        if not signature_sudo.content_canonical:
            return self.env._("no signed content")
        if signature_sudo._recompute_content_hash() != signature_sudo.content_hash:
            return self.env._("signed content")
        signed = json.loads(signature_sudo.content_canonical)
        technicians = max(len(signed.get("technicians") or []), 1)
        if abs(data.hours[self.id] - float(signed["worked_hours"]) * technicians) > 0.01 * technicians:
            return self.env._("hours")
        if float_compare(self.travel_duration, float(signed["travel_hours"]), precision_digits=2) or float_compare(
            self.travel_distance, float(signed["travel_km"]), precision_digits=2
        ):
            return self.env._("travel")
        signed_parts = sorted((p["description"], float(p["quantity"])) for p in signed.get("parts") or [])
        parts = sorted((part.name or "", float_round(part.quantity, precision_digits=3)) for part in self.part_ids)
        if signed_parts != parts:
            return self.env._("parts")
        return False

    def _fi_set_invoice_errors(self, errors, notify=True):
        """Store the error on each intervention and schedule one activity for billing."""
        for rec in self:
            first_failure = not rec.invoice_error
            rec.invoice_error = errors[rec.id]
            if notify and first_failure:
                rec.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("Invoicing failed"),
                    note=errors[rec.id],
                    user_id=(rec.company_id.fi_billing_user_id or rec.project_id.user_id or self.env.user).id,
                )

    def _fi_split_groups(self, data):
        groups = defaultdict(lambda: self.browse())
        for rec in self:
            groups[rec._fi_invoice_grouping_key(data)] |= rec
        return list(groups.values())

    def _fi_invoice_grouping_key(self, data):
        """Interventions with the same key share one invoice."""
        self.ensure_one()
        if self.invoice_policy == "weekly":
            date = self.intervention_date
            period = ("week", date - timedelta(days=date.weekday()))
        elif self.invoice_policy == "monthly":
            period = ("month", self.intervention_date.replace(day=1))
        else:
            period = ("intervention", self.id)
        return (
            self.company_id.id,
            data.invoice_partner(self).id,
            data.currency(self).id,
            data.sale_line(self).order_id.id,
            period,
        )

    def _fi_create_invoices(self, data):
        """Create the draft invoices of the interventions: one per grouping key, one create().

        Raises on error: callers isolate the failures (:meth:`_fi_invoice_isolated`).
        """
        self._fi_deliver_on_sale_orders(data)
        Move = self.env["account.move"]
        elsewhere = self._fi_invoiced_elsewhere(Move)
        invoice_vals_list = []
        for group in self._fi_split_groups(data):
            invoice_vals = group._fi_prepare_invoice(data)
            sequence = 10
            for rec in group:
                for line_vals in rec._fi_prepare_invoice_lines(data, with_section=len(group) > 1):
                    line_vals["sequence"] = sequence
                    sequence += 1
                    invoice_vals["invoice_line_ids"].append(Command.create(line_vals))
            # the pre-billing checks are computed before the creation: no write afterwards
            lines = [
                (
                    self.env["product.product"].browse(vals["product_id"]),
                    vals.get("price_unit", 0.0),
                    vals.get("name"),
                    self._fi_command_taxes(vals.get("tax_ids")),
                )
                for __, __, vals in invoice_vals["invoice_line_ids"]
                if vals.get("display_type") == "product"
            ]
            Partner = self.env["res.partner"]
            reasons = (
                group._fi_get_check_reasons(data, elsewhere)
                + Move._fi_line_check_reasons(lines, self.env["res.currency"].browse(invoice_vals["currency_id"]))
                + Move._fi_einvoicing_check_reasons(
                    self.env["res.company"].browse(invoice_vals["company_id"]),
                    Partner.browse(invoice_vals["partner_id"]),
                    Partner.browse(invoice_vals.get("partner_shipping_id")),
                )
            )
            invoice_vals.update(Move._fi_check_values(reasons))
            invoice_vals_list.append(invoice_vals)
        moves = Move.with_context(default_move_type="out_invoice").create(invoice_vals_list)
        moves._fi_link_timesheets(data)
        self._fi_attach_signed_pdfs()
        return moves

    @api.model
    def _fi_command_taxes(self, commands):
        """Taxes set by the x2many ``commands`` of prepared invoice line values."""
        tax_ids = []
        for command in commands or []:
            if command[0] == Command.SET:
                tax_ids = list(command[2])
            elif command[0] == Command.LINK:
                tax_ids.append(command[1])
        return self.env["account.tax"].browse(tax_ids)

    def _fi_invoiced_elsewhere(self, moves):
        """{intervention id: invoices} of the timesheets already invoiced on other invoices."""
        return {
            intervention.id: invoices
            for intervention, invoices in self.env["account.analytic.line"]
            .sudo()
            ._read_group(
                [
                    ("intervention_id", "in", self.ids),
                    ("timesheet_invoice_id", "not in", moves.ids),
                    ("timesheet_invoice_id", "!=", False),
                    ("timesheet_invoice_id.state", "!=", "cancel"),
                    ("timesheet_invoice_id.payment_state", "!=", "reversed"),
                ],
                ["intervention_id"],
                ["timesheet_invoice_id:recordset"],
            )
        }

    def _fi_get_check_reasons(self, data, elsewhere):
        reasons = []
        for rec in self:
            reasons += rec._fi_check_reasons(data, elsewhere.get(rec.id))
        return reasons

    def _fi_prepare_invoice(self, data):
        """Values of the invoice of a group of interventions (same customer, currency, order)."""
        first = self[0]
        sale_line = data.sale_line(first)
        if sale_line:
            order = sale_line.order_id.with_company(first.company_id)
            vals = order._prepare_invoice()
        else:
            partner = data.invoice_partner(first)
            vals = {
                "move_type": "out_invoice",
                "company_id": first.company_id.id,
                "partner_id": partner.id,
                "fiscal_position_id": data.fiscal_position(first).id,
                "currency_id": data.currency(first).id,
                "invoice_line_ids": [],
            }
        sites = self.site_id
        if len(sites) == 1:
            # the intervention site is the delivery address (Factur-X ShipToTradeParty)
            vals["partner_shipping_id"] = sites.id
        origins = ([sale_line.order_id.name] if sale_line else []) + self.mapped("name")
        vals.update(
            {
                "invoice_origin": ", ".join(origins),
                "delivery_date": max(self.mapped("intervention_date")),
                "fi_from_intervention": True,
            }
        )
        return vals

    def _fi_reference_label(self):
        """'BI/2026/00042 - 03/12/2026 - Site, City': tells which intervention a line bills."""
        self.ensure_one()
        site = self.site_id
        parts = [self.name, format_date(self.env, self.intervention_date)]
        if site:
            parts.append(", ".join(filter(None, [site.name or site.display_name, site.city])))
        return " - ".join(filter(None, parts))

    def _fi_prepare_invoice_lines(self, data, with_section=False):
        """Values of the invoice lines of the intervention (sale order path or direct path).

        The first line claims the intervention (``fi_invoice_claim``, unique in the database).
        Every line names the intervention; grouped invoices also get a section per intervention.
        """
        self.ensure_one()
        if data.sale_line(self):
            lines = self._fi_prepare_sale_invoice_lines(data)
        else:
            lines = self._fi_prepare_direct_invoice_lines(data)
        if not lines:
            raise UserError(self.env._("there is nothing to invoice (no worked time, travel or part)."))
        lines[0]["fi_invoice_claim"] = True
        if with_section:
            lines.insert(
                0,
                {
                    "display_type": "line_section",
                    "name": self._fi_reference_label(),
                    "intervention_id": self.id,
                },
            )
        return lines

    def _fi_get_billable_items(self, data):
        """Labour (direct path only), travel and parts of the intervention, as
        {'kind', 'product', 'quantity', 'uom', 'name'} dictionaries."""
        self.ensure_one()
        items = []
        project = self.project_id
        hours = data.hours[self.id]
        if hours and project.labour_product_id and not data.sale_line(self):
            product = project.labour_product_id
            items.append(
                {
                    "kind": "labour",
                    "product": product,
                    "quantity": self._fi_convert_hours(hours, product.uom_id),
                    "uom": product.uom_id,
                    "name": product.display_name,
                }
            )
        travel = project.travel_product_id
        if travel and (self.travel_duration or self.travel_distance):
            quantity = self._fi_travel_quantity(travel.uom_id)
            if quantity:
                items.append(
                    {
                        "kind": "travel",
                        "product": travel,
                        "quantity": quantity,
                        "uom": travel.uom_id,
                        "name": travel.display_name,
                    }
                )
        for part in self.part_ids:
            items.append(
                {
                    "kind": "part",
                    "product": part.product_id,
                    "quantity": part.quantity,
                    "uom": part.product_uom_id or part.product_id.uom_id,
                    "name": part.name or part.product_id.display_name,
                }
            )
        return items

    def _fi_convert_hours(self, hours, uom):
        """Hours (company time unit) in the unit of the product when it is a time unit."""
        time_uom = self.company_id.project_time_mode_id
        if time_uom and uom.category_id == time_uom.category_id:
            return time_uom._compute_quantity(hours, uom, round=False)
        return hours

    def _fi_travel_quantity(self, uom):
        """Travel time for a time unit, distance for a length unit, else one trip."""
        if uom.category_id == self.env.ref("uom.uom_categ_wtime"):
            return self._fi_convert_hours(self.travel_duration, uom)
        if uom.category_id == self.env.ref("uom.uom_categ_length"):
            return self.env.ref("uom.product_uom_km")._compute_quantity(self.travel_distance, uom, round=False)
        return 1.0

    def _fi_prepare_direct_invoice_lines(self, data):
        self.ensure_one()
        reference = self._fi_reference_label()
        lines = []
        for item in self._fi_get_billable_items(data):
            product = item["product"]
            taxes = data.taxes(product, self)[0]
            lines.append(
                {
                    "display_type": "product",
                    "product_id": product.id,
                    "name": f"{item['name']}\n{reference}",
                    "quantity": item["quantity"],
                    "product_uom_id": item["uom"].id,
                    "price_unit": data.price(product, item["quantity"], item["uom"], self),
                    "tax_ids": [Command.set(taxes.ids)],
                    "intervention_id": self.id,
                }
            )
        return lines

    def _fi_get_sale_hours(self, data):
        """{sale line: quantity in its unit} of the intervention's timesheets on sale lines
        invoiced on delivery."""
        result = {}
        for (intervention_id, sale_line_id), hours in data.sale_hours.items():
            if intervention_id != self.id or not hours:
                continue
            sale_line = self.env["sale.order.line"].browse(sale_line_id)
            if sale_line.product_id.invoice_policy != "delivery":
                continue  # ordered quantities are invoiced with the order, not per intervention
            result[sale_line] = self.company_id.project_time_mode_id._compute_quantity(
                hours, sale_line.product_uom, round=False
            )
        return result

    def _fi_prepare_sale_invoice_lines(self, data):
        """Invoice lines from the sale order lines, for this intervention's quantities only."""
        self.ensure_one()
        reference = self._fi_reference_label()
        lines = []
        quantities = list(self._fi_get_sale_hours(data).items())
        for index, item in enumerate(self._fi_get_billable_items(data)):
            sale_line = data.sale_items.get((self.id, index))
            if sale_line:
                quantities.append(
                    (sale_line, item["uom"]._compute_quantity(item["quantity"], sale_line.product_uom, round=False))
                )
        for sale_line, quantity in quantities:
            lines.append(
                sale_line._prepare_invoice_line(
                    quantity=quantity,
                    name=f"{sale_line.name}\n{reference}",
                    intervention_id=self.id,
                )
            )
        return lines

    def _fi_deliver_on_sale_orders(self, data):
        """Record travel and parts as delivered quantities on the sale orders of the missions;
        add a sale order line when the order has none for the product."""
        sale_interventions = self.filtered(data.sale_line)
        new_lines, increments = [], defaultdict(float)
        for rec in sale_interventions:
            order = data.sale_line(rec).order_id
            for index, item in enumerate(rec._fi_get_billable_items(data)):
                sale_line = order.order_line.filtered(
                    lambda line, item=item: (
                        line.product_id == item["product"] and not line.display_type and not line.is_downpayment
                    )
                )[:1]
                if sale_line and sale_line.product_id.invoice_policy != "delivery":
                    continue  # sold on ordered quantities: invoiced with the order
                if sale_line:
                    data.sale_items[rec.id, index] = sale_line
                    if sale_line.qty_delivered_method == "manual":
                        increments[sale_line] += item["uom"]._compute_quantity(
                            item["quantity"], sale_line.product_uom, round=False
                        )
                    continue
                new_lines.append(
                    (
                        (rec.id, index),
                        {
                            "order_id": order.id,
                            "product_id": item["product"].id,
                            "name": item["name"],
                            "product_uom": item["uom"].id,
                            "product_uom_qty": 0.0,
                            "qty_delivered": item["quantity"],
                            "sequence": max(order.order_line.mapped("sequence") or [10]) + 1,
                        },
                    )
                )
        if new_lines:
            created = self.env["sale.order.line"].create([vals for __, vals in new_lines])
            for (key, __), sale_line in zip(new_lines, created, strict=True):
                data.sale_items[key] = sale_line
        for sale_line, quantity in increments.items():
            sale_line.qty_delivered += quantity

    def _fi_attach_signed_pdfs(self):
        """Copy the signed report of each intervention on its invoice (once)."""
        if "signed_pdf_id" not in self._fields:
            return
        interventions = self.filtered(lambda rec: rec.invoice_id and rec.signed_pdf_id)
        if not interventions:
            return
        Attachment = self.env["ir.attachment"]
        existing = {
            (att.res_id, att.checksum)
            for att in Attachment.search(
                [
                    ("res_model", "=", "account.move"),
                    ("res_id", "in", interventions.invoice_id.ids),
                    ("checksum", "in", interventions.signed_pdf_id.mapped("checksum")),
                ]
            )
        }
        vals_list = []
        for rec in interventions:
            pdf = rec.signed_pdf_id
            if (rec.invoice_id.id, pdf.checksum) in existing:
                continue
            existing.add((rec.invoice_id.id, pdf.checksum))
            vals_list.append(
                {
                    "name": pdf.name,
                    "raw": pdf.raw,
                    "mimetype": pdf.mimetype,
                    "res_model": "account.move",
                    "res_id": rec.invoice_id.id,
                }
            )
        if vals_list:
            Attachment.create(vals_list)

    def _fi_post_released_message(self, invoice_label, reason):
        """Chatter trace when an invoice no longer bills the interventions."""
        for rec in self:
            rec.message_post(
                body=self.env._(
                    "Invoice %(invoice)s %(reason)s: the intervention is to invoice again.",
                    invoice=invoice_label,
                    reason=reason,
                )
            )

    def _fi_planned_hours(self):
        """Planned duration of the mission window, else the hours allocated to the task."""
        self.ensure_one()
        task = self.task_id
        start = task["planned_date_start"] if "planned_date_start" in task._fields else False
        end = task["planned_date_end"] if "planned_date_end" in task._fields else False
        if start and end and end > start:
            return (end - start).total_seconds() / 3600.0
        return task.allocated_hours

    def _fi_check_reasons(self, data, invoiced_elsewhere=None):
        """Pre-billing check reasons of the intervention (empty list when clean)."""
        self.ensure_one()
        reasons = []
        planned = self._fi_planned_hours()
        ratio = self.company_id.fi_hours_overrun_ratio
        if planned and self.duration > planned * (1.0 + ratio):
            reasons.append(
                self.env._(
                    "%(name)s: %(worked).2f h worked for %(planned).2f h planned.",
                    name=self.name,
                    worked=self.duration,
                    planned=planned,
                )
            )
        if not data.timesheets[self.id]:
            reasons.append(self.env._("%(name)s: no timesheet.", name=self.name))
        if "has_reserves" in self._fields and self.has_reserves:
            reasons.append(self.env._("%(name)s: the customer signed with reserves.", name=self.name))
        if invoiced_elsewhere:
            reasons.append(
                self.env._(
                    "%(name)s: time already invoiced on %(invoices)s.",
                    name=self.name,
                    invoices=", ".join(invoiced_elsewhere.mapped("display_name")),
                )
            )
        return reasons
