from collections import defaultdict

from odoo import api, models
from odoo.tools import float_is_zero


class SaleOrderLine(models.Model):
    """The sale order path of the invoicing: an intervention whose mission is sold on a
    confirmed order delivers its travel and parts on the order lines (its hours are delivered
    by its timesheets, as sale_timesheet does), and is invoiced from the order lines, for its
    own quantities only."""

    _inherit = "sale.order.line"

    @api.model
    def _fi_deliver_interventions(self, interventions, data):
        """Record travel and parts of the interventions as delivered quantities on the sale
        orders of their missions; add an order line when the order has none for the product.
        The order line of each item is remembered in ``data.sale_items``."""
        new_lines, increments = [], defaultdict(float)
        for intervention in interventions.filtered(data.sale_line):
            order = data.sale_line(intervention).order_id
            for index, item in enumerate(data.items(intervention)):
                sale_line = order.order_line.filtered(
                    lambda line, item=item: (
                        line.product_id == item.product and not line.display_type and not line.is_downpayment
                    )
                )[:1]
                if sale_line and sale_line.product_id.invoice_policy != "delivery":
                    continue  # sold on ordered quantities: invoiced with the order
                if sale_line:
                    data.sale_items[intervention.id, index] = sale_line
                    if sale_line.qty_delivered_method == "manual":
                        increments[sale_line] += item.uom._compute_quantity(
                            item.quantity, sale_line.product_uom, round=False
                        )
                    continue
                new_lines.append(((intervention.id, index), self._fi_prepare_delivered_line(order, item)))
        if new_lines:
            created = self.create([vals for __, vals in new_lines])
            for (key, __), sale_line in zip(new_lines, created, strict=True):
                data.sale_items[key] = sale_line
        for sale_line, quantity in increments.items():
            sale_line.qty_delivered += quantity

    @api.model
    def _fi_prepare_delivered_line(self, order, item):
        """Values of the order line of an item the order did not sell (delivered, not ordered)."""
        return {
            "order_id": order.id,
            "product_id": item.product.id,
            "name": item.name,
            "product_uom": item.uom.id,
            "product_uom_qty": 0.0,
            "qty_delivered": item.quantity,
            "sequence": max(order.order_line.mapped("sequence") or [10]) + 1,
        }

    @api.model
    def _fi_intervention_quantities(self, intervention, data):
        """{sale line: quantity in its unit} of the intervention's timesheets on sale lines
        invoiced on delivery."""
        result = {}
        time_uom = intervention.company_id.project_time_mode_id
        for (intervention_id, sale_line_id), hours in data.sale_hours.items():
            if intervention_id != intervention.id or not hours:
                continue
            sale_line = self.browse(sale_line_id)
            if sale_line.product_id.invoice_policy != "delivery":
                continue  # ordered quantities are invoiced with the order, not per intervention
            quantity = time_uom._compute_quantity(hours, sale_line.product_uom, round=False)
            if not float_is_zero(quantity, precision_digits=data.quantity_digits):
                result[sale_line] = quantity
        return result

    @api.model
    def _fi_prepare_intervention_invoice_lines(self, intervention, data):
        """Invoice line values of the intervention from its order lines: the hours of its
        timesheets, then its travel and parts delivered by :meth:`_fi_deliver_interventions`."""
        quantities = list(self._fi_intervention_quantities(intervention, data).items())
        for index, item in enumerate(data.items(intervention)):
            sale_line = data.sale_items.get((intervention.id, index))
            if sale_line:
                quantities.append(
                    (sale_line, item.uom._compute_quantity(item.quantity, sale_line.product_uom, round=False))
                )
        reference = data.reference_label(intervention)
        return [
            sale_line._fi_prepare_intervention_invoice_line(intervention, quantity, reference)
            for sale_line, quantity in quantities
        ]

    def _fi_prepare_intervention_invoice_line(self, intervention, quantity, reference):
        """Values of the invoice line billing ``quantity`` of this order line for the
        intervention (core's ``_prepare_invoice_line``, named after the intervention)."""
        self.ensure_one()
        return self._prepare_invoice_line(
            quantity=quantity,
            name=f"{self.name}\n{reference}",
            intervention_id=intervention.id,
        )
