from odoo import api, models

from ..models.account_move_send import PLATFORM


class AccountMoveSendWizard(models.TransientModel):
    _inherit = "account.move.send.wizard"

    def _compute_sending_method_checkboxes(self):
        res = super()._compute_sending_method_checkboxes()
        for wizard in self:
            move = wizard.move_id
            checkboxes = dict(wizard.sending_method_checkboxes or {})
            if not self._l10n_fr_pa_peppol_allowed(move):
                checkboxes.pop("peppol", None)
            if PLATFORM in checkboxes:
                if self._is_applicable_to_move(PLATFORM, move):
                    defaults = self._l10n_fr_pa_default_sending_methods(move)
                    checkboxes = {key: {**values, "checked": key in defaults} for key, values in checkboxes.items()}
                    checkboxes[PLATFORM] = {
                        **checkboxes[PLATFORM],
                        "label": f"{checkboxes[PLATFORM]['label']} ({wizard._l10n_fr_pa_deposit_status_label()})",
                    }
                else:
                    # an individual, a foreign customer: not an e-invoice of the platform
                    checkboxes.pop(PLATFORM)
            if checkboxes and not any(values.get("checked") for values in checkboxes.values()):
                fallback = "email" if "email" in checkboxes else next(iter(checkboxes))
                checkboxes[fallback] = {**checkboxes[fallback], "checked": True}
            wizard.sending_method_checkboxes = checkboxes
        return res

    def _l10n_fr_pa_deposit_status_label(self):
        """Where the invoice stands on the platform, as the Send dialog shows it."""
        self.ensure_one()
        move = self.move_id
        for field_name in ("l10n_fr_pa_status", "l10n_fr_pa_deposit_state"):
            if value := move[field_name]:
                return dict(move._fields[field_name]._description_selection(self.env))[value]
        return self.env._("not deposited yet")

    @api.depends("sending_methods", "extra_edis")
    def _compute_alerts(self):
        res = super()._compute_alerts()
        for wizard in self:
            wizard.alerts = self._l10n_fr_pa_filter_alerts(wizard.move_id, wizard.alerts)
        return res


class AccountMoveSendBatchWizard(models.TransientModel):
    _inherit = "account.move.send.batch.wizard"

    @api.depends("summary_data")
    def _compute_alerts(self):
        res = super()._compute_alerts()
        for wizard in self:
            wizard.alerts = self._l10n_fr_pa_filter_alerts(wizard.move_ids, wizard.alerts)
        return res
