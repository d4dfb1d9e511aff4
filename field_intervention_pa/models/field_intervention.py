from odoo import fields, models

from odoo.addons.l10n_fr_pa_flow.models.l10n_fr_pa_status import STATUSES


class FieldIntervention(models.Model):
    _inherit = "field.intervention"

    fi_pa_status = fields.Selection(
        STATUSES,
        string="Invoice Platform Status",
        compute="_compute_fi_pa_status",
        help="Lifecycle status of the intervention's invoice on the approved platform.",
    )
    fi_pa_attention = fields.Boolean(
        string="Invoice Refused or Disputed",
        compute="_compute_fi_pa_status",
        help="The platform rejected the invoice, or the customer refused or disputes it.",
    )

    def _compute_fi_pa_status(self):
        # the invoice is billing's: its status shows to whoever sees the intervention
        for rec, rec_sudo in zip(self, self.sudo(), strict=True):
            invoice_sudo = rec_sudo.invoice_id
            rec.fi_pa_status = invoice_sudo.l10n_fr_pa_status
            rec.fi_pa_attention = invoice_sudo.l10n_fr_pa_attention
