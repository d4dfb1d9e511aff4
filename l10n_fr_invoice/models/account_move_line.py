from odoo import models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _l10n_fr_vat_rates_label(self):
        """The line's VAT rates as printed on the invoice ('20 %'); other taxes by their label."""
        self.ensure_one()
        return ", ".join(
            self.move_id._l10n_fr_format_rate(tax.amount)
            if tax.amount_type == "percent"
            else (tax.invoice_label or tax.name)
            for tax in self.tax_ids
        )
