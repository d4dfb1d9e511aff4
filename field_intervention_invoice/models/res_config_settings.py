from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    fi_invoice_mentions = fields.Boolean(related="company_id.fi_invoice_mentions", readonly=False)
    fi_late_penalty_note = fields.Char(related="company_id.fi_late_penalty_note", readonly=False)
    fi_recovery_fee_note = fields.Char(related="company_id.fi_recovery_fee_note", readonly=False)
    fi_discount_note = fields.Char(related="company_id.fi_discount_note", readonly=False)
    fi_amount_in_words_fr = fields.Boolean(related="company_id.fi_amount_in_words_fr", readonly=False)
    fi_legal_form = fields.Char(related="company_id.fi_legal_form", readonly=False)
    fi_share_capital = fields.Monetary(related="company_id.fi_share_capital", readonly=False)
    fi_rcs_city = fields.Char(related="company_id.fi_rcs_city", readonly=False)
    fi_vat_on_debits = fields.Boolean(related="company_id.fi_vat_on_debits", readonly=False)
    fi_hours_overrun_ratio = fields.Float(related="company_id.fi_hours_overrun_ratio", readonly=False)
    fi_billing_user_id = fields.Many2one(related="company_id.fi_billing_user_id", readonly=False)
