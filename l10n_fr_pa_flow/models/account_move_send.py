from odoo import api, models

PLATFORM = "l10n_fr_pa"
# the alerts of account_peppol inviting to register on Peppol (its registration screen)
PEPPOL_ALERTS = (
    "account_peppol_what_is_peppol",
    "account_peppol_partner_want_peppol",
    "account_peppol_warning_partner",
)


class AccountMoveSend(models.AbstractModel):
    """The company's approved platform is a sending method of Send, as Peppol is for
    account_peppol: a French B2B invoice of a company connected to a platform is deposited there
    (through the deposit queue of account.move) and mailed with its Factur-X PDF."""

    _inherit = "account.move.send"

    # ------------------------------------------------------------------
    # Sending methods
    # ------------------------------------------------------------------
    @api.model
    def _is_applicable_to_company(self, method, company):
        if method == PLATFORM:
            return company._l10n_fr_pa_ready()
        return super()._is_applicable_to_company(method, company)

    @api.model
    def _is_applicable_to_move(self, method, move, **move_data):
        if method == PLATFORM:
            return move._l10n_fr_pa_to_deposit()
        return super()._is_applicable_to_move(method, move, **move_data)

    @api.model
    def _get_default_sending_method(self, move):
        method = super()._get_default_sending_method(move)
        if self._is_applicable_to_move(PLATFORM, move):
            return PLATFORM
        if method == "peppol" and not self._l10n_fr_pa_peppol_allowed(move):
            # the preference account_peppol sets on the customers it finds on the network
            return "email"
        return method

    @api.model
    def _l10n_fr_pa_default_sending_methods(self, move):
        """What Send does by default with an invoice going through the platform: deposit it, and
        mail its PDF (or download it, when that is the customer's preference)."""
        preferred = move.partner_id.with_company(move.company_id).invoice_sending_method
        return [PLATFORM, preferred if preferred in ("email", "manual") else "email"]

    @api.model
    def _l10n_fr_pa_peppol_allowed(self, move):
        """Whether Peppol may be proposed for the invoice. A company connected to a platform
        sends by Peppol only once its own Peppol registration is active (not the demo mode of
        account_peppol) and the customer's endpoint was verified on the network; other
        companies keep account_peppol's behaviour."""
        company = move.company_id
        if not company._l10n_fr_pa_ready():
            return True
        if "account_peppol_proxy_state" not in company._fields:
            return False
        can_send = self.env["account_edi_proxy_client.user"]._get_can_send_domain()
        if company.account_peppol_proxy_state not in can_send or company._get_peppol_edi_mode() == "demo":
            return False
        partner = move.partner_id.commercial_partner_id.with_company(company)
        return partner.peppol_verification_state == "valid"

    @api.model
    def _l10n_fr_pa_filter_alerts(self, moves, alerts):
        """No invitation to register on Peppol for invoices that may not be sent by Peppol: those
        of a company connected to a platform and not registered on Peppol."""
        if not alerts or any(self._l10n_fr_pa_peppol_allowed(move) for move in moves):
            return alerts
        return {key: alert for key, alert in alerts.items() if key not in PEPPOL_ALERTS}

    @api.model
    def _get_default_sending_settings(self, move, from_cron=False, **custom_settings):
        if "sending_methods" not in custom_settings and self._is_applicable_to_move(PLATFORM, move):
            custom_settings["sending_methods"] = self._l10n_fr_pa_default_sending_methods(move)
        return super()._get_default_sending_settings(move, from_cron=from_cron, **custom_settings)

    @api.model
    def _get_default_invoice_edi_format(self, move, **kwargs):
        # the e-invoice the platform receives and the customer reads: Factur-X (PDF with CII)
        if PLATFORM in (kwargs.get("sending_methods") or ()) and "peppol" not in kwargs["sending_methods"]:
            return "facturx"
        return super()._get_default_invoice_edi_format(move, **kwargs)

    @api.model
    def _hook_if_success(self, moves_data):
        res = super()._hook_if_success(moves_data)
        moves = self.env["account.move"].browse(
            [
                move.id
                for move, move_data in moves_data.items()
                if PLATFORM in move_data["sending_methods"] and self._is_applicable_to_move(PLATFORM, move, **move_data)
            ]
        )
        # queued once: an invoice the platform holds or that waits for the deposit is left as it is
        moves._l10n_fr_pa_depositable()._l10n_fr_pa_enqueue()
        return res
