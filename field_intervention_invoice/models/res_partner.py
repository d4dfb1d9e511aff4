from odoo import fields, models

from .project_project import INVOICE_POLICIES


class ResPartner(models.Model):
    _inherit = "res.partner"

    intervention_invoice_policy = fields.Selection(
        INVOICE_POLICIES,
        string="Intervention Invoicing",
        # whether a customer's work is billed is billing's decision, not the technicians'
        groups="account.group_account_invoice,field_intervention.group_field_intervention_manager",
        help="Overrides the invoicing policy of the field service projects for this customer. "
        "Leave empty to follow the project.",
    )

    def _fi_siren(self):
        """The SIREN the intervention reports print is the invoice's: the French rule of
        l10n_fr_invoice (checksums, the SIREN in a French VAT number)."""
        return self._l10n_fr_siren()

    def _fi_siret(self):
        return self._l10n_fr_siret()
