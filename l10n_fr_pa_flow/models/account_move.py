import io
import uuid
from collections import defaultdict
from decimal import ROUND_FLOOR, Decimal

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, RedirectWarning, UserError
from odoo.tools.pdf import OdooPdfFileReader, OdooPdfFileWriter, PdfReadError

from ..tools.cdar import ADDRESS_SCHEME, ROLE_BUYER, ROLE_SELLER, CollectedAmount, LifecycleMessage, Party, build_cdar
from ..tools.trusted import check_pa_trusted, pa_trusted
from .l10n_fr_pa_flow import STOPPED
from .l10n_fr_pa_status import APPROVED, ATTENTION, STATUSES, TERMINAL

# set by billing's confirmation that an invoice failing the French e-invoicing rules is posted
CONFIRM_KEY = "l10n_fr_pa_post_invalid"
PA_MOVE_FIELDS = frozenset(
    {
        "l10n_fr_pa_flow_ids",
        "l10n_fr_pa_status_ids",
        "l10n_fr_pa_deposit_state",
        "l10n_fr_pa_deposit_reason",
        "l10n_fr_pa_status",
        "l10n_fr_pa_attention",
        "l10n_fr_pa_deposit_date",
        "l10n_fr_pa_acceptance_date",
        "l10n_fr_pa_cash_date",
        "l10n_fr_pa_collected_sent",
        "l10n_fr_pa_collection_delta",
    }
)
# What the deposited invoice says (the CII of account_edi_ubl_cii, its Factur-X PDF): once the
# platform holds the invoice, none of it changes, whatever the context (core's readonly check on
# posted moves is skipped with a context key any RPC client can send).
LOCKED_MOVE_FIELDS = frozenset(
    {
        "name",
        "move_type",
        "journal_id",
        "company_id",
        "partner_id",
        "commercial_partner_id",
        "partner_shipping_id",
        "partner_bank_id",
        "currency_id",
        "invoice_date",
        "invoice_date_due",
        "delivery_date",
        "invoice_payment_term_id",
        "fiscal_position_id",
        "invoice_cash_rounding_id",
        "invoice_incoterm_id",
        "invoice_line_ids",
        "line_ids",
        "narration",
        "ref",
        "payment_reference",
        "purchase_order_reference",
        "buyer_reference",
        "contract_reference",
    }
)


class AccountMove(models.Model):
    _inherit = "account.move"

    l10n_fr_pa_flow_ids = fields.One2many("l10n_fr_pa.flow", "move_id", string="Platform Flows", readonly=True)
    l10n_fr_pa_status_ids = fields.One2many("l10n_fr_pa.status", "move_id", string="Platform Statuses", readonly=True)
    l10n_fr_pa_deposit_state = fields.Selection(
        [("queued", "To Deposit"), ("sent", "Deposited"), ("error", "Rejected")],
        string="Platform Deposit",
        compute="_compute_l10n_fr_pa_deposit",
        store=True,
        index=True,
        copy=False,
    )
    l10n_fr_pa_deposit_reason = fields.Text(
        string="Deposit Rejection", compute="_compute_l10n_fr_pa_deposit", store=True, copy=False
    )
    l10n_fr_pa_deposit_date = fields.Datetime(
        string="Deposit Date", compute="_compute_l10n_fr_pa_deposit", store=True, copy=False
    )
    l10n_fr_pa_status = fields.Selection(
        STATUSES, string="Platform Status", compute="_compute_l10n_fr_pa_status", store=True, index=True, copy=False
    )
    l10n_fr_pa_attention = fields.Boolean(
        string="Platform Problem",
        compute="_compute_l10n_fr_pa_status",
        store=True,
        copy=False,
        help="The platform rejected the invoice, or the customer refused or disputes it.",
    )
    l10n_fr_pa_acceptance_date = fields.Datetime(
        string="Approval Date", compute="_compute_l10n_fr_pa_status", store=True, copy=False
    )
    l10n_fr_pa_cash_date = fields.Datetime(
        string="Collection Date", compute="_compute_l10n_fr_pa_status", store=True, copy=False
    )
    l10n_fr_pa_collected_sent = fields.Monetary(
        string="Collected (Sent)",
        readonly=True,
        copy=False,
        help="Amount already declared collected (212 Encaissée) to the platform.",
    )
    l10n_fr_pa_collection_delta = fields.Monetary(
        string="Collection to Declare",
        compute="_compute_l10n_fr_pa_collection_delta",
        store=True,
        copy=False,
    )

    @api.depends("l10n_fr_pa_flow_ids.state", "l10n_fr_pa_flow_ids.submitted_at", "l10n_fr_pa_flow_ids.reason_code")
    def _compute_l10n_fr_pa_deposit(self):
        for move in self:
            flows = move.l10n_fr_pa_flow_ids.filtered(
                lambda flow: flow.flow_type == "CustomerInvoice" and flow.state != "cancelled"
            ).sorted("id")
            current = flows[-1:] if flows else flows
            move.l10n_fr_pa_deposit_state = current.state or False
            move.l10n_fr_pa_deposit_reason = False
            if current.state == "error":
                # stored: in the language of billing, who corrects the invoice
                lang = move._l10n_fr_pa_activity_user().lang or self.env.lang
                move.l10n_fr_pa_deposit_reason = self.env["l10n_fr_pa.flow"].with_context(lang=lang)._reason_label(
                    current.reason_code
                ) + (f"\n{current.reason_message}" if current.reason_message else "")
            submitted = flows.filtered("submitted_at").mapped("submitted_at")
            move.l10n_fr_pa_deposit_date = min(submitted) if submitted else False

    @api.depends(
        "l10n_fr_pa_status_ids.code",
        "l10n_fr_pa_status_ids.date",
        "l10n_fr_pa_status_ids.received_at",
        "l10n_fr_pa_status_ids.error",
        "l10n_fr_pa_deposit_state",
        "l10n_fr_pa_flow_ids.create_date",
    )
    def _compute_l10n_fr_pa_status(self):
        for move in self:
            statuses = move._l10n_fr_pa_current_statuses()
            terminal = statuses.filtered(lambda status: status.code in TERMINAL)
            current = (terminal or statuses)[-1:]
            move.l10n_fr_pa_status = current.code or False
            move.l10n_fr_pa_attention = move.l10n_fr_pa_deposit_state == "error" or current.code in ATTENTION
            approved = statuses.filtered(lambda status: status.code in APPROVED)
            move.l10n_fr_pa_acceptance_date = approved[:1].date or False
            cashed = statuses.filtered(lambda status: status.code == "212")
            move.l10n_fr_pa_cash_date = cashed[-1:].date or False

    @api.depends("payment_state", "amount_residual", "l10n_fr_pa_collected_sent", "l10n_fr_pa_deposit_state")
    def _compute_l10n_fr_pa_collection_delta(self):
        for move in self:
            if not move._l10n_fr_pa_declares_collection():
                move.l10n_fr_pa_collection_delta = 0.0
                continue
            move.l10n_fr_pa_collection_delta = move._l10n_fr_pa_collected() - move.l10n_fr_pa_collected_sent

    def _l10n_fr_pa_redeposited_at(self):
        """When the current deposit of an invoice deposited again started (False for a first
        deposit): the statuses dated before it are those of the rejected deposit."""
        self.ensure_one()
        deposits = self.l10n_fr_pa_flow_ids.filtered(lambda flow: flow.flow_type == "CustomerInvoice").sorted("id")
        # to the second, as the statuses' receipt times (a status received right after the new
        # deposit started is about it)
        return deposits[-1].create_date.replace(microsecond=0) if len(deposits) > 1 else False

    def _l10n_fr_pa_current_statuses(self):
        """The statuses that count for the invoice's current deposit, in the order they happened:
        those recorded with an error (unreadable, or a seller's status we did not send) change
        nothing, and a status dated after its receipt counts from its receipt (a date in the
        future does not outrank the statuses received after it)."""
        self.ensure_one()
        since = self._l10n_fr_pa_redeposited_at()
        return self.l10n_fr_pa_status_ids.filtered(
            lambda status: status.code and not status.error and (not since or status._sort_date() >= since)
        ).sorted(lambda status: (status._sort_date(), status.id))

    def _l10n_fr_pa_locked(self):
        """Whether the approved platform holds the invoice, or is about to: a posted invoice whose
        current deposit is queued, or deposited and not rejected since (213 Rejetée). Such an
        invoice is final: no reset to draft, no cancellation, no change; a credit note, deposited
        too, corrects it. A deposit the platform refused (Error acknowledgement, 213) frees the
        invoice: a rejected invoice is deemed not issued, it is corrected and deposited again
        under its number."""
        self.ensure_one()
        if self.state != "posted":
            return False
        # whoever may change the invoice asks; the deposit records are the exchange's
        move_sudo = self.sudo()
        deposits = move_sudo.l10n_fr_pa_flow_ids.filtered(
            lambda flow: flow.flow_type == "CustomerInvoice" and flow.state != "cancelled"
        ).sorted("id")
        current = deposits[-1:]
        if current.state == "queued":
            return True
        return current.state == "sent" and "213" not in move_sudo._l10n_fr_pa_current_statuses().mapped("code")

    def _l10n_fr_pa_check_unlocked(self):
        """Refuse to reset, cancel or change an invoice the platform holds."""
        locked = self.filtered(lambda move: move._l10n_fr_pa_locked())
        if locked:
            raise UserError(
                self.env._(
                    "%(invoice)s is on the approved platform (deposited, or queued for deposit): it can no "
                    "longer be reset to draft, cancelled or changed. Correct it with a credit note, which is "
                    "deposited too.",
                    invoice=locked[0].display_name,
                )
            )

    @api.depends("l10n_fr_pa_deposit_state", "l10n_fr_pa_status")
    def _compute_show_reset_to_draft_button(self):
        res = super()._compute_show_reset_to_draft_button()
        for move in self:
            if move.show_reset_to_draft_button and move._l10n_fr_pa_locked():
                move.show_reset_to_draft_button = False
        return res

    # ------------------------------------------------------------------
    # CRUD: the platform fields are the exchange's own; what the platform holds is final
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        check_pa_trusted(self, {name for vals in vals_list for name in vals if name in PA_MOVE_FIELDS})
        return super().create(vals_list)

    def write(self, vals):
        check_pa_trusted(self, {name for name in vals if name in PA_MOVE_FIELDS})
        locked_names = LOCKED_MOVE_FIELDS & vals.keys()
        if locked_names or "state" in vals:
            self.filtered(
                lambda move: (
                    ("state" in vals and vals["state"] != move.state)
                    or any(move._l10n_fr_pa_will_change(vals, name) for name in locked_names)
                )
            )._l10n_fr_pa_check_unlocked()
        return super().write(vals)

    def _l10n_fr_pa_will_change(self, vals, name):
        """Whether writing ``vals`` changes the field ``name`` of the move (x2many commands do)."""
        field = self._fields[name]
        if field.type in ("many2one", "many2many", "one2many", "monetary", "float"):
            return self._field_will_change(self, vals, name)
        return field.convert_to_cache(vals[name], self) != field.convert_to_cache(self[name], self)

    @api.ondelete(at_uninstall=False)
    def _l10n_fr_pa_unlink_except_locked(self):
        self._l10n_fr_pa_check_unlocked()

    def button_draft(self):
        self._l10n_fr_pa_check_unlocked()
        return super().button_draft()

    def button_cancel(self):
        self._l10n_fr_pa_check_unlocked()
        return super().button_cancel()

    def action_post(self):
        """Posting an invoice that breaks the French e-invoicing rules, for a French business
        customer of a company connected to a platform, needs billing's confirmation (it is then
        posted, and not deposited: the problems are shown on it). The check reads the file of
        the posted invoice (its number is part of it): without confirmation, the posting is
        undone with the error."""
        res = super().action_post()
        if not self.env.context.get(CONFIRM_KEY):
            self._l10n_fr_pa_confirm_post()
        return res

    def _l10n_fr_pa_confirm_post(self):
        stopped = self.filtered(
            lambda move: (
                move.state == "posted"
                and move.l10n_fr_pa_deposit_state == "error"
                and move.sudo().l10n_fr_pa_flow_ids.sorted("id")[-1:].reason_code == STOPPED
            )
        )
        if not stopped:
            return
        text = "\n".join(
            f"{move.display_name}:\n"
            + "\n".join(
                f"- {line}"
                for line in (move.sudo().l10n_fr_pa_flow_ids.sorted("id")[-1].reason_message or "").splitlines()
            )
            for move in stopped
        )
        action = self.env.ref("l10n_fr_pa_flow.action_account_move_post_invalid_einvoice")
        raise RedirectWarning(
            self.env._(
                "These invoices break the French e-invoicing rules: the platform would refuse them, so they "
                "would not be deposited.\n%(problems)s\nCorrect them before posting, or post them anyway and "
                "correct them afterwards.",
                problems=text,
            ),
            action.id,
            self.env._("Post Anyway"),
            additional_context={"active_model": "account.move", "active_ids": self.ids, "active_id": self[:1].id},
        )

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.filtered(lambda move: move._l10n_fr_pa_to_deposit())._l10n_fr_pa_enqueue()
        return posted

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_l10n_fr_pa_deposit(self):
        """Deposit again (new trackingId) the invoices the platform rejected (Error acknowledgement
        or 213 Rejetée), once corrected, and deposit those posted before the connection was set
        up. Others are left as they are."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only billing users may deposit invoices on the platform."))
        self.check_access("write")
        moves = self._l10n_fr_pa_depositable()
        moves._l10n_fr_pa_enqueue()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if moves else "warning",
                "message": self.env._(
                    "%(count)s invoice(s) queued for the platform; %(skipped)s not concerned or already deposited.",
                    count=len(moves),
                    skipped=len(self - moves),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------
    # Deposit
    # ------------------------------------------------------------------
    def _l10n_fr_pa_to_deposit(self):
        """Whether the invoice goes through the company's platform: a posted customer invoice or
        credit note of a French company, to a French business customer (B2B e-invoicing)."""
        self.ensure_one()
        return self.state == "posted" and self._l10n_fr_pa_goes_to_platform()

    def _l10n_fr_pa_goes_to_platform(self):
        """Whether the invoice, once posted, is deposited on the company's platform."""
        self.ensure_one()
        return bool(
            self.move_type in ("out_invoice", "out_refund")
            and self.company_id._l10n_fr_pa_ready()
            and self.commercial_partner_id._l10n_fr_is_french_business()
        )

    def _l10n_fr_pa_depositable(self):
        """The invoices a deposit request queues: those going through the platform that it does
        not hold (never deposited, posted before the connection was set up, or rejected by an
        Error acknowledgement or a 213 Rejetée); one queued or deposited is left as it is."""
        return self.filtered(
            lambda move: (
                move._l10n_fr_pa_to_deposit()
                and (move.l10n_fr_pa_deposit_state in (False, "error") or move.l10n_fr_pa_status == "213")
            )
        )

    def _l10n_fr_pa_check_einvoice_for_billing(self, xml=None):
        """``_l10n_fr_check_einvoice`` in the language of billing, who corrects the invoice
        (the deposit may run in the scheduled action's language)."""
        self.ensure_one()
        lang = self._l10n_fr_pa_activity_user().lang or self.env.lang
        return self.with_context(lang=lang)._l10n_fr_check_einvoice(xml)

    def _l10n_fr_pa_enqueue(self):
        """Queue the deposit of the invoices (no network call here: the cron deposits). A
        rejected deposit is replaced by a new flow with a new trackingId."""
        if not self:
            return self.env["l10n_fr_pa.flow"]
        with pa_trusted():
            flow_model = self.env["l10n_fr_pa.flow"].sudo()
            flow_model.search(
                [("move_id", "in", self.ids), ("flow_type", "=", "CustomerInvoice"), ("state", "=", "error")]
            ).write({"state": "cancelled"})
            problems = {move: move._l10n_fr_pa_check_einvoice_for_billing() for move in self}
            flows = flow_model.create(
                [
                    {
                        "company_id": move.company_id.id,
                        "move_id": move.id,
                        "flow_type": "CustomerInvoice",
                        "processing_rule": "B2B",
                        "tracking_id": str(uuid.uuid4()),
                    }
                    for move in self
                ]
            )
            for flow in flows:
                if problems[flow.move_id]:
                    flow._stopped(problems[flow.move_id])
        if flows.filtered(lambda flow: flow.state == "queued"):
            self.env.ref("l10n_fr_pa_flow.ir_cron_l10n_fr_pa_deposit")._trigger()
        return flows

    def _l10n_fr_pa_invoice_file(self, syntax):
        """(file name, bytes, syntax) of the invoice to deposit: its Factur-X PDF (the one
        already generated when the invoice was sent, else rendered now with the CII XML of
        account_edi_ubl_cii embedded), or the CII XML alone."""
        self.ensure_one()
        xml, __ = self.env["account.edi.xml.cii"]._export_invoice(self)
        base_name = (self.name or str(self.id)).replace("/", "_")
        if syntax == "CII":
            return f"{base_name}.xml", xml, "CII"
        attachment_sudo = self.sudo().invoice_pdf_report_id
        if attachment_sudo and self._l10n_fr_pa_embeds_facturx(attachment_sudo.raw):
            return attachment_sudo.name, attachment_sudo.raw, "Factur-X"
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdf, __ = report._render_qweb_pdf("account.account_invoices", self.ids)
        reader = OdooPdfFileReader(io.BytesIO(pdf), strict=False)
        writer = OdooPdfFileWriter()
        writer.cloneReaderDocumentRoot(reader)
        writer.addAttachment("factur-x.xml", xml, subtype="text/xml")
        buffer = io.BytesIO()
        writer.write(buffer)
        return f"{base_name}.pdf", buffer.getvalue(), "Factur-X"

    @api.model
    def _l10n_fr_pa_embeds_facturx(self, pdf):
        """Whether a PDF carries the factur-x.xml the platform reads (the PDF printed for a
        customer whose e-invoice format is not Factur-X does not)."""
        try:
            reader = OdooPdfFileReader(io.BytesIO(pdf), strict=False)
            return any(name == "factur-x.xml" for name, __ in reader.getAttachments())
        except (ValueError, PdfReadError):
            return False

    def _l10n_fr_pa_activity_user(self):
        """Who gets the activities of the invoice's platform problems: billing, i.e. the
        invoice's salesperson or author when they do billing, else the company's (an invoice
        created by a technician's action is not theirs to follow)."""
        self.ensure_one()
        for user in self.invoice_user_id | self.create_uid:
            if user.active and not user.share and user.has_group("account.group_account_invoice"):
                return user
        return self.company_id._l10n_fr_pa_billing_user()

    def _l10n_fr_pa_deposit_rejected(self, flow):
        """The platform refused the deposit: say why on the invoice, with an activity."""
        reason = flow._reason_label(flow.reason_code)
        body = Markup("%s<br/>%s") % (
            self.env._("The approved platform rejected the invoice: %(reason)s", reason=reason),
            flow.reason_message or "",
        )
        self._l10n_fr_pa_alert(
            body, self.env._("Platform rejected %(invoice)s: correct it, then Deposit Again", invoice=self.name)
        )

    def _l10n_fr_pa_deposit_stopped(self, flow):
        """The invoice breaks the rules a platform applies: it was not deposited; say which
        rules and what to correct on the invoice, with an activity."""
        move = self.with_context(lang=self._l10n_fr_pa_activity_user().lang or self.env.lang)
        body = Markup("%s<br/>%s") % (
            flow.with_env(move.env)._reason_label(STOPPED),
            Markup("<br/>").join((flow.reason_message or "").splitlines()),
        )
        move._l10n_fr_pa_alert(
            body,
            move.env._("%(invoice)s not deposited: correct it, then Deposit Again", invoice=self.name),
        )

    def _l10n_fr_pa_alert(self, body, summary):
        self.ensure_one()
        move_sudo = self.sudo()
        move_sudo.message_post(body=body, message_type="notification", subtype_xmlid="mail.mt_note")
        user = self._l10n_fr_pa_activity_user()
        move_sudo.activity_schedule(
            "mail.mail_activity_data_todo", summary=summary, note=body, user_id=user.id or self.env.uid
        )

    # ------------------------------------------------------------------
    # Lifecycle in
    # ------------------------------------------------------------------
    @api.model
    def _l10n_fr_pa_match_invoice(self, company, message):
        """The invoice a lifecycle message is about: number, date and seller SIREN (the
        trackingId of the deposit is not in the message)."""
        if company.partner_id._l10n_fr_siren() != message.seller_siren:
            return self.browse()
        return (
            self.sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("move_type", "in", ("out_invoice", "out_refund")),
                    ("name", "=", message.invoice_number),
                    ("invoice_date", "=", message.invoice_date),
                    ("state", "=", "posted"),
                ],
                limit=1,
            )
            .with_env(self.env)
        )

    def _l10n_fr_pa_status_received(self, status):
        """A status arrived: the problems ones open an activity for billing."""
        self.ensure_one()
        if status.code not in ATTENTION:
            return
        label = status._status_label(status.code)
        body = Markup("%s<br/>%s") % (
            self.env._(
                "Platform status %(code)s %(label)s on %(date)s.",
                code=status.code,
                label=label,
                date=fields.Datetime.to_string(status.date),
            ),
            status._reason_text(),
        )
        self._l10n_fr_pa_alert(body, self.env._("%(invoice)s: %(label)s", invoice=self.name, label=label))

    def _l10n_fr_pa_record_own_status(self, flow):
        """Our own lifecycle flow (212) was deposited: it joins the invoice's history."""
        self.ensure_one()
        self.env["l10n_fr_pa.status"].sudo().create(
            {
                "company_id": self.company_id.id,
                "move_id": self.id,
                "code": flow.status_code,
                "label": self.env["l10n_fr_pa.status"]._status_label(flow.status_code),
                "date": flow.submitted_at or fields.Datetime.now(),
                "amount": flow.amount,
                "currency_id": flow.currency_id.id,
                "source": "company",
                "pa_flow_id": flow.pa_flow_id or flow.tracking_id,
                "invoice_number": self.name,
                "invoice_date": self.invoice_date,
                "seller_siren": self.company_id.partner_id._l10n_fr_siren(),
            }
        )

    # ------------------------------------------------------------------
    # Payment status out (212 Encaissée)
    # ------------------------------------------------------------------
    def _l10n_fr_pa_declares_collection(self):
        """Whether the company declares the collections of this invoice (212): a deposited
        invoice whose services owe their VAT on receipt of payment, as their taxes say (with the
        option for VAT on debits, the VAT is due on the invoice and nothing is declared)."""
        self.ensure_one()
        return bool(
            self.move_type == "out_invoice"
            and self.l10n_fr_pa_deposit_state == "sent"
            and self._l10n_fr_vat_on_receipts()
        )

    def _l10n_fr_pa_collected(self):
        """Amount collected so far, tax included: what the payments and bank statement lines
        reconciled with the invoice's receivable settled (never ``payment_state``, a field a user
        can write; never a credit note, which is no cash). With the accountant app, a registered
        payment not yet matched with the bank is not cash yet; in Community, registering it is
        the collection (core's own rule for "paid")."""
        self.ensure_one()
        return self.currency_id.round(
            sum(partial.debit_amount_currency for partial in self._l10n_fr_pa_cash_partials())
        )

    def _l10n_fr_pa_cash_partials(self):
        """The reconciliations of the invoice's receivable with cash: payments and bank
        statement lines (see ``_l10n_fr_pa_collected``)."""
        self.ensure_one()
        move_sudo = self.sudo()
        bank_only = move_sudo._get_invoice_in_payment_state() != "paid"
        partials = self.env["account.partial.reconcile"].sudo()
        receivables = move_sudo.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        for partial in receivables.matched_credit_ids:
            counterpart = partial.credit_move_id.move_id
            payment = counterpart.origin_payment_id
            if counterpart.state != "posted" or not (payment or counterpart.statement_line_id):
                continue
            if payment and bank_only and not payment.is_matched:
                continue
            partials |= partial
        return partials

    @api.model
    def _l10n_fr_pa_enqueue_collections(self):
        """Queue a 212 Encaissée for each new amount collected; a collection undone after it was
        declared goes to billing (the lifecycle has no status that withdraws a 212)."""
        moves = self.sudo().search([("l10n_fr_pa_collection_delta", "!=", 0)], limit=500)
        flows = self.env["l10n_fr_pa.flow"]
        with pa_trusted():
            for move in moves:
                delta = move.l10n_fr_pa_collection_delta
                if move.currency_id.compare_amounts(delta, 0) > 0:
                    flows |= move._l10n_fr_pa_enqueue_collection(delta)
                else:
                    move._l10n_fr_pa_alert(
                        self.env._(
                            "A collection of %(amount)s already declared to the platform (212 Encaissée) was undone "
                            "(payment unreconciled or reversed). The standard has no status to withdraw it: "
                            "check with the platform.",
                            amount=-delta,
                        ),
                        self.env._("%(invoice)s: declared collection undone", invoice=move.name),
                    )
                move.l10n_fr_pa_collected_sent = move._l10n_fr_pa_collected()
        return flows

    def _l10n_fr_pa_enqueue_collection(self, amount):
        self.ensure_one()
        return (
            self.env["l10n_fr_pa.flow"]
            .sudo()
            .create(
                {
                    "company_id": self.company_id.id,
                    "move_id": self.id,
                    "flow_type": "CustomerInvoiceLC",
                    "processing_rule": "B2B",
                    "status_code": "212",
                    "amount": amount,
                    "currency_id": self.currency_id.id,
                }
            )
        )

    def _l10n_fr_pa_collected_per_rate(self, amount):
        """[(VAT rate, amount)]: ``amount`` collected (tax included) split over the invoice's VAT
        rates pro rata of their amounts tax included, in cents that add up to it exactly (each
        rate gets its share rounded down, the cents left go to the largest remainders)."""
        self.ensure_one()
        cent = Decimal(1).scaleb(-self.currency_id.decimal_places)
        amount = Decimal(str(self.currency_id.round(amount))).quantize(cent)
        rows = [
            (Decimal(str(row["percent"])), Decimal(str(self.currency_id.round(row["base"] + row["tax"]))))
            for row in self._l10n_fr_vat_breakdown()
        ]
        total = sum(gross for __, gross in rows)
        if not total:
            return [(Decimal(0), amount)]  # no VAT rate on the invoice: all of it at 0 %
        shares = [amount * gross / total for __, gross in rows]
        parts = [share.quantize(cent, rounding=ROUND_FLOOR) for share in shares]
        left = int((amount - sum(parts)) / cent)
        for index in sorted(range(len(rows)), key=lambda i: parts[i] - shares[i])[:left]:
            parts[index] += cent
        return [(rate, part) for (rate, __), part in zip(rows, parts, strict=True)]

    def _l10n_fr_pa_collection_file(self, flow):
        """(file name, CDAR bytes) of our 212 Encaissée lifecycle flow: a status of the seller
        (23) to the buyer at its electronic address, the amount collected per VAT rate."""
        self.ensure_one()
        siren = self.company_id.partner_id._l10n_fr_siren() or ""
        address_scheme, address = self.partner_id._l10n_fr_einvoice_address()
        message = LifecycleMessage(
            message_id=flow.tracking_id,
            name=self.env._("Collected"),
            status_code=flow.status_code,
            status_label="Encaissée",
            invoice_number=self.name,
            invoice_date=self.invoice_date,
            type_code="381" if self.move_type == "out_refund" else "380",
            seller_siren=siren,
            issued_at=fields.Datetime.now(),
            sender=Party(siren, ROLE_SELLER),
            issuer=Party(siren, ROLE_SELLER),
            recipient=Party(
                self.commercial_partner_id._l10n_fr_siren() or "",
                ROLE_BUYER,
                address=address or "",
                address_scheme=address_scheme or ADDRESS_SCHEME,
            ),
            amount=flow.amount,
            collected=[CollectedAmount(part, rate) for rate, part in self._l10n_fr_pa_collected_per_rate(flow.amount)],
            currency=flow.currency_id.name or "EUR",
        )
        return f"CDAR_{flow.status_code}_{(self.name or '').replace('/', '_')}_{flow.id}.xml", build_cdar(message)

    # ------------------------------------------------------------------
    # E-reporting: what a report reads of an invoice that is not an e-invoice
    # ------------------------------------------------------------------
    def _l10n_fr_pa_collections(self):
        """[(date, amount in company currency)]: the cash the invoice collected, per day."""
        self.ensure_one()
        days = defaultdict(float)
        for partial in self._l10n_fr_pa_cash_partials():
            days[partial.credit_move_id.date] += partial.amount
        return sorted(days.items())

    def _l10n_fr_pa_receipt_shares(self):
        """{VAT rate: share of the invoice total}: the part of each collection that pays services
        whose VAT is due on receipt (goods owe theirs on delivery, and a sale without French VAT
        owes none)."""
        self.ensure_one()
        shares = defaultdict(float)
        if self.currency_id.is_zero(self.amount_total):
            return shares
        for line in self._l10n_fr_service_lines():
            taxes = line.tax_ids.flatten_taxes_hierarchy().filtered(lambda tax: tax.amount_type == "percent")
            tax_rate = sum(taxes.mapped("amount"))
            if tax_rate > 0 and "on_payment" in taxes.mapped("tax_exigibility"):
                shares[tax_rate] += line.price_total / self.amount_total
        return shares

    def _l10n_fr_pa_ereport_invoice(self):
        """The values of the invoice (or credit note) to a business abroad in a 10.1 report
        (see ``tools.ereport._invoice``): amounts as on the document, its VAT in euros."""
        self.ensure_one()
        company, customer = self.company_id, self.commercial_partner_id
        edi = self.env["account.edi.common"]
        subtotals = {}
        for line in self.invoice_line_ids.filtered(lambda line: line.display_type == "product"):
            taxes = line.tax_ids.flatten_taxes_hierarchy().filtered(lambda tax: tax.amount_type == "percent")
            codes = edi._get_tax_unece_codes(customer, company.partner_id, taxes[:1])
            key = (codes["tax_category_code"], sum(taxes.mapped("amount")))
            subtotal = subtotals.setdefault(
                key,
                {
                    "category": key[0],
                    "rate": key[1],
                    "base": 0.0,
                    "tax": 0.0,
                    "exemption_code": codes.get("tax_exemption_reason_code") or "",
                    "exemption_reason": codes.get("tax_exemption_reason") or "",
                },
            )
            subtotal["base"] += line.price_subtotal
            subtotal["tax"] += line.price_total - line.price_subtotal
        europe = self.env.ref("base.europe").country_ids
        vat = (customer.vat or "").replace(" ", "").upper()
        if vat and customer.country_id in europe:
            buyer_id, scheme = vat, "0223"
        else:  # outside the EU: the country and the start of the name
            buyer_id, scheme = f"{customer.country_code or ''}{(customer.name or '')[:16]}", "0227"
        reversed_entry = self.reversed_entry_id
        return {
            "number": self.name,
            "issue_date": self.invoice_date,
            "type_code": "381" if self.move_type == "out_refund" else "380",
            "currency": self.currency_id.name,
            "due_date": self.invoice_date_due,
            "business_process": self._l10n_fr_business_process(),
            "reference": (reversed_entry.name, reversed_entry.invoice_date) if reversed_entry else None,
            "seller": {
                "id": company.partner_id._l10n_fr_siren() or "",
                "scheme": "0002",
                "vat": company.vat or "",
                "country": "FR",
            },
            "buyer": {"id": buyer_id, "scheme": scheme, "vat": vat, "country": customer.country_code or ""},
            "untaxed": self.amount_untaxed,
            "tax_eur": abs(self.amount_tax_signed),
            "subtotals": [
                {**values, "base": self.currency_id.round(values["base"]), "tax": self.currency_id.round(values["tax"])}
                for values in subtotals.values()
            ],
        }
