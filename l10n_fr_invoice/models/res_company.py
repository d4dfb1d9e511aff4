from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    l10n_fr_invoice_mentions = fields.Boolean(
        string="French Invoice Mentions",
        default=True,
        help="Print the late-payment penalty rate, the fixed recovery fee and the discount terms "
        "on customer invoices (French Commercial Code L441-9), and send them as Factur-X notes.",
    )
    l10n_fr_late_penalty_note = fields.Char(
        string="Late-Payment Penalties",
        translate=True,
        default="Pénalités de retard : trois fois le taux d'intérêt légal",
        help="Late-payment penalty rate (Factur-X note PMD).",
    )
    l10n_fr_recovery_fee_note = fields.Char(
        string="Recovery Fee",
        translate=True,
        default="Indemnité forfaitaire pour frais de recouvrement : 40 €",
        help="Fixed indemnity for recovery costs (Factur-X note PMT).",
    )
    l10n_fr_discount_note = fields.Char(
        string="Discount Terms",
        translate=True,
        default="Pas d'escompte pour paiement anticipé",
        help="Early payment discount terms (Factur-X note AAB).",
    )
    l10n_fr_amount_in_words = fields.Boolean(
        string="Amount in Words (French)",
        default=True,
        help="Print the invoice total in French words on customer invoices.",
    )
    l10n_fr_legal_form = fields.Char(
        string="Legal Form",
        help="Legal form printed with the share capital in the company identity of invoices (e.g. SAS, SARL, EURL).",
    )
    l10n_fr_share_capital = fields.Monetary(
        string="Share Capital",
        currency_field="currency_id",
        help="Printed as 'with a share capital of' on invoices (French Commercial Code R123-237).",
    )
    l10n_fr_rcs_city = fields.Char(
        string="RCS City",
        help="City of the Trade and Companies Register (RCS) where the company is registered: "
        "printed as 'RCS <city> <SIREN>' on invoices.",
    )
