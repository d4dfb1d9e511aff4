import base64
import binascii
import hashlib
import json
import logging
import math
import re
import uuid
from datetime import UTC, datetime

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.tools import SQL, float_is_zero, format_datetime, plaintext2html

from odoo.addons.field_intervention.tools.trusted_write import trusted_write
from odoo.addons.field_intervention_sign.models.field_intervention import canonical_json, utc_string

_logger = logging.getLogger(__name__)

OP_TYPES = (
    "start",
    "pause",
    "resume",
    "stop",
    "set_text",
    "set_checklist",
    "add_part",
    "remove_part",
    "add_photo",
    "done",
    "sign",
)
TIMER_TYPES = ("start", "pause", "resume", "stop")
# the chain of the timer: refused after a refused link of the same intervention in the same sync
CHAINED_TYPES = (*TIMER_TYPES, "done")
TEXT_FIELDS = ("work_description", "findings")
EDITABLE_STATES = ("draft", "in_progress")
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{7,99}$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
MAX_OPS = 1000
MAX_TEXT = 100_000
MAX_DEVICE_ID = 128
# a part's quantity: more than this is a phone's defect, not a part used on site
MAX_QUANTITY = 1_000_000
# the largest id PostgreSQL's integer columns hold
MAX_ID = 2**31 - 1
# what is kept of an operation refused as malformed (the phone may have sent anything, of any size)
MALFORMED_JSON_MAX = 4096
SUMMARY_TEXT_MAX = 200
SUMMARY_ITEMS_MAX = 30
SUMMARY_DEPTH_MAX = 6
# payload values too big to show in the log's form (they stay stored in the payload)
BULKY_KEYS = ("image", "signature", "content")


class MobileRefusal(Exception):
    """An operation that is not applied: ``status`` is 'conflict' or 'error'."""

    def __init__(self, status, message, malformed=False):
        super().__init__(message)
        self.status = status
        self.message = message
        # refused for its form: only a bounded summary of what the phone sent is kept
        self.malformed = malformed


class MobileOwnerError(UserError):
    """A phone's queue (or day download) made for another user than the session's: refused whole.
    The phone recognises it by its name and keeps its queue for its owner's next login."""


class FieldInterventionMobileOp(models.Model):
    """One operation sent by the technician's phone app (start, pause, text, part, photo,
    signature...), kept with its result whatever the result: the server never loses what a
    phone sent, and a replayed operation (same key) returns the stored result again.

    Nobody creates or writes it directly (no access right, every field protected): the sync
    records it through :meth:`_fi_mobile_apply`, after its checks.
    """

    _name = "field.intervention.mobile.op"
    _inherit = "field.intervention.protected.mixin"
    _description = "Offline Operation of the Phone App"
    _order = "received_on desc, id desc"
    _rec_name = "key"

    key = fields.Char(required=True, readonly=True, help="Idempotency key chosen by the phone (UUID).")
    user_id = fields.Many2one(
        "res.users", string="Technician", required=True, readonly=True, index=True, ondelete="restrict"
    )
    device_id = fields.Char(string="Phone", readonly=True)
    # the intervention the phone named and its company, whoever's it is: the office's to read (a
    # technician reads his own operations, not another's intervention through them)
    intervention_id = fields.Many2one(
        "field.intervention",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        groups="field_intervention.group_field_intervention_manager",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        groups="field_intervention.group_field_intervention_manager",
    )
    op_type = fields.Char(string="Operation", readonly=True)
    phone_time = fields.Datetime(string="Phone Time (UTC)", readonly=True, help="When the phone recorded it.")
    received_on = fields.Datetime(
        string="Received On (UTC)", required=True, readonly=True, help="When the server received it."
    )
    applied_time = fields.Datetime(
        string="Time Used (UTC)",
        readonly=True,
        help="Moment recorded for a start, pause, resume or stop: the phone's time when plausible, else the server's.",
    )
    payload = fields.Json(readonly=True, help="The operation as the phone sent it (photo and signature included).")
    payload_summary = fields.Text(string="Sent Data", compute="_compute_payload_summary")
    status = fields.Selection(
        [("ok", "Applied"), ("conflict", "Conflict"), ("error", "Error")],
        required=True,
        readonly=True,
        default="error",
        index=True,
    )
    message = fields.Text(readonly=True)
    res_id = fields.Integer(string="Server Record ID", readonly=True)

    _sql_constraints = [  # noqa: RUF012
        ("key_unique", "UNIQUE(key)", "An operation key is used once."),
    ]

    @api.depends("payload")
    def _compute_payload_summary(self):
        for op in self:
            op.payload_summary = json.dumps(
                _summarize(op.payload), indent=2, ensure_ascii=False, sort_keys=True, default=str
            )

    # ------------------------------------------------------------------
    # The sync: one batch of operations
    # ------------------------------------------------------------------
    @api.model
    def _fi_mobile_check_owner(self, owner, ops=()):
        """A phone may be shared: what it stored for one user is sent under that user's session
        only. ``owner`` is the user id the phone's queue (or day) belongs to, and every operation
        carries its own: any other user than the session's, or none, refuses the whole request
        before anything is applied (the phone keeps its queue for its owner's next login)."""
        owners = [owner] + [raw.get("owner") for raw in ops if isinstance(raw, dict)]
        if any(not isinstance(uid, int) or isinstance(uid, bool) or uid != self.env.uid for uid in owners):
            raise MobileOwnerError(
                self.env._(
                    "These changes were made on this phone by another user than the one logged in:"
                    " nothing was applied. They stay on the phone and are sent when their owner logs in again."
                )
            )

    @api.model
    def _fi_mobile_apply(self, ops, device_id, origin, owner=None):
        """Apply a batch of operations sent by the phone app, in order, and answer the phone.

        Each operation runs in its own savepoint, with the technician's rights and the same
        methods and checks as the buttons of the back office, and is stored with its result.
        A key already stored returns the stored result (``duplicate``): replaying a batch
        whose answer was lost changes nothing. The conflict rules are in the addon's USAGE.md.

        :param list ops: the operations as the phone sent them (see USAGE.md)
        :param str device_id: the phone's identifier
        :param dict origin: ``user``, ``ip_address``, ``user_agent`` (for the signature evidence)
        :param int owner: the user the phone's queue belongs to (see :meth:`_fi_mobile_check_owner`)
        :return: the answer of ``/field_intervention/app/api/sync``
        """
        self.env["field.intervention"]._fi_check_field_user()
        if not isinstance(ops, list) or len(ops) > MAX_OPS:
            raise UserError(
                self.env._("The phone sent no list of operations, or more than %(max)s at once.", max=MAX_OPS)
            )
        self._fi_mobile_check_owner(owner, ops)
        batch = {
            "device_id": device_id[:MAX_DEVICE_ID] if isinstance(device_id, str) else "",
            "origin": origin,
            "received_on": fields.Datetime.now(),
            # intervention id -> the refused link of its timer chain in this batch
            "broken_chain": {},
        }
        results, touched = [], set()
        for raw in ops:
            result, intervention_id = self._fi_mobile_apply_one(raw, batch)
            results.append(result)
            if intervention_id:
                touched.add(intervention_id)
        visible = self.env["field.intervention"].search([("id", "in", sorted(touched))], order="planned_date, id")
        return {
            "server_time": utc_string(fields.Datetime.now()),
            "results": results,
            "interventions": visible._fi_mobile_values(),
            "interventions_gone": sorted(touched - set(visible.ids)),
        }

    def _fi_mobile_apply_one(self, raw, batch):
        """Apply one operation; return (result for the phone, intervention id or None)."""
        user = self.env.user
        key = raw.get("key") if isinstance(raw, dict) else None
        refusal = None
        usable = isinstance(key, str) and bool(KEY_PATTERN.match(key))
        if usable:
            stored = self.sudo().search([("key", "=", key)], limit=1)
            if stored and stored.user_id == user:
                return stored._fi_mobile_duplicate_result(), stored.intervention_id.id
            if stored:  # another user's operation: never theirs to replay
                usable = False
                refusal = MobileRefusal(
                    "error", self.env._("This operation key is already used: it was not applied."), malformed=True
                )
        try:
            parsed = self._fi_mobile_parse(raw)
        except MobileRefusal as malformed:
            parsed, refusal = None, refusal or malformed
        intervention_sudo = self._fi_mobile_intervention_sudo(raw)
        # an operation without a usable key is kept under a key of the server's
        claim_key = key if usable else f"server-{uuid.uuid4()}"
        company = intervention_sudo.company_id or user.company_id
        op_sudo = self._fi_claim_key(claim_key, user, company, batch["received_on"])
        if not op_sudo:  # the same key twice in the batch
            stored = self.sudo().search([("key", "=", claim_key)], limit=1)
            return stored._fi_mobile_duplicate_result(), stored.intervention_id.id
        op_sudo.write(
            {
                "device_id": batch["device_id"] or False,
                "intervention_id": intervention_sudo.id,
                "op_type": str(raw.get("type"))[:32] if isinstance(raw, dict) and raw.get("type") else False,
                "phone_time": parsed["at"] if parsed else False,
            }
        )
        outcome = {}
        if refusal:
            status, message = refusal.status, refusal.message
            outcome["malformed"] = refusal.malformed
        else:
            status, message = self._fi_mobile_run(op_sudo, parsed, intervention_sudo, batch, outcome)
        op_sudo.write(
            {
                # a well-formed operation is kept whole for the office; a malformed one, summarized
                "payload": bounded_summary(raw) if outcome.get("malformed") else raw,
                "status": status,
                "message": message or False,
                "res_id": outcome.get("res_id") or 0,
                "applied_time": outcome.get("applied_time") or False,
            }
        )
        return {
            "key": key if isinstance(key, str) else None,
            "status": status,
            "message": message or "",
            "server_id": outcome.get("res_id") or None,
        }, intervention_sudo.id or None

    def _fi_mobile_run(self, op_sudo, parsed, intervention_sudo, batch, outcome):
        """Run the handler of the operation in a savepoint: (status, message)."""
        broken = batch["broken_chain"]
        try:
            intervention = self._fi_mobile_check_target(intervention_sudo)
            if parsed["type"] in CHAINED_TYPES and intervention.id in broken:
                previous = broken[intervention.id]
                raise MobileRefusal(
                    "conflict",
                    self.env._(
                        "Not applied: the earlier step %(operation)s of %(name)s from this phone was refused, "
                        "so this step was made on a timer the server does not have. Check the "
                        "intervention and do it again.",
                        operation=self._fi_mobile_step_label(previous),
                        name=intervention.name,
                    ),
                )
            with self.env.cr.savepoint():
                message = getattr(self, f"_fi_mobile_op_{parsed['type']}")(intervention, parsed, batch, outcome)
            status = "ok"
        except MobileRefusal as refusal:
            status, message = refusal.status, refusal.message
            outcome["malformed"] = refusal.malformed
        except (UserError, AccessError, MissingError) as error:
            # what the buttons refuse online (rights, states, values): the technician's message
            status, message = "error", str(error.args[0]) if error.args else str(error)
        except psycopg2.OperationalError:
            raise  # a concurrent update: Odoo replays the whole request
        except Exception:
            # a defect must not block the phone's queue forever: the operation is kept as an error
            _logger.exception("Offline operation %s could not be applied", op_sudo.key)
            status, message = (
                "error",
                self.env._(
                    "The server could not apply this operation: it is kept in the offline sync log for the office."
                ),
            )
        if status != "ok" and parsed["type"] in CHAINED_TYPES and intervention_sudo:
            broken.setdefault(intervention_sudo.id, parsed["type"])
        return status, message

    def _fi_mobile_step_label(self, op_type):
        """The name of a timer step as the technician's buttons say it."""
        return {
            "start": self.env._("Start"),
            "pause": self.env._("Pause"),
            "resume": self.env._("Resume"),
            "stop": self.env._("Stop"),
            "done": self.env._("Done"),
        }.get(op_type, op_type)

    def _fi_mobile_duplicate_result(self):
        self.ensure_one()
        return {
            "key": self.key,
            "status": "duplicate",
            "message": self.message or "",
            "server_id": self.res_id or None,
            "original_status": self.status,
        }

    # ------------------------------------------------------------------
    # Parsing and common checks
    # ------------------------------------------------------------------
    def _fi_mobile_malformed(self, reason):
        return MobileRefusal(
            "error",
            self.env._("The phone sent a malformed operation (%(reason)s): it was not applied.", reason=reason),
            malformed=True,
        )

    def _fi_mobile_parse(self, raw):
        """Check the shape of an operation: {type, intervention_id, at (datetime), payload}."""
        if not isinstance(raw, dict):
            raise self._fi_mobile_malformed(self.env._("not an object"))
        if not all_finite(raw):
            # JSON has no NaN nor infinity: Python's parser accepts them, PostgreSQL's JSON does not
            raise self._fi_mobile_malformed(self.env._("a number is NaN or infinite"))
        if not isinstance(raw.get("key"), str) or not KEY_PATTERN.match(raw["key"]):
            raise self._fi_mobile_malformed(self.env._("no valid key"))
        if raw.get("type") not in OP_TYPES:
            raise self._fi_mobile_malformed(self.env._("unknown type"))
        intervention_id = raw.get("intervention_id")
        if not is_id(intervention_id):
            raise self._fi_mobile_malformed(self.env._("no intervention"))
        at = parse_utc(raw.get("at"))
        if not at:
            raise self._fi_mobile_malformed(self.env._("no valid time"))
        payload = raw.get("payload", {})
        if not isinstance(payload, dict):
            raise self._fi_mobile_malformed(self.env._("no valid data"))
        return {"type": raw["type"], "intervention_id": intervention_id, "at": at, "payload": payload}

    def _fi_mobile_intervention_sudo(self, raw):
        """The intervention the operation names, if it exists (superuser: its access is
        checked by :meth:`_fi_mobile_check_target`)."""
        Intervention_sudo = self.env["field.intervention"].sudo()
        intervention_id = raw.get("intervention_id") if isinstance(raw, dict) else None
        if not is_id(intervention_id):
            return Intervention_sudo
        return Intervention_sudo.browse(intervention_id).exists()

    def _fi_mobile_check_target(self, intervention_sudo):
        """The intervention with the technician's rights; conflict when it was deleted,
        cancelled or is no longer the technician's."""
        if not intervention_sudo:
            raise MobileRefusal(
                "conflict",
                self.env._("This intervention no longer exists on the server: your entry is kept for the office."),
            )
        intervention = intervention_sudo.with_env(self.env)
        if not intervention.has_access("write"):
            # nothing of an intervention the technician may not write: not even its number (the
            # phone knows which of its interventions it was, another id names nothing to him)
            raise MobileRefusal(
                "conflict",
                self.env._("This intervention is no longer assigned to you: your entry is kept for the office."),
            )
        if intervention.state == "cancel":
            raise MobileRefusal(
                "conflict",
                self.env._(
                    "Intervention %(name)s was cancelled by the office: your entry is kept for the office.",
                    name=intervention.name,
                ),
            )
        return intervention

    def _fi_mobile_check_editable(self, intervention):
        """Conflict when the report is no longer editable (done, signed... by someone else)."""
        if intervention.state not in EDITABLE_STATES:
            raise MobileRefusal(
                "conflict",
                self.env._(
                    "Intervention %(name)s is already %(state)s (last change by %(user)s on %(date)s): "
                    "your change was not applied.",
                    name=intervention.name,
                    state=intervention._fi_state_label(),
                    user=intervention.sudo().write_uid.name or "",
                    date=self._fi_mobile_format(intervention.write_date),
                ),
            )

    def _fi_mobile_format(self, moment):
        return format_datetime(self.env, moment, dt_format="short") if moment else ""

    def _fi_mobile_moment(self, intervention, op_type, at, received_on):
        """The moment of a timer step: the phone's time when it is in the phone window of the
        intervention (``_fi_mobile_phone_window``) and not before the previous step, else the
        server's time. Return (moment, message or '')."""
        now = fields.Datetime.now()
        floor, ceiling = intervention._fi_mobile_phone_window(received_on)
        segments = intervention.time_ids
        if op_type in ("start", "resume"):
            previous = segments.filtered("date_end").mapped("date_end")
        else:
            previous = segments.filtered(lambda s: not s.date_end).mapped("date_start")
        previous = max(previous, default=floor)
        if at > ceiling:
            reason = self.env._("after the server's time")
        elif at < floor:
            reason = self.env._("before the intervention existed")
        elif at < previous:
            reason = self.env._("before the previous step")
        else:
            return at, ""
        moment = max(now, previous)
        return moment, self.env._(
            "The phone's time %(phone)s is %(reason)s: the server's time %(server)s was recorded instead.",
            phone=self._fi_mobile_format(at),
            reason=reason,
            server=self._fi_mobile_format(moment),
        )

    def _fi_mobile_last_step(self, intervention, field):
        """(user name, moment) of the latest start or end of the intervention's segments."""
        segments = intervention.sudo().time_ids.filtered(field).sorted(field)
        if not segments:
            return "", ""
        last = segments[-1]
        author = last.write_uid if field == "date_end" else last.create_uid
        return author.name or "", self._fi_mobile_format(last[field])

    # ------------------------------------------------------------------
    # The operations: each returns its message ('' when nothing to say)
    # ------------------------------------------------------------------
    def _fi_mobile_op_start(self, intervention, parsed, batch, outcome):
        if intervention.state != "draft":
            self._fi_mobile_check_editable(intervention)
            user, moment = self._fi_mobile_last_step(intervention, "date_start")
            raise MobileRefusal(
                "conflict",
                self.env._(
                    "Intervention %(name)s was already started by %(user)s (%(date)s): the timer on the "
                    "server was kept, your start was not applied.",
                    name=intervention.name,
                    user=user,
                    date=moment,
                ),
            )
        return self._fi_mobile_timer_step(intervention, "start", parsed, batch, outcome)

    def _fi_mobile_op_pause(self, intervention, parsed, batch, outcome):
        self._fi_mobile_check_timer(intervention, ("running",))
        return self._fi_mobile_timer_step(intervention, "pause", parsed, batch, outcome)

    def _fi_mobile_op_resume(self, intervention, parsed, batch, outcome):
        self._fi_mobile_check_timer(intervention, ("paused", "stopped"))
        return self._fi_mobile_timer_step(intervention, "resume", parsed, batch, outcome)

    def _fi_mobile_op_stop(self, intervention, parsed, batch, outcome):
        self._fi_mobile_check_timer(intervention, ("running", "paused"))
        return self._fi_mobile_timer_step(intervention, "stop", parsed, batch, outcome)

    def _fi_mobile_timer_step(self, intervention, step, parsed, batch, outcome):
        """Move the timer as its button would (``_fi_start``...), at the phone's time when it is
        plausible; return what the technician should know about the time kept."""
        moment, message = self._fi_mobile_moment(intervention, step, parsed["at"], batch["received_on"])
        getattr(intervention, f"_fi_{step}")(moment)
        outcome["applied_time"] = moment
        return message

    def _fi_mobile_check_timer(self, intervention, allowed):
        """Conflict when the timer on the server is not where the phone's step expects it."""
        self._fi_mobile_check_editable(intervention)
        if intervention.state == "draft":
            raise MobileRefusal(
                "conflict",
                self.env._(
                    "Intervention %(name)s is not started on the server: your step was not applied.",
                    name=intervention.name,
                ),
            )
        if intervention.timer_state in allowed:
            return
        if intervention.timer_state == "stopped":
            user, moment = self._fi_mobile_last_step(intervention, "date_end")
            message = self.env._(
                "The timer of %(name)s was already stopped by %(user)s (%(date)s): your step was not applied.",
                name=intervention.name,
                user=user,
                date=moment,
            )
        elif intervention.timer_state == "paused":
            user, moment = self._fi_mobile_last_step(intervention, "date_end")
            message = self.env._(
                "The timer of %(name)s was already paused by %(user)s (%(date)s): your step was not applied.",
                name=intervention.name,
                user=user,
                date=moment,
            )
        else:
            user, moment = self._fi_mobile_last_step(intervention, "date_start")
            message = self.env._(
                "The timer of %(name)s is already running since %(date)s (%(user)s): your step was not applied.",
                name=intervention.name,
                user=user,
                date=moment,
            )
        raise MobileRefusal("conflict", message)

    def _fi_mobile_op_set_text(self, intervention, parsed, batch, outcome):
        payload = parsed["payload"]
        values = {name: payload[name] for name in TEXT_FIELDS if name in payload}
        if not values or any(not isinstance(value, str) or len(value) > MAX_TEXT for value in values.values()):
            raise self._fi_mobile_malformed(self.env._("no valid text"))
        self._fi_mobile_check_editable(intervention)
        replaced = []
        for name, value in values.items():
            previous = intervention[name] or ""
            if previous and previous != value and previous != self._fi_mobile_own_text(intervention, name):
                replaced.append((intervention._fields[name]._description_string(self.env), previous))
        intervention.write(values)
        if not replaced:
            return ""
        # the phone wins (the technician wrote it on site); the office's text stays in the chatter
        body = Markup("<p>%s</p>") % self.env._(
            "Text replaced by the phone app of %(user)s (entered offline on %(date)s). Previous text:",
            user=self.env.user.name,
            date=self._fi_mobile_format(parsed["at"]),
        )
        for label, previous in replaced:
            body += Markup("<p><b>%s</b></p>%s") % (label, plaintext2html(previous))
        intervention.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")
        return self.env._(
            "The office had changed %(fields)s meanwhile: your text was recorded, the previous text is "
            "kept in the intervention's chatter.",
            fields=", ".join(label for label, _previous in replaced),
        )

    def _fi_mobile_own_text(self, intervention, name):
        """The last text of field ``name`` that this technician's phone recorded, if any."""
        ops_sudo = self.sudo().search(
            [
                ("intervention_id", "=", intervention.id),
                ("user_id", "=", self.env.uid),
                ("op_type", "=", "set_text"),
                ("status", "=", "ok"),
            ],
            order="id desc",
        )
        for op in ops_sudo:
            payload = (op.payload or {}).get("payload") or {}
            if name in payload:
                return payload[name]
        return None

    def _fi_mobile_op_set_checklist(self, intervention, parsed, batch, outcome):
        payload = parsed["payload"]
        Line = self.env["field.intervention.checklist.line"]
        results = dict(Line._fields["result"]._description_selection(self.env))
        line_id, result, note = payload.get("line_id"), payload.get("result"), payload.get("note")
        if not is_id(line_id) or result not in results or not isinstance(note, (str, type(None))):
            raise self._fi_mobile_malformed(self.env._("no valid checklist answer"))
        self._fi_mobile_check_editable(intervention)
        line = Line.browse(line_id).exists()
        if not line or line.intervention_id != intervention:
            raise MobileRefusal(
                "conflict",
                self.env._(
                    "This checklist item was removed from %(name)s by the office: your answer was not applied.",
                    name=intervention.name,
                ),
            )
        values = {"result": result}
        if note is not None:
            values["note"] = note[:MAX_TEXT] or False
        line.write(values)
        outcome["res_id"] = line.id
        return ""

    def _fi_mobile_op_add_part(self, intervention, parsed, batch, outcome):
        payload = parsed["payload"]
        product_id, quantity = payload.get("product_id"), self._fi_mobile_quantity(payload.get("quantity"))
        if not is_id(product_id):
            raise self._fi_mobile_malformed(self.env._("no valid product"))
        if quantity is None:
            raise self._fi_mobile_malformed(
                self.env._("the quantity must be a number greater than zero, at most %(max)s", max=MAX_QUANTITY)
            )
        self._fi_mobile_check_editable(intervention)
        product = self.env["product.product"].browse(product_id).exists()
        if not product or not product.has_access("read") or not product.sale_ok or not product.active:
            raise MobileRefusal(
                "error", self.env._("This product can no longer be used as a part: choose another one.")
            )
        part = self.env["field.intervention.part"].create(
            {"intervention_id": intervention.id, "product_id": product.id, "quantity": quantity}
        )
        outcome["res_id"] = part.id
        return ""

    def _fi_mobile_quantity(self, value):
        """The part's quantity the phone sent (a number, or its text), or None when it is not a
        number greater than zero (at the unit's precision) and at most ``MAX_QUANTITY``."""
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        # NaN compares false and an infinity is above the maximum: both are refused here
        if not 0 < value <= MAX_QUANTITY:
            return None
        digits = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        if float_is_zero(value, precision_digits=digits):
            return None
        return value

    def _fi_mobile_op_remove_part(self, intervention, parsed, batch, outcome):
        payload = parsed["payload"]
        part_id, part_key = payload.get("part_id"), payload.get("part_key")
        if not is_id(part_id) and not isinstance(part_key, str):
            raise self._fi_mobile_malformed(self.env._("no part"))
        self._fi_mobile_check_editable(intervention)
        if not is_id(part_id):
            added_sudo = self.sudo().search(
                [("key", "=", part_key), ("user_id", "=", self.env.uid), ("op_type", "=", "add_part")], limit=1
            )
            if added_sudo.status != "ok":
                raise MobileRefusal(
                    "conflict",
                    self.env._("The part to remove was never added on the server (its addition was refused)."),
                )
            part_id = added_sudo.res_id
        part = self.env["field.intervention.part"].browse(part_id).exists()
        if not part:
            return self.env._("This part was already removed.")
        if part.intervention_id != intervention:
            raise self._fi_mobile_malformed(self.env._("a part of another intervention"))
        part.unlink()
        outcome["res_id"] = part_id
        return ""

    def _fi_mobile_op_add_photo(self, intervention, parsed, batch, outcome):
        payload = parsed["payload"]
        name, image = payload.get("name") or "", payload.get("image")
        if not isinstance(name, str) or not isinstance(image, str):
            raise self._fi_mobile_malformed(self.env._("no photo"))
        if image.startswith("data:") and "," in image:
            image = image.split(",", 1)[1]
        try:
            raw = base64.b64decode(image, validate=True)
        except (binascii.Error, ValueError):
            raise self._fi_mobile_malformed(self.env._("the photo is not base64")) from None
        self._fi_mobile_check_editable(intervention)
        photo = self.env["field.intervention.photo"].create(
            {"intervention_id": intervention.id, "name": name[:256] or False, "image": base64.b64encode(raw)}
        )
        # the phone knows the photo by the SHA-256 of the bytes it sent, whatever the storage does
        with trusted_write():
            photo.write({"source_sha256": hashlib.sha256(raw).hexdigest()})
        outcome["res_id"] = photo.id
        return ""

    def _fi_mobile_op_done(self, intervention, parsed, batch, outcome):
        if intervention.state == "done":
            return self.env._("Intervention %(name)s was already done.", name=intervention.name)
        self._fi_mobile_check_editable(intervention)
        intervention.action_done()
        return ""

    def _fi_mobile_op_sign(self, intervention, parsed, batch, outcome):
        payload = self._fi_mobile_sign_payload(parsed["payload"])
        if intervention.state in ("signed", "disputed"):
            decision = intervention.sudo()._fi_last_decision()
            raise MobileRefusal(
                "conflict",
                self.env._(
                    "Intervention %(name)s was already %(state)s by %(signer)s (%(date)s): this signature was "
                    "not recorded, it is kept for the office.",
                    name=intervention.name,
                    state=intervention._fi_state_label(),
                    signer=decision.signer_name or "",
                    date=self._fi_mobile_format(decision.signed_on),
                ),
            )
        content = intervention._fi_get_canonical_content()
        if hashlib.sha256(content.encode()).hexdigest() != payload["content_hash"]:
            raise MobileRefusal(
                "conflict",
                self.env._(
                    "The report of %(name)s on the server differs from what the customer signed on the phone "
                    "(%(parts)s): the signature was not recorded, it is kept for the office. Show the report "
                    "to the customer again and have it signed again.",
                    name=intervention.name,
                    parts=", ".join(content_differences(payload["content"], content)),
                ),
            )
        if payload["consent_text"] != intervention._fi_get_consent_text().strip()[:MAX_TEXT]:
            # the evidence keeps the sentence the customer read: it must be the server's own
            raise MobileRefusal(
                "conflict",
                self.env._(
                    "The consent sentence shown on the phone for %(name)s is not the one of the server: the "
                    "signature was not recorded, it is kept for the office. Show the report to the customer "
                    "again and have it signed again.",
                    name=intervention.name,
                ),
            )
        # the evidence keeps the phone's time as sent, and says whether the phone window believes it
        floor, ceiling = intervention._fi_mobile_phone_window(batch["received_on"])
        phone_time_plausible = floor <= parsed["at"] <= ceiling
        if intervention.state in EDITABLE_STATES:
            intervention.action_done()
        signature = intervention._fi_submit_signature(
            {
                "decision": "sign",
                "signer_name": payload["signer_name"],
                "signer_email": payload["signer_email"],
                "signature": payload["signature"],
                "signer_role": "device",
                "geo_consent": payload["geo_consent"],
                "latitude": payload["latitude"],
                "longitude": payload["longitude"],
            },
            {
                **batch["origin"],
                "fi_mobile": {
                    "phone_time": parsed["at"],
                    "phone_time_plausible": phone_time_plausible,
                    "received_on": batch["received_on"],
                    "device_id": batch["device_id"],
                    "content": content,
                    "consent_text": payload["consent_text"],
                },
            },
        )
        outcome["res_id"] = signature.id
        if phone_time_plausible:
            return ""
        return self.env._(
            "The phone's time of the signature %(phone)s is not plausible (before the report existed or after "
            "the server received it): the evidence records it as such, with the server's time of receipt.",
            phone=self._fi_mobile_format(parsed["at"]),
        )

    def _fi_mobile_sign_payload(self, payload):
        """The signature's data, checked for shape; the content must match its hash."""
        strings = ("signer_name", "signer_email", "signature", "content", "content_hash", "consent_text")
        if any(not isinstance(payload.get(name) or "", str) for name in strings):
            raise self._fi_mobile_malformed(self.env._("no valid signature"))
        content, content_hash = payload.get("content") or "", payload.get("content_hash") or ""
        if not SHA256_PATTERN.match(content_hash) or hashlib.sha256(content.encode()).hexdigest() != content_hash:
            raise self._fi_mobile_malformed(self.env._("the signed content does not match its hash"))
        # the app sends false for "no position" (not asked, refused, or no fix)
        coordinates = [None if payload.get(name) is False else payload.get(name) for name in ("latitude", "longitude")]
        bounds = (90, 180)
        if any(
            value is not None
            and (isinstance(value, bool) or not isinstance(value, (int, float)) or not -bound <= value <= bound)
            for value, bound in zip(coordinates, bounds, strict=True)
        ):
            raise self._fi_mobile_malformed(self.env._("no valid location"))
        return {
            **{name: payload.get(name) or "" for name in strings},
            "consent_text": (payload.get("consent_text") or "").strip()[:MAX_TEXT],
            "geo_consent": payload.get("geo_consent") is True,
            "latitude": coordinates[0],
            "longitude": coordinates[1],
        }

    # ------------------------------------------------------------------
    # Storage
    # ------------------------------------------------------------------
    @api.model
    def _fi_claim_key(self, key, user, company, received_on):
        """Reserve ``key`` for a new operation of ``user``: its record (superuser), or an
        empty recordset when the key is already stored.

        ``ON CONFLICT DO NOTHING`` under the repeatable-read isolation of Odoo's requests:
        when a concurrent request (the same batch sent again while the first one runs) stored
        this key and committed after this one started, PostgreSQL raises a serialization
        failure and Odoo replays this request, which then finds the stored operation and
        answers ``duplicate``: never a second application.
        """
        self.env.cr.execute(
            SQL(
                """INSERT INTO field_intervention_mobile_op
                       (key, user_id, company_id, received_on, status,
                        create_uid, create_date, write_uid, write_date)
                   VALUES (%s, %s, %s, %s, 'error', %s, %s, %s, %s)
                   ON CONFLICT (key) DO NOTHING
                   RETURNING id""",
                key,
                user.id,
                company.id,
                received_on,
                user.id,
                received_on,
                user.id,
                received_on,
            ),
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        return self.sudo().browse(row[0]) if row else self.sudo().browse()


def parse_utc(value):
    """A phone time (ISO 8601 with a time zone, e.g. ``2026-12-03T09:15:00Z``) as a naive UTC
    datetime to the second, or None."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def content_differences(phone_content, server_content):
    """Names of the parts of the offline content that differ between the phone and the server."""
    try:
        phone = json.loads(phone_content)
    except ValueError:
        return ["format"]
    server = json.loads(server_content)
    if not isinstance(phone, dict):
        return ["format"]
    return sorted(
        key for key in set(phone) | set(server) if canonical_json(phone.get(key)) != canonical_json(server.get(key))
    )


def is_id(value):
    """Whether the phone sent a record id: a positive integer a database id can be."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def all_finite(value):
    """Whether every number in the JSON ``value`` is finite (no NaN, no infinity)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def bounded_summary(value):
    """What is kept of an operation refused as malformed: its shape with its short values, the
    size of the rest, at most ``MALFORMED_JSON_MAX`` characters of JSON. The phone may have
    sent anything (megabytes, non-finite numbers): an error kept forever must stay small."""
    summary = _shrink(value, 0)
    text = json.dumps(summary, ensure_ascii=False)
    if len(text) <= MALFORMED_JSON_MAX:
        return summary
    return {"truncated": f"<{len(text)} characters>", "start": text[: MALFORMED_JSON_MAX // 2]}


def _shrink(value, depth):
    if isinstance(value, str):
        return value if len(value) <= SUMMARY_TEXT_MAX else f"<{len(value)} characters>"
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # JSON has no NaN nor infinity
    if isinstance(value, int):
        return value if abs(value) <= MAX_ID else f"<{len(str(abs(value)))} digits>"
    if isinstance(value, (dict, list)) and depth >= SUMMARY_DEPTH_MAX:
        return f"<{len(value)} items>"
    if isinstance(value, dict):
        items = list(value.items())
        shrunk = {str(key)[:SUMMARY_TEXT_MAX]: _shrink(item, depth + 1) for key, item in items[:SUMMARY_ITEMS_MAX]}
        if len(items) > SUMMARY_ITEMS_MAX:
            shrunk["..."] = f"<{len(items) - SUMMARY_ITEMS_MAX} more keys>"
        return shrunk
    if isinstance(value, list):
        shrunk = [_shrink(item, depth + 1) for item in value[:SUMMARY_ITEMS_MAX]]
        if len(value) > SUMMARY_ITEMS_MAX:
            shrunk.append(f"<{len(value) - SUMMARY_ITEMS_MAX} more items>")
        return shrunk
    return str(value)[:SUMMARY_TEXT_MAX]


def _summarize(value):
    """The payload with its images and long texts replaced by their size."""
    if isinstance(value, dict):
        return {
            key: (f"<{len(item)} characters>" if key in BULKY_KEYS and isinstance(item, str) else _summarize(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_summarize(item) for item in value]
    return value
