import base64
import hashlib
import io
import json
import uuid
from datetime import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.image import image_data_uri

from ..tools import evidence_pdf

# Fields that the signing flow may fill once after creation, when the signed
# PDF is rendered (possibly later, by the retry cron). Everything else is
# frozen at creation.
WRITE_ONCE_FIELDS = frozenset({"pdf_attachment_id", "pdf_hash"})


def parse_utc(value):
    """A time of the signed content (``YYYY-MM-DDTHH:MM:SSZ``) as a naive UTC datetime."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")


class FieldInterventionSignature(models.Model):
    """One customer decision (signature or refusal) on an intervention report.

    This is the evidence pack: :meth:`_fi_create_evidence` builds it once, when the signing
    flow of ``field.intervention`` records a decision, and it can never be modified or deleted
    afterwards (except the one-time attachment of the signed PDF). No user creates or writes
    it directly, whatever the channel.
    """

    _name = "field.intervention.signature"
    _inherit = "field.intervention.protected.mixin"
    _description = "Intervention Signature Evidence"
    _order = "signed_on desc, id desc"
    _rec_name = "signer_name"

    intervention_id = fields.Many2one(
        "field.intervention", required=True, readonly=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(related="intervention_id.company_id", store=True)
    partner_id = fields.Many2one(related="intervention_id.partner_id", string="Customer")
    status = fields.Selection([("signed", "Signed"), ("refused", "Refused")], required=True, readonly=True)
    signer_name = fields.Char(required=True, readonly=True)
    signer_email = fields.Char(readonly=True)
    signer_role = fields.Selection(
        [
            ("device", "Customer on the technician's device"),
            ("portal_user", "Portal user"),
            ("token", "Access token holder"),
        ],
        required=True,
        readonly=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Logged-in User",
        readonly=True,
        help="User whose session submitted the decision (technician for device "
        "signatures, portal user, or public user for token links).",
    )
    signed_on = fields.Datetime(
        "Date (UTC)", required=True, readonly=True, help="Server time of the decision, stored in UTC."
    )
    ip_address = fields.Char("IP Address", readonly=True)
    user_agent = fields.Char(readonly=True)
    latitude = fields.Float(digits=(10, 7), readonly=True)
    longitude = fields.Float(digits=(10, 7), readonly=True)
    geo_consent = fields.Boolean("Geolocation Consent", readonly=True)
    consent_text = fields.Text(required=True, readonly=True)
    reserves = fields.Text(readonly=True)
    refusal_reason = fields.Text(readonly=True)
    signature = fields.Binary(readonly=True, attachment=False)
    signature_hash = fields.Char("Signature Image SHA-256", readonly=True)
    content_canonical = fields.Text(
        "Canonical Content",
        readonly=True,
        help="The exact canonical text (JSON) of the report content that was signed; its SHA-256 is the content hash.",
    )
    content_hash = fields.Char("Content SHA-256", readonly=True, index=True)
    submission_hash = fields.Char(
        readonly=True, index=True, help="Fingerprint of the submitted form, used to make double submissions idempotent."
    )
    pdf_attachment_id = fields.Many2one(
        "ir.attachment", "Signed PDF", readonly=True, ondelete="restrict", index="btree_not_null"
    )
    pdf_hash = fields.Char("Signed PDF SHA-256", readonly=True)
    verify_token = fields.Char(readonly=True, copy=False, index=True)
    verify_url = fields.Char("Verification URL", readonly=True)

    _sql_constraints = [  # noqa: RUF012
        ("verify_token_unique", "UNIQUE(verify_token)", "The verification token must be unique."),
    ]

    # ------------------------------------------------------------------
    # CRUD: append-only
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        Intervention = self.env["field.intervention"]
        for vals in vals_list:
            vals["verify_token"] = uuid.uuid4().hex
            vals.setdefault("signed_on", fields.Datetime.now())
            vals["content_hash"] = hashlib.sha256((vals.get("content_canonical") or "").encode()).hexdigest()
            base_url = Intervention.browse(vals["intervention_id"]).get_base_url()
            vals["verify_url"] = f"{base_url}/fi/verify/{vals['verify_token']}"
        return super().create(vals_list)

    def write(self, vals):
        if set(vals) - WRITE_ONCE_FIELDS:
            raise UserError(self.env._("Signature evidence cannot be modified."))
        if any(rec.pdf_attachment_id or rec.pdf_hash for rec in self):
            raise UserError(self.env._("The signed PDF of a signature is already recorded and cannot be replaced."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Signature evidence cannot be deleted."))

    # ------------------------------------------------------------------
    # Business
    # ------------------------------------------------------------------
    @api.model
    def _fi_create_evidence(self, intervention, submission, origin):
        """Record the evidence of a customer decision on ``intervention`` as it is now.

        :param intervention: the intervention (its content is frozen in the evidence)
        :param dict submission: the cleaned submission (``_fi_clean_submission`` of the intervention)
        :param dict origin: ``user`` (res.users behind the request), ``ip_address``, ``user_agent``
        :return: the new evidence record
        """
        intervention.ensure_one()
        vals = {
            "intervention_id": intervention.id,
            "status": "signed" if submission["decision"] == "sign" else "refused",
            "signer_name": submission["signer_name"],
            "signer_email": submission["signer_email"],
            "signer_role": submission["signer_role"],
            "user_id": origin["user"].id,
            "ip_address": origin.get("ip_address") or False,
            "user_agent": (origin.get("user_agent") or "")[:512] or False,
            "geo_consent": submission["geo_consent"],
            "latitude": submission["latitude"],
            "longitude": submission["longitude"],
            "consent_text": intervention._fi_get_consent_text(),
            "reserves": submission["reserves"],
            "refusal_reason": submission["refusal_reason"],
            "signature": submission["signature"],
            "signature_hash": submission["signature_hash"],
            "content_canonical": intervention._fi_get_canonical_content(),
            "submission_hash": submission["submission_hash"],
        }
        # no user may create evidence (no access right): the signing flow checked its access
        return self.sudo().create(vals)

    def _fi_attach_pdf(self, attachment, pdf_hash):
        """Record the signed PDF of the evidence (once)."""
        self.ensure_one()
        self.sudo().write({"pdf_attachment_id": attachment.id, "pdf_hash": pdf_hash})

    def _fi_signed_billables(self):
        """What the signed content bills: ``hours`` worked (per technician), ``technicians``
        (their number), ``travel_hours``, ``travel_km``, ``parts`` [(description, quantity)];
        None without a readable content. Reads both formats of the signed content (``/1`` of
        the first signatures, ``/2`` since)."""
        self.ensure_one()
        try:
            signed = json.loads(self.content_canonical or "")
        except ValueError:
            return None
        if not isinstance(signed, dict):
            return None
        if signed.get("format") == "field_intervention_sign/1":
            return {
                "hours": float(signed["worked_hours"]),
                "technicians": len(signed.get("technicians") or []),
                "travel_hours": float(signed["travel_hours"]),
                "travel_km": float(signed["travel_km"]),
                "parts": [(part["description"], float(part["quantity"])) for part in signed.get("parts") or []],
            }
        seconds = sum(
            (parse_utc(end) - parse_utc(start)).total_seconds() for start, end in signed.get("times") or [] if end
        )
        travel = signed.get("travel") or {}
        return {
            "hours": seconds / 3600.0,
            "technicians": len(signed.get("technicians") or []),
            "travel_hours": float(travel.get("hours") or 0.0),
            "travel_km": float(travel.get("km") or 0.0),
            "parts": [(part[0], float(part[1])) for part in signed.get("parts") or []],
        }

    def _recompute_content_hash(self):
        """Return the SHA-256 of the stored canonical content (for audits)."""
        self.ensure_one()
        return hashlib.sha256((self.content_canonical or "").encode()).hexdigest()

    def _check_pdf_bytes(self, data):
        """Return True when ``data`` is byte-identical to the signed PDF."""
        self.ensure_one()
        return bool(self.pdf_hash) and hashlib.sha256(data).hexdigest() == self.pdf_hash

    def _get_evidence_lines(self):
        """Return the (label, value) pairs printed on the evidence page."""
        self.ensure_one()
        intervention = self.intervention_id
        role = dict(self._fields["signer_role"]._description_selection(self.env))[self.signer_role]
        lines = [
            (self.env._("Intervention"), intervention.name or ""),
            (self.env._("Company"), intervention.company_id.name or ""),
            (self.env._("Customer"), intervention.partner_id.commercial_partner_id.name or ""),
            (self.env._("Signer"), self.signer_name),
            (self.env._("Email"), self.signer_email or "-"),
            (self.env._("Role"), role),
            (self.env._("Date (UTC)"), fields.Datetime.to_string(self.signed_on) + " UTC"),
            (self.env._("IP address"), self.ip_address or "-"),
            (self.env._("User agent"), self.user_agent or "-"),
        ]
        if self.geo_consent and (self.latitude or self.longitude):
            lines.append((self.env._("Geolocation"), f"{self.latitude:.6f}, {self.longitude:.6f}"))
        lines += [
            (self.env._("Consent"), self.consent_text),
            (self.env._("Reserves"), self.reserves or "-"),
            (self.env._("Content SHA-256"), self.content_hash),
            (self.env._("Signature image SHA-256"), self.signature_hash or "-"),
        ]
        return lines

    def _render_evidence_page(self):
        """Draw the evidence page (reportlab) and return its PDF bytes."""
        self.ensure_one()
        signature_png = io.BytesIO(self._get_signature_bytes()) if self.signature else None
        return evidence_pdf.render_evidence_page(
            title=self.env._("Signature evidence"),
            lines=self._get_evidence_lines(),
            signature_image=signature_png,
            qr_url=self.verify_url,
            qr_caption=self.env._(
                "Scan to verify this document. The SHA-256 of this PDF file is recorded "
                "by %(company)s at signature time.",
                company=self.intervention_id.company_id.name or "",
            ),
        )

    def _get_signature_bytes(self):
        self.ensure_one()
        data = self.with_context(bin_size=False).signature
        return base64.b64decode(data) if data else b""

    def _get_signature_data_uri(self):
        self.ensure_one()
        return image_data_uri(self.with_context(bin_size=False).signature) if self.signature else False
