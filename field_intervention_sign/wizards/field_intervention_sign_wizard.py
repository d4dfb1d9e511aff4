from odoo import api, fields, models
from odoo.http import request

from ..tools.request_origin import request_origin

WIZARD_USER_FIELDS = frozenset(
    {
        "intervention_id",
        "decision",
        "signer_name",
        "signer_email",
        "reserves",
        "refusal_reason",
        "signature",
        "geo_consent",
        "latitude",
        "longitude",
    }
)


class FieldInterventionSignWizard(models.TransientModel):
    """Customer-facing signing screen shown on the technician's phone."""

    _name = "field.intervention.sign.wizard"
    _inherit = "field.intervention.protected.mixin"
    _description = "Customer Signature on the Device"

    intervention_id = fields.Many2one("field.intervention", required=True, readonly=True, ondelete="cascade")
    summary_html = fields.Html("Summary", compute="_compute_summary_html", sanitize=False)
    decision = fields.Selection(
        [("sign", "I sign the report"), ("refuse", "I refuse the report")],
        required=True,
        default="sign",
    )
    signer_name = fields.Char("Your Name", compute="_compute_signer", store=True, readonly=False)
    signer_email = fields.Char("Your Email", compute="_compute_signer", store=True, readonly=False)
    consent_text = fields.Text(compute="_compute_consent_text")
    reserves = fields.Text(help="Optional remarks on the work; they are recorded with the signature.")
    refusal_reason = fields.Text("Reason of the Refusal")
    signature = fields.Binary()
    geo_consent = fields.Boolean("Share my location")
    latitude = fields.Float(digits=(10, 7))
    longitude = fields.Float(digits=(10, 7))

    @api.depends("intervention_id")
    def _compute_summary_html(self):
        for wizard in self:
            wizard.summary_html = wizard.intervention_id._fi_render_summary_html() if wizard.intervention_id else False

    @api.depends("intervention_id")
    def _compute_signer(self):
        for wizard in self:
            if wizard.intervention_id:
                wizard.signer_name, wizard.signer_email = wizard.intervention_id._fi_get_default_signer()

    @api.depends("intervention_id")
    def _compute_consent_text(self):
        for wizard in self:
            wizard.consent_text = wizard.intervention_id._fi_get_consent_text() if wizard.intervention_id else False

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        # the wizard acts on the intervention: only who may change it opens one
        wizards.intervention_id.check_access("write")
        return wizards

    def _fi_user_fields(self):
        return super()._fi_user_fields() | WIZARD_USER_FIELDS

    def action_confirm(self):
        """Record the customer's decision, then show the intervention."""
        self.ensure_one()
        self.intervention_id._fi_submit_signature(
            {
                "decision": self.decision,
                "signer_name": self.signer_name,
                "signer_email": self.signer_email,
                "signature": self.signature if self.decision == "sign" else False,
                "reserves": self.reserves,
                "refusal_reason": self.refusal_reason,
                "signer_role": "device",
                "geo_consent": self.geo_consent,
                "latitude": self.latitude,
                "longitude": self.longitude,
            },
            self._fi_origin(),
        )
        return {"type": "ir.actions.act_window_close"}

    def _fi_origin(self):
        """The technician's session and device, for the evidence."""
        return request_origin(self.env.user, request.httprequest if request else None)
