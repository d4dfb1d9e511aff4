import base64
import hashlib
import hmac
import io
import json
import logging
import uuid
from datetime import datetime, timedelta, timezone

from psycopg2.errors import UniqueViolation

from odoo import api, fields, models
from odoo.tools.pdf import OdooPdfFileReader, PdfReadError

from ..tools.pa_client import PaError
from ..tools.trusted import pa_trusted

_logger = logging.getLogger(__name__)

CRON_BATCH_SIZE = 50
BACKOFF_BASE = 60  # seconds before the first retry; doubled at each attempt
BACKOFF_MAX = 6 * 3600
ALREADY_EXISTING = "AlreadyExistingFlow"
# the key of the signature checked for a company that has no webhook secret (never a match): the
# refusal costs the same as for a wrong signature
WEBHOOK_NO_SECRET = "no webhook secret"
# the reason of a deposit stopped before it left: the invoice breaks the rules a platform applies
STOPPED = "InvoiceRulesError"
FLOW_TYPES = [
    ("CustomerInvoice", "Customer Invoice"),
    ("CustomerInvoiceLC", "Customer Invoice Lifecycle"),
    ("AggregatedCustomerTransactionReport", "E-reporting: Sales to Individuals"),
    ("UnitaryCustomerTransactionReport", "E-reporting: Sales to Businesses Abroad"),
    ("AggregatedCustomerPaymentReport", "E-reporting: Collections from Individuals"),
    ("UnitaryCustomerPaymentReport", "E-reporting: Collections from Businesses Abroad"),
    ("MultiFlowReport", "E-reporting: Several Kinds"),
]


class L10nFrPaFlow(models.Model):
    """One flow exchanged with the company's approved platform: an invoice or credit note we
    deposit, or a lifecycle status (212 Encaissée) we send. A deposit keeps its trackingId
    through its retries, so that the platform recognizes a flow it already has; every attempt
    is recorded. Written by this module's methods only (users read)."""

    _name = "l10n_fr_pa.flow"
    _inherit = "l10n_fr_pa.trusted.mixin"
    _description = "Approved Platform Flow"
    _order = "id desc"
    _rec_name = "tracking_id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", index=True, readonly=True, ondelete="restrict")
    flow_type = fields.Selection(FLOW_TYPES, required=True, readonly=True)
    tracking_id = fields.Char(
        string="Tracking ID",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: str(uuid.uuid4()),
        help="Our identifier of the flow, sent again with each retry of the same deposit.",
    )
    flow_syntax = fields.Char(readonly=True)
    flow_profile = fields.Char(readonly=True)
    processing_rule = fields.Char(readonly=True, default="B2B")
    file_name = fields.Char(readonly=True)
    file = fields.Binary(attachment=True, readonly=True)
    sha256 = fields.Char(string="SHA-256", readonly=True)
    status_code = fields.Char(string="Status Sent", readonly=True, help="For a lifecycle flow: the status it carries.")
    amount = fields.Monetary(readonly=True, help="For a 212 Encaissée status: the amount collected.")
    currency_id = fields.Many2one("res.currency", readonly=True)
    state = fields.Selection(
        [("queued", "Queued"), ("sent", "Deposited"), ("error", "Rejected"), ("cancelled", "Replaced")],
        required=True,
        default="queued",
        readonly=True,
        index=True,
    )
    ack_status = fields.Selection(
        [("Pending", "Pending"), ("Ok", "Ok"), ("Error", "Error")], string="Acknowledgement", readonly=True
    )
    reason_code = fields.Char(readonly=True)
    reason_message = fields.Text(string="Reason", readonly=True)
    attempts = fields.Integer(string="Attempt Count", readonly=True)
    next_try = fields.Datetime(string="Next Attempt", readonly=True, index=True, default=fields.Datetime.now)
    last_error = fields.Text(readonly=True)
    pa_flow_id = fields.Char(string="Platform Flow ID", readonly=True, index=True)
    submitted_at = fields.Datetime(readonly=True)
    attempt_ids = fields.One2many("l10n_fr_pa.flow.attempt", "flow_id", string="Attempts", readonly=True)

    _sql_constraints = [  # noqa: RUF012
        ("tracking_id_unique", "unique(company_id, tracking_id)", "A tracking ID identifies one flow."),
    ]

    # ------------------------------------------------------------------
    # Deposit
    # ------------------------------------------------------------------
    @api.model
    def _cron_deposit(self):
        """Deposit the queued flows whose time has come, in batches (the cron runs again while
        some remain). First turn the new collections of paid invoices into 212 flows."""
        self.env["account.move"]._l10n_fr_pa_enqueue_collections()
        domain = [("state", "=", "queued"), ("next_try", "<=", fields.Datetime.now())]
        flows = self.search(domain, limit=CRON_BATCH_SIZE, order="next_try, id")
        for flow in flows:
            flow._deposit()
        remaining = self.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(flows), remaining=remaining)

    def _deposit(self):
        """One deposit attempt of one queued flow (its own savepoint: a failure keeps the
        others of the batch)."""
        self.ensure_one()
        if self.state != "queued":
            return
        with pa_trusted():
            try:
                if not self.file:
                    with self.env.cr.savepoint():
                        self._prepare_file()
                    if self.state != "queued":
                        return  # stopped: the file breaks the rules, it does not leave
                with self.env.cr.savepoint():
                    self._deposit_attempt()
            except PaError as error:
                self._retry_later(error)
            except Exception as error:  # recorded on the flow and retried: never lost
                _logger.info("Deposit of flow %s failed: %s", self.tracking_id, error, exc_info=True)
                self._retry_later(PaError("transient", str(error)))

    def _deposit_attempt(self):
        client = self.company_id._l10n_fr_pa_client()
        flow_info = {
            "trackingId": self.tracking_id,
            "name": self.file_name,
            "processingRule": self.processing_rule,
            "flowSyntax": self.flow_syntax,
            "sha256": self.sha256,
        }
        if self.flow_profile:
            flow_info["flowProfile"] = self.flow_profile
        mimetype = "application/pdf" if self.flow_syntax == "Factur-X" else "application/xml"
        try:
            answer = client.post_flow(flow_info, self.file_name, base64.b64decode(self.file), mimetype)
        except PaError as error:
            if error.kind != "rejected":
                raise
            self._rejected(error.code or "OtherTechnicalError", error.message, error.status)
            return
        ack = answer.get("acknowledgement") or {}
        details = ack.get("details") or []
        if ack.get("status") == "Error":
            codes = [detail.get("reasonCode") for detail in details]
            if ALREADY_EXISTING in codes:
                self._already_deposited(client)
                return
            first = details[0] if details else {}
            self._rejected(first.get("reasonCode") or "OtherTechnicalError", first.get("reasonMessage") or "", 202)
            return
        self._deposited(answer.get("flowId"), answer.get("submittedAt"), ack.get("status") or "Pending", "sent")

    def _prepare_file(self):
        """Build the file of the flow once: its retries send the same bytes. An invoice whose
        file breaks the rules a platform applies is stopped here: it never leaves."""
        if self.flow_type == "CustomerInvoice":
            name, content, syntax = self.move_id._l10n_fr_pa_invoice_file(self.company_id.l10n_fr_pa_flow_syntax)
            problems = self.move_id._l10n_fr_pa_check_einvoice_for_billing(self._invoice_xml(content, syntax))
            if problems:
                self._stopped(problems)
                return
            profile = "CIUS"
        else:
            name, content = self.move_id._l10n_fr_pa_collection_file(self)
            syntax, profile = "CDAR", False
        self.write(
            {
                "file_name": name,
                "file": base64.b64encode(content),
                "sha256": hashlib.sha256(content).hexdigest(),
                "flow_syntax": syntax,
                "flow_profile": profile,
            }
        )

    @api.model
    def _invoice_xml(self, content, syntax):
        """The CII XML of an invoice file: the file itself, or the one a Factur-X PDF embeds."""
        if syntax == "CII":
            return content
        try:
            reader = OdooPdfFileReader(io.BytesIO(content), strict=False)
            return next((xml for name, xml in reader.getAttachments() if name == "factur-x.xml"), b"")
        except (ValueError, PdfReadError):
            return b""

    def _stopped(self, problems):
        """The invoice breaks the rules a platform applies (``problems``: [(rule id, message)]):
        the flow is recorded rejected without any call to the platform, and billing told what
        to correct. The invoice is not held by the platform: it may be reset to draft."""
        self.write(
            {
                "state": "error",
                "ack_status": False,
                "reason_code": STOPPED,
                "reason_message": "\n".join(f"{rule} : {message}" for rule, message in problems),
                "next_try": False,
            }
        )
        self._log_attempt("stopped", self.reason_message)
        if self.move_id:
            self.move_id._l10n_fr_pa_deposit_stopped(self)

    def _log_attempt(self, outcome, message="", http_status=0):
        self.env["l10n_fr_pa.flow.attempt"].create(
            {"flow_id": self.id, "outcome": outcome, "message": message, "http_status": http_status or 0}
        )

    def _deposited(self, pa_flow_id, submitted_at, ack_status, outcome):
        self.write(
            {
                "state": "sent",
                "pa_flow_id": pa_flow_id or False,
                "submitted_at": self._parse_datetime(submitted_at) or fields.Datetime.now(),
                "ack_status": ack_status,
                "attempts": self.attempts + 1,
                "last_error": False,
            }
        )
        self._log_attempt(outcome, pa_flow_id or "", 202)
        if self.flow_type == "CustomerInvoiceLC" and self.move_id:
            self.move_id._l10n_fr_pa_record_own_status(self)

    def _already_deposited(self, client):
        """The platform has this trackingId already (an earlier attempt reached it): the flow
        is deposited; its flowId comes from a search by trackingId."""
        # the refused duplicate is a flow with the same trackingId too: ask for the accepted one
        found = client.search({"trackingId": self.tracking_id, "ackStatus": "Ok"}, limit=1).get("results") or []
        remote = found[0] if found else {}
        remote_ack = (remote.get("acknowledgement") or {}).get("status")
        self._deposited(
            remote.get("flowId"),
            remote.get("submittedAt"),
            remote_ack if remote_ack in ("Ok", "Pending") else "Ok",
            "duplicate",
        )

    def _rejected(self, reason_code, reason_message, http_status):
        self.write(
            {
                "state": "error",
                "ack_status": "Error",
                "reason_code": reason_code,
                "reason_message": reason_message,
                "attempts": self.attempts + 1,
                "next_try": False,
            }
        )
        self._log_attempt("rejected", f"{reason_code}: {reason_message}", http_status)
        if self.move_id:
            self.move_id._l10n_fr_pa_deposit_rejected(self)
        else:
            self.env["l10n_fr_pa.ereport"].search([("flow_id", "=", self.id)])._deposit_rejected(self)

    def _retry_later(self, error):
        """A failure that does not come from the flow: try again later, the same trackingId."""
        attempts = self.attempts + 1
        delay = min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_MAX)
        self.write(
            {
                "attempts": attempts,
                "next_try": fields.Datetime.now() + timedelta(seconds=delay),
                "last_error": error.message,
            }
        )
        self._log_attempt("auth" if error.kind == "auth" else "retry", error.message, error.status)

    @api.model
    def _parse_datetime(self, value):
        """A naive UTC datetime of an ISO 8601 date-time of the API, or False."""
        if not value:
            return False
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except (TypeError, ValueError):
            return False
        if parsed.tzinfo:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
        return parsed.replace(microsecond=0)

    # ------------------------------------------------------------------
    # Reason codes, in billing's words
    # ------------------------------------------------------------------
    @api.model
    def _reason_label(self, code):
        _ = self.env._
        labels = {
            "EmptyAttachement": _("An attachment of the invoice is empty."),
            "AttachmentTypeError": _("An attachment of the invoice has a type the platform does not accept."),
            "EmptyFlow": _("The file sent was empty."),
            "OtherTechnicalError": _("The platform could not process the file (technical error)."),
            "InvalidSchema": _(
                "The electronic invoice is not valid (structure): check the customer, the company and the lines."
            ),
            "FileSizeExceeded": _("The invoice file is too large for the platform (attachments?)."),
            "FlowTypeError": _("The platform does not accept this kind of file."),
            "AlreadyExistingFlow": _("The platform already has this invoice."),
            "VirusFound": _("The platform found a virus in the file."),
            "ChecksumMismatch": _("The file was damaged in transit: deposit it again."),
            "InvoiceLCInvalidStatus": _("The status sent is inconsistent with the invoice's previous statuses."),
            "InvoiceLCStatusError": _("The status sent is incorrect or not allowed."),
            "InvoiceLCRuleError": _("The status message breaks a rule of the standard."),
            "InvoiceLCAccessDenied": _("The platform does not allow this company to send this status."),
            "InvoiceLCAmountError": _("The amount is not consistent with the invoice's VAT."),
            STOPPED: _(
                "Not deposited: the electronic invoice breaks the French e-invoicing rules below, and the "
                "platform would refuse it. Correct the invoice (reset it to draft, or issue a credit note), "
                "then Deposit Again."
            ),
        }
        return labels.get(code) or _("Rejected by the platform (%(code)s).", code=code or "?")

    # ------------------------------------------------------------------
    # Lifecycle in: polling and callbacks
    # ------------------------------------------------------------------
    @api.model
    def _cron_poll_lifecycle(self):
        """Read the new lifecycle flows of every company that uses a platform: one page per
        company and run; the cron runs again while a page was full."""
        companies = self.env["res.company"].sudo().search([("l10n_fr_pa_enabled", "=", True)])
        done, more = 0, False
        for company in companies.filtered(lambda company: company._l10n_fr_pa_ready()):
            try:
                with self.env.cr.savepoint():
                    count, full = self._poll_company(company)
            except PaError as error:
                _logger.info("Lifecycle polling of %s failed: %s", company.name, error.message)
                continue
            except UniqueViolation:
                # a callback recorded one of these flows meanwhile: the next run reads the page again
                _logger.info("Lifecycle polling of %s met a flow recorded meanwhile", company.name)
                more = True
                continue
            done += count
            more = more or full
        self.env["ir.cron"]._notify_progress(done=done, remaining=1 if more else 0)

    @api.model
    def _poll_company(self, company):
        """One page of POST /v1/flows/search after the company's cursor; returns (count, full)."""
        client = company._l10n_fr_pa_client()
        where = {"flowType": ["CustomerInvoiceLC"]}
        if company.l10n_fr_pa_poll_cursor:
            where["updatedAfter"] = company.l10n_fr_pa_poll_cursor
        answer = client.search(where, limit=100)
        results = sorted(answer.get("results") or [], key=lambda flow: flow.get("updatedAt") or "")
        for remote in results:
            self._process_remote_flow(company, remote, client)
            if remote.get("updatedAt"):
                company.l10n_fr_pa_poll_cursor = remote["updatedAt"]
        return len(results), len(results) >= 100

    @api.model
    def _process_remote_flow(self, company, remote, client=None):
        """Take one Flow of the platform into account (from a search or a callback):
        a lifecycle message is downloaded and recorded once; an acknowledgement of one of our
        flows updates it. Idempotent."""
        flow_id = remote.get("flowId")
        if not flow_id:
            return
        ours = self.search(
            [("company_id", "=", company.id), ("tracking_id", "=", remote.get("trackingId") or "")], limit=1
        )
        if ours or remote.get("flowDirection") == "Out":
            if ours:
                with pa_trusted():
                    ours._update_ack(remote)
            return
        if remote.get("flowType") not in (None, "CustomerInvoiceLC"):
            return
        status_model = self.env["l10n_fr_pa.status"]
        if status_model.search_count([("company_id", "=", company.id), ("pa_flow_id", "=", flow_id)], limit=1):
            return
        client = client or company._l10n_fr_pa_client()
        try:
            content = client.download(flow_id, "Original")
        except PaError as error:
            if error.kind != "rejected":
                raise  # retried with the page: the cursor has not moved past it
            # a flow the platform cannot give (404...) must not hold the cursor back
            status_model._record_lifecycle(company, flow_id, b"", error=error.message)
            return
        status_model._record_lifecycle(company, flow_id, content)

    @api.model
    def _l10n_fr_pa_webhook(self, company_id, body, signature):
        """Handle a callback of the platform: "ok", or why it is refused. The body's HMAC-SHA256
        with the company's webhook secret must match the X-PA-Signature header. The body only
        names the flow: what the flow is (its direction, its acknowledgement) is asked of the
        platform, then it is processed like a polled one (idempotent: the same flowId twice
        records once)."""
        # reading the company's secret is the check itself
        company_sudo = self.env["res.company"].sudo().browse(company_id).exists()
        secret = company_sudo.l10n_fr_pa_webhook_secret if company_sudo and company_sudo._l10n_fr_pa_ready() else False
        # an unknown company, a company without a platform and a wrong signature get the same
        # answer after the same work: company ids cannot be told apart from outside
        key = (secret or WEBHOOK_NO_SECRET).encode()
        expected = "sha256=" + hmac.new(key, body or b"", hashlib.sha256).hexdigest()
        matches = hmac.compare_digest(expected.encode(), (signature or "").strip().encode("utf-8", "replace"))
        if not (matches and secret):
            return "refused"
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        remote = payload.get("flowInfo") if isinstance(payload, dict) else None
        flow_id = remote.get("flowId") if isinstance(remote, dict) else None
        if not flow_id or not isinstance(flow_id, str):
            return "bad payload"
        flows_sudo = self.sudo().with_company(company_sudo)
        try:
            with self.env.cr.savepoint():
                flows_sudo._process_callback(company_sudo, flow_id)
        except PaError as error:
            _logger.info("Callback flow %s of %s not processed: %s", flow_id, company_sudo.name, error.message)
            return "retry"
        except UniqueViolation:
            # the polling (or a twin callback) recorded the same flow meanwhile: it is recorded once
            return "ok"
        return "ok"

    @api.model
    def _process_callback(self, company, flow_id):
        """A callback named the flow ``flow_id``: the platform's own record of it (GET
        /v1/flows/{flowId}) is processed, never the callback's body (whoever holds the webhook
        secret could otherwise turn an accepted deposit into a rejected one)."""
        client = company._l10n_fr_pa_client()
        try:
            remote = client.get_flow(flow_id)
        except PaError as error:
            if error.kind != "rejected":
                raise
            _logger.info("Callback flow %s of %s unknown to the platform: %s", flow_id, company.name, error.message)
            return
        if remote.get("flowId") != flow_id:
            _logger.info("Callback flow %s of %s: the platform answered another flow", flow_id, company.name)
            return
        self._process_remote_flow(company, remote, client)

    def _update_ack(self, remote):
        """A later acknowledgement of one of our flows (Pending at deposit)."""
        ack = remote.get("acknowledgement") or {}
        status = ack.get("status")
        if self.state != "sent" or status not in ("Ok", "Error") or status == self.ack_status:
            return
        details = ack.get("details") or []
        codes = [detail.get("reasonCode") for detail in details]
        if status == "Ok" or ALREADY_EXISTING in codes:
            self.write({"ack_status": "Ok", "pa_flow_id": self.pa_flow_id or remote.get("flowId")})
            return
        first = details[0] if details else {}
        self._rejected(first.get("reasonCode") or "OtherTechnicalError", first.get("reasonMessage") or "", 0)
