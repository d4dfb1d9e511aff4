from odoo import fields, models
from odoo.exceptions import AccessError

from ..tools.pa_client import PaError
from .res_company import SECRET_GROUPS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    l10n_fr_pa_enabled = fields.Boolean(related="company_id.l10n_fr_pa_enabled", readonly=False)
    l10n_fr_pa_base_url = fields.Char(related="company_id.l10n_fr_pa_base_url", readonly=False)
    l10n_fr_pa_token_url = fields.Char(related="company_id.l10n_fr_pa_token_url", readonly=False)
    l10n_fr_pa_client_id = fields.Char(related="company_id.l10n_fr_pa_client_id", readonly=False, groups=SECRET_GROUPS)
    l10n_fr_pa_client_secret = fields.Char(
        related="company_id.l10n_fr_pa_client_secret", readonly=False, groups=SECRET_GROUPS
    )
    l10n_fr_pa_webhook_secret = fields.Char(
        related="company_id.l10n_fr_pa_webhook_secret", readonly=False, groups=SECRET_GROUPS
    )
    l10n_fr_pa_flow_syntax = fields.Selection(related="company_id.l10n_fr_pa_flow_syntax", readonly=False)
    l10n_fr_pa_vat_regime = fields.Selection(related="company_id.l10n_fr_pa_vat_regime", readonly=False)

    def action_l10n_fr_pa_test_connection(self):
        """Call GET /v1/healthcheck with the saved settings and tell the result."""
        self.ensure_one()
        user = self.env.user
        if not (user.has_group("base.group_system") or user.has_group("account.group_account_manager")):
            raise AccessError(self.env._("Only accounting administrators may test the platform connection."))
        company = self.company_id
        try:
            company._l10n_fr_pa_client().healthcheck()
        except PaError as error:
            kind, message = "danger", error.message
        else:
            kind = "success"
            message = self.env._("The platform answered: the connection of %(company)s works.", company=company.name)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": kind, "message": message, "sticky": kind == "danger"},
        }
