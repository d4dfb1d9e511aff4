from odoo import api, fields, models
from odoo.exceptions import UserError


class FieldInterventionSignEvent(models.Model):
    """Append-only log of what happened around the signature of an intervention.

    Entries are written by the application only (:meth:`_fi_log`), never by a user's create().
    """

    _name = "field.intervention.sign.event"
    _inherit = "field.intervention.protected.mixin"
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

    @api.model
    def _fi_log(self, intervention, event_type, description=False, signature=False, origin=None):
        """Append an entry for ``intervention``.

        :param dict origin: ``user``, ``ip_address``, ``user_agent`` of the request behind the
            event (None for the application's own jobs: the current user, no network data)
        """
        origin = origin or {}
        user = origin.get("user") or self.env.user
        # no user may write the log (no access right): callers are the application's own steps
        return self.sudo().create(
            {
                "intervention_id": intervention.id,
                "event_type": event_type,
                "description": description,
                "signature_id": signature.id if signature else False,
                "user_id": user.id,
                "ip_address": origin.get("ip_address") or False,
                "user_agent": (origin.get("user_agent") or "")[:512] or False,
            }
        )
