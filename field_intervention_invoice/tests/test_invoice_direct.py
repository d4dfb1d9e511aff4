from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import FieldInterventionInvoiceCommon


@tagged("-at_install", "post_install")
class TestInvoiceDirect(FieldInterventionInvoiceCommon):
    """Direct path (no sale order): labour x pricelist price, travel, parts, taxes."""

    def test_signature_creates_draft_invoice(self):
        intervention = self._create_done_intervention()
        cron = self.env.ref("field_intervention_invoice.ir_cron_field_intervention_invoice")
        Trigger = self.env["ir.cron.trigger"]
        triggers = Trigger.search([("cron_id", "=", cron.id)])
        self._sign(intervention, invoice=False)
        self.assertFalse(intervention.sudo().invoice_id, "the signer does not wait for the invoice")
        self.assertTrue(Trigger.search([("cron_id", "=", cron.id)]) - triggers, "the signature triggers the invoicing")
        self.env["field.intervention"]._cron_fi_invoice()  # what the triggered scheduled action runs
        invoice = self._invoice_of(intervention)
        self.assertTrue(invoice, "the signature creates the draft invoice")
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(intervention.sudo().invoice_status, "invoiced")
        self.assertEqual(invoice.partner_id, self.customer)
        self.assertEqual(invoice.partner_shipping_id, self.site, "the site is the delivery address")
        self.assertEqual(invoice.delivery_date, intervention.intervention_date, "service date")
        self.assertIn(intervention.name, invoice.invoice_origin)

        claim = invoice.invoice_line_ids.filtered("fi_invoice_claim")
        self.assertEqual(claim.product_id, self.labour_product, "the first line claims the intervention")
        self.assertIn("Fournil Lyon", claim.name)

        lines = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        values = {line.product_id: (line.quantity, line.price_unit, line.tax_ids) for line in lines}
        self.assertEqual(
            values[self.labour_product], (2.5, 55.0, self.tax_20), "2 timesheets x 1.25 h at the pricelist price"
        )
        self.assertEqual(values[self.travel_product], (0.5, 40.0, self.tax_20))
        self.assertEqual(values[self.part_a], (2.0, 12.5, self.tax_20))
        self.assertEqual(values[self.part_b], (1.0, 30.0, self.tax_20))
        self.assertTrue(all(intervention.name in line.name for line in lines), "each line names its intervention")
        self.assertEqual(lines.intervention_id, intervention)
        self.assertAlmostEqual(invoice.amount_untaxed, 137.5 + 20.0 + 25.0 + 30.0)
        self.assertAlmostEqual(invoice.amount_tax, 42.5)
        self.assertAlmostEqual(invoice.amount_total, 255.0)

        timesheets = intervention.timesheet_ids
        self.assertEqual(len(timesheets), 2)
        self.assertEqual(timesheets.timesheet_invoice_id, invoice, "timesheets linked as core does")
        self.assertEqual(invoice.fi_check_state, "clean")

        signed_pdf = intervention.signed_pdf_id
        self.assertTrue(signed_pdf, "the signature flow produced the signed report")
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "account.move"), ("res_id", "=", invoice.id)]
        )
        self.assertIn(signed_pdf.checksum, attachments.mapped("checksum"), "signed report attached to the invoice")
        intervention._on_signed_pdf_ready()  # called again (retry cron): attached once
        self.assertEqual(
            self.env["ir.attachment"].search_count([("res_model", "=", "account.move"), ("res_id", "=", invoice.id)]),
            len(attachments),
        )

    def test_lines_created_with_core_amounts(self):
        """The product lines are created with the amounts and tax tags that core's tax sync
        would write on them: the invoice is the one core builds when it computes them itself
        (here with a payment term and a price-included tax)."""
        tax_included = self.env["account.tax"].create(
            {
                "name": "TVA 5,5 % TTC",
                "amount": 5.5,
                "price_include_override": "tax_included",
                "company_id": self.company.id,
            }
        )
        self.part_b.taxes_id = tax_included | self.tax_20
        self.customer.property_payment_term_id = self.env.ref("account.account_payment_term_30days")
        by_core = self._create_done_intervention()
        ours = self._create_done_intervention(start=self.date + timedelta(days=1))
        Move = type(self.env["account.move"])
        with patch.object(Move, "_fi_line_amounts_apply", return_value=False):
            self._sign(by_core)
        applied = []
        original = Move._fi_line_amounts_apply

        def spy(move_model, invoice_vals, line_vals_list):
            applied.append(original(move_model, invoice_vals, line_vals_list))
            return applied[-1]

        with patch.object(Move, "_fi_line_amounts_apply", spy):
            self._sign(ours)
        self.assertEqual(applied, [True], "the lines of this invoice got their amounts at creation")

        def journal_items(invoice):
            return sorted(
                (
                    line.display_type,
                    line.product_id.id,
                    line.account_id.id,
                    line.tax_ids.ids,
                    line.tax_tag_ids.ids,
                    line.tax_line_id.id,
                    line.balance,
                    line.amount_currency,
                    line.price_subtotal,
                    line.price_total,
                    line.tax_base_amount,
                    str(line.date_maturity),
                )
                for line in invoice.line_ids
            )

        expected, invoice = self._invoice_of(by_core), self._invoice_of(ours)
        self.assertTrue(expected and invoice)
        self.assertEqual(journal_items(invoice), journal_items(expected))
        self.assertTrue(invoice.invoice_line_ids.tax_tag_ids, "the French taxes tag the base lines")
        self.assertEqual(
            (invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total),
            (expected.amount_untaxed, expected.amount_tax, expected.amount_total),
        )

    def test_fiscal_position_maps_taxes(self):
        fiscal_position = self.env["account.fiscal.position"].create(
            {
                "name": "Taux réduit",
                "company_id": self.company.id,
                "tax_ids": [Command.create({"tax_src_id": self.tax_20.id, "tax_dest_id": self.tax_10.id})],
            }
        )
        customer = self._create_customer(
            "Mairie de Lyon", "21690123100011", property_account_position_id=fiscal_position.id
        )
        intervention = self._create_done_intervention(task=self._create_task(customer), parts=[], travel=0.0)
        self._sign(intervention)
        invoice = self._invoice_of(intervention)
        self.assertEqual(invoice.fiscal_position_id, fiscal_position)
        line = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        self.assertEqual(line.tax_ids, self.tax_10)
        self.assertAlmostEqual(invoice.amount_total, 137.5 * 1.1)

    def test_reserves_and_zero_price_flagged(self):
        free_part = self.env["product.product"].create(
            {
                "name": "Vis",
                "type": "consu",
                "list_price": 0.0,
                "property_account_income_id": self.income_account.id,
                "taxes_id": [Command.set(self.tax_20.ids)],
            }
        )
        flagged = self._create_done_intervention(parts=[(free_part, 4.0)])
        self._sign(flagged, reserves="Porte de chaufferie rayée")
        clean = self._sign(self._create_done_intervention())
        flagged_invoice, clean_invoice = self._invoice_of(flagged), self._invoice_of(clean)
        self.assertEqual(flagged_invoice.fi_check_state, "to_review")
        self.assertIn("reserves", flagged_invoice.fi_check_reasons)
        self.assertIn("Part without a price: Vis", flagged_invoice.fi_check_reasons)
        self.assertEqual(clean_invoice.fi_check_state, "clean")

        # billing posts the clean ones in one batch, the flagged one stays for review
        invoices = (flagged_invoice | clean_invoice).with_user(self.billing)
        invoices.action_fi_post_clean()
        self.assertEqual(clean_invoice.state, "posted")
        self.assertEqual(flagged_invoice.state, "draft")
        to_review = (
            self.env["account.move"]
            .with_user(self.billing)
            .search([("fi_from_intervention", "=", True), ("fi_check_state", "=", "to_review")])
        )
        self.assertEqual(to_review, flagged_invoice)

    def test_hours_overrun_flagged(self):
        task = self._create_task(self.customer, allocated_hours=1.0)
        intervention = self._sign(self._create_done_intervention(task=task, hours=2.0))
        invoice = self._invoice_of(intervention)
        self.assertEqual(invoice.fi_check_state, "to_review")
        self.assertIn("2.00 h worked for 1.00 h planned", invoice.fi_check_reasons)

    def test_refused_never_invoiced(self):
        intervention = self._create_done_intervention()
        self._sign(intervention, refuse=True)
        self.assertEqual(intervention.state, "disputed")
        self.assertEqual(intervention.sudo().invoice_status, "no")
        self.assertFalse(self._invoice_of(intervention))
        with self.assertRaises(UserError):
            intervention.with_user(self.billing).action_fi_create_invoice()
        self.env["field.intervention"]._cron_fi_invoice()
        self.assertFalse(self._invoice_of(intervention))

    def test_not_billable_policy(self):
        self.project.intervention_invoice_policy = "no"
        intervention = self._sign(self._create_done_intervention())
        self.assertEqual(intervention.state, "signed")
        self.assertEqual(intervention.sudo().invoice_status, "no")
        self.env["field.intervention"]._cron_fi_invoice()
        self.assertFalse(self._invoice_of(intervention))

    def test_partner_override_manual(self):
        self.customer.intervention_invoice_policy = "manual"
        intervention = self._sign(self._create_done_intervention())
        self.assertEqual(intervention.sudo().invoice_policy, "manual")
        self.assertEqual(intervention.sudo().invoice_status, "to_invoice")
        self.env["field.intervention"]._cron_fi_invoice()
        self.assertFalse(self._invoice_of(intervention), "manual: the cron does not invoice")
        action = intervention.with_user(self.billing).action_fi_create_invoice()
        invoice = self._invoice_of(intervention)
        self.assertEqual(action["res_id"], invoice.id)
        # a double click does not invoice twice
        with self.assertRaises(UserError):
            intervention.with_user(self.billing).action_fi_create_invoice()
        self.assertEqual(len(intervention.sudo().invoice_line_ids.move_id), 1)

    def test_cancel_and_reverse_release(self):
        intervention = self._sign(self._create_done_intervention())
        invoice = self._invoice_of(intervention).with_user(self.billing)
        invoice.button_cancel()
        self.assertEqual(intervention.sudo().invoice_status, "to_invoice")
        self.assertFalse(intervention.sudo().invoice_id)
        self.assertIn("was cancelled", intervention.message_ids[0].body)

        intervention.with_user(self.billing).action_fi_create_invoice()
        second = self._invoice_of(intervention).with_user(self.billing)
        self.assertNotEqual(second, invoice)
        with self.assertRaises(UserError):
            invoice.button_draft()  # the intervention is billed by the second invoice now
        second.action_post()
        reversal = second._reverse_moves(cancel=True)
        self.assertEqual(reversal.state, "posted")
        self.assertEqual(intervention.sudo().invoice_status, "to_invoice")
        self.assertIn("was reversed", intervention.message_ids[0].body)
