from odoo import fields, models


class L10nFrPaFlowAttempt(models.Model):
    """One attempt to deposit a flow, whatever came of it (the trace of retries)."""

    _name = "l10n_fr_pa.flow.attempt"
    _inherit = "l10n_fr_pa.trusted.mixin"
    _description = "Approved Platform Deposit Attempt"
    _order = "id desc"

    flow_id = fields.Many2one("l10n_fr_pa.flow", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="flow_id.company_id", store=True)
    date = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True)
    outcome = fields.Selection(
        [
            ("sent", "Deposited"),
            ("duplicate", "Already Deposited"),
            ("rejected", "Rejected"),
            ("retry", "To Retry"),
            ("auth", "Access Refused"),
            ("stopped", "Stopped Before Deposit"),
        ],
        required=True,
        readonly=True,
    )
    http_status = fields.Integer(string="HTTP Status", readonly=True)
    message = fields.Text(readonly=True)
