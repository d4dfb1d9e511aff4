from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _fi_is_consumer(self):
        """An individual, as opposed to a business: not a company and without any company
        identifier (VAT number, SIRET when the French localization is installed, company
        registry). A sole trader with a SIRET is a business: the consumer protections of the
        Code de la consommation do not cover their professional contracts."""
        self.ensure_one()
        partner = self.commercial_partner_id
        siret = partner.siret if "siret" in partner._fields else False
        return not (partner.is_company or partner.vat or siret or partner.company_registry)
