from odoo import models


class AccountEdiXmlCii(models.AbstractModel):
    _inherit = "account.edi.xml.cii"

    def _export_invoice_vals(self, invoice):
        """Add what the French e-invoicing reform needs and core omits: billing framework
        (BT-23), treatment and payment notes (BAR, PMT/PMD/AAB), SIREN and electronic addresses
        of seller and buyer (BT-30, BT-34, BT-47, BT-49), service period, the invoice a credit
        note corrects (BT-25, BT-26), and a delivery country for a site without one."""
        vals = super()._export_invoice_vals(invoice)
        vals.update(
            {
                "fi_business_process": False,
                "fi_notes": [],
                "fi_seller_address": False,
                "fi_buyer_address": False,
                "fi_ship_to_country": invoice.commercial_partner_id.country_id.code,
                "fi_invoice_reference": self._fi_invoice_reference(invoice),
            }
        )
        treatment = invoice._fi_einvoicing_treatment()
        if not treatment:
            return vals
        vals["fi_business_process"] = invoice._fi_business_process()
        self._fi_add_seller_vals(invoice, vals)
        self._fi_add_buyer_vals(invoice, vals, treatment)
        dates = invoice.sudo().invoice_line_ids.intervention_id.mapped("intervention_date")
        if dates:
            vals["billing_start"] = min(dates)
            vals["billing_end"] = max(dates)
        return vals

    def _fi_add_seller_vals(self, invoice, vals):
        """Seller SIREN (BT-30, scheme 0002) and electronic address (BT-34)."""
        seller_siren = invoice.company_id.partner_id._fi_siren()
        vals["seller_specified_legal_organization"] = seller_siren
        scheme, address = invoice.company_id.partner_id._fi_einvoice_address()
        vals["fi_seller_address"] = (scheme, address) if address else False

    def _fi_add_buyer_vals(self, invoice, vals, treatment):
        """Buyer data by treatment: a business gets the B2B notes and its electronic address
        (BT-49), a French one its SIREN (BT-47); an individual (B2C) none of them."""
        vals["fi_notes"] = [("BAR", treatment)]
        vals["buyer_specified_legal_organization"] = False
        if treatment == "B2C":
            return
        vals["fi_notes"] += invoice._fi_facturx_notes()
        if treatment == "B2B":
            vals["buyer_specified_legal_organization"] = invoice.commercial_partner_id._fi_siren()
        scheme, address = invoice.partner_id._fi_einvoice_address()
        vals["fi_buyer_address"] = (scheme, address) if address else False

    def _fi_invoice_reference(self, invoice):
        """(number, date) of the invoice a credit note corrects (BT-25, BT-26), or False."""
        origin = invoice.reversed_entry_id
        if invoice.move_type != "out_refund" or not origin.name or not origin.invoice_date:
            return False
        return origin.name, origin.invoice_date
