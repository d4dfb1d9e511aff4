import re

from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _fi_registry_digits(self):
        """Digits of the French registration number: SIRET (l10n_fr) when set, else the
        company registry (Company ID), which holds a SIREN or a SIRET."""
        self.ensure_one()
        number = self.company_registry or ""
        if "siret" in self._fields and self.siret:
            number = self.siret
        return re.sub(r"\D", "", number)

    def _fi_siren(self):
        """SIREN (9 digits) of the partner's company (a contact gives its company's), or False."""
        digits = self.commercial_partner_id._fi_registry_digits()
        return digits[:9] if len(digits) in (9, 14) else False

    def _fi_siret(self):
        """SIRET (14 digits: SIREN and establishment number) of a French company, or False."""
        digits = self._fi_registry_digits()
        return digits if len(digits) == 14 else False
