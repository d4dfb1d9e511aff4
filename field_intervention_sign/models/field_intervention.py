import base64
import binascii
import hashlib
import io
import json
import logging
import re
from datetime import timedelta

from markupsafe import Markup
from PIL import Image

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request
from odoo.tools import SQL, float_repr
from odoo.tools.mail import email_normalize
from odoo.tools.pdf import merge_pdf

_logger = logging.getLogger(__name__)

CANONICAL_FORMAT = "field_intervention_sign/1"
MAX_SIGNATURE_BYTES = 1024 * 1024  # 1 MB of decoded image
MAX_NAME_LENGTH = 128
MAX_EMAIL_LENGTH = 254
MAX_TEXT_LENGTH = 4000
MAX_IMAGE_SIDE = 4000
RETRY_DELAYS_MINUTES = (5, 15, 60, 240, 720)
CRON_BATCH_SIZE = 20
FORBIDDEN_NAME_CHARS = re.compile(r"[<>\x00-\x1f]")


class FieldIntervention(models.Model):
    _inherit = "field.intervention"

    state = fields.Selection(
        selection_add=[("signed", "Signed"), ("disputed", "Disputed")],
        ondelete={"signed": "set default", "disputed": "set default"},
    )
    signature_ids = fields.One2many(
        "field.intervention.signature",
        "intervention_id",
        string="Signature Evidence",
        readonly=True,
        groups="field_intervention.group_field_intervention_manager",
    )
    signature_id = fields.Many2one(
        "field.intervention.signature",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The valid signature of the report (empty until signed).",
    )
    signed_date = fields.Datetime("Signed On", readonly=True, copy=False, index=True, tracking=True)
    signer_name = fields.Char(related="signature_id.signer_name", string="Signed By")
    signed_pdf_id = fields.Many2one("ir.attachment", "Signed PDF", readonly=True, copy=False)
    has_reserves = fields.Boolean("Signed With Reserves", readonly=True, copy=False, index=True)
    sign_event_ids = fields.One2many(
        "field.intervention.sign.event",
        "intervention_id",
        string="Signature Log",
        readonly=True,
        groups="field_intervention.group_field_intervention_manager",
    )
    sign_pending_job = fields.Boolean(
        "Signature Jobs Pending",
        readonly=True,
        copy=False,
        index=True,
        help="The signed PDF or the signature emails could not be produced yet; a scheduled action retries them.",
    )
    sign_pdf_pending = fields.Boolean("Signed PDF Pending", readonly=True, copy=False)
    sign_mail_pending = fields.Boolean("Signature Emails Pending", readonly=True, copy=False)
    sign_job_error = fields.Text("Last Signature Job Error", readonly=True, copy=False)
    sign_job_attempts = fields.Integer("Signature Job Attempts", readonly=True, copy=False)
    sign_job_next_try = fields.Datetime("Next Retry", readonly=True, copy=False)
    sign_refusal_reason = fields.Text(
        "Refusal Reason",
        compute="_compute_sign_refusal_reason",
        compute_sudo=True,
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("signature_ids.status", "signature_ids.refusal_reason")
    def _compute_sign_refusal_reason(self):
        for rec in self:
            refusals = rec.signature_ids.filtered(lambda s: s.status == "refused")
            rec.sign_refusal_reason = refusals.sorted("id")[-1:].refusal_reason if refusals else False

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    def write(self, vals):
        if "state" in vals:
            self._fi_check_state_transition(vals)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_signature_evidence(self):
        if self.sudo().filtered(lambda rec: rec.state == "signed" or rec.signature_ids or rec.sign_event_ids):
            raise UserError(
                self.env._(
                    "An intervention that was presented for signature keeps its signature evidence: "
                    "it cannot be deleted."
                )
            )

    def _fi_check_state_transition(self, vals):
        """Guard the states owned by this addon against direct writes (UI, ORM, RPC)."""
        new_state = vals["state"]
        for rec in self:
            if rec.state == new_state:
                continue
            if rec.state == "signed":
                raise UserError(
                    self.env._(
                        "Intervention %(name)s is signed: its status can no longer change. "
                        "Create a new intervention for further work.",
                        name=rec.name,
                    )
                )
            if new_state == "signed":
                signature = (
                    self.env["field.intervention.signature"]
                    .browse(vals.get("signature_id") or rec.signature_id.id)
                    .sudo()
                )
                if not (signature.intervention_id == rec and signature.status == "signed"):
                    raise UserError(
                        self.env._("Intervention %(name)s can only be signed by the customer.", name=rec.name)
                    )
            elif new_state == "disputed" and rec.state != "done":
                raise UserError(self.env._("Only a done intervention can be disputed (%(name)s).", name=rec.name))

    # ------------------------------------------------------------------
    # Lock hooks
    # ------------------------------------------------------------------
    def _get_locked_states(self):
        # 'signed' is final: corrections go through a refusal (disputed -> done) or a new intervention.
        return super()._get_locked_states() + ["signed"]

    # ------------------------------------------------------------------
    # Hooks for other addons (field_intervention_invoice)
    # ------------------------------------------------------------------
    def _on_customer_signed(self):
        """Called on the signed interventions, in the signing transaction, right after their
        state became 'signed'. No-op here; extended by field_intervention_invoice.

        It runs inside a savepoint: an exception rolls back only what the hook did, the
        signature is kept and the failure is written in the signature log.
        """
        return True

    def _on_signed_pdf_ready(self):
        """Called when ``signed_pdf_id`` has just been set (at signature time, or later by the
        retry cron). No-op here; extended by field_intervention_invoice."""
        return True

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_fi_customer_sign(self):
        """Open the customer-facing signing screen on the technician's device."""
        self.ensure_one()
        self._fi_check_signable()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customer signature"),
            "res_model": "field.intervention.sign.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_intervention_id": self.id, "dialog_size": "extra-large"},
        }

    def action_fi_send_for_signature(self):
        """Open the email composer with the signature request template (portal link + token)."""
        self.ensure_one()
        self._fi_check_signable()
        self.check_access("write")
        self._portal_ensure_token()
        template = self.env.ref("field_intervention_sign.mail_template_fi_sign_request", raise_if_not_found=False)
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id if template else False,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_layout_with_responsible_signature",
                "force_email": True,
                "fi_mark_sign_sent": True,
            },
        }

    def action_fi_back_to_done(self):
        """Dispatcher: bring a disputed (refused) intervention back to done once corrected."""
        if not self.env.user.has_group("field_intervention.group_field_intervention_manager"):
            raise AccessError(self.env._("Only a dispatcher can bring a disputed intervention back to done."))
        for rec in self:
            if rec.state != "disputed":
                raise UserError(self.env._("Intervention %(name)s is not disputed.", name=rec.name))
        self.write({"state": "done"})
        # the request user is pinned: a client-supplied context never names the actor
        for rec in self.with_context(fi_request_uid=self.env.uid):
            rec._fi_log_event("reset", self.env._("Brought back to done after the dispute."))
        return True

    def action_fi_retry_sign_jobs(self):
        """Retry now the signed PDF and the emails that failed."""
        self.check_access("write")
        self.with_context(fi_request_uid=self.env.uid).sudo()._fi_process_pending_jobs()
        return True

    # ------------------------------------------------------------------
    # Mail
    # ------------------------------------------------------------------
    def message_post(self, **kwargs):
        if self.env.context.get("fi_mark_sign_sent"):
            for rec in self.filtered(lambda r: r.state == "done").with_context(fi_request_uid=self.env.uid):
                rec._fi_log_event("sent", self.env._("Signature request sent by email."))
        return super().message_post(**kwargs)

    def _fi_get_dispatcher_partners(self):
        self.ensure_one()
        return self.project_id.user_id.partner_id or self.create_uid.partner_id

    def _fi_last_decision(self):
        """The latest signature or refusal of the intervention."""
        self.ensure_one()
        return self.sudo().signature_ids.sorted("id")[-1:]

    def _fi_get_billing_email(self):
        self.ensure_one()
        return self.company_id.fi_billing_email or ""

    def _fi_get_signer_email_to(self):
        """Signer's email when it is not already the customer's (avoids a duplicate mail)."""
        self.ensure_one()
        email = self.signature_id.signer_email
        if not email or email_normalize(email) == email_normalize(self.partner_id.email or ""):
            return ""
        return email

    def _fi_portal_url_absolute(self):
        self.ensure_one()
        return self.get_base_url() + self.get_portal_url()

    # ------------------------------------------------------------------
    # Signing: the one entry point
    # ------------------------------------------------------------------
    def _fi_submit_signature(self, values):
        """Record the customer's decision (sign or refuse) on this intervention.

        Controllers and the device wizard parse the request and check the access, then call
        this method only. The decision is recorded first; the signed PDF and the emails are
        produced afterwards in savepoints, so their failure never loses the signature (they
        are flagged and retried by a cron). A second identical submission returns the
        signature recorded by the first one.

        :param dict values: ``decision`` ('sign' or 'refuse'), ``signer_name``,
            ``signer_email``, ``signature`` (base64 PNG/JPEG), ``reserves``,
            ``refusal_reason``, ``signer_role`` ('device', 'portal_user', 'token'),
            ``geo_consent``, ``latitude``, ``longitude``
        :return: the ``field.intervention.signature`` record
        :raise ValidationError: bad input; UserError: the intervention cannot be signed
        """
        self.ensure_one()
        if not self.env.su:
            self.check_access("write")
        request_uid = values.get("request_user_id") or self.env.uid
        if values.get("signer_role") == "portal_user" and not self.env["res.users"].browse(request_uid).share:
            # the portal is the customer's: an employee has the customer sign on the device
            raise UserError(
                self.env._(
                    "Only the customer signs in the portal. To have the customer sign on your "
                    "device, open the intervention and use Customer Signs."
                )
            )
        intervention_sudo = self.sudo().with_context(fi_request_uid=request_uid)
        clean = intervention_sudo._fi_clean_submission(values)
        intervention_sudo._fi_lock_for_signature()
        previous = intervention_sudo._fi_find_duplicate_submission(clean)
        if previous:
            return previous
        intervention_sudo._fi_check_signable()
        signature = intervention_sudo._fi_record_decision(clean)
        intervention_sudo._fi_run_after_decision_jobs()
        return signature.with_env(self.env)

    def _fi_check_signable(self):
        for rec in self:
            if rec.state != "done":
                state_labels = dict(self._fields["state"]._description_selection(self.env))
                raise UserError(
                    self.env._(
                        "Intervention %(name)s cannot be signed: it is %(state)s, only a done "
                        "intervention can be signed or refused.",
                        name=rec.name,
                        state=state_labels.get(rec.state, rec.state),
                    )
                )

    def _fi_lock_for_signature(self):
        """Lock the intervention row until the end of the transaction, so that concurrent
        submissions are serialized, then reload its values."""
        self.flush_recordset()
        # A concurrent submission that committed first makes this raise a serialization
        # failure: Odoo retries the whole request, which then finds the first signature. That
        # retry is the designed path, not an error worth a log line.
        self.env.cr.execute(
            SQL("SELECT id FROM field_intervention WHERE id IN %s FOR UPDATE", tuple(self.ids)), log_exceptions=False
        )
        self.invalidate_recordset()

    def _fi_find_duplicate_submission(self, clean):
        """Return the signature already recorded for the same submission, if any."""
        self.ensure_one()
        if self.state not in ("signed", "disputed"):
            return self.env["field.intervention.signature"]
        last = self._fi_last_decision()
        if last and last.submission_hash == clean["submission_hash"]:
            return last
        return self.env["field.intervention.signature"]

    def _fi_clean_submission(self, values):
        """Validate and normalize the submitted values (see ``_fi_submit_signature``)."""
        decision = values.get("decision")
        if decision not in ("sign", "refuse"):
            raise ValidationError(self.env._("Choose to sign or to refuse the report."))
        name = " ".join((values.get("signer_name") or "").split())
        if not name:
            raise ValidationError(self.env._("Enter the name of the person who signs."))
        if len(name) > MAX_NAME_LENGTH or FORBIDDEN_NAME_CHARS.search(name):
            raise ValidationError(
                self.env._(
                    "The signer's name must be a plain name of at most %(max)s characters, without < or > characters.",
                    max=MAX_NAME_LENGTH,
                )
            )
        email = (values.get("signer_email") or "").strip()
        if email and (len(email) > MAX_EMAIL_LENGTH or not email_normalize(email, strict=True)):
            raise ValidationError(self.env._("The email address %(email)s is not valid.", email=email[:80]))
        reserves = (values.get("reserves") or "").strip()
        reason = (values.get("refusal_reason") or "").strip()
        if len(reserves) > MAX_TEXT_LENGTH or len(reason) > MAX_TEXT_LENGTH:
            raise ValidationError(
                self.env._("Reserves and refusal reasons are limited to %(max)s characters.", max=MAX_TEXT_LENGTH)
            )
        if decision == "refuse" and not reason:
            raise ValidationError(self.env._("Give the reason of the refusal."))
        signature_bytes = b""
        if decision == "sign" or values.get("signature"):
            signature_bytes = self._fi_decode_signature_image(values.get("signature"))
        role = values.get("signer_role")
        if role not in ("device", "portal_user", "token"):
            raise ValidationError(self.env._("Unknown signer role."))
        geo = self._fi_clean_geolocation(values)
        signature_hash = hashlib.sha256(signature_bytes).hexdigest() if signature_bytes else False
        fingerprint = json.dumps([decision, name, email, reserves, reason, signature_hash or ""], ensure_ascii=False)
        return {
            "decision": decision,
            "signer_name": name,
            "signer_email": email or False,
            "reserves": reserves if decision == "sign" and reserves else False,
            "refusal_reason": reason if decision == "refuse" else False,
            "signature": base64.b64encode(signature_bytes) if signature_bytes else False,
            "signature_hash": signature_hash,
            "signer_role": role,
            "submission_hash": hashlib.sha256(fingerprint.encode()).hexdigest(),
            **geo,
        }

    def _fi_decode_signature_image(self, data):
        """Return the bytes of a non-empty PNG or JPEG signature of at most 1 MB."""
        if not data:
            raise ValidationError(self.env._("The signature is missing: sign in the box first."))
        if isinstance(data, bytes):
            data = data.decode("ascii", errors="replace")
        if not isinstance(data, str) or len(data) > (MAX_SIGNATURE_BYTES * 4) // 3 + 4:
            raise ValidationError(self.env._("The signature image is too large (1 MB at most)."))
        if data.startswith("data:") and "," in data:
            data = data.split(",", 1)[1]
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(self.env._("The signature data is not valid."))  # noqa: B904
        if len(raw) > MAX_SIGNATURE_BYTES:
            raise ValidationError(self.env._("The signature image is too large (1 MB at most)."))
        try:
            image = Image.open(io.BytesIO(raw))
            image_format = image.format
            width, height = image.size
            image.verify()
            image = Image.open(io.BytesIO(raw))
            image.load()
        except Exception:  # noqa: BLE001  PIL raises many kinds of errors on garbage
            raise ValidationError(self.env._("The signature is not a valid image."))  # noqa: B904
        if image_format not in ("PNG", "JPEG") or max(width, height) > MAX_IMAGE_SIDE:
            raise ValidationError(self.env._("The signature must be a PNG or JPEG image."))
        if self._fi_is_blank_image(image):
            raise ValidationError(self.env._("The signature is empty: sign in the box first."))
        return raw

    @staticmethod
    def _fi_is_blank_image(image):
        """True when the image has no visible stroke (fully transparent or uniform)."""
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            return image.convert("RGBA").getchannel("A").getbbox() is None
        extrema = image.convert("L").getextrema()
        return extrema[0] == extrema[1]

    def _fi_clean_geolocation(self, values):
        if not values.get("geo_consent"):
            return {"geo_consent": False, "latitude": 0.0, "longitude": 0.0}
        try:
            latitude = float(values.get("latitude"))
            longitude = float(values.get("longitude"))
        except (TypeError, ValueError):
            return {"geo_consent": True, "latitude": 0.0, "longitude": 0.0}
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValidationError(self.env._("The geolocation is not valid."))
        return {"geo_consent": True, "latitude": latitude, "longitude": longitude}

    def _fi_record_decision(self, clean):
        """Create the evidence, move the state and log it. Runs as superuser after the checks."""
        self.ensure_one()
        canonical = self._fi_get_canonical_content()
        meta = self._fi_get_request_meta()
        signature = self.env["field.intervention.signature"].create(
            {
                "intervention_id": self.id,
                "status": "signed" if clean["decision"] == "sign" else "refused",
                "signer_name": clean["signer_name"],
                "signer_email": clean["signer_email"],
                "signer_role": clean["signer_role"],
                "user_id": self._fi_request_user().id,
                "ip_address": meta["ip_address"],
                "user_agent": meta["user_agent"],
                "geo_consent": clean["geo_consent"],
                "latitude": clean["latitude"],
                "longitude": clean["longitude"],
                "consent_text": self._fi_get_consent_text(),
                "reserves": clean["reserves"],
                "refusal_reason": clean["refusal_reason"],
                "signature": clean["signature"],
                "signature_hash": clean["signature_hash"],
                "content_canonical": canonical,
                "submission_hash": clean["submission_hash"],
            }
        )
        if signature.status == "signed":
            self._fi_apply_signature(signature)
        else:
            self._fi_apply_refusal(signature)
        return signature

    def _fi_apply_signature(self, signature):
        self.write(
            {
                "state": "signed",
                "signature_id": signature.id,
                "signed_date": signature.signed_on,
                "has_reserves": bool(signature.reserves),
                "sign_pdf_pending": True,
                "sign_mail_pending": True,
                "sign_pending_job": True,
                "sign_job_attempts": 0,
                "sign_job_error": False,
                "sign_job_next_try": fields.Datetime.now(),
            }
        )
        self._fi_log_event("signed", self.env._("Signed by %(name)s.", name=signature.signer_name), signature)
        body = Markup("%s") % self.env._("Report signed by %(name)s.", name=signature.signer_name)
        if signature.reserves:
            body += Markup("<br/>") + self.env._("Reserves: %(reserves)s", reserves=signature.reserves)
        self.message_post(
            body=body, author_id=self._fi_get_author_id(), message_type="notification", subtype_xmlid="mail.mt_note"
        )
        self._fi_run_hook("_on_customer_signed")

    def _fi_apply_refusal(self, signature):
        self.write(
            {
                "state": "disputed",
                "sign_mail_pending": True,
                "sign_pending_job": True,
                "sign_job_attempts": 0,
                "sign_job_error": False,
                "sign_job_next_try": fields.Datetime.now(),
            }
        )
        self._fi_log_event("refused", self.env._("Refused by %(name)s.", name=signature.signer_name), signature)
        body = Markup("%s<br/>%s") % (
            self.env._("Report refused by %(name)s.", name=signature.signer_name),
            self.env._("Reason: %(reason)s", reason=signature.refusal_reason),
        )
        self.message_post(
            body=body, author_id=self._fi_get_author_id(), message_type="notification", subtype_xmlid="mail.mt_note"
        )

    def _fi_request_user(self):
        """The user behind the current request (controllers run as superuser after the check)."""
        return self.env["res.users"].browse(self.env.context.get("fi_request_uid") or self.env.uid)

    def _fi_get_author_id(self):
        """Chatter author of a customer decision: the customer when signing through a token link."""
        user = self._fi_request_user()
        return self.partner_id.id if user._is_public() else user.partner_id.id

    def _fi_run_hook(self, method_name):
        """Run a hook for other addons in a savepoint: its failure never loses the signature."""
        try:
            with self.env.cr.savepoint():
                getattr(self, method_name)()
        except Exception as error:  # any failure of an extension must be contained
            _logger.exception("Hook %s failed on intervention %s", method_name, self.ids)
            for rec in self:
                rec._fi_log_event("hook_failed", f"{method_name}: {error}")

    # ------------------------------------------------------------------
    # PDF and mails (after the decision; retried by the cron)
    # ------------------------------------------------------------------
    def _fi_run_after_decision_jobs(self):
        self.ensure_one()
        self._fi_process_pending_jobs()

    def _fi_process_pending_jobs(self):
        """Produce the signed PDF then send the emails, each in a savepoint. A failure is
        recorded on the intervention (and retried later) without undoing the signature."""
        for rec in self:
            errors = []
            if rec.sign_pdf_pending:
                errors += rec._fi_try_step(rec._fi_generate_signed_pdf, "pdf_failed")
            if rec.sign_mail_pending and not rec.sign_pdf_pending:
                errors += rec._fi_try_step(rec._fi_send_decision_mails, "mail_failed")
            rec._fi_update_job_status(errors)

    def _fi_try_step(self, step, failure_event):
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                step()
        except Exception as error:  # noqa: BLE001  rendering/mail errors of any kind are retried
            _logger.warning("Signature job %s failed for intervention %s: %s", step.__name__, self.id, error)
            message = f"{step.__name__}: {error}"
            self._fi_log_event(failure_event, message)
            return [message]
        return []

    def _fi_update_job_status(self, errors):
        self.ensure_one()
        pending = self.sign_pdf_pending or self.sign_mail_pending
        attempts = self.sign_job_attempts + (1 if errors else 0)
        delay = RETRY_DELAYS_MINUTES[min(attempts, len(RETRY_DELAYS_MINUTES)) - 1] if attempts else 0
        self.write(
            {
                "sign_pending_job": pending,
                "sign_job_error": "\n".join(errors) or False,
                "sign_job_attempts": attempts,
                "sign_job_next_try": fields.Datetime.now() + timedelta(minutes=delay) if pending else False,
            }
        )
        if pending:
            self.env.ref("field_intervention_sign.ir_cron_fi_sign_retry").sudo()._trigger(self.sign_job_next_try)

    def _fi_generate_signed_pdf(self):
        """Render the report with the signature, append the evidence page, store and post it.
        Idempotent: a signature gets one signed PDF only."""
        self.ensure_one()
        signature = self.signature_id
        if not signature:
            self.sign_pdf_pending = False
            return
        if signature.pdf_attachment_id:
            attachment = signature.pdf_attachment_id
        else:
            pdf = merge_pdf([self._fi_render_report_pdf(), signature._render_evidence_page()])
            attachment = self.env["ir.attachment"].create(
                {
                    "name": self.env._("%(name)s - signed.pdf", name=self._get_report_base_filename()),
                    "raw": pdf,
                    "mimetype": "application/pdf",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
            signature.write({"pdf_attachment_id": attachment.id, "pdf_hash": hashlib.sha256(pdf).hexdigest()})
            self.message_post(
                body=self.env._("Signed report and signature evidence."),
                attachment_ids=attachment.ids,
                message_type="notification",
                subtype_xmlid="mail.mt_note",
            )
            self._fi_log_event(
                "pdf_ready", self.env._("Signed PDF stored (SHA-256 %(hash)s).", hash=signature.pdf_hash), signature
            )
        self.write({"signed_pdf_id": attachment.id, "sign_pdf_pending": False})
        self._on_signed_pdf_ready()

    def _fi_render_report_pdf(self):
        """Return the intervention report PDF as rendered now (with the signature block)."""
        self.ensure_one()
        report = self.env["ir.actions.report"].with_company(self.company_id)
        content, _report_type = report._render_qweb_pdf("field_intervention.action_report_field_intervention", self.ids)
        return content

    def _fi_send_decision_mails(self):
        """Queue the emails of the current decision (one savepoint: all or nothing)."""
        self.ensure_one()
        signature = self._fi_last_decision()
        templates = []
        if signature.status == "signed":
            templates.append(("mail_template_fi_signed_customer", self.signed_pdf_id))
            if self._fi_get_billing_email():
                templates.append(("mail_template_fi_signed_billing", self.signed_pdf_id))
            if signature.reserves:
                templates.append(("mail_template_fi_sign_reserves", self.signed_pdf_id))
        else:
            templates.append(("mail_template_fi_sign_refused", self.env["ir.attachment"]))
        for xmlid, attachment in templates:
            template = self.env.ref(f"field_intervention_sign.{xmlid}")
            email_values = {"attachment_ids": [(4, attachment.id)]} if attachment else None
            template.send_mail(self.id, email_values=email_values)
        self.sign_mail_pending = False
        self._fi_log_event(
            "mail_sent", self.env._("Emails queued: %(names)s.", names=", ".join(x for x, _a in templates)), signature
        )

    @api.model
    def _cron_fi_retry_sign_jobs(self):
        """Retry the signed PDFs and emails that failed, in batches."""
        domain = [("sign_pending_job", "=", True), ("sign_job_next_try", "<=", fields.Datetime.now())]
        records = self.search(domain, limit=CRON_BATCH_SIZE, order="sign_job_next_try, id")
        records._fi_process_pending_jobs()
        remaining = self.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(records), remaining=remaining)

    # ------------------------------------------------------------------
    # Evidence helpers
    # ------------------------------------------------------------------
    def _fi_log_event(self, event_type, description=False, signature=False):
        self.ensure_one()
        meta = self._fi_get_request_meta()
        return (
            self.env["field.intervention.sign.event"]
            .sudo()
            .create(
                {
                    "intervention_id": self.id,
                    "event_type": event_type,
                    "description": description,
                    "signature_id": signature.id if signature else False,
                    "user_id": self._fi_request_user().id,
                    "ip_address": meta["ip_address"],
                    "user_agent": meta["user_agent"],
                }
            )
        )

    def _fi_register_portal_view(self, request_user):
        """Log a 'viewed' event once per day and session for a customer opening the report."""
        self.ensure_one()
        if not request or self.state != "done" or not request_user.share:
            return
        key = f"fi_viewed_{self.id}"
        today = fields.Date.today().isoformat()
        if request.session.get(key) != today:
            request.session[key] = today
            self.sudo().with_context(fi_request_uid=request_user.id)._fi_log_event(
                "viewed", self.env._("Report viewed in the portal.")
            )

    @api.model
    def _fi_get_request_meta(self):
        if not request:
            return {"ip_address": False, "user_agent": False}
        http_request = request.httprequest
        return {
            "ip_address": http_request.remote_addr or False,
            "user_agent": (http_request.user_agent.string or "")[:512] or False,
        }

    def _fi_get_consent_text(self):
        self.ensure_one()
        return self.env._(
            "By signing, I confirm that the work described in intervention report %(number)s "
            "of %(date)s was carried out, and I accept this report on behalf of %(customer)s. "
            "I agree that my electronic signature has the same value as my handwritten signature.",
            number=self.name,
            date=self.intervention_date or "",
            customer=self.partner_id.commercial_partner_id.name or self.partner_id.name or "",
        )

    def _fi_get_default_signer(self):
        """Signer name and email proposed on the signing screens (site contact first)."""
        self.ensure_one()
        contact = self.site_id if self.site_id and not self.site_id.is_company else self.partner_id
        if contact.is_company and contact.child_ids:
            contact = contact.child_ids.filtered(lambda c: c.type == "contact")[:1] or contact
        return contact.name or "", contact.email or ""

    def _fi_show_prices(self):
        self.ensure_one()
        return self.company_id.fi_sign_show_prices

    def _fi_get_canonical_content(self):
        """Return the canonical JSON text of what the customer signs.

        Same data, same text: keys sorted, fixed number formats, UTC datetimes, photos by their
        SHA-256. Its SHA-256 is the content hash of the signature.
        """
        self.ensure_one()
        dt = fields.Datetime.to_string
        show_prices = self._fi_show_prices()
        content = {
            "format": CANONICAL_FORMAT,
            "number": self.name,
            "company": {"name": self.company_id.name, "vat": self.company_id.vat or ""},
            "customer": {
                "name": self.partner_id.commercial_partner_id.name or "",
                "vat": self.partner_id.commercial_partner_id.vat or "",
            },
            "site": self.site_id._display_address(without_company=False).strip() if self.site_id else "",
            "service_date": fields.Date.to_string(self.intervention_date) or "",
            "date_start": dt(self.date_start) or "",
            "date_end": dt(self.date_end) or "",
            "worked_hours": float_repr(self.duration, 2),
            "pause_hours": float_repr(self.pause_duration, 2),
            "travel_hours": float_repr(self.travel_duration, 2),
            "travel_km": float_repr(self.travel_distance, 2),
            "technicians": sorted(self.technician_ids.mapped("name")),
            "time_segments": [
                [dt(t.date_start), dt(t.date_end) or "", float_repr(t.duration, 2)]
                for t in self.time_ids.sorted(lambda t: (t.date_start, t.id))
            ],
            "work_description": self.work_description or "",
            "findings": self.findings or "",
            "checklist": [
                {"item": line.name, "result": line.result or "", "note": line.note or ""}
                for line in self.checklist_line_ids.sorted(lambda l: (l.sequence, l.id))
            ],
            "parts": [
                self._fi_canonical_part(part, show_prices)
                for part in self.part_ids.sorted(lambda p: (p.sequence, p.id))
            ],
            "photos": [
                {
                    "caption": photo.name or "",
                    "sha256": hashlib.sha256(
                        base64.b64decode(photo.with_context(bin_size=False).image or b"")
                    ).hexdigest(),
                }
                for photo in self.photo_ids.sorted(lambda p: (p.sequence, p.id))
            ],
        }
        return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def _fi_canonical_part(self, part, show_prices):
        values = {
            "product": part.product_id.default_code or "",
            "description": part.name or "",
            "quantity": float_repr(part.quantity, 3),
            "unit": part.product_uom_id.name or "",
        }
        if show_prices:
            values["unit_price"] = float_repr(part.product_id.lst_price, 2)
            values["currency"] = self.company_id.currency_id.name
        return values

    def _fi_get_summary_values(self):
        """Values of the "what you sign" summary (device screen, portal page)."""
        self.ensure_one()
        show_prices = self._fi_show_prices()
        parts = [
            {
                "name": part.name or part.product_id.display_name,
                "quantity": part.quantity,
                "uom": part.product_uom_id.name or "",
                "price": part.product_id.lst_price * part.quantity if show_prices else False,
            }
            for part in self.part_ids.sorted(lambda p: (p.sequence, p.id))
        ]
        return {
            "intervention": self,
            "parts": parts,
            "show_prices": show_prices,
            "currency": self.company_id.currency_id,
            "total_parts": sum(p["price"] or 0.0 for p in parts),
        }

    def _fi_render_summary_html(self):
        self.ensure_one()
        return self.env["ir.qweb"]._render("field_intervention_sign.sign_summary", self._fi_get_summary_values())
