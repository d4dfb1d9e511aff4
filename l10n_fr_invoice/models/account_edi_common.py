from odoo import models


class AccountEdiCommon(models.AbstractModel):
    _inherit = "account.edi.common"

    def _get_tax_unece_codes(self, customer, supplier, tax):
        """A French company's service to a business of another EU country is taxed by the buyer
        (reverse charge, French Tax Code 283-2, VAT Directive art. 196): VAT category AE, with
        its exemption reason, where core says K (an intra-Community supply of goods)."""
        codes = super()._get_tax_unece_codes(customer, supplier, tax)
        if (
            codes["tax_category_code"] == "K"
            and supplier.country_id.code == "FR"
            and tax
            and tax.tax_scope == "service"
        ):
            codes.update(
                {
                    "tax_category_code": "AE",
                    "tax_exemption_reason_code": "VATEX-EU-AE",
                    "tax_exemption_reason": self.env._("Reverse charge"),
                }
            )
        return codes
