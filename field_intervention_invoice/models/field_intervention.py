import logging
from collections import defaultdict
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY
from odoo.tools import SQL, float_is_zero, format_date

from ..tools.invoicing_batch import BillableItem, InvoicingBatch
from .project_project import INVOICE_POLICIES

_logger = logging.getLogger(__name__)

BILLING_GROUP = "account.group_account_invoice"
MANAGER_GROUP = "field_intervention.group_field_intervention_manager"
MANAGER_OR_BILLING = f"{BILLING_GROUP},{MANAGER_GROUP}"


# first key of the transaction-level advisory locks that share the invoicing cron between workers
CUSTOMER_LOCK_NAMESPACE = 0x46490001


class _DryRun(Exception):
    """Raised inside a savepoint to roll back a trial invoicing."""


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
        [
            ("no", "Nothing to Invoice"),
            ("to_invoice", "To Invoice"),
            ("no_quantity", "No Billable Quantity"),
            ("invoiced", "Invoiced"),
        ],
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
    invoice_no_quantity = fields.Boolean(
        string="No Billable Quantity",
        readonly=True,
        copy=False,
        groups=MANAGER_OR_BILLING,
        help="Set by the invoicing when the signed report bills nothing (its worked time, travel "
        "and parts all round to a zero quantity): no invoice is made for it.",
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

    @api.depends("state", "invoice_policy", "invoice_id", "invoice_no_quantity")
    def _compute_invoice_status(self):
        for rec in self:
            if rec.invoice_id:
                rec.invoice_status = "invoiced"
            elif rec.state == "signed" and rec.invoice_policy != "no":
                rec.invoice_status = "no_quantity" if rec.invoice_no_quantity else "to_invoice"
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
    def _on_signed_pdf_ready(self):
        """Attach the signed report to the invoice when it is produced after the invoice."""
        res = super()._on_signed_pdf_ready()
        # called by the signature flow after its access checks; billing fields need sudo
        interventions_sudo = self.sudo()
        interventions_sudo._fi_attach_signed_pdfs()
        return res

    def _fi_process_pending_jobs(self):
        """Have the draft invoice of the interventions invoiced one by one made right after
        their signed PDF, by the invoicing scheduled action triggered now.

        The signature queues its signed PDF, which the signature's scheduled action renders
        right after the customer's answer; the invoice follows that job: it carries the signed
        report, and it is never made at the same moment as the job on the same intervention.
        When the PDF fails, the invoice is made anyway and the PDF is attached when a retry
        produces it (:meth:`_on_signed_pdf_ready`). Neither the customer nor the technician
        waits for the invoice, and invoicing can never make the signature fail; its errors are
        stored on the intervention and an activity is scheduled for billing (see
        :meth:`_fi_invoice_isolated`).
        """
        res = super()._fi_process_pending_jobs()
        # run by the signature flow after its access checks; billing fields need sudo
        if any(
            rec.state == "signed" and rec.invoice_policy == "per_intervention" and rec.invoice_status == "to_invoice"
            for rec in self.sudo()
        ):
            self.env.ref("field_intervention_invoice.ir_cron_field_intervention_invoice").sudo()._trigger()
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
        if not moves:
            # nothing to bill: marked on the interventions (committed, not an error to roll back)
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": self.env._("Nothing to bill: no invoice was created (no billable quantity)."),
                    "next": {"type": "ir.actions.client", "tag": "soft_reload"},
                },
            }
        return moves.with_env(self.env)._fi_action_view()

    @api.readonly
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
        """Signed interventions whose invoicing is due now (grouped periods must be over, the
        signed report produced or tried)."""
        today = fields.Date.context_today(self)
        week_start = today - timedelta(days=today.weekday())
        month_start = today.replace(day=1)
        return [
            ("state", "=", "signed"),
            ("invoice_status", "=", "to_invoice"),
            ("invoice_error", "=", False),
            # the invoice waits for the first attempt at the signed report it carries (seconds
            # after the signature, by the signature's own scheduled action)
            "|",
            ("sign_pdf_pending", "=", False),
            ("sign_job_attempts", ">", 0),
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
        nothing = todo._fi_nothing_to_bill(data)
        if nothing:
            nothing._fi_mark_no_quantity()
            todo -= nothing
        errors = self.env["field.intervention.invoice.check"]._blocking_errors(todo, data)
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

    def _fi_nothing_to_bill(self, data):
        """The interventions whose invoice would bill nothing: no worked time, travel or part
        amounts to a quantity once rounded as invoice quantities are (a few seconds of time and
        no part made a 0.00 invoice). An intervention whose billed content differs from what
        was signed is not one of them: the pre-billing checks report it."""
        Check = self.env["field.intervention.invoice.check"]
        digits = data.quantity_digits
        return self.filtered(
            lambda rec: (
                not data.items(rec)
                and float_is_zero(rec._fi_billed_hours(data), precision_digits=digits)
                and not Check._signed_content_mismatch(rec, data)
            )
        )

    def _fi_mark_no_quantity(self):
        """Mark the interventions as billing nothing, once, with a trace in their chatter: they
        leave the interventions to invoice and the invoicing never takes them again."""
        self.write({"invoice_no_quantity": True, "invoice_error": False})
        self._message_log_batch(bodies={rec.id: rec._fi_no_quantity_message() for rec in self})

    def _fi_no_quantity_message(self):
        """Why the intervention bills nothing, in its chatter (hook)."""
        self.ensure_one()
        return self.env._(
            "Nothing to bill: the worked time, travel and parts of the signed report round to a zero "
            "quantity. No invoice is created for this intervention."
        )

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

        The pre-billing checks are computed before the creation: no write afterwards.
        Raises on error: callers isolate the failures (:meth:`_fi_invoice_isolated`).
        """
        self.env["sale.order.line"]._fi_deliver_interventions(self, data)
        Move = self.env["account.move"]
        Check = self.env["field.intervention.invoice.check"]
        elsewhere = Check._invoiced_elsewhere(self, Move)
        invoice_vals_list = []
        for group in self._fi_split_groups(data):
            invoice_vals = group._fi_prepare_invoice(data)
            sequence = 10
            for rec in group:
                for line_vals in rec._fi_prepare_invoice_lines(data, with_section=len(group) > 1):
                    line_vals["sequence"] = sequence
                    sequence += 1
                    invoice_vals["invoice_line_ids"].append(Command.create(line_vals))
            reasons = Check._review_reasons_of_vals(group, data, elsewhere, invoice_vals)
            invoice_vals.update(Check._check_values(reasons))
            Move._fi_add_line_amounts(invoice_vals)
            invoice_vals_list.append(invoice_vals)
        moves = (
            Move.with_context(default_move_type="out_invoice", fi_new_invoices=True)
            .create(invoice_vals_list)
            .with_env(Move.env)
        )
        moves._fi_link_timesheets(data)
        self._fi_attach_signed_pdfs()
        return moves

    def _fi_prepare_invoice(self, data):
        """Values of the invoice of a group of interventions (same customer, currency, order)."""
        first = self[0]
        sale_line = data.sale_line(first)
        if sale_line:
            # in the customer's language, as core's sale.order._create_invoices
            order = sale_line.order_id.with_company(first.company_id).with_context(lang=data.lang(first))
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
        if not vals.get("journal_id"):
            vals["journal_id"] = data.journal(first.company_id, data.currency(first)).id
        if "invoice_user_id" not in vals:
            # whom the customer deals with about the invoice (its mail is signed with their
            # name): the company's billing clerk, else the project's manager; never the
            # scheduled action's user ("System")
            vals["invoice_user_id"] = (first.company_id.fi_billing_user_id or first.project_id.user_id).id
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
        """'BI/2026/00042 - 03/12/2026 - Site, City': tells which intervention a line bills.
        The date is in the format of the environment's language: call it in the customer's
        (``InvoicingBatch.reference_label``)."""
        self.ensure_one()
        site = self.site_id
        parts = [self.name, format_date(self.env, self.intervention_date)]
        if site:
            parts.append(", ".join(filter(None, [site.name or site.display_name, site.city])))
        return " - ".join(filter(None, parts))

    def _fi_prepare_invoice_lines(self, data, with_section=False):
        """Values of the invoice lines of the intervention: from the order lines on the sale
        order path (``sale.order.line._fi_prepare_intervention_invoice_lines``), else one line
        per billable item (:meth:`_fi_prepare_invoice_line`).

        The first line claims the intervention (``fi_invoice_claim``, unique in the database).
        Every line names the intervention; grouped invoices also get a section per intervention.
        """
        self.ensure_one()
        if data.sale_line(self):
            lines = self.env["sale.order.line"]._fi_prepare_intervention_invoice_lines(self, data)
        else:
            lines = [self._fi_prepare_invoice_line(item, data) for item in data.items(self)]
        if not lines:
            raise UserError(self.env._("there is nothing to invoice (no worked time, travel or part)."))
        if not data.has_analytic_models(self.company_id):
            # no distribution model to apply: spare core its lookup per line (it finds nothing)
            for line_vals in lines:
                line_vals.setdefault("analytic_distribution", False)
        lines[0]["fi_invoice_claim"] = True
        if with_section:
            lines.insert(
                0,
                {
                    "display_type": "line_section",
                    "name": data.reference_label(self),
                    "intervention_id": self.id,
                },
            )
        return lines

    def _fi_prepare_invoice_line(self, item, data):
        """Values of the invoice line of one billable item (direct path, no sale order).

        :param BillableItem item: labour, travel or a part of the intervention
        :param InvoicingBatch data: what the batch has read (prices, taxes, ...)
        """
        self.ensure_one()
        product = item.product
        return {
            "display_type": "product",
            "product_id": product.id,
            "name": f"{item.name}\n{data.reference_label(self)}",
            "quantity": item.quantity,
            "product_uom_id": item.uom.id,
            "price_unit": data.price(product, item.quantity, item.uom, self),
            "tax_ids": [Command.set(data.taxes(product, self)[0].ids)],
            "intervention_id": self.id,
        }

    def _fi_get_billable_items(self, data):
        """[BillableItem] of the intervention: labour (direct path only), travel and parts, each
        with a quantity that is not zero once rounded as invoice quantities are.
        Read through ``data.items()``, which computes them once per batch."""
        self.ensure_one()
        items = []
        project = self.project_id
        digits = data.quantity_digits
        hours = self._fi_billed_hours(data)
        if hours and project.labour_product_id and not data.sale_line(self):
            product = project.labour_product_id
            quantity = self._fi_convert_hours(hours, product.uom_id)
            if not float_is_zero(quantity, precision_digits=digits):
                items.append(BillableItem("labour", product, quantity, product.uom_id, product.display_name))
        travel = project.travel_product_id
        if travel and (self.travel_duration or self.travel_distance):
            quantity = self._fi_travel_quantity(travel.uom_id, data)
            if not float_is_zero(quantity, precision_digits=digits):
                items.append(BillableItem("travel", travel, quantity, travel.uom_id, travel.display_name))
        for part in self._fi_billable_parts():
            if float_is_zero(part.quantity, precision_digits=digits):
                continue
            items.append(
                BillableItem(
                    "part",
                    part.product_id,
                    part.quantity,
                    part.product_uom_id or part.product_id.uom_id,
                    part.name or part.product_id.display_name,
                )
            )
        return items

    def _fi_billed_hours(self, data):
        """Worked hours billed as labour (hook: all the hours of the intervention's timesheets)."""
        self.ensure_one()
        return data.hours[self.id]

    def _fi_billable_parts(self):
        """Parts of the report billed to the customer (hook: all of them)."""
        self.ensure_one()
        return self.part_ids

    def _fi_convert_hours(self, hours, uom):
        """Hours (company time unit) in the unit of the product when it is a time unit."""
        time_uom = self.company_id.project_time_mode_id
        if time_uom and uom.category_id == time_uom.category_id:
            return time_uom._compute_quantity(hours, uom, round=False)
        return hours

    def _fi_travel_quantity(self, uom, data):
        """Travel time for a time unit, distance for a length unit, else one trip."""
        if uom.category_id == data.time_category:
            return self._fi_convert_hours(self.travel_duration, uom)
        if uom.category_id == data.length_category:
            return data.km._compute_quantity(self.travel_distance, uom, round=False)
        return 1.0

    def _fi_attach_signed_pdfs(self):
        """Copy the signed report of each intervention on its invoice (once)."""
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
