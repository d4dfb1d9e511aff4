from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _fi_siren(self):
        """One SIREN rule for the invoice and the platform: the deposit's, which also reads the
        SIREN in a French VAT number when there is no SIRET (BR-FR-11, BT-47)."""
        return self._l10n_fr_pa_siren()
