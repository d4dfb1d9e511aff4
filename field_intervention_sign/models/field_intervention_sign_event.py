from odoo import api, fields, models
from odoo.exceptions import UserError


class FieldInterventionSignEvent(models.Model):
    """Append-only log of what happened around the signature of an intervention."""

    _name = "field.intervention.sign.event"
    _description = "Intervention Signature Log Entry"
    _order = "date desc, id desc"
    _rec_name = "event_type"

    intervention_id = fields.Many2one(
        "field.intervention", required=True, readonly=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(related="intervention_id.company_id", store=True)
    date = fields.Datetime("Date (UTC)", required=True, readonly=True, default=fields.Datetime.now)
    event_type = fields.Selection(
        [
            ("sent", "Sent for signature"),
            ("viewed", "Viewed by the customer"),
            ("signed", "Signed"),
            ("refused", "Refused"),
            ("reset", "Back to done after dispute"),
            ("pdf_ready", "Signed PDF stored"),
            ("pdf_failed", "Signed PDF failed"),
            ("mail_sent", "Emails queued"),
            ("mail_failed", "Emails failed"),
            ("hook_failed", "Extension failed"),
        ],
        string="Event",
        required=True,
        readonly=True,
    )
    description = fields.Text(readonly=True)
    signature_id = fields.Many2one("field.intervention.signature", readonly=True, ondelete="restrict")
    user_id = fields.Many2one("res.users", readonly=True)
    ip_address = fields.Char("IP Address", readonly=True)
    user_agent = fields.Char(readonly=True)

    def write(self, vals):
        if self and vals:
            raise UserError(self.env._("The signature log is append-only: its entries cannot be modified."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("The signature log is append-only: its entries cannot be deleted."))
