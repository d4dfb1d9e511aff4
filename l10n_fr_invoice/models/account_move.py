from odoo import api, fields, models
from odoo.tools import formatLang

from ..tools.einvoice_check import check_cii

try:
    from num2words import num2words
except ImportError:  # pragma: no cover - num2words is a dependency of Odoo
    num2words = None

SALE_DOCUMENTS = ("out_invoice", "out_refund")


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        """A French invoice is not due before it is issued (BR-FR-CO-07): a draft kept for a few
        days without payment terms keeps the due date of the day it was made, while its date
        becomes the day it is posted."""
        today = fields.Date.context_today(self)
        early = self.filtered(
            lambda move: (
                move.is_sale_document(include_receipts=True)
                and move.company_id.country_code == "FR"
                and not move.invoice_payment_term_id
                and move.invoice_date_due
                and move.invoice_date_due < (move.invoice_date or today)
            )
        )
        for move in early:
            move.invoice_date_due = move.invoice_date or today
        return super()._post(soft=soft)

    # ------------------------------------------------------------------
    # What the invoice is, for French law
    # ------------------------------------------------------------------
    def _l10n_fr_einvoicing_treatment(self):
        """French e-invoicing treatment of the invoice (Factur-X note BAR): B2B for a French
        business customer (an e-invoice through the platforms), B2BINT for a business abroad, B2C
        for an individual (both e-reported); False when the seller is not French."""
        self.ensure_one()
        if self.company_id.country_code != "FR":
            return False
        customer = self.commercial_partner_id
        if not customer._l10n_fr_is_business():
            return "B2C"
        return "B2B" if customer.country_code == "FR" else "B2BINT"

    def _l10n_fr_service_lines(self):
        """The product lines that sell a service (a line without product is a service)."""
        return self.invoice_line_ids.filtered(
            lambda line: line.display_type == "product" and (not line.product_id or line.product_id.type == "service")
        )

    def _l10n_fr_business_process(self):
        """Factur-X BT-23 billing framework: B1 goods, S1 services, M1 goods and services."""
        self.ensure_one()
        lines = self.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        services = self._l10n_fr_service_lines()
        goods = lines - services
        if goods and services:
            return "M1"
        return "B1" if goods else "S1"

    def _l10n_fr_operation_nature(self):
        """Nature of the operation printed on the invoice (French invoice mention)."""
        labels = {
            "B1": self.env._("Delivery of goods"),
            "S1": self.env._("Provision of services"),
            "M1": self.env._("Delivery of goods and provision of services"),
        }
        return labels[self._l10n_fr_business_process()]

    # ------------------------------------------------------------------
    # VAT on debits: one truth, the taxes
    # ------------------------------------------------------------------
    def _l10n_fr_service_vat_exigibility(self):
        """When the VAT of the invoice's services is due, as their taxes say (the French chart's
        "20% S" taxes are due on payment, the others on the invoice): a set of 'on_invoice'
        (VAT on debits) and 'on_payment' (VAT on receipts)."""
        self.ensure_one()
        taxes = self._l10n_fr_service_lines().tax_ids.flatten_taxes_hierarchy()
        return set(taxes.filtered(lambda tax: tax.amount_type != "group").mapped("tax_exigibility"))

    def _l10n_fr_vat_on_debits(self):
        """Whether the invoice's services owe their VAT on the invoice: the company opted to pay
        VAT on debits (French Tax Code art. 269-2-c), which the invoice must say."""
        return "on_invoice" in self._l10n_fr_service_vat_exigibility()

    def _l10n_fr_vat_on_receipts(self):
        """Whether the invoice's services owe their VAT on receipt of payment: their collections
        are declared (status 212 or e-reporting of payments)."""
        return "on_payment" in self._l10n_fr_service_vat_exigibility()

    # ------------------------------------------------------------------
    # Legal mentions
    # ------------------------------------------------------------------
    def _l10n_fr_facturx_notes(self):
        """[(subject code, text)]: PMT recovery fee, PMD penalties, AAB discount terms. A
        business's e-invoice always carries them (BR-FR-05), even when the company does not
        print them: the company's texts, else the legal defaults."""
        self.ensure_one()
        company = self.company_id.with_context(lang=self.partner_id.lang or self.env.lang)
        defaults = company.default_get(
            ["l10n_fr_recovery_fee_note", "l10n_fr_late_penalty_note", "l10n_fr_discount_note"]
        )
        notes = [
            ("PMT", company.l10n_fr_recovery_fee_note, "l10n_fr_recovery_fee_note"),
            ("PMD", company.l10n_fr_late_penalty_note, "l10n_fr_late_penalty_note"),
            ("AAB", company.l10n_fr_discount_note, "l10n_fr_discount_note"),
        ]
        return [(code, text or defaults[field]) for code, text, field in notes]

    def _l10n_fr_vat_mentions(self):
        """The exemption mentions the invoice must print, from the VAT categories of its
        e-invoice: reverse charge (AE), intra-Community supply (K), export (G)."""
        self.ensure_one()
        edi = self.env["account.edi.common"]
        customer, supplier = self.commercial_partner_id, self.company_id.partner_id
        categories = {
            edi._get_tax_unece_codes(customer, supplier, tax)["tax_category_code"]
            for tax in self.invoice_line_ids.filtered(lambda line: line.display_type == "product").tax_ids
        }
        mentions = {
            "AE": self.env._("Reverse charge: VAT due by the customer (French Tax Code art. 283-2)"),
            "K": self.env._("VAT exemption: intra-Community supply (French Tax Code art. 262 ter I)"),
            "G": self.env._("VAT exemption: export (French Tax Code art. 262 I)"),
        }
        return [text for code, text in mentions.items() if code in categories]

    @api.model
    def _l10n_fr_format_rate(self, rate):
        """'20 %', '5,5 %': a VAT rate in the language of the environment."""
        decimals = len(f"{rate:g}".partition(".")[2])
        return f"{formatLang(self.env, rate, digits=decimals)} %"

    def _l10n_fr_vat_breakdown(self):
        """[{'rate', 'percent', 'base', 'tax'}] per VAT rate (its label, its value), in the
        invoice currency, as core aggregates taxes for e-invoicing (tax groups may hold several
        rates)."""
        self.ensure_one()
        tax_model = self.env["account.tax"]
        base_lines = [
            self._prepare_product_base_line_for_taxes_computation(line)
            for line in self.line_ids.filtered(lambda line: line.display_type == "product")
        ]
        tax_lines = [
            self._prepare_tax_line_for_taxes_computation(line)
            for line in self.line_ids.filtered(lambda line: line.display_type == "tax")
        ]
        tax_model._add_tax_details_in_base_lines(base_lines, self.company_id)
        tax_model._round_base_lines_tax_details(base_lines, self.company_id, tax_lines=tax_lines)

        def rate_of(base_line, tax_data):
            tax = tax_data and tax_data["tax"]
            return tax.amount if tax and tax.amount_type == "percent" else None

        aggregated = tax_model._aggregate_base_lines_aggregated_values(
            tax_model._aggregate_base_lines_tax_details(base_lines, rate_of)
        )
        # base lines carry the accounting sign: amounts print as on the document
        sign = -self.direction_sign if self.is_inbound() else self.direction_sign
        return [
            {
                "rate": self._l10n_fr_format_rate(rate),
                "percent": rate,
                "base": sign * values["base_amount_currency"],
                "tax": sign * values["tax_amount_currency"],
            }
            for rate, values in sorted(aggregated.items(), key=lambda item: -(item[0] or 0))
            if rate is not None
        ]

    def _l10n_fr_amount_total_words(self):
        """Invoice total in French words (num2words, as core's amount in words option)."""
        self.ensure_one()
        if num2words is None:
            return ""
        amount = float(self.amount_total)
        try:
            words = num2words(amount, lang="fr", to="currency", currency=self.currency_id.name)
        except NotImplementedError:
            words = self.currency_id.with_context(lang="fr_FR").amount_to_text(amount)
        if self.currency_id.is_zero(amount - round(amount)):
            words = words.split(" et zéro ")[0]  # "cent euros", not "cent euros et zéro centimes"
        return words[:1].upper() + words[1:]

    # ------------------------------------------------------------------
    # The French checks of the e-invoice
    # ------------------------------------------------------------------
    def _l10n_fr_check_einvoice(self, xml=None):
        """[(rule id, message)]: what the invoice's e-invoice (the CII XML ``xml``, by default
        the one account_edi_ubl_cii produces now) breaks of the rules a platform applies (XSD,
        EN 16931 / Factur-X, FNFE BR-FR), each with what billing must correct, in the user's
        language. Empty when the file passes."""
        self.ensure_one()
        if xml is None:
            xml, __ = self.env["account.edi.xml.cii"]._export_invoice(self)
        french_business = bool(
            self.company_id.country_code == "FR" and self.commercial_partner_id._l10n_fr_is_french_business()
        )
        return [
            (rule, self._l10n_fr_einvoice_message(what, values))
            for rule, what, values in check_cii(xml, french_business)
        ]

    def _l10n_fr_einvoice_message(self, what, values):
        """Billing's words for a finding of ``check_cii``: what is wrong, and what to correct."""
        _ = self.env._
        lines = self.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        line = values.get("line")
        index = int(line) - 1 if line and line.isdigit() else -1
        label = (lines[index].name or lines[index].product_id.display_name or "") if 0 <= index < len(lines) else ""
        customer = self.commercial_partner_id.display_name
        messages = {
            "syntax": lambda: _("The electronic invoice is not readable XML (%(detail)s).", **values),
            "level": lambda: _(
                "The electronic invoice declares an unknown profile (%(detail)s): it must be Factur-X EN 16931 "
                "or EXTENDED.",
                **values,
            ),
            "xsd": lambda: _(
                "The electronic invoice breaks the Factur-X schema (XSD): %(detail)s. Check the lines, the "
                "customer and your company's data.",
                **values,
            ),
            "line_name": lambda: _("Line %(line)s has no name: give it a product or a description.", line=line),
            "line_vat": lambda: _(
                "Line %(line)s (%(label)s) has no VAT: set its tax (for a sale without VAT, a 0%% tax "
                "with its exemption reason).",
                line=line,
                label=label,
            ),
            "total_lines": lambda: _(
                "The total of the lines (%(found)s) is not the sum of the line amounts (%(expected)s): "
                "check the lines' taxes and amounts.",
                **values,
            ),
            "total_basis": lambda: _(
                "The total without VAT (%(found)s) does not match the lines, discounts and charges "
                "(%(expected)s): every line needs its VAT.",
                **values,
            ),
            "total_grand": lambda: _(
                "The total with VAT (%(found)s) is not the total without VAT plus the VAT (%(expected)s): "
                "every line needs its VAT.",
                **values,
            ),
            "total_due": lambda: _(
                "The amount due (%(found)s) is not the total with VAT less the prepaid amount (%(expected)s).",
                **values,
            ),
            "seller_siren": lambda: _(
                "Your company has no SIREN: enter its SIRET (or its French VAT number) in the company settings."
            ),
            "buyer_siren": lambda: _(
                "%(customer)s is a French business customer without SIREN: enter its SIRET, or its French VAT "
                "number, on the customer.",
                customer=customer,
            ),
            "seller_address": lambda: _(
                "Your company has no electronic invoicing address: enter its SIRET (its SIREN is its address "
                "in the French directory) in the company settings."
            ),
            "legal_notes": lambda: _(
                "The electronic invoice lacks the legal mentions %(codes)s (recovery fee, late-payment "
                "penalties, discount terms): fill them in the French Invoices settings.",
                **values,
            ),
            "due_date": lambda: _(
                "The due date is before the invoice date: correct the due date or the payment terms."
            ),
            "credit_reference": lambda: _(
                "This credit note does not name the invoice it corrects: create it from that invoice "
                "(Credit Note button), which links them."
            ),
            "buyer_address": lambda: _(
                "The electronic invoicing address of %(customer)s (%(found)s) must be its SIREN in the French "
                "directory (scheme 0225): correct the customer's electronic address, or its SIRET.",
                customer=customer,
                found=values.get("found") or _("none"),
            ),
        }
        return messages[what]()
