from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import FieldInterventionInvoiceCommon

SECONDS = 4 / 3600.0  # two technicians x 4 seconds: 0.0022 h, 0.00 once rounded as invoice quantities


@tagged("-at_install", "post_install")
class TestNothingToBill(FieldInterventionInvoiceCommon):
    """An intervention whose signed report bills nothing (a few seconds of time, no part, no
    travel) makes no invoice: it is marked once as having no billable quantity."""

    def _nothing_to_bill(self, **vals):
        return self._create_done_intervention(hours=SECONDS, parts=[], travel=0.0, **vals)

    def _intervention_invoices(self):
        return self.env["account.move"].search([("fi_from_intervention", "=", True)])

    def _nothing_messages(self, intervention):
        return intervention.message_ids.filtered(lambda message: "Nothing to bill" in (message.body or ""))

    def assertMarkedOnce(self, intervention):
        intervention = intervention.sudo()
        self.assertFalse(intervention.invoice_id)
        self.assertEqual(intervention.invoice_status, "no_quantity")
        self.assertTrue(intervention.invoice_no_quantity)
        self.assertFalse(intervention.invoice_error, "not an error for billing to solve")
        self.assertFalse(intervention.activity_ids, "nothing for billing to do")
        self.assertEqual(len(self._nothing_messages(intervention)), 1, "the chatter says it once")

    def test_signature_path_marks_once_no_invoice(self):
        invoices = self._intervention_invoices()
        intervention = self._sign(self._nothing_to_bill())  # the invoicing triggered by the signature
        self.assertMarkedOnce(intervention)
        # the scheduled action and a second invoicing run change nothing
        self.env["field.intervention"]._cron_fi_invoice()
        self._run_invoicing_triggered_by_signature(intervention)
        intervention.sudo()._fi_invoice_isolated()
        self.assertMarkedOnce(intervention)
        self.assertEqual(self._intervention_invoices(), invoices, "no 0.00 invoice in billing's queue")
        Intervention = self.env["field.intervention"].with_user(self.billing)
        self.assertNotIn(intervention, Intervention.search([("invoice_status", "=", "to_invoice")]))
        self.assertIn(intervention, Intervention.search([("invoice_status", "=", "no_quantity")]))

    def test_direct_action_marks_once_no_invoice(self):
        self.customer.intervention_invoice_policy = "manual"
        intervention = self._sign(self._nothing_to_bill())
        self.assertEqual(intervention.sudo().invoice_status, "to_invoice", "manual: waits for billing")
        action = intervention.with_user(self.billing).action_fi_create_invoice()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("Nothing to bill", action["params"]["message"])
        self.assertMarkedOnce(intervention)
        with self.assertRaises(UserError):  # a second click: no longer to invoice
            intervention.with_user(self.billing).action_fi_create_invoice()
        self.assertMarkedOnce(intervention)

    def test_batch_marks_once_and_invoices_the_billable_ones(self):
        """Weekly batch of one customer: the intervention without quantity is marked, a few
        seconds with a part still invoices the part (no 0.00 labour line), a normal one bills."""
        self.customer.intervention_invoice_policy = "weekly"
        with freeze_time("2026-03-12 17:00"):
            nothing = self._sign(self._nothing_to_bill(start=datetime(2026, 3, 10, 8)))
            seconds_and_part = self._sign(
                self._create_done_intervention(
                    start=datetime(2026, 3, 11, 8), hours=SECONDS, parts=[(self.part_a, 1.0)], travel=0.0
                )
            )
            normal = self._sign(self._create_done_intervention(start=datetime(2026, 3, 12, 8)))
        cron = self.env.ref("field_intervention_invoice.ir_cron_field_intervention_invoice")
        with freeze_time("2026-03-17 06:00"):
            for _attempt in range(2):  # the second run finds nothing to do
                __, progress = cron._add_progress()
                self.env["field.intervention"].with_context(ir_cron_progress_id=progress.id)._cron_fi_invoice()
        self.assertMarkedOnce(nothing)
        invoice = self._invoice_of(normal)
        self.assertTrue(invoice)
        self.assertEqual(self._invoice_of(seconds_and_part), invoice, "one invoice for the customer's week")
        self.assertEqual(invoice.invoice_line_ids.intervention_id, seconds_and_part | normal)
        part_only = invoice.invoice_line_ids.filtered(
            lambda line: line.intervention_id == seconds_and_part and line.display_type == "product"
        )
        self.assertEqual(part_only.product_id, self.part_a, "no 0.00 labour line")
        self.assertAlmostEqual(part_only.price_subtotal, 12.5)
        self.assertEqual(self.env["account.move"].search_count([("fi_from_intervention", "=", True)]), 1)

    def test_sale_order_path(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "pricelist_id": self.pricelist.id,
                "order_line": [Command.create({"product_id": self.labour_product.id, "product_uom_qty": 10.0})],
            }
        )
        order.action_confirm()
        task = self._create_task(self.customer, self.site, sale_line_id=order.order_line.id)
        intervention = self._sign(self._nothing_to_bill(task=task))
        self.assertMarkedOnce(intervention)
        self.assertFalse(order.invoice_ids)

    def test_kpis_leave_it_out_of_invoicing_rates(self):
        with freeze_time("2026-03-12 17:00"):
            nothing = self._sign(self._nothing_to_bill(start=datetime(2026, 3, 10, 8)))
            billed = self._sign(self._create_done_intervention(start=datetime(2026, 3, 11, 8)))
            invoice = self._invoice_of(billed)
            invoice.invoice_date = "2026-03-12"
            invoice.action_post()
        Report = self.env["field.intervention.invoice.report"].with_user(self.manager)
        row = Report.search([("intervention_id", "=", nothing.id)])
        self.assertEqual((row.signed_count, row.no_quantity_count, row.invoiced_count), (1, 1, 0))
        self.assertEqual((row.signed_value, row.unbilled_value), (0.0, 0.0))
        [group] = Report.read_group([("intervention_id", "in", (nothing | billed).ids)], ["invoiced_rate:avg"], [])
        self.assertAlmostEqual(group["invoiced_rate"], 100.0, msg="its rate is not applicable (NULL), not 0 %")
        Kpi = self.env["field.intervention.invoice.kpi"].with_user(self.manager)
        Kpi.action_fi_refresh()
        kpi = Kpi.search(
            [("dimension", "=", "customer"), ("month", "=", "2026-03-01"), ("partner_id", "=", self.customer.id)]
        )
        self.assertEqual((kpi.signed_count, kpi.invoiced_count, kpi.no_quantity_count), (2, 1, 1))
        self.assertAlmostEqual(kpi.invoiced_rate, 100.0, msg="every intervention with something to bill is billed")
        self.assertAlmostEqual(kpi.unbilled_value, 0.0)
