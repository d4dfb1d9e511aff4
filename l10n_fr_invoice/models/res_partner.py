import re

from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret
from stdnum.fr import tva as stdnum_tva

from odoo import fields, models

# French e-invoicing directory address (scheme 0225): the SIREN, optionally followed by an
# underscore and a routing code (SIRET, service code...) in the characters of BR-FR-23.
DIRECTORY_ADDRESS = re.compile(r"^\d{9}(_[A-Za-z0-9+\-_.]+)?$")
DIRECTORY_ADDRESS_MAX_LENGTH = 125  # BR-FR-25


class ResPartner(models.Model):
    _inherit = "res.partner"

    peppol_eas = fields.Selection(
        selection_add=[("0225", "France e-invoicing directory (SIREN)")],
        ondelete={"0225": "set null"},
    )

    def _compute_peppol_eas(self):
        """Keep a French directory address (0225) chosen by the user: core resets the scheme of
        French partners to one of its own French schemes whenever their identifiers change."""
        directory = {partner: partner.peppol_eas for partner in self if partner.peppol_eas == "0225"}
        res = super()._compute_peppol_eas()
        for partner, eas in directory.items():
            partner.peppol_eas = eas
        return res

    def _build_error_peppol_endpoint(self, eas, endpoint):
        if eas == "0225" and (
            not DIRECTORY_ADDRESS.match(endpoint or "") or len(endpoint) > DIRECTORY_ADDRESS_MAX_LENGTH
        ):
            return self.env._(
                "The French e-invoicing address is not valid. The expected format is the SIREN, "
                "optionally followed by an underscore and a routing code: 552100554 or 552100554_ACHATS"
            )
        return super()._build_error_peppol_endpoint(eas, endpoint)

    # ------------------------------------------------------------------
    # SIREN and SIRET: the one rule
    # ------------------------------------------------------------------
    def _l10n_fr_siret(self):
        """SIRET (14 digits, checksum valid) of the partner's establishment: its SIRET field,
        else its company registry (Company ID) when that holds a SIRET; False otherwise."""
        self.ensure_one()
        for value in (self.siret, self.company_registry):
            digits = re.sub(r"\D", "", value or "")
            if len(digits) == 14 and stdnum_siret.is_valid(digits):
                return digits
        return False

    def _l10n_fr_siren(self):
        """SIREN (9 digits, checksum valid) of the partner's company (a contact gives its
        company's): from its SIRET, else its company registry (a SIREN or a SIRET), else its
        French VAT number, which holds it (FRkk + SIREN). False when it has none."""
        partner = self.commercial_partner_id
        siret = partner._l10n_fr_siret()
        if siret:
            return siret[:9]
        registry = re.sub(r"\D", "", partner.company_registry or "")
        if len(registry) == 9 and stdnum_siren.is_valid(registry):
            return registry
        vat = re.sub(r"[\s.-]", "", partner.vat or "").upper()
        if vat.startswith("FR") and stdnum_tva.is_valid(vat):
            return vat[4:]
        return False

    # ------------------------------------------------------------------
    # Business customers and their e-invoicing address
    # ------------------------------------------------------------------
    def _l10n_fr_is_business(self):
        """A business (a company, or a partner with a company identifier), as opposed to an
        individual, whose sales are e-reported instead of e-invoiced."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return bool(partner.is_company or partner.siret or partner.company_registry or partner.vat)

    def _l10n_fr_is_french_business(self):
        """A French business customer: its invoices are French B2B e-invoices, which go through
        the approved platforms."""
        self.ensure_one()
        return bool(self.commercial_partner_id.country_code == "FR" and self._l10n_fr_is_business())

    def _l10n_fr_einvoice_address(self):
        """(scheme, identifier) of the partner's electronic invoicing address (BT-34, BT-49).

        A French directory address (0225) set on the partner (an invoicing contact may carry its
        routing code: SIREN_CODE) or on its company wins; a French company is otherwise reached at
        its SIREN (0225); other partners at their Peppol endpoint when they have one.
        """
        self.ensure_one()
        for partner in self | self.commercial_partner_id:
            if partner.peppol_eas == "0225" and partner.peppol_endpoint:
                return "0225", partner.peppol_endpoint
        commercial = self.commercial_partner_id
        siren = commercial._l10n_fr_siren() if commercial.country_code == "FR" else False
        if siren:
            return "0225", siren
        if commercial.peppol_eas and commercial.peppol_endpoint:
            return commercial.peppol_eas, commercial.peppol_endpoint
        return False, False
