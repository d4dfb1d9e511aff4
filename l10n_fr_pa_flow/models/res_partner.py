import re

from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    invoice_sending_method = fields.Selection(selection_add=[("l10n_fr_pa", "by Approved Platform")])

    def _l10n_fr_pa_siren(self):
        """SIREN (9 digits) of the partner's company, from its SIRET, company registry or French
        VAT number; False when it has none."""
        partner = self.commercial_partner_id
        for value in (partner.siret, partner.company_registry):
            digits = re.sub(r"\D", "", value or "")
            if len(digits) in (9, 14):
                return digits[:9]
        vat = re.sub(r"\s", "", partner.vat or "").upper()
        if re.fullmatch(r"FR[0-9A-Z]{2}\d{9}", vat):
            return vat[4:]
        return False

    def _l10n_fr_pa_is_french_business(self):
        """A French company identified by its SIREN: its invoices go through the platforms (B2B)."""
        partner = self.commercial_partner_id
        return bool(partner.country_code == "FR" and partner.is_company and partner._l10n_fr_pa_siren())
