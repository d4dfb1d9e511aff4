import contextvars
import hashlib
import textwrap

from odoo import api, fields, models

# the offline data of the signature being recorded by the sync (see _fi_create_evidence):
# a variable of the running thread, which no RPC caller can set
_OFFLINE_EVIDENCE = contextvars.ContextVar("field_intervention_mobile_offline_evidence", default=None)
CONTENT_WRAP = 72  # characters per printed line of the offline content (hashes have no spaces)


class FieldInterventionSignature(models.Model):
    _inherit = "field.intervention.signature"

    mobile_offline = fields.Boolean(
        string="Signed Offline", readonly=True, help="Signed on the phone app without network, then synchronized."
    )
    mobile_phone_time = fields.Datetime(
        string="Phone Time of Signature (UTC)", readonly=True, help="The phone's clock when the customer signed."
    )
    mobile_phone_time_implausible = fields.Boolean(
        string="Phone Time Not Plausible",
        readonly=True,
        help="The phone's time of the signature is outside the phone window: before the report existed or "
        "after the server received it (5 minutes of clock difference allowed).",
    )
    mobile_received_on = fields.Datetime(
        string="Received by the Server (UTC)", readonly=True, help="When the server received the offline signature."
    )
    mobile_device_id = fields.Char(string="Phone", readonly=True)
    mobile_content = fields.Text(
        string="Offline Content",
        readonly=True,
        help="The content the customer saw and signed on the phone (JSON), as rebuilt and checked by the server.",
    )
    mobile_content_hash = fields.Char(string="Offline Content SHA-256", readonly=True)

    @api.model
    def _fi_create_evidence(self, intervention, submission, origin):
        """Offline signatures (``origin["fi_mobile"]``, set by the sync after its checks)
        also record the phone's time, the server's receipt time, the offline content and
        the consent sentence the phone showed."""
        offline = origin.get("fi_mobile")
        if not offline:
            return super()._fi_create_evidence(intervention, submission, origin)
        token = _OFFLINE_EVIDENCE.set(offline)
        try:
            return super()._fi_create_evidence(intervention, submission, origin)
        finally:
            _OFFLINE_EVIDENCE.reset(token)

    @api.model_create_multi
    def create(self, vals_list):
        offline = _OFFLINE_EVIDENCE.get()
        if offline:
            for vals in vals_list:
                vals.update(
                    {
                        "mobile_offline": True,
                        "mobile_phone_time": offline["phone_time"],
                        "mobile_phone_time_implausible": not offline["phone_time_plausible"],
                        "mobile_received_on": offline["received_on"],
                        "mobile_device_id": offline["device_id"] or False,
                        "mobile_content": offline["content"],
                        "mobile_content_hash": hashlib.sha256(offline["content"].encode()).hexdigest(),
                    }
                )
                if offline.get("consent_text"):
                    # the sentence the customer read on the phone, which the evidence must keep
                    vals["consent_text"] = offline["consent_text"]
        return super().create(vals_list)

    def _get_evidence_lines(self):
        lines = super()._get_evidence_lines()
        if not self.mobile_offline:
            return lines

        def utc(moment):
            return f"{fields.Datetime.to_string(moment)} UTC" if moment else "-"

        content = "\n".join(
            textwrap.fill(line, CONTENT_WRAP, break_long_words=True) for line in (self.mobile_content or "").split("\n")
        )
        return [
            *lines,
            (self.env._("Signed offline"), self.env._("Yes, on the phone app")),
            (
                self.env._("Phone time (UTC)"),
                self.env._(
                    "%(time)s, not plausible: before the report existed or after the server received it",
                    time=utc(self.mobile_phone_time),
                )
                if self.mobile_phone_time_implausible
                else utc(self.mobile_phone_time),
            ),
            (
                self.env._("Received (UTC)"),
                utc(self.mobile_received_on),
            ),
            (self.env._("Phone"), self.mobile_device_id or "-"),
            (self.env._("Offline content SHA-256"), self.mobile_content_hash),
            (self.env._("Offline content"), content),
        ]
