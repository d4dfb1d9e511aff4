from odoo import api, models

from ..tools.trusted import check_pa_trusted


class L10nFrPaTrustedMixin(models.AbstractModel):
    """Records of the platform exchange (flows, attempts, statuses): evidence that only this
    module's methods create and write, after their own checks; nobody deletes them."""

    _name = "l10n_fr_pa.trusted.mixin"
    _description = "Approved Platform Evidence Mixin"

    @api.model_create_multi
    def create(self, vals_list):
        check_pa_trusted(self)
        return super().create(vals_list)

    def write(self, vals):
        # the statuses are append-only: even the module's code does not change a recorded one
        check_pa_trusted(self)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        check_pa_trusted(self)
