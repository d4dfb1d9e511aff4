from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    l10n_fr_invoice_mentions = fields.Boolean(related="company_id.l10n_fr_invoice_mentions", readonly=False)
    l10n_fr_late_penalty_note = fields.Char(related="company_id.l10n_fr_late_penalty_note", readonly=False)
    l10n_fr_recovery_fee_note = fields.Char(related="company_id.l10n_fr_recovery_fee_note", readonly=False)
    l10n_fr_discount_note = fields.Char(related="company_id.l10n_fr_discount_note", readonly=False)
    l10n_fr_amount_in_words = fields.Boolean(related="company_id.l10n_fr_amount_in_words", readonly=False)
    l10n_fr_legal_form = fields.Char(related="company_id.l10n_fr_legal_form", readonly=False)
    l10n_fr_share_capital = fields.Monetary(related="company_id.l10n_fr_share_capital", readonly=False)
    l10n_fr_rcs_city = fields.Char(related="company_id.l10n_fr_rcs_city", readonly=False)
