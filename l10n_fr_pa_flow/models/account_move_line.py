from odoo import api, models

# What a line of the deposited invoice says (its CII line, the totals made of it): frozen once
# the platform holds the invoice. Accounts, analytics and the reconciliation stay the
# accountant's.
LOCKED_LINE_FIELDS = frozenset(
    {
        "name",
        "product_id",
        "product_uom_id",
        "quantity",
        "price_unit",
        "discount",
        "tax_ids",
        "display_type",
        "currency_id",
        "amount_currency",
        "balance",
        "debit",
        "credit",
        "date_maturity",
    }
)


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    @api.model_create_multi
    def create(self, vals_list):
        moves = self.env["account.move"].browse({vals["move_id"] for vals in vals_list if vals.get("move_id")})
        moves._l10n_fr_pa_check_unlocked()
        return super().create(vals_list)

    def write(self, vals):
        names = LOCKED_LINE_FIELDS & vals.keys()
        if names:
            move_model = self.env["account.move"]
            changed = self.filtered(lambda line: any(move_model._field_will_change(line, vals, name) for name in names))
            changed.move_id._l10n_fr_pa_check_unlocked()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _l10n_fr_pa_unlink_except_locked(self):
        self.move_id._l10n_fr_pa_check_unlocked()
