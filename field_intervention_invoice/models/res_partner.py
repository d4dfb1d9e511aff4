import re

from odoo import fields, models

from .project_project import INVOICE_POLICIES

# French e-invoicing directory address (scheme 0225): the SIREN, optionally followed by an
# underscore and a routing code (SIRET, service code...) in the characters of BR-FR-23.
DIRECTORY_ADDRESS = re.compile(r"^\d{9}(_[A-Za-z0-9+\-_.]+)?$")
DIRECTORY_ADDRESS_MAX_LENGTH = 125  # BR-FR-25


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

    def _fi_is_business(self):
        """A company (or a partner with a company identifier), as opposed to an individual."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return bool(partner.is_company or partner.siret or partner.company_registry or partner.vat)

    def _fi_einvoice_address(self):
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
        siren = commercial._fi_siren() if commercial.country_code == "FR" else False
        if siren:
            return "0225", siren
        if commercial.peppol_eas and commercial.peppol_endpoint:
            return commercial.peppol_eas, commercial.peppol_endpoint
        return False, False
