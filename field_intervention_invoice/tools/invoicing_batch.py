"""What the invoicing of a batch of interventions reads, fetched once and memoized."""

from collections import defaultdict, namedtuple
from functools import cached_property

from odoo import fields

# One thing to bill of an intervention: labour (direct path), travel or a part.
BillableItem = namedtuple("BillableItem", ["kind", "product", "quantity", "uom", "name"])


class InvoicingBatch:
    """Every lookup made per intervention while checking and preparing the invoices goes
    through this object, so that the number of SQL queries per intervention stays bounded
    (no search in a loop): one read of the timesheets for the whole batch, then memoized
    pricing, taxes, fiscal positions, journals and billable items.
    """

    def __init__(self, interventions):
        self.env = interventions.env
        self.hours = defaultdict(float)  # intervention id -> worked hours (all timesheets)
        self.sale_hours = defaultdict(float)  # (intervention id, sale line id) -> hours
        self.timesheets = defaultdict(list)  # intervention id -> [(timesheet id, sale line id)]
        groups = (
            self.env["account.analytic.line"]
            .sudo()
            ._read_group(
                [("intervention_id", "in", interventions.ids)],
                ["intervention_id", "so_line"],
                ["unit_amount:sum", "id:array_agg"],
            )
        )
        for intervention, so_line, unit_amount, ids in groups:
            self.hours[intervention.id] += unit_amount
            if so_line:
                self.sale_hours[intervention.id, so_line.id] += unit_amount
            self.timesheets[intervention.id] += [(ts_id, so_line.id) for ts_id in ids]
        self.sale_items = {}  # (intervention id, item index) -> sale.order.line
        self._items = {}
        self._references = {}
        self._prices = {}
        self._taxes = {}
        self._fiscal_positions = {}
        self._invoice_partners = {}
        self._journals = {}
        self._analytic_models = {}

    # ------------------------------------------------------------------
    # Units of measure (resolved once: ``env.ref`` checks that the record exists each time)
    # ------------------------------------------------------------------
    @cached_property
    def time_category(self):
        return self.env.ref("uom.uom_categ_wtime")

    @cached_property
    def length_category(self):
        return self.env.ref("uom.uom_categ_length")

    @cached_property
    def km(self):
        return self.env.ref("uom.product_uom_km")

    @cached_property
    def quantity_digits(self):
        """Decimals of the invoice lines' quantities: a quantity rounding to zero bills nothing."""
        return self.env["decimal.precision"].precision_get("Product Unit of Measure")

    # ------------------------------------------------------------------
    # What is billed
    # ------------------------------------------------------------------
    def lang(self, intervention):
        """Language of what the customer reads on the invoice: the invoice address's, as core's
        ``sale.order._create_invoices``, whoever invoices (a user, the scheduled action)."""
        return self.invoice_partner(intervention).lang or self.env.lang

    def in_customer_lang(self, intervention):
        """The intervention in the customer's language: the records read through it (products)
        are prefetched together for all interventions of that language, one query per language."""
        return intervention.with_context(lang=self.lang(intervention))

    def items(self, intervention):
        """[BillableItem] of the intervention (see ``field.intervention._fi_get_billable_items``),
        named in the customer's language."""
        if intervention.id not in self._items:
            self._items[intervention.id] = [
                item._replace(product=item.product.with_env(self.env))
                for item in self.in_customer_lang(intervention)._fi_get_billable_items(self)
            ]
        return self._items[intervention.id]

    def reference_label(self, intervention):
        """The intervention's reference printed on each of its invoice lines (see
        ``field.intervention._fi_reference_label``), formatted once per intervention in the
        customer's language and date format."""
        if intervention.id not in self._references:
            self._references[intervention.id] = self.in_customer_lang(intervention)._fi_reference_label()
        return self._references[intervention.id]

    def sale_line(self, intervention):
        """Sale order line of the mission when it is sold on a confirmed order."""
        sale_line = intervention.task_id.sale_line_id
        return sale_line if sale_line.order_id.state == "sale" else sale_line.browse()

    # ------------------------------------------------------------------
    # To whom, in which currency and journal
    # ------------------------------------------------------------------
    def invoice_partner(self, intervention):
        partner = intervention.partner_id.commercial_partner_id
        if partner.id not in self._invoice_partners:
            self._invoice_partners[partner.id] = partner.browse(partner.address_get(["invoice"])["invoice"])
        return self._invoice_partners[partner.id]

    def fiscal_position(self, intervention):
        partner = self.invoice_partner(intervention)
        key = (intervention.company_id.id, partner.id, intervention.site_id.id)
        if key not in self._fiscal_positions:
            self._fiscal_positions[key] = (
                self.env["account.fiscal.position"]
                .with_company(intervention.company_id)
                ._get_fiscal_position(partner, delivery=intervention.site_id or partner)
            )
        return self._fiscal_positions[key]

    def pricelist(self, intervention):
        return intervention.partner_id.commercial_partner_id.property_product_pricelist

    def currency(self, intervention):
        sale_line = self.sale_line(intervention)
        if sale_line:
            return sale_line.order_id.currency_id
        return self.pricelist(intervention).currency_id or intervention.company_id.currency_id

    def journal(self, company, currency):
        """The sales journal core would pick for an invoice of the company in the currency
        (``account.move._search_default_journal``), looked up once per batch, not per invoice."""
        key = (company.id, currency.id)
        if key not in self._journals:
            Journal = self.env["account.journal"].sudo()
            domain = [*Journal._check_company_domain(company), ("type", "=", "sale")]
            journal = Journal.browse()
            if currency and currency != company.currency_id:
                journal = Journal.search(domain + [("currency_id", "=", currency.id)], limit=1)
            self._journals[key] = journal or Journal.search(domain, limit=1)
        return self._journals[key]

    def has_analytic_models(self, company):
        """Whether an analytic distribution model may apply to the company's invoice lines.
        Without any, core's per-line lookup finds nothing: the lines are created without it."""
        if company.id not in self._analytic_models:
            self._analytic_models[company.id] = bool(
                self.env["account.analytic.distribution.model"]
                .sudo()
                .search_count([("company_id", "in", [company.id, False])], limit=1)
            )
        return self._analytic_models[company.id]

    # ------------------------------------------------------------------
    # Prices and taxes
    # ------------------------------------------------------------------
    def taxes(self, product, intervention):
        """Product taxes of the company mapped by the fiscal position, and the product taxes."""
        fiscal_position = self.fiscal_position(intervention)
        key = (product.id, intervention.company_id.id, fiscal_position.id)
        if key not in self._taxes:
            product_taxes = product.taxes_id._filter_taxes_by_company(intervention.company_id)
            self._taxes[key] = (fiscal_position.map_tax(product_taxes), product_taxes)
        return self._taxes[key]

    def price(self, product, quantity, uom, intervention):
        """Unit price of the customer's pricelist, corrected for price-included taxes."""
        pricelist = self.pricelist(intervention)
        date = intervention.intervention_date or fields.Date.context_today(intervention)
        key = (pricelist.id, product.id, quantity, uom.id, date, intervention.company_id.id)
        if key not in self._prices:
            price = pricelist.with_company(intervention.company_id)._get_product_price(
                product,
                quantity or 1.0,
                currency=self.currency(intervention),
                uom=uom,
                date=date,
            )
            taxes, product_taxes = self.taxes(product, intervention)
            self._prices[key] = self.env["account.tax"]._fix_tax_included_price_company(
                price, product_taxes, taxes, intervention.company_id
            )
        return self._prices[key]
