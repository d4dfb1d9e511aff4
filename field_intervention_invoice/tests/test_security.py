from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import FieldInterventionInvoiceCommon


@tagged("-at_install", "post_install")
class TestSecurity(FieldInterventionInvoiceCommon):
    """Technicians never see invoices or billing data; billing users see and post."""

    def test_technician_sees_no_invoice(self):
        intervention = self._sign(self._create_done_intervention())
        invoice = self._invoice_of(intervention)
        self.assertTrue(invoice, "the technician's signature created the invoice")
        as_tech = intervention.with_user(self.tech_a)
        self.assertEqual(as_tech.state, "signed")
        for field_name in ("invoice_id", "invoice_status", "invoice_line_ids", "invoice_error"):
            with self.assertRaises(AccessError):
                as_tech.read([field_name])
        with self.assertRaises(AccessError):
            invoice.with_user(self.tech_a).read(["amount_total"])
        with self.assertRaises(AccessError):
            as_tech.action_fi_create_invoice()
        with self.assertRaises(AccessError):
            self.env["field.intervention.invoice.report"].with_user(self.tech_a).search([])
        with self.assertRaises(AccessError):
            self.env["field.intervention.invoice.kpi"].with_user(self.tech_a).search([])
        arch = as_tech.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn('name="invoice_id"', arch)
        self.assertNotIn("action_fi_create_invoice", arch)

    def test_billing_user_invoices_and_posts(self):
        self.customer.intervention_invoice_policy = "manual"
        intervention = self._sign(self._create_done_intervention())
        as_billing = intervention.with_user(self.billing)
        self.assertEqual(as_billing.invoice_status, "to_invoice")
        arch = as_billing.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("action_fi_create_invoice", arch)
        as_billing.action_fi_create_invoice()
        invoice = as_billing.invoice_id
        self.assertEqual(invoice.create_uid, self.billing)
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertTrue(
            self.env["field.intervention.invoice.report"]
            .with_user(self.billing)
            .search([("intervention_id", "=", intervention.id)])
        )
