import base64
import hashlib
import json
import logging
import uuid

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tools import SQL, float_repr, format_date
from odoo.tools.mail import email_normalize
from odoo.tools.sql import create_index

from ..tools import signature_input

_logger = logging.getLogger(__name__)


def utc_string(moment):
    """A datetime as signed and as the phone app reads it: UTC, ``YYYY-MM-DDTHH:MM:SSZ`` ('' when
    empty)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def canonical_json(value):
    """The one serialization of the signed content: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


CANONICAL_FORMAT = "field_intervention_sign/2"
# the keys of the signed content the phone app rebuilds from its own state offline; it takes the
# others from the content it downloaded (see _fi_get_canonical_content)
CONTENT_PHONE_KEYS = ("times", "service_date", "work_description", "findings", "checklist", "parts", "photos")
SIGNER_ROLES = ("device", "portal_user", "token")


class FieldIntervention(models.Model):
    _name = "field.intervention"
    _inherit = ["field.intervention", "field.intervention.sign.job.mixin"]  # noqa: RUF012

    state = fields.Selection(
        selection_add=[("signed", "Signed"), ("disputed", "Disputed")],
        ondelete={"signed": "set default", "disputed": "set default"},
    )
    # the customer's link: readable by superuser code only (the emails); an employee who could
    # read it could open the link logged out and sign as the customer
    access_token = fields.Char(groups="base.group_system")
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
    signed_pdf_id = fields.Many2one(
        related="signature_id.pdf_attachment_id",
        string="Signed PDF",
        help="The signed report as stored in the signature evidence.",
    )
    has_reserves = fields.Boolean("Signed With Reserves", readonly=True, copy=False, index=True)
    sign_event_ids = fields.One2many(
        "field.intervention.sign.event",
        "intervention_id",
        string="Signature Log",
        readonly=True,
        groups="field_intervention.group_field_intervention_manager",
    )
    sign_refusal_reason = fields.Text(
        "Refusal Reason",
        compute="_compute_sign_refusal_reason",
        compute_sudo=True,
    )

    def init(self):
        res = super().init()
        # the customer's portal list and its pager count: the reports of its contacts in the states
        # a customer sees. On the partner alone, a customer with 10,000 reports made PostgreSQL
        # fetch every row to check its state (23-90 ms a page); with the state it reads the index only
        create_index(self.env.cr, "field_intervention_partner_id_state_index", self._table, ["partner_id", "state"])
        return res

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
    @api.ondelete(at_uninstall=False)
    def _unlink_except_signature_evidence(self):
        if self.sudo().filtered(lambda rec: rec.state == "signed" or rec.signature_ids or rec.sign_event_ids):
            raise UserError(
                self.env._(
                    "An intervention that was presented for signature keeps its signature evidence: "
                    "it cannot be deleted."
                )
            )

    # ------------------------------------------------------------------
    # Lock hooks
    # ------------------------------------------------------------------
    def _get_locked_states(self):
        # 'signed' is final: corrections go through a refusal or a new intervention. A refused
        # report stays as the customer saw it (the evidence of the refusal): the dispatcher brings
        # it back to done, then it is reopened, corrected and presented again.
        return super()._get_locked_states() + ["signed", "disputed"]

    def _fi_protected_hint(self):
        return self.env._(
            "use the intervention's buttons (Start, Stop, Done, Customer Signs, Send for Signature...) "
            "or its report fields instead."
        )

    # ------------------------------------------------------------------
    # Hooks for other addons (field_intervention_invoice)
    # ------------------------------------------------------------------
    def _on_customer_signed(self):
        """Called on the signed interventions, in the signing transaction, right after their
        state became 'signed'. No-op here: a hook for other addons (what needs the signed
        PDF waits for :meth:`_on_signed_pdf_ready`).

        It runs inside a savepoint: an exception rolls back only what the hook did, the
        signature is kept and the failure is written in the signature log.
        """
        return True

    def _fi_signed_mail_attachments(self, signature):
        """The files joined to the customer's mail of a signature: the signed PDF (hook: the
        maintenance addon adds the certificates it produced right after it)."""
        self.ensure_one()
        return signature.pdf_attachment_id

    def _on_signed_pdf_ready(self):
        """Called when the signed PDF has just been stored, by the signature's scheduled action
        right after the customer's answer (or by a later retry). No-op here; extended by
        field_intervention_invoice (the draft invoice follows the signed PDF)."""
        return True

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_fi_customer_sign(self):
        """Open the customer-facing signing screen on the technician's device."""
        self.ensure_one()
        self.check_access("write")
        self._fi_check_field_user()
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
        """Open the signature request: the customer receives a link to review and sign."""
        self.ensure_one()
        self.check_access("write")
        self._fi_check_field_user()
        self._fi_check_signable()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send for Signature"),
            "res_model": "field.intervention.sign.request",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_intervention_id": self.id},
        }

    def action_fi_back_to_done(self):
        """Dispatcher: bring a disputed (refused) intervention back to done once corrected."""
        if not self.env.user.has_group("field_intervention.group_field_intervention_manager"):
            raise AccessError(self.env._("Only a dispatcher can bring a disputed intervention back to done."))
        for rec in self:
            if rec.state != "disputed":
                raise UserError(self.env._("Intervention %(name)s is not disputed.", name=rec.name))
        self._fi_set_workflow({"state": "done"})
        # the links sent for the refused report no longer open it: a new request will be sent
        self._fi_rotate_access_token()
        for rec in self:
            rec._fi_log_event("reset", self.env._("Brought back to done after the dispute."))
        return True

    def action_reopen(self):
        res = super().action_reopen()
        # the report will change: the link sent for signature no longer opens it
        self._fi_rotate_access_token()
        return res

    def action_fi_retry_sign_jobs(self):
        """Retry now the signed PDF and the emails that failed."""
        self.check_access("write")
        interventions_sudo = self.sudo()
        interventions_sudo._fi_process_pending_jobs()
        return True

    # ------------------------------------------------------------------
    # The customer's link (portal access token)
    # ------------------------------------------------------------------
    def _fi_customer_states(self):
        """States in which the customer opens the report (portal and link)."""
        return ("done", "signed", "disputed")

    def _fi_may_see_token(self):
        """Superuser code (the emails to the customer), the customer side (portal users) and the
        administrator, who may read the token field anyway, see the link's token; other employees
        never do: they have the customer sign through the device flow."""
        return self.env.su or self.env.user.share or self.env.user.has_group("base.group_system")

    def _portal_ensure_token(self):
        # the token field is restricted: superuser code reads and creates it
        intervention_sudo = self.sudo()
        return super(FieldIntervention, intervention_sudo)._portal_ensure_token()

    def get_portal_url(self, suffix=None, report_type=None, download=None, query_string=None, anchor=None):
        """The portal URL, with the customer's token only for the customer side (see
        :meth:`_fi_may_see_token`): an employee gets the URL without it."""
        if not self.env.su:
            self.check_access("read")
        if self._fi_may_see_token():
            return super().get_portal_url(
                suffix=suffix, report_type=report_type, download=download, query_string=query_string, anchor=anchor
            )
        self.ensure_one()
        return self._fi_portal_link(None, suffix=suffix, report_type=report_type, download=download, anchor=anchor)

    def _get_share_url(self, redirect=False, signup_partner=False, pid=None, share_token=True):
        return super()._get_share_url(
            redirect=redirect,
            signup_partner=signup_partner,
            pid=pid,
            share_token=share_token and self._fi_may_see_token(),
        )

    def _fi_portal_link(self, access_token, suffix=None, report_type=None, download=None, anchor=None, **query):
        """A portal URL that carries ``access_token`` (the one the visitor presented) or none."""
        self.ensure_one()
        params = [
            ("access_token", access_token),
            ("report_type", report_type),
            ("download", "true" if download else None),
            *query.items(),
        ]
        query_string = "&".join(f"{key}={value}" for key, value in params if value)
        return "".join(
            [self.access_url, suffix or "", f"?{query_string}" if query_string else "", f"#{anchor}" if anchor else ""]
        )

    def _fi_rotate_access_token(self):
        """A new link for the customer: the links sent before stop working."""
        interventions_sudo = self.sudo().filtered("access_token")
        for rec in interventions_sudo:
            rec.access_token = str(uuid.uuid4())

    def _fi_signed_pdf_checked(self):
        """The signed PDF recorded in the evidence when its bytes still match the hash taken
        at signature time (else nothing: a changed file is not served as the signed one)."""
        self.ensure_one()
        signature_sudo = self.sudo().signature_id
        attachment_sudo = signature_sudo.pdf_attachment_id
        if not attachment_sudo or not signature_sudo._check_pdf_bytes(attachment_sudo.raw or b""):
            return self.env["ir.attachment"]
        return attachment_sudo

    def _fi_portal_url_absolute(self):
        self.ensure_one()
        return self.get_base_url() + self.get_portal_url()

    # ------------------------------------------------------------------
    # Mail
    # ------------------------------------------------------------------
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

    def _fi_sign_request_recipients(self):
        """Contacts of the customer who may receive the signature request: the customer's own
        people with an email address, never an employee of the company."""
        self.ensure_one()
        commercial = self.partner_id.commercial_partner_id
        if not commercial:
            return self.env["res.partner"]
        contacts = self.env["res.partner"].search([("id", "child_of", commercial.id), ("email", "!=", False)])
        # sudo: an employee's account is not readable by every user; only its existence matters
        employees_sudo = (
            self.env["res.users"].sudo().search([("partner_id", "in", contacts.ids), ("share", "=", False)])
        )
        return contacts - employees_sudo.partner_id

    def _fi_send_sign_request(self, partners):
        """Email the customer's ``partners`` a new link to review and sign the report.

        The link's token rotates (a link sent before stops working) and appears only in the
        email itself: the chatter keeps a note without it, the evidence log keeps who got it.
        """
        self.ensure_one()
        self.check_access("write")
        self._fi_check_signable()
        allowed = self._fi_sign_request_recipients()
        if not partners or partners - allowed:
            raise UserError(
                self.env._(
                    "The signature request goes to contacts of %(customer)s with an email address: "
                    "choose them among the customer's contacts.",
                    customer=self.partner_id.commercial_partner_id.display_name or "",
                )
            )
        intervention_sudo = self.sudo()
        intervention_sudo._fi_rotate_access_token()
        intervention_sudo._portal_ensure_token()
        recipients = ", ".join(partners.mapped("email_formatted"))
        intervention_sudo._fi_send_template(
            self.env.ref("field_intervention_sign.mail_template_fi_sign_request"), partners=partners
        )
        self.message_post(
            body=self.env._("Signature request sent to %(recipients)s.", recipients=recipients),
            message_type="notification",
            subtype_xmlid="mail.mt_note",
        )
        self._fi_log_event("sent", self.env._("Signature request sent to %(recipients)s.", recipients=recipients))
        return True

    def _fi_send_template(self, template, partners=None, attachment=None):
        """Queue ``template`` for the intervention as superuser (its links carry the customer's
        token) and wake the mail queue up so that it leaves at once. The stored message, which
        employees can read, says what was sent without the link; the email itself (only the
        administrator can read queued emails) keeps it."""
        self.ensure_one()
        email_values = {}
        if partners:
            email_values["recipient_ids"] = [Command.set(partners.ids)]
        if attachment:
            email_values["attachment_ids"] = [Command.link(attachment_id) for attachment_id in attachment.ids]
        mail_id = template.sudo().send_mail(self.id, email_values=email_values or None)
        mail_sudo = self.env["mail.mail"].sudo().browse(mail_id)
        mail_sudo.mail_message_id.body = Markup("<p>%s</p>") % self.env._(
            "Email sent: %(subject)s", subject=mail_sudo.subject or ""
        )
        # someone waits for every mail of the signature: it leaves once this transaction commits
        mail_sudo._fi_send_soon()
        return mail_sudo

    # ------------------------------------------------------------------
    # Signing: the one entry point
    # ------------------------------------------------------------------
    def _fi_submit_signature(self, values, origin):
        """Record the customer's decision (sign or refuse) on this intervention.

        Controllers and the device wizard parse the request and check the access, then call
        this method only. The decision is recorded with its evidence (the hash of the signed
        content, not of a PDF) and the signed PDF and the emails are queued: the retry
        scheduled action, triggered now, produces them right after this transaction commits,
        so the customer's answer never waits for wkhtmltopdf and their failure never loses
        the signature (they stay flagged and are retried). A second identical submission
        returns the signature recorded by the first one.

        :param dict values: ``decision`` ('sign' or 'refuse'), ``signer_name``,
            ``signer_email``, ``signature`` (base64 PNG/JPEG), ``reserves``,
            ``refusal_reason``, ``signer_role`` ('device', 'portal_user', 'token'),
            ``geo_consent``, ``latitude``, ``longitude``
        :param dict origin: who and where the request comes from: ``user`` (res.users),
            ``ip_address``, ``user_agent`` (given by the controller or the wizard)
        :return: the ``field.intervention.signature`` record
        :raise ValidationError: bad input; UserError: the intervention cannot be signed
        """
        self.ensure_one()
        if not self.env.su:
            self.check_access("write")
        self._fi_check_signer_role(values.get("signer_role"), origin["user"])
        intervention_sudo = self.sudo()
        clean = intervention_sudo._fi_clean_submission(values)
        intervention_sudo._fi_lock_for_signature()
        previous = intervention_sudo._fi_find_duplicate_submission(clean)
        if previous:
            return previous
        intervention_sudo._fi_check_signable()
        signature = intervention_sudo._fi_record_decision(clean, origin)
        intervention_sudo._fi_run_pending_jobs_soon()
        return signature.with_env(self.env)

    def _fi_check_signer_role(self, role, user):
        """The device flow is the employees'; the portal and the link are the customer's."""
        if role not in SIGNER_ROLES:
            raise ValidationError(self.env._("Unknown signer role."))
        if role == "device" and user.share:
            raise AccessError(self.env._("Only an employee can have the customer sign on the device."))
        if role != "device" and not user.share:
            raise UserError(
                self.env._(
                    "Only the customer signs in the portal or from the link sent by email. To have the "
                    "customer sign on your device, open the intervention and use Customer Signs."
                )
            )

    def _fi_portal_signer_role(self, user):
        """Role of a customer signing in the portal: their own account, or the emailed link."""
        self.ensure_one()
        if not user._is_public() and self.with_user(user).has_access("read"):
            return "portal_user"
        return "token"

    def _fi_check_signable(self):
        for rec in self:
            if rec.state != "done":
                raise UserError(
                    self.env._(
                        "Intervention %(name)s cannot be signed: it is %(state)s, only a done "
                        "intervention can be signed or refused.",
                        name=rec.name,
                        state=rec._fi_state_label(),
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
        env = self.env
        decision = values.get("decision")
        if decision not in ("sign", "refuse"):
            raise ValidationError(env._("Choose to sign or to refuse the report."))
        name = signature_input.clean_signer_name(env, values.get("signer_name"))
        email = signature_input.clean_email(env, values.get("signer_email"))
        reserves = signature_input.clean_text(env, values.get("reserves"))
        reason = signature_input.clean_text(env, values.get("refusal_reason"))
        if decision == "refuse" and not reason:
            raise ValidationError(env._("Give the reason of the refusal."))
        signature_bytes = b""
        if decision == "sign" or values.get("signature"):
            signature_bytes = signature_input.decode_signature_image(env, values.get("signature"))
        geo = signature_input.clean_geolocation(
            env, values.get("geo_consent"), values.get("latitude"), values.get("longitude")
        )
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
            "signer_role": values["signer_role"],
            "submission_hash": hashlib.sha256(fingerprint.encode()).hexdigest(),
            **geo,
        }

    def _fi_record_decision(self, clean, origin):
        """Create the evidence, move the state and log it. Runs as superuser after the checks."""
        self.ensure_one()
        signature = self.env["field.intervention.signature"]._fi_create_evidence(self, clean, origin)
        if signature.status == "signed":
            self._fi_apply_signature(signature, origin)
        else:
            self._fi_apply_refusal(signature, origin)
        return signature

    def _fi_apply_signature(self, signature, origin):
        self.write(
            {
                "state": "signed",
                "signature_id": signature.id,
                "signed_date": signature.signed_on,
                "has_reserves": bool(signature.reserves),
                **self._fi_queue_decision_jobs(pdf=True),
            }
        )
        self._fi_log_event("signed", self.env._("Signed by %(name)s.", name=signature.signer_name), signature, origin)
        body = Markup("%s") % self.env._("Report signed by %(name)s.", name=signature.signer_name)
        if signature.reserves:
            body += Markup("<br/>") + self.env._("Reserves: %(reserves)s", reserves=signature.reserves)
        self.message_post(
            body=body, author_id=self._fi_author_id(origin), message_type="notification", subtype_xmlid="mail.mt_note"
        )
        self._fi_run_hook("_on_customer_signed")

    def _fi_apply_refusal(self, signature, origin):
        self.write({"state": "disputed", **self._fi_queue_decision_jobs(pdf=False)})
        self._fi_log_event("refused", self.env._("Refused by %(name)s.", name=signature.signer_name), signature, origin)
        body = Markup("%s<br/>%s") % (
            self.env._("Report refused by %(name)s.", name=signature.signer_name),
            self.env._("Reason: %(reason)s", reason=signature.refusal_reason),
        )
        self.message_post(
            body=body, author_id=self._fi_author_id(origin), message_type="notification", subtype_xmlid="mail.mt_note"
        )

    def _fi_author_id(self, origin):
        """Chatter author of a customer decision: the customer when signing through a token link."""
        user = origin["user"]
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
    # Evidence helpers
    # ------------------------------------------------------------------
    def _fi_log_event(self, event_type, description=False, signature=False, origin=None):
        self.ensure_one()
        return self.env["field.intervention.sign.event"]._fi_log(self, event_type, description, signature, origin)

    def _fi_log_portal_view(self, origin):
        """Log that the customer opened the report to sign (the controller calls it once per
        day and session)."""
        self.ensure_one()
        if self.state == "done" and origin["user"].share:
            self._fi_log_event("viewed", self.env._("Report viewed in the portal."), origin=origin)

    def _fi_get_consent_text(self, date=None):
        """The sentence the customer signs, in the customer's language with the date in that
        language's format, whoever renders it (portal, device, phone sync, cron).

        :param date: the service date to print (a ``date``), or a text printed as given (the
            phone app's template); default: the intervention's service date
        """
        self.ensure_one()
        lang = self._fi_consent_lang()
        env = self.with_context(lang=lang).env
        if date is None:
            date = self.intervention_date
        if date and not isinstance(date, str):
            date = format_date(env, date, lang_code=lang)
        return env._(
            "By signing, I confirm that the work described in intervention report %(number)s "
            "of %(date)s was carried out, and I accept this report on behalf of %(customer)s. "
            "I agree that my electronic signature has the same value as my handwritten signature.",
            number=self.name,
            date=date or "",
            customer=self.partner_id.commercial_partner_id.name or self.partner_id.name or "",
        )

    def _fi_consent_lang(self):
        """The customer's active language (contact, then customer company), so that the
        sentence does not depend on who renders it. For a customer without one, the language of
        the screen the customer reads (the portal page's, the technician's phone's), then our
        company's (a cron has no screen)."""
        self.ensure_one()
        Lang = self.env["res.lang"]
        candidates = (
            self.partner_id.lang,
            self.partner_id.commercial_partner_id.lang,
            self.env.lang,
            self.company_id.partner_id.lang,
        )
        return next((code for code in candidates if code and Lang._get_code(code)), "en_US")

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

    def _fi_get_canonical_content(self, photo_hashes=None):
        """Return the canonical JSON text of what the customer signs: everything the report
        prints and the invoice bills, as language-neutral data, the same whoever builds it (the
        portal, the technician's device, the phone app offline from its own copy).

        Keys sorted, no spaces, UTF-8 kept, numbers the phone cannot change as strings, times in
        UTC (``YYYY-MM-DDTHH:MM:SSZ``), units by their English name, photos by their SHA-256.
        The phone rebuilds the keys it can change (``CONTENT_PHONE_KEYS``) from its own state and
        takes the others from the content it downloaded. Its SHA-256 is the content hash.

        :param dict photo_hashes: {photo id: SHA-256} of ``photo_ids._fi_content_sha256()``
        """
        self.ensure_one()
        photo_hashes = photo_hashes or self.photo_ids._fi_content_sha256()
        show_prices = self._fi_show_prices()
        content = {
            "format": CANONICAL_FORMAT,
            "number": self.name,
            "company": {"name": self.company_id.name, "vat": self.company_id.vat or ""},
            "customer": {
                "name": self.partner_id.commercial_partner_id.name or self.partner_id.name or "",
                "vat": self.partner_id.commercial_partner_id.vat or "",
            },
            "site": self._fi_site_one_line(),
            "service_date": fields.Date.to_string(self.intervention_date) or "",
            "technicians": sorted(self.technician_ids.mapped("name")),
            "times": sorted([utc_string(t.date_start), utc_string(t.date_end)] for t in self.time_ids),
            "travel": {
                "hours": float_repr(self.travel_duration, 2),
                "km": float_repr(self.travel_distance, 2),
            },
            "work_description": self.work_description or "",
            "findings": self.findings or "",
            "checklist": [
                [line.name or "", line.result or False, line.note or ""]
                for line in self.checklist_line_ids.sorted(lambda line: (line.sequence, line.id))
            ],
            "parts": sorted(self._fi_canonical_part(part, show_prices) for part in self.part_ids),
            "photos": sorted([photo_hashes[photo.id], photo.name or ""] for photo in self.photo_ids),
            "currency": self.company_id.currency_id.name if show_prices else "",
        }
        # what the other addons print on the report (a contract's coverage...); never in place
        # of one of the report's own keys
        extra = self._fi_get_signed_extra()
        content.update({key: value for key, value in extra.items() if key not in content})
        return canonical_json(content)

    def _fi_canonical_part(self, part, show_prices):
        """A part as signed: ``[description as printed, quantity, unit, product code]`` and the
        unit price when the customer sees prices (see :meth:`_fi_canonical_product`)."""
        return [
            part.name or "",
            f"{part.quantity:.3f}",
            *self._fi_canonical_product(part.product_id, show_prices, part.product_uom_id),
        ]

    def _fi_canonical_product(self, product, show_prices, uom=None):
        """What a part's product adds to the signed content: its unit (English name: language
        neutral), its code, its unit price (when shown)."""
        uom = uom or product.uom_id
        values = [uom.with_context(lang="en_US").name or "", product.default_code or ""]
        if show_prices:
            values.append(float_repr(product.lst_price, 2))
        return values

    def _fi_site_one_line(self):
        """The site's postal address on one line (as signed and shown on the phone)."""
        self.ensure_one()
        if not self.site_id:
            return ""
        lines = self.site_id._display_address(without_company=True).splitlines()
        return ", ".join(line.strip() for line in lines if line.strip())

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
