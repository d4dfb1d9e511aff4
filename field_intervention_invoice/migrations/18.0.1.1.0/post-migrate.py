"""18.0.1.1.0: French invoice law moved to l10n_fr_invoice (installed as a new dependency
before this addon is updated). The company's legal mentions and identity keep their values
under their new names; the old columns are dropped by Odoo once the update ends.

"VAT on Debits" (``fi_vat_on_debits``) is not carried over: the taxes of the lines are now the
one truth (a service taxed with a VAT due on payment owes it on receipt), as in core
l10n_fr_account. A company that had ticked it is told so in its log."""

import logging

from odoo.tools import SQL
from odoo.tools.sql import column_exists

_logger = logging.getLogger(__name__)

MOVED_COMPANY_FIELDS = {
    "fi_invoice_mentions": "l10n_fr_invoice_mentions",
    "fi_late_penalty_note": "l10n_fr_late_penalty_note",
    "fi_recovery_fee_note": "l10n_fr_recovery_fee_note",
    "fi_discount_note": "l10n_fr_discount_note",
    "fi_amount_in_words_fr": "l10n_fr_amount_in_words",
    "fi_legal_form": "l10n_fr_legal_form",
    "fi_share_capital": "l10n_fr_share_capital",
    "fi_rcs_city": "l10n_fr_rcs_city",
}


def migrate(cr, version):
    if not version:
        return
    for old, new in MOVED_COMPANY_FIELDS.items():
        if column_exists(cr, "res_company", old) and column_exists(cr, "res_company", new):
            cr.execute(SQL("UPDATE res_company SET %s = %s", SQL.identifier(new), SQL.identifier(old)))
    if column_exists(cr, "res_company", "fi_vat_on_debits"):
        cr.execute("SELECT name FROM res_company WHERE fi_vat_on_debits")
        for (name,) in cr.fetchall():
            _logger.info(
                "Company %s had opted for VAT on debits: the option now follows the taxes of the invoice "
                "lines (a VAT due on the invoice); check the taxes of its services.",
                name,
            )
