from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    fi_pa_stuck_days = fields.Integer(
        string="Stuck After (days)",
        default=7,
        help="An invoice born from interventions is listed as stuck when it waits longer than "
        "this at a step (deposit, approval, collection).",
    )

    def _l10n_fr_pa_billing_user(self):
        """The company's billing responsible follows its platform problems."""
        return self.fi_billing_user_id or super()._l10n_fr_pa_billing_user()
