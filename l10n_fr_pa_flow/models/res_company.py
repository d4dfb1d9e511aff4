from odoo import SUPERUSER_ID, fields, models

from ..tools.pa_client import PaClient

SECRET_GROUPS = "base.group_system,account.group_account_manager"


class ResCompany(models.Model):
    _inherit = "res.company"

    l10n_fr_pa_enabled = fields.Boolean(
        string="Send through an Approved Platform",
        help="Deposit the posted invoices and credit notes of French business customers on the "
        "company's approved platform (PA) and follow their lifecycle.",
    )
    # the addresses the client secret is sent to: set by the same administrators as the secret
    l10n_fr_pa_base_url = fields.Char(
        string="Platform API URL", groups=SECRET_GROUPS, help="Base URL of the AFNOR Flow Service API."
    )
    l10n_fr_pa_token_url = fields.Char(
        string="Platform Token URL", groups=SECRET_GROUPS, help="OAuth2 client-credentials token URL."
    )
    l10n_fr_pa_client_id = fields.Char(string="Platform Client ID", groups=SECRET_GROUPS)
    l10n_fr_pa_client_secret = fields.Char(string="Platform Client Secret", groups=SECRET_GROUPS)
    l10n_fr_pa_webhook_secret = fields.Char(
        string="Platform Webhook Secret",
        groups=SECRET_GROUPS,
        help="Shared secret of the platform's callbacks: they are signed with the header "
        "X-PA-Signature: sha256=<HMAC-SHA256 of the body>.",
    )
    l10n_fr_pa_flow_syntax = fields.Selection(
        [("Factur-X", "Factur-X (PDF with CII XML)"), ("CII", "CII XML")],
        string="Deposited Format",
        default="Factur-X",
        # not required: companies are also created by code that does not know this addon (empty
        # reads as Factur-X, see account.move._l10n_fr_pa_invoice_file)
    )
    l10n_fr_pa_vat_regime = fields.Selection(
        [
            ("monthly", "Normal, monthly returns"),
            ("quarterly", "Normal, quarterly returns"),
            ("simplified", "Simplified"),
            ("franchise", "Franchise (no VAT charged)"),
        ],
        string="VAT Regime",
        help="Sets the e-reporting schedule: sales reported every ten days (normal regime, monthly "
        "returns, the default), every month (quarterly returns, simplified regime) or every two months "
        "(franchise); collections every month (every two months under the franchise).",
        # not required: companies are also created by code that does not know this addon (empty
        # reads as the normal monthly regime)
    )
    l10n_fr_pa_poll_cursor = fields.Char(
        string="Lifecycle Cursor",
        groups=SECRET_GROUPS,
        help="updatedAt of the last lifecycle flow read from the platform.",
    )

    def _l10n_fr_pa_client(self):
        """The connector of the company's platform (reads the secrets: callers checked rights)."""
        self.ensure_one()
        company_sudo = self.sudo()
        return PaClient(
            self.env,
            company_sudo.l10n_fr_pa_base_url,
            company_sudo.l10n_fr_pa_token_url,
            company_sudo.l10n_fr_pa_client_id,
            company_sudo.l10n_fr_pa_client_secret,
        )

    def _l10n_fr_pa_ready(self):
        """Whether the company deposits through a platform."""
        self.ensure_one()
        # whoever posts an invoice asks this; the URL itself is the administrators'
        return bool(self.l10n_fr_pa_enabled and self.country_code == "FR" and self.sudo().l10n_fr_pa_base_url)

    def _l10n_fr_pa_billing_user(self):
        """Who follows the company's platform problems that belong to no salesperson (a rejected
        e-reporting transmission, an invoice made by a scheduled action): its first billing user."""
        self.ensure_one()
        return (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("share", "=", False),
                    ("company_ids", "in", self.ids),
                    ("groups_id", "in", self.env.ref("account.group_account_invoice").ids),
                    ("id", "!=", SUPERUSER_ID),
                ],
                order="id",
                limit=1,
            )
        )
