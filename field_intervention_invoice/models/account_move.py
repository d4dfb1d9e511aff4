from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import SQL

from odoo.addons.field_intervention.tools.trusted_write import trusted_write

from ..tools.invoicing_batch import InvoicingBatch

# Estimated heights (mm) of the invoice PDF's parts, to start each page with the company's
# identity: Debian's wkhtmltopdf neither prints Odoo's header nor repeats table headers.
FI_PDF_METRICS = {
    "first_page": 110.0,  # identity, customer addresses, title, dates, column titles
    "next_page": 55.0,  # identity and "continued" line
    "tail": 95.0,  # totals, VAT per rate, amount in words, payment terms, legal mentions
    "line": 4.9,  # one line of text in the lines table
    "line_padding": 3.6,  # cell padding and borders of a line
    "line_chars": 60,  # characters per line of the description column
}

# set by the invoicing and its pre-billing checks only
MOVE_PROTECTED_FIELDS = frozenset(
    {"fi_from_intervention", "fi_check_state", "fi_check_reasons", "fi_intervention_ids", "fi_intervention_count"}
)


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "field.intervention.guarded.mixin"]  # noqa: RUF012

    fi_from_intervention = fields.Boolean(
        string="From Interventions",
        readonly=True,
        copy=False,
        index=True,
        help="Created from signed intervention reports.",
    )
    fi_intervention_ids = fields.Many2many(
        "field.intervention",
        string="Interventions",
        compute="_compute_fi_intervention_ids",
    )
    fi_intervention_count = fields.Integer(
        string="Intervention Count",
        compute="_compute_fi_intervention_ids",
    )
    fi_check_state = fields.Selection(
        [("clean", "Clean"), ("to_review", "To Review")],
        string="Pre-billing Check",
        readonly=True,
        copy=False,
        index=True,
        help="Result of the pre-billing checks of an invoice born from interventions.",
    )
    fi_check_reasons = fields.Text(string="Points to Review", readonly=True, copy=False)

    @api.depends("invoice_line_ids.intervention_id")
    def _compute_fi_intervention_ids(self):
        for move in self:
            move.fi_intervention_ids = move.invoice_line_ids.intervention_id
            move.fi_intervention_count = len(move.fi_intervention_ids)

    def write(self, vals):
        if vals == {"is_manually_modified": False} and self.env.context.get("fi_new_invoices"):
            # core's create() ends by resetting this flag (False already) on the invoices it has
            # just made and synced: one more sync of all their lines would change nothing
            self = self.with_context(skip_invoice_sync=True)  # noqa: PLW0642
        return super().write(vals)

    # ------------------------------------------------------------------
    # Guarded fields: the checks are the checks' own
    # ------------------------------------------------------------------
    def _fi_guarded_fields(self):
        return super()._fi_guarded_fields() | MOVE_PROTECTED_FIELDS

    def _fi_guarded_hint(self):
        return self.env._("the pre-billing checks set them: correct the invoice, then use Check Again.")

    # ------------------------------------------------------------------
    # CRUD and state changes: an intervention billed by a cancelled, reversed or deleted
    # invoice is to invoice again.
    # ------------------------------------------------------------------
    def unlink(self):
        released = self._fi_claimed_interventions()
        res = super().unlink()
        for label, interventions in released:
            interventions._fi_post_released_message(label, self.env._("was deleted"))
        return res

    def button_cancel(self):
        res = super().button_cancel()
        self.filtered(lambda move: move.state == "cancel")._fi_release_interventions(self.env._("was cancelled"))
        return res

    def button_draft(self):
        cancelled = self.filtered(lambda move: move.state == "cancel" and move.fi_from_intervention)
        res = super().button_draft()
        cancelled._fi_reclaim_interventions()
        return res

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        for refund in posted.filtered(
            lambda move: move.move_type == "out_refund" and move.reversed_entry_id.fi_from_intervention
        ):
            invoice = refund.reversed_entry_id
            # only a full reversal frees the interventions; a partial credit note keeps them billed
            if invoice.currency_id.compare_amounts(refund.amount_total, invoice.amount_total) >= 0:
                invoice._fi_release_interventions(self.env._("was reversed by %(refund)s", refund=refund.name))
        return posted

    def _fi_claimed_interventions(self):
        """[(invoice label, interventions)] of the interventions claimed by the invoices."""
        claims_sudo = self.sudo().line_ids.filtered("fi_invoice_claim")
        by_move = defaultdict(lambda: self.env["field.intervention"].sudo())
        for line in claims_sudo:
            by_move[line.move_id] |= line.intervention_id
        return [(move.name or move.display_name, interventions) for move, interventions in by_move.items()]

    def _fi_release_interventions(self, reason):
        """Release the claim of the invoices on their interventions, with a chatter trace."""
        released = self._fi_claimed_interventions()
        if not released:
            return
        # billing users may not write interventions; the claim lines belong to these invoices
        self.sudo().line_ids.filtered("fi_invoice_claim").fi_invoice_claim = False
        for label, interventions in released:
            interventions._fi_post_released_message(label, reason)

    def _fi_reclaim_interventions(self):
        """A cancelled invoice set back to draft bills its interventions again, unless they were
        invoiced elsewhere meanwhile: its first line of each intervention claims it again."""
        first_lines = {}
        for line in (
            self.sudo()
            .invoice_line_ids.filtered(lambda line: line.display_type == "product" and line.intervention_id)
            .sorted(lambda line: (line.move_id.id, line.sequence, line.id))
        ):
            first_lines.setdefault((line.move_id.id, line.intervention_id.id), line)
        claims_sudo = self.env["account.move.line"].sudo().concat(*first_lines.values())
        already = claims_sudo.intervention_id.filtered("invoice_id")
        if already:
            raise UserError(
                self.env._(
                    "Intervention %(name)s is already invoiced on %(invoice)s: this invoice cannot be reset to draft.",
                    name=already[0].name,
                    invoice=already[0].invoice_id.display_name,
                )
            )
        claims_sudo.fi_invoice_claim = True

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_fi_post_clean(self):
        """Post the selected draft invoices born from interventions that passed all checks."""
        clean = self.filtered(
            lambda move: move.state == "draft" and move.fi_from_intervention and move.fi_check_state == "clean"
        )
        if not clean:
            raise UserError(self.env._("No clean draft invoice from interventions in the selection."))
        clean.action_post()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(posted)s invoice(s) posted, %(skipped)s left for review.",
                    posted=len(clean),
                    skipped=len(self - clean),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_fi_recheck(self):
        """Run the pre-billing checks again (after a correction)."""
        self.check_access("write")
        self.filtered(lambda move: move.state == "draft" and move.fi_from_intervention)._fi_run_checks()
        return True

    @api.readonly
    def action_fi_view_interventions(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("field_intervention.field_intervention_action")
        action["domain"] = [("id", "in", self.fi_intervention_ids.ids)]
        action["context"] = {"create": False}
        return action

    def _fi_action_view(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        if len(self) == 1:
            action.update({"views": [(False, "form")], "res_id": self.id})
        else:
            action["domain"] = [("id", "in", self.ids)]
        return action

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _fi_link_timesheets(self, data):
        """Link the intervention's timesheets to the invoice, as sale_timesheet does for orders
        (on the sale order path, only those of the invoiced sale lines).

        One UPDATE for the whole batch: ``timesheet_invoice_id`` is a billing field (no access
        rule, constraint nor lock applies to it; core writes it as superuser too) and one ORM
        write per invoice was the costliest step of batch invoicing.
        """
        pairs = []
        for move in self:
            sale_line_ids = set(move.invoice_line_ids.sale_line_ids.ids)
            for intervention in move.invoice_line_ids.intervention_id:
                on_order = bool(data.sale_line(intervention))
                pairs += [
                    (ts_id, move.id)
                    for ts_id, so_line_id in data.timesheets[intervention.id]
                    if not on_order or so_line_id in sale_line_ids
                ]
        if not pairs:
            return
        timesheets_sudo = self.env["account.analytic.line"].sudo().browse([ts_id for ts_id, __ in pairs])
        timesheets_sudo.flush_recordset()
        timesheets_sudo.modified(["timesheet_invoice_id"])
        self.env.cr.execute(
            SQL(
                """UPDATE account_analytic_line AS aal
                  SET timesheet_invoice_id = v.move_id, write_uid = %s, write_date = %s
                 FROM (VALUES %s) AS v(id, move_id)
                WHERE aal.id = v.id""",
                self.env.uid,
                fields.Datetime.now(),
                SQL(", ").join(SQL("(%s, %s)", ts_id, move_id) for ts_id, move_id in pairs),
            )
        )
        timesheets_sudo.invalidate_recordset(["timesheet_invoice_id", "write_uid", "write_date"])
        self.invalidate_recordset(["timesheet_ids"])
        timesheets_sudo.modified(["timesheet_invoice_id"])

    @api.model
    def _fi_add_line_amounts(self, invoice_vals):
        """Add to the product lines of the invoice values the amounts and tax report tags that
        core's tax line sync computes after the creation (``_sync_tax_lines``), computed by the
        same helpers: created with them, the lines need no write each, which was the costliest
        part of creating the invoices (a write of a line syncs its whole invoice again).
        Where :meth:`_fi_line_amounts_apply` says no, the values are left to core.
        """
        line_vals_list = [
            vals for __, __, vals in invoice_vals["invoice_line_ids"] if vals.get("display_type") == "product"
        ]
        if not self._fi_line_amounts_apply(invoice_vals, line_vals_list):
            return
        AccountTax = self.env["account.tax"]
        company = self.env["res.company"].browse(invoice_vals["company_id"])
        sign = -1  # direction of a customer invoice
        base_lines = [
            AccountTax._prepare_base_line_for_taxes_computation(
                None,
                product_id=self.env["product.product"].browse(vals.get("product_id")),
                product_uom_id=self.env["uom.uom"].browse(vals.get("product_uom_id")),
                tax_ids=self.env["field.intervention.invoice.check"]._command_taxes(vals["tax_ids"]),
                price_unit=vals["price_unit"],
                quantity=vals["quantity"],
                discount=vals.get("discount", 0.0),
                currency_id=company.currency_id,
                rate=1.0,
                sign=sign,
                is_refund=False,
                tax_tag_invert=True,
            )
            for vals in line_vals_list
        ]
        AccountTax._add_tax_details_in_base_lines(base_lines, company)
        AccountTax._round_base_lines_tax_details(base_lines, company)
        AccountTax._add_accounting_data_in_base_lines_tax_details(base_lines, company)
        for vals, base_line in zip(line_vals_list, base_lines, strict=True):
            details = base_line["tax_details"]
            vals["tax_tag_ids"] = [Command.set(base_line["tax_tag_ids"].ids)]
            vals["amount_currency"] = sign * (
                details["total_excluded_currency"] + details["delta_total_excluded_currency"]
            )
            vals["balance"] = sign * (details["total_excluded"] + details["delta_total_excluded"])

    @api.model
    def _fi_line_amounts_apply(self, invoice_vals, line_vals_list):
        """Whether the amounts of the product lines depend on these lines alone: a customer
        invoice in the company currency (rate 1), without cash rounding nor early payment
        discount (their lines are also base lines of the taxes), whose lines have their price,
        quantity and taxes (else core computes them from the product)."""
        if invoice_vals.get("move_type") != "out_invoice" or invoice_vals.get("invoice_cash_rounding_id"):
            return False
        company = self.env["res.company"].browse(invoice_vals["company_id"])
        if invoice_vals["currency_id"] != company.currency_id.id:
            return False
        term = self.env["account.payment.term"].browse(invoice_vals.get("invoice_payment_term_id"))
        if not term:
            partner = self.env["res.partner"].browse(invoice_vals["partner_id"]).with_company(company)
            term = partner.property_payment_term_id
        return not term.early_discount and all(
            {"price_unit", "quantity", "tax_ids"} <= vals.keys() for vals in line_vals_list
        )

    def _fi_run_checks(self):
        """Pre-billing checks again on existing invoices: flag them "to review" with the
        reasons, else "clean" (invoices are created with their checks already done)."""
        moves = self.filtered("fi_from_intervention")
        if not moves:
            return
        Check = self.env["field.intervention.invoice.check"]
        interventions_sudo = moves.sudo().invoice_line_ids.intervention_id
        data = InvoicingBatch(interventions_sudo)
        elsewhere = Check._invoiced_elsewhere(interventions_sudo, moves)
        results = defaultdict(lambda: self.env["account.move"])
        for move in moves:
            lines = move.invoice_line_ids.filtered(lambda line: line.display_type == "product")
            reasons = Check._review_reasons(
                move.sudo().invoice_line_ids.intervention_id,
                data,
                elsewhere,
                [(line.product_id, line.price_unit, line.name, line.tax_ids) for line in lines],
                move.currency_id,
                move.company_id,
                move.partner_id,
                move.partner_shipping_id,
            )
            results[tuple(reasons)] |= move
        with trusted_write():
            for reasons, group in results.items():  # one write per distinct result
                group.write(Check._check_values(list(reasons)))

    def _fi_service_dates(self):
        """Sorted dates of the service: those of the interventions the invoice bills."""
        self.ensure_one()
        return sorted(set(self.sudo().invoice_line_ids.intervention_id.mapped("intervention_date")))

    def _fi_pdf_pages(self, paginate=True):
        """How the invoice PDF is cut into pages, each starting with the company's identity:
        {'chunks': the invoice lines of each page, in print order, 'tail': whether the totals
        and mentions start a new page}. Estimated from FI_PDF_METRICS and the paper format, on
        the safe side (a page ends a little early rather than spilling without its identity)."""
        self.ensure_one()
        lines = self.invoice_line_ids.sorted(
            key=lambda line: (-line.sequence, line.date, line.move_name, -line.id), reverse=True
        )
        if not paginate:
            return {"chunks": [lines], "tail": False}
        metrics = FI_PDF_METRICS
        paperformat = self.env["ir.actions.report"]._get_report("account.account_invoices").get_paperformat()
        height = paperformat.print_page_height - paperformat.margin_top - paperformat.margin_bottom
        chunks, used = [lines.browse()], metrics["first_page"]
        for line in lines:
            line_height = self._fi_pdf_line_height(line)
            if chunks[-1] and used + line_height > height:
                chunks.append(lines.browse())
                used = metrics["next_page"]
            chunks[-1] |= line
            used += line_height
        return {"chunks": chunks, "tail": used + metrics["tail"] > height}

    @api.model
    def _fi_pdf_line_height(self, line):
        """Estimated height (mm) of an invoice line in the PDF: its description wraps."""
        metrics = FI_PDF_METRICS
        chars = metrics["line_chars"]
        rows = sum(max(1, -(-len(text) // chars)) for text in (line.name or "").splitlines()) or 1
        return metrics["line_padding"] + metrics["line"] * rows
