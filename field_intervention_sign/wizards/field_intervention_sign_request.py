from odoo import api, fields, models


class FieldInterventionSignRequest(models.TransientModel):
    """Send the customer a link to review and sign the report remotely."""

    _name = "field.intervention.sign.request"
    _inherit = "field.intervention.protected.mixin"
    _description = "Intervention Signature Request"

    intervention_id = fields.Many2one("field.intervention", required=True, readonly=True, ondelete="cascade")
    allowed_partner_ids = fields.Many2many("res.partner", compute="_compute_allowed_partner_ids")
    partner_ids = fields.Many2many(
        "res.partner",
        string="Recipients",
        compute="_compute_partner_ids",
        store=True,
        readonly=False,
        domain="[('id', 'in', allowed_partner_ids)]",
        help="Contacts of the customer who receive the link to review and sign the report.",
    )

    @api.depends("intervention_id")
    def _compute_allowed_partner_ids(self):
        for wizard in self:
            wizard.allowed_partner_ids = wizard.intervention_id._fi_sign_request_recipients()

    @api.depends("intervention_id")
    def _compute_partner_ids(self):
        """The site's contact person first, else the customer, else its first contact."""
        for wizard in self:
            intervention = wizard.intervention_id
            allowed = intervention._fi_sign_request_recipients()
            site_person = intervention.site_id.filtered(lambda p: not p.is_company) & allowed
            wizard.partner_ids = site_person or (intervention.partner_id & allowed) or allowed[:1]

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        # the wizard acts on the intervention: only who may change it opens one
        wizards.intervention_id.check_access("write")
        return wizards

    def _fi_user_fields(self):
        return super()._fi_user_fields() | {"intervention_id", "partner_ids"}

    def action_send(self):
        """Email the link to the recipients."""
        self.ensure_one()
        self.intervention_id._fi_send_sign_request(self.partner_ids)
        return {"type": "ir.actions.act_window_close"}
