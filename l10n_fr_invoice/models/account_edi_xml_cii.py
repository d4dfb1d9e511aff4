from odoo import models


class AccountEdiXmlCii(models.AbstractModel):
    _inherit = "account.edi.xml.cii"

    def _export_invoice_vals(self, invoice):
        """Add what the French e-invoicing reform needs and core omits: every line named (BT-153,
        BR-25: a line without product by its label), the billing framework (BT-23), treatment
        and payment notes (BAR, PMT/PMD/AAB), SIREN and electronic addresses of seller and buyer
        (BT-30, BT-34, BT-47, BT-49) where core puts a SIRET, the invoice a credit note corrects
        (BT-25, BT-26), the VAT in euros of an invoice in another currency (BT-6, BT-111), and a
        delivery country for a site without one."""
        vals = super()._export_invoice_vals(invoice)
        for line_vals in vals["invoice_line_vals_list"]:
            line = line_vals["line"]
            label = (line.name or "").strip()
            line_vals["l10n_fr_item_name"] = line.product_id.name or (label.splitlines()[0] if label else False)
        vals.update(
            {
                "l10n_fr_business_process": False,
                "l10n_fr_notes": [],
                "l10n_fr_seller_address": False,
                "l10n_fr_buyer_address": False,
                "l10n_fr_ship_to_country": invoice.commercial_partner_id.country_id.code,
                "l10n_fr_invoice_reference": self._l10n_fr_invoice_reference(invoice),
                "l10n_fr_tax_currency": False,
            }
        )
        treatment = invoice._l10n_fr_einvoicing_treatment()
        if not treatment:
            return vals
        vals["l10n_fr_business_process"] = invoice._l10n_fr_business_process()
        if invoice.currency_id != invoice.company_currency_id:
            # BR-FR-CO-12: the VAT is also given in euros (BT-6, BT-111), as booked
            vals["l10n_fr_tax_currency"] = invoice.company_currency_id.name
            vals["l10n_fr_tax_total_company"] = abs(invoice.amount_tax_signed)
        self._l10n_fr_add_seller_vals(invoice, vals)
        self._l10n_fr_add_buyer_vals(invoice, vals, treatment)
        return vals

    def _get_exchanged_document_vals(self, invoice):
        """A French down-payment invoice is typed as such (BT-3 386, "facture d'acompte"), not as
        an ordinary invoice: the platform and the buyer then know the final invoice deducts it."""
        vals = super()._get_exchanged_document_vals(invoice)
        if invoice.company_id.country_code == "FR" and invoice.move_type == "out_invoice" and invoice._is_downpayment():
            vals["type_code"] = "386"
        return vals

    def _l10n_fr_add_seller_vals(self, invoice, vals):
        """Seller SIREN (BT-30, scheme 0002) and electronic address (BT-34)."""
        seller = invoice.company_id.partner_id
        vals["seller_specified_legal_organization"] = seller._l10n_fr_siren()
        scheme, address = seller._l10n_fr_einvoice_address()
        vals["l10n_fr_seller_address"] = (scheme, address) if address else False

    def _l10n_fr_add_buyer_vals(self, invoice, vals, treatment):
        """Buyer data by treatment: a business gets the B2B notes and its electronic address
        (BT-49), a French one its SIREN (BT-47); an individual (B2C) none of them."""
        vals["l10n_fr_notes"] = [("BAR", treatment)]
        vals["buyer_specified_legal_organization"] = False
        if treatment == "B2C":
            return
        vals["l10n_fr_notes"] += invoice._l10n_fr_facturx_notes()
        if treatment == "B2B":
            vals["buyer_specified_legal_organization"] = invoice.commercial_partner_id._l10n_fr_siren()
        scheme, address = invoice.partner_id._l10n_fr_einvoice_address()
        vals["l10n_fr_buyer_address"] = (scheme, address) if address else False

    def _l10n_fr_invoice_reference(self, invoice):
        """(number, date) of the invoice a credit note corrects (BT-25, BT-26), or False."""
        origin = invoice.reversed_entry_id
        if invoice.move_type != "out_refund" or not origin.name or not origin.invoice_date:
            return False
        return origin.name, origin.invoice_date
