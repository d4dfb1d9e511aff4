from odoo import models


class AccountEdiXmlCii(models.AbstractModel):
    _inherit = "account.edi.xml.cii"

    def _export_invoice_vals(self, invoice):
        """What the platform checks and core's CII lacks, for the invoices of a French company:
        every line named (BT-153, BR-25: a line without product by its label), the SIRENs of the
        seller (BT-30) and of a French business buyer (BT-47) where core puts a SIRET, and their
        electronic addresses in the French directory (BT-34, BT-49, scheme 0225), unless an
        addon of the suite already gives them (``fi_seller_address``, ``fi_buyer_address``)."""
        vals = super()._export_invoice_vals(invoice)
        for line_vals in vals["invoice_line_vals_list"]:
            line = line_vals["line"]
            label = (line.name or "").strip()
            line_vals["l10n_fr_pa_item_name"] = line.product_id.name or (label.splitlines()[0] if label else False)
        vals.update({"l10n_fr_pa_seller_address": False, "l10n_fr_pa_buyer_address": False})
        vals.setdefault("fi_seller_address", False)
        vals.setdefault("fi_buyer_address", False)
        if invoice.company_id.country_code != "FR":
            return vals
        seller_siren = invoice.company_id.partner_id._l10n_fr_pa_siren()
        if seller_siren:
            vals["seller_specified_legal_organization"] = seller_siren
            vals["l10n_fr_pa_seller_address"] = ("0225", seller_siren)
        buyer = invoice.commercial_partner_id
        if buyer._l10n_fr_pa_is_french_business():
            buyer_siren = buyer._l10n_fr_pa_siren()
            vals["buyer_specified_legal_organization"] = buyer_siren
            vals["l10n_fr_pa_buyer_address"] = ("0225", buyer_siren)
        return vals
