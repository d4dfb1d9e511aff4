from odoo import models


class AccountEdiXmlCii(models.AbstractModel):
    _inherit = "account.edi.xml.cii"

    def _export_invoice_vals(self, invoice):
        """The service period (BG-14) of an invoice of French interventions: their dates."""
        vals = super()._export_invoice_vals(invoice)
        if not vals["l10n_fr_business_process"]:
            return vals
        dates = invoice.sudo().invoice_line_ids.intervention_id.mapped("intervention_date")
        if dates:
            vals["billing_start"] = min(dates)
            vals["billing_end"] = max(dates)
        return vals
