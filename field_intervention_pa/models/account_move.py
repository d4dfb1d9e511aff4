from markupsafe import Markup

from odoo import models

from odoo.addons.l10n_fr_pa_flow.models.l10n_fr_pa_status import ATTENTION


class AccountMove(models.Model):
    _inherit = "account.move"

    def _l10n_fr_pa_activity_user(self):
        """The company's billing responsible handles the platform problems of its invoices."""
        return self.company_id.fi_billing_user_id or super()._l10n_fr_pa_activity_user()

    def _l10n_fr_pa_status_received(self, status):
        """A refusal, rejection or dispute of an invoice born from interventions shows on them."""
        res = super()._l10n_fr_pa_status_received(status)
        if status.code in ATTENTION and self.fi_from_intervention:
            interventions_sudo = self.sudo().invoice_line_ids.intervention_id
            body = Markup("%s<br/>%s") % (
                self.env._(
                    "The invoice %(invoice)s is %(status)s on the approved platform: billing follows it up.",
                    invoice=self.name,
                    status=status._status_label(status.code),
                ),
                status._reason_text(),
            )
            for intervention in interventions_sudo:
                intervention.message_post(body=body, message_type="notification", subtype_xmlid="mail.mt_note")
        return res
