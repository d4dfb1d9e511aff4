import base64
import logging

from odoo import api, fields, models

from ..tools.cdar import CdarError, parse_cdar

_logger = logging.getLogger(__name__)

# XP Z12-012, lifecycle statuses of an invoice ("CDV")
STATUSES = [
    ("200", "Deposited"),
    ("201", "Issued by the platform"),
    ("202", "Received by the platform"),
    ("203", "Made available"),
    ("204", "Taken over"),
    ("205", "Approved"),
    ("206", "Partially approved"),
    ("207", "Disputed"),
    ("208", "Suspended"),
    ("209", "Completed"),
    ("210", "Refused"),
    ("211", "Payment sent"),
    ("212", "Collected"),
    ("213", "Rejected"),
]
TERMINAL = frozenset({"210", "212", "213"})
# statuses that need billing's attention: an activity and a message on the invoice
ATTENTION = frozenset({"207", "210", "213"})
APPROVED = frozenset({"205", "206"})
# statuses only the seller sends (XP Z12-012): they count when we sent them, never when they
# come from elsewhere (a 212 of someone else would declare our invoice collected)
SELLER_ONLY = frozenset({"209", "212"})


class L10nFrPaStatus(models.Model):
    """A lifecycle status of an invoice, as the platform (or we, for 212) sent it. Append-only:
    one line per lifecycle flow (its flowId is unique), in the order of the statuses' dates
    whatever the order they arrived in."""

    _name = "l10n_fr_pa.status"
    _inherit = "l10n_fr_pa.trusted.mixin"
    _description = "Approved Platform Invoice Status"
    _order = "date desc, id desc"
    _rec_name = "code"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", index=True, readonly=True, ondelete="restrict")
    code = fields.Selection(STATUSES, string="Status", readonly=True, index=True)
    label = fields.Char(string="Platform Label", readonly=True, help="The label the message carried.")
    date = fields.Datetime(string="Status Date", readonly=True, required=True, index=True)
    received_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    reason_code = fields.Char(readonly=True)
    reason = fields.Text(readonly=True)
    amount = fields.Monetary(readonly=True, help="Amount collected (212 Encaissée).")
    currency_id = fields.Many2one("res.currency", readonly=True)
    source = fields.Selection([("platform", "Platform"), ("company", "Our Company")], readonly=True, required=True)
    pa_flow_id = fields.Char(string="Platform Flow ID", readonly=True, required=True)
    message_id = fields.Char(string="Message ID", readonly=True)
    invoice_number = fields.Char(readonly=True)
    invoice_date = fields.Date(readonly=True)
    seller_siren = fields.Char(string="Seller SIREN", readonly=True)
    error = fields.Text(string="Reading Error", readonly=True, help="Why the message could not be read or matched.")
    file = fields.Binary(string="Message", attachment=True, readonly=True)

    _sql_constraints = [  # noqa: RUF012
        ("pa_flow_unique", "unique(company_id, pa_flow_id)", "A lifecycle flow is recorded once."),
    ]

    def _sort_date(self):
        """The status's place in the history: its date, but not later than its receipt (a status
        dated in the future does not outrank the statuses received after it)."""
        self.ensure_one()
        return min(self.date, self.received_at) if self.received_at else self.date

    @api.model
    def _status_label(self, code):
        return dict(self._fields["code"]._description_selection(self.env)).get(code, code)

    def _reason_text(self):
        """The status's reason as billing reads it: the standard's reason code (XP Z12-012) with
        what it means and what to do, then the platform's own words."""
        self.ensure_one()
        _ = self.env._
        meanings = {
            "REJ_SEMAN": _("the invoice breaks a rule of the standard (EN 16931 or French rules): correct it"),
            "REJ_UNI": _("the platform already has an invoice with this number from your company"),
            "REJ_COH": _("inconsistent data (a SIREN, a date, an amount): check the customer and the invoice"),
            "REJ_ADR": _(
                "the customer's electronic address is not in the directory: check it with the customer "
                "and correct it on the customer"
            ),
        }
        meaning = meanings.get(self.reason_code)
        code = f"{self.reason_code} ({meaning})" if meaning else self.reason_code
        return " ".join(part for part in (code, self.reason) if part)

    @api.model
    def _record_lifecycle(self, company, pa_flow_id, content, error=None):
        """Record the CDAR ``content`` of the lifecycle flow ``pa_flow_id`` (caller: the module's
        trusted code, after the platform answered or the callback's signature was checked).
        What cannot be read or matched is recorded too, with the reason (``error``: why there
        is no content)."""
        values = {
            "company_id": company.id,
            "pa_flow_id": pa_flow_id,
            "source": "platform",
            "file": base64.b64encode(content or b""),
        }
        try:
            if error:
                raise CdarError(error)
            message = parse_cdar(content)
        except CdarError as unreadable:
            _logger.info("Lifecycle flow %s of %s unreadable: %s", pa_flow_id, company.name, unreadable)
            values.update({"date": fields.Datetime.now(), "error": str(unreadable)})
            return self.sudo().create(values)
        codes = dict(STATUSES)
        values.update(
            {
                "code": message.status_code if message.status_code in codes else False,
                "label": message.status_label,
                "date": message.issued_at,
                "reason_code": message.reason_code,
                "reason": message.reason,
                "amount": float(message.amount) if message.amount is not None else 0.0,
                "message_id": message.message_id,
                "invoice_number": message.invoice_number,
                "invoice_date": message.invoice_date,
                "seller_siren": message.seller_siren,
            }
        )
        move = self.env["account.move"]._l10n_fr_pa_match_invoice(company, message)
        if move:
            values.update({"move_id": move.id, "currency_id": move.currency_id.id})
        else:
            values["error"] = self.env._(
                "No invoice %(number)s of %(date)s from SIREN %(siren)s.",
                number=message.invoice_number,
                date=message.invoice_date,
                siren=message.seller_siren,
            )
        if message.status_code not in codes:
            values["error"] = self.env._("Unknown status code %(code)s.", code=message.status_code)
        elif message.status_code in SELLER_ONLY:
            values["error"] = self.env._(
                "Status %(code)s is the seller's own: only the ones this company sends count.",
                code=message.status_code,
            )
        status = self.sudo().create(values)
        if move and not status.error:
            move._l10n_fr_pa_status_received(status)
        return status
