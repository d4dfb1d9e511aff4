import base64

from odoo.exceptions import AccessError, UserError
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

    def test_only_managers_refresh_the_dashboard(self):
        """The billing dashboard's Refresh button: managers only (billing reads the figures of
        the scheduled refresh)."""
        Kpi = self.env["field.intervention.invoice.kpi"]
        for user in (self.tech_a, self.billing):
            with self.assertRaises(AccessError):
                Kpi.with_user(user).action_fi_refresh()
        self.assertEqual(Kpi.with_user(self.manager).action_fi_refresh()["tag"], "soft_reload")

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

    def test_signed_report_copy_on_invoice_protected(self):
        """The invoice's copy of the signed report is kept as the evidence is: billing reads it
        but can neither rewrite, rename, move nor delete it; deleting the draft invoice takes
        its copy with it."""
        self.env["res.lang"]._activate_lang("fr_FR")
        intervention = self._sign(self._create_done_intervention())
        invoice = self._invoice_of(intervention)
        evidence = intervention.signed_pdf_id
        Attachment = self.env["ir.attachment"]
        on_invoice = [("res_model", "=", "account.move"), ("res_id", "=", invoice.id)]
        copy = Attachment.search([*on_invoice, ("checksum", "=", evidence.checksum)])
        self.assertEqual(len(copy), 1, "the signed report is attached to the invoice")
        as_billing = copy.with_user(self.billing)
        self.assertEqual(as_billing.raw, evidence.raw, "billing reads the copy")
        forged = b"%PDF-1.4 forged report"
        for vals in (
            {"datas": base64.b64encode(forged)},
            {"raw": forged},
            {"name": "rapport-corrige.pdf"},
            {"mimetype": "text/plain"},
            {"res_model": "res.partner", "res_id": self.customer.id},
            {"res_id": invoice.id + 1},
            {"type": "url", "url": "https://example.com/rapport.pdf"},
        ):
            with self.subTest(vals=list(vals)), self.assertRaisesRegex(UserError, "cannot be modified"):
                as_billing.write(vals)
        with self.assertRaisesRegex(UserError, "il ne peut pas être supprimé"):
            as_billing.with_context(lang="fr_FR").unlink()
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            copy.sudo().unlink()
        as_billing.write({"description": "Vu par la facturation", "name": copy.name})  # nothing changes the copy
        self.assertEqual((copy.raw, copy.res_model, copy.res_id), (evidence.raw, "account.move", invoice.id))
        # an attachment of the invoice that is not the copy stays the billing's to change
        note = Attachment.with_user(self.billing).create(
            {"name": "note.txt", "raw": b"note", "res_model": "account.move", "res_id": invoice.id}
        )
        note.write({"raw": b"note 2", "name": "note-2.txt"})
        note.unlink()
        invoice.with_user(self.billing).unlink()
        self.assertFalse(copy.exists(), "the invoice's deletion takes its copy with it")
        self.assertTrue(evidence.exists())
