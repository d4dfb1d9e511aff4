from odoo import api, models
from odoo.fields import Command
from odoo.tools import float_compare, float_round


class FieldInterventionInvoiceCheck(models.AbstractModel):
    """All the pre-billing checks, in one place.

    Two kinds: the *blocking* reasons (the intervention cannot be invoiced: no customer,
    archived product, billed content that differs from what the customer signed...) and the
    *review* reasons (the draft invoice is created but flagged "to review": hours overrun, no
    timesheet, reserves, zero-priced lines, French e-invoicing data missing...).

    The invoicing (``field.intervention``) and the "Check Again" of the invoices
    (``account.move._fi_run_checks``) both call this model; it calls neither back.
    """

    _name = "field.intervention.invoice.check"
    _description = "Intervention Pre-billing Checks"

    # ------------------------------------------------------------------
    # Blocking reasons: the intervention is not invoiced
    # ------------------------------------------------------------------
    @api.model
    def _blocking_errors(self, interventions, data):
        """{intervention id: error message} of the interventions that cannot be invoiced."""
        errors = {}
        for intervention in interventions:
            reason = self._blocking_reason(intervention, data)
            if reason:
                errors[intervention.id] = self.env._(
                    "Intervention %(name)s could not be invoiced: %(error)s", name=intervention.name, error=reason
                )
        return errors

    @api.model
    def _blocking_reason(self, intervention, data):
        """Why the intervention cannot be invoiced, else False."""
        if not intervention.partner_id:
            return self.env._("it has no customer.")
        sale_line = data.sale_line(intervention)
        if intervention.task_id.sale_line_id and not sale_line:
            return self.env._(
                "sale order %(order)s of the mission is not confirmed.",
                order=intervention.task_id.sale_line_id.order_id.display_name,
            )
        if not sale_line and intervention._fi_billed_hours(data) and not intervention.project_id.labour_product_id:
            return self.env._(
                "project %(project)s has no labour product.", project=intervention.project_id.display_name
            )
        mismatch = self._signed_content_mismatch(intervention, data)
        if mismatch:
            return self.env._(
                "what would be billed (%(what)s) differs from the report the customer signed. "
                "Bill the difference on a new intervention.",
                what=mismatch,
            )
        items = data.items(intervention)
        if not items and not (
            sale_line and self.env["sale.order.line"]._fi_intervention_quantities(intervention, data)
        ):
            return self.env._("there is nothing to invoice (no worked time, travel or part).")
        for item in items:
            product = item.product.with_company(intervention.company_id)
            if not product.active:
                return self.env._("product %(product)s is archived.", product=product.display_name)
            if not (product.property_account_income_id or product.categ_id.property_account_income_categ_id):
                return self.env._(
                    "product %(product)s has no income account (set one on the product or its category).",
                    product=product.display_name,
                )
        return False

    @api.model
    def _signed_content_mismatch(self, intervention, data):
        """What of the billable content (hours, travel, parts) differs from the content frozen in
        the signature evidence, as a short label, else False. The report is locked once done, so
        this only fires if something went around the locks: billing never bills unsigned work."""
        signature_sudo = intervention.sudo().signature_id
        if not signature_sudo.content_canonical:
            return self.env._("no signed content")
        if signature_sudo._recompute_content_hash() != signature_sudo.content_hash:
            return self.env._("signed content")
        signed = signature_sudo._fi_signed_billables()
        if signed is None:
            return self.env._("no signed content")
        technicians = max(signed["technicians"], 1)
        if abs(data.hours[intervention.id] - signed["hours"] * technicians) > 0.01 * technicians:
            return self.env._("hours")
        if float_compare(intervention.travel_duration, signed["travel_hours"], precision_digits=2) or float_compare(
            intervention.travel_distance, signed["travel_km"], precision_digits=2
        ):
            return self.env._("travel")
        signed_parts = sorted((name, float_round(quantity, precision_digits=3)) for name, quantity in signed["parts"])
        parts = sorted(
            (part.name or "", float_round(part.quantity, precision_digits=3)) for part in intervention.part_ids
        )
        if signed_parts != parts:
            return self.env._("parts")
        return False

    # ------------------------------------------------------------------
    # Review reasons: the draft invoice is flagged "to review"
    # ------------------------------------------------------------------
    @api.model
    def _check_values(self, reasons):
        """Values of the invoice for these review reasons."""
        return {
            "fi_check_state": "to_review" if reasons else "clean",
            "fi_check_reasons": "\n".join(reasons) or False,
        }

    @api.model
    def _review_reasons(self, interventions, data, elsewhere, lines, currency, company, partner, site):
        """Review reasons of an invoice of ``interventions`` with ``lines`` [(product, unit price,
        label, taxes)] in ``currency``, from ``company`` to ``partner``, delivered at ``site``.

        :param dict elsewhere: {intervention id: other invoices billing its time} (see
            :meth:`_invoiced_elsewhere`)
        """
        reasons = []
        for intervention in interventions:
            reasons += self._intervention_reasons(intervention, data, elsewhere.get(intervention.id))
        return reasons + self._line_reasons(lines, currency) + self._einvoicing_reasons(company, partner, site)

    @api.model
    def _review_reasons_of_vals(self, interventions, data, elsewhere, invoice_vals):
        """Review reasons of the invoice about to be created from ``invoice_vals``."""
        Partner = self.env["res.partner"]
        lines = [
            (
                self.env["product.product"].browse(vals["product_id"]),
                vals.get("price_unit", 0.0),
                vals.get("name"),
                self._command_taxes(vals.get("tax_ids")),
            )
            for __, __, vals in invoice_vals["invoice_line_ids"]
            if vals.get("display_type") == "product"
        ]
        return self._review_reasons(
            interventions,
            data,
            elsewhere,
            lines,
            self.env["res.currency"].browse(invoice_vals["currency_id"]),
            self.env["res.company"].browse(invoice_vals["company_id"]),
            Partner.browse(invoice_vals["partner_id"]),
            Partner.browse(invoice_vals.get("partner_shipping_id")),
        )

    @api.model
    def _command_taxes(self, commands):
        """Taxes set by the x2many ``commands`` of prepared invoice line values."""
        tax_ids = []
        for command in commands or []:
            if command[0] == Command.SET:
                tax_ids = list(command[2])
            elif command[0] == Command.LINK:
                tax_ids.append(command[1])
        return self.env["account.tax"].browse(tax_ids)

    @api.model
    def _invoiced_elsewhere(self, interventions, moves):
        """{intervention id: invoices} of the timesheets already invoiced on other invoices."""
        return {
            intervention.id: invoices
            for intervention, invoices in self.env["account.analytic.line"]
            .sudo()
            ._read_group(
                [
                    ("intervention_id", "in", interventions.ids),
                    ("timesheet_invoice_id", "not in", moves.ids),
                    ("timesheet_invoice_id", "!=", False),
                    ("timesheet_invoice_id.state", "!=", "cancel"),
                    ("timesheet_invoice_id.payment_state", "!=", "reversed"),
                ],
                ["intervention_id"],
                ["timesheet_invoice_id:recordset"],
            )
        }

    @api.model
    def _planned_hours(self, intervention):
        """Planned duration of the mission window, else the hours allocated to the task."""
        task = intervention.task_id
        start, end = task.planned_date_start, task.planned_date_end
        if start and end and end > start:
            return (end - start).total_seconds() / 3600.0
        return task.allocated_hours

    @api.model
    def _intervention_reasons(self, intervention, data, invoiced_elsewhere=None):
        """Review reasons of one intervention: hours overrun, no timesheet, reserves, time
        already invoiced elsewhere."""
        reasons = []
        name = intervention.name
        planned = self._planned_hours(intervention)
        ratio = intervention.company_id.fi_hours_overrun_ratio
        if planned and intervention.duration > planned * (1.0 + ratio):
            reasons.append(
                self.env._(
                    "%(name)s: %(worked).2f h worked for %(planned).2f h planned.",
                    name=name,
                    worked=intervention.duration,
                    planned=planned,
                )
            )
        if not data.timesheets[intervention.id]:
            reasons.append(self.env._("%(name)s: no timesheet.", name=name))
        if intervention.has_reserves:
            reasons.append(self.env._("%(name)s: the customer signed with reserves.", name=name))
        if invoiced_elsewhere:
            reasons.append(
                self.env._(
                    "%(name)s: time already invoiced on %(invoices)s.",
                    name=name,
                    invoices=", ".join(invoiced_elsewhere.mapped("display_name")),
                )
            )
        return reasons

    @api.model
    def _line_reasons(self, lines, currency):
        """Reasons about the invoice lines [(product, unit price, label, taxes)]: zero-priced
        lines, parts without a price, lines without VAT (an e-invoice line needs a VAT category)."""
        reasons = []
        for product, price_unit, label, taxes in lines:
            first_line = label.splitlines()[0] if label else ""
            if not taxes:
                line = first_line if label else product.display_name
                reasons.append(self.env._("Line without VAT: %(line)s", line=line))
            if not currency.is_zero(price_unit):
                continue
            if product and product.type != "service":
                reasons.append(self.env._("Part without a price: %(line)s", line=product.display_name))
            else:
                reasons.append(self.env._("Zero-priced line: %(line)s", line=first_line))
        return reasons

    @api.model
    def _einvoicing_reasons(self, company, partner, site):
        """Reasons why the French e-invoice of ``company`` to the invoice address ``partner``,
        delivered at ``site``, would break the official rules (empty when it is fine)."""
        if company.country_code != "FR":
            return []
        reasons = []
        if not company.partner_id._l10n_fr_siren():
            reasons.append(
                self.env._("Your company has no SIREN: enter its SIRET in the company settings (French e-invoicing).")
            )
        reasons += self._customer_reasons(partner)
        if site and not site.country_id:
            reasons.append(
                self.env._(
                    "Intervention site %(site)s has no country: the e-invoice shows the customer's country; "
                    "complete the site address.",
                    site=site.display_name,
                )
            )
        return reasons

    @api.model
    def _customer_reasons(self, partner):
        """Reasons about the customer of a French e-invoice: its country, SIREN and address."""
        customer = partner.commercial_partner_id
        if not customer.country_id:
            return [self.env._("%(customer)s has no country: complete its address.", customer=customer.display_name)]
        if customer.country_code != "FR":
            return [
                self.env._(
                    "%(customer)s is not a French customer: the invoice is outside French B2B e-invoicing "
                    "(no SIREN, e-reporting instead); check its VAT and how it is sent.",
                    customer=customer.display_name,
                )
            ]
        if not customer._l10n_fr_is_business():
            return []
        siren = customer._l10n_fr_siren()
        if not siren:
            return [
                self.env._(
                    "%(customer)s has no SIREN: enter its SIRET (or SIREN) on the customer; "
                    "French e-invoices require it.",
                    customer=customer.display_name,
                )
            ]
        __, address = partner._l10n_fr_einvoice_address()
        if not address.startswith(siren):
            return [
                self.env._(
                    "The e-invoicing address %(address)s of %(customer)s does not start with its SIREN %(siren)s.",
                    address=address,
                    customer=customer.display_name,
                    siren=siren,
                )
            ]
        return []
