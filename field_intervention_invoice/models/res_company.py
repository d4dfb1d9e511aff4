from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    fi_invoice_mentions = fields.Boolean(
        string="French Invoice Mentions",
        default=True,
        help="Print the late-payment penalty rate, the fixed recovery fee and the discount terms "
        "on customer invoices (French Commercial Code L441-9), and send them as Factur-X notes.",
    )
    fi_late_penalty_note = fields.Char(
        string="Late-Payment Penalties",
        translate=True,
        default="Pénalités de retard : trois fois le taux d'intérêt légal",
        help="Late-payment penalty rate (Factur-X note PMD).",
    )
    fi_recovery_fee_note = fields.Char(
        string="Recovery Fee",
        translate=True,
        default="Indemnité forfaitaire pour frais de recouvrement : 40 €",
        help="Fixed indemnity for recovery costs (Factur-X note PMT).",
    )
    fi_discount_note = fields.Char(
        string="Discount Terms",
        translate=True,
        default="Pas d'escompte pour paiement anticipé",
        help="Early payment discount terms (Factur-X note AAB).",
    )
    fi_amount_in_words_fr = fields.Boolean(
        string="Amount in Words (French)",
        default=True,
        help="Print the invoice total in French words on customer invoices.",
    )
    fi_legal_form = fields.Char(
        string="Legal Form",
        help="Legal form printed with the share capital in the company identity of invoices (e.g. SAS, SARL, EURL).",
    )
    fi_share_capital = fields.Monetary(
        string="Share Capital",
        currency_field="currency_id",
        help="Printed as 'with a share capital of' on invoices (French Commercial Code R123-237).",
    )
    fi_rcs_city = fields.Char(
        string="RCS City",
        help="City of the Trade and Companies Register (RCS) where the company is registered: "
        "printed as 'RCS <city> <SIREN>' on invoices.",
    )
    fi_vat_on_debits = fields.Boolean(
        string="VAT on Debits",
        help="The company opted to pay VAT on debits (French Tax Code art. 269-2-c): invoices of "
        "services print 'Option pour le paiement de la taxe d'après les débits'. Without the "
        "option, VAT on services is due on receipt of payment.",
    )
    fi_hours_overrun_ratio = fields.Float(
        string="Hours Overrun Tolerance",
        default=0.2,
        help="An invoice is flagged for review when the worked hours exceed the planned duration "
        "of the mission by more than this ratio (0.2 = 20%).",
    )
    fi_billing_user_id = fields.Many2one(
        "res.users",
        string="Billing Responsible",
        domain="[('share', '=', False)]",
        help="Receives the activities about interventions that could not be invoiced.",
    )
