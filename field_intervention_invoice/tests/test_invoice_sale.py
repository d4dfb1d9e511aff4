import facturx
from lxml import etree

from odoo import Command
from odoo.tests import tagged

from odoo.addons.l10n_fr_invoice.tools.einvoice_check import NS

from .common import FieldInterventionInvoiceCommon


@tagged("-at_install", "post_install")
class TestInvoiceSaleOrder(FieldInterventionInvoiceCommon):
    """Sale order path: deliveries on the order lines, invoice of this intervention only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "pricelist_id": cls.pricelist.id,
                "order_line": [
                    Command.create({"product_id": cls.labour_product.id, "product_uom_qty": 10.0}),
                    Command.create({"product_id": cls.part_a.id, "product_uom_qty": 5.0}),
                ],
            }
        )
        cls.order.action_confirm()
        cls.service_line, cls.part_line = cls.order.order_line
        cls.sold_task = cls._create_task(cls.customer, cls.site, sale_line_id=cls.service_line.id)

    def test_invoice_through_sale_order(self):
        # another delivery on the same order, not from the intervention: 3 h of timesheet
        other_timesheet = self.env["account.analytic.line"].create(
            {
                "name": "Diagnostic à distance",
                "task_id": self.sold_task.id,
                "project_id": self.project.id,
                "employee_id": self.tech_a.employee_ids.id,
                "unit_amount": 3.0,
            }
        )
        self.assertEqual(other_timesheet.so_line, self.service_line)
        intervention = self._create_done_intervention(task=self.sold_task)
        self.assertEqual(intervention.timesheet_ids.so_line, self.service_line)
        self._sign(intervention)

        invoice = self._invoice_of(intervention)
        self.assertTrue(invoice)
        lines = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        quantities = {line.sale_line_ids: line.quantity for line in lines}
        self.assertEqual(quantities[self.service_line], 2.5, "only this intervention's hours")
        self.assertEqual(quantities[self.part_line], 2.0)
        new_lines = self.order.order_line - self.service_line - self.part_line
        self.assertEqual(
            set(new_lines.product_id.ids),
            {self.part_b.id, self.travel_product.id},
            "parts and travel missing on the order are added",
        )
        for line in new_lines:
            self.assertEqual(quantities[line], line.qty_delivered)
        self.assertEqual(lines.intervention_id, intervention)
        self.assertEqual(invoice.partner_shipping_id, self.site)
        self.assertIn(self.order.name, invoice.invoice_origin)

        self.assertEqual(self.service_line.qty_delivered, 5.5)
        self.assertEqual(self.service_line.qty_invoiced, 2.5)
        self.assertEqual(self.service_line.qty_to_invoice, 3.0)
        self.assertEqual(self.part_line.qty_delivered, 2.0)
        self.assertEqual(self.part_line.qty_invoiced, 2.0)
        self.assertAlmostEqual(invoice.amount_untaxed, 2.5 * 55.0 + 2 * 12.5 + 30.0 + 0.5 * 40.0)
        self.assertEqual(intervention.timesheet_ids.timesheet_invoice_id, invoice)
        self.assertFalse(other_timesheet.timesheet_invoice_id, "other deliveries are not swept in")
        self.assertEqual(self.order.invoice_status, "to invoice")

        # the order's own invoicing takes the rest only
        order_invoice = self.order._create_invoices()
        order_lines = order_invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        self.assertEqual(order_lines.sale_line_ids, self.service_line)
        self.assertEqual(order_lines.quantity, 3.0)
        self.assertEqual(other_timesheet.timesheet_invoice_id, order_invoice)
        self.assertEqual(self.order.invoice_status, "no", "nothing left to invoice (not all ordered hours delivered)")

    def test_down_payment_invoice_is_typed_as_such(self):
        """A down payment of the order is a French "facture d'acompte" (BT-3 386): its e-invoice
        passes the French checks; the final invoice deducts it and is an ordinary invoice."""
        wizard = (
            self.env["sale.advance.payment.inv"]
            .with_context(active_model="sale.order", active_ids=self.order.ids)
            .create({"advance_payment_method": "percentage", "amount": 30.0})
        )
        down_payment = self.env["account.move"].browse(wizard.create_invoices()["res_id"])
        down_payment.action_post()
        self.assertTrue(down_payment._is_downpayment())
        xml, __ = self.env["account.edi.xml.cii"]._export_invoice(down_payment)
        self.assertTrue(facturx.xml_check_xsd(xml, flavor="factur-x", level="extended"), "XSD (EXTENDED)")
        self.assertEqual(etree.fromstring(xml).findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS), "386")
        self.assertEqual(down_payment._l10n_fr_check_einvoice(), [])
