from odoo import models


class AccountEdiXmlCii(models.AbstractModel):
    _inherit = "account.edi.xml.cii"

    def _export_invoice_vals(self, invoice):
        """Add what the French e-invoicing reform needs and core omits: billing framework
        (BT-23), payment notes PMT/PMD/AAB, SIREN of seller and buyer, service period."""
        vals = super()._export_invoice_vals(invoice)
        vals.update({"fi_business_process": False, "fi_notes": []})
        if not invoice._fi_is_french_einvoicing():
            return vals
        vals["fi_business_process"] = invoice._fi_business_process()
        vals["fi_notes"] = invoice._fi_facturx_notes()
        seller_siren = invoice._fi_siren(invoice.company_id)
        if seller_siren:
            vals["seller_specified_legal_organization"] = seller_siren
        buyer_siren = invoice._fi_siren(invoice.commercial_partner_id)
        if buyer_siren:
            vals["buyer_specified_legal_organization"] = buyer_siren
        dates = invoice.sudo().invoice_line_ids.intervention_id.mapped("intervention_date")
        if dates:
            vals["billing_start"] = min(dates)
            vals["billing_end"] = max(dates)
        return vals
