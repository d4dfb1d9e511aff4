import hashlib
import json
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.field_intervention_invoice.tests.common import FieldInterventionInvoiceCommon


@tagged("-at_install", "post_install")
class TestCoverageInvoice(FieldInterventionInvoiceCommon):
    """A maintenance visit's invoice bills only what its contract does not cover, through the
    invoicing's own path; a fully covered visit makes no invoice and is marked once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.part_a.default_code = "F-200"
        cls.boiler = (
            cls.env["field.intervention.equipment"]
            .with_user(cls.tech_a)
            .create({"site_id": cls.site.id, "kind": "gas_boiler", "brand": "Viessmann"})
        )
        cls.today = fields.Date.context_today(cls.env["field.intervention.contract"])

    def _visit(self, **terms):
        """The intervention of a visit planned under a running contract with ``terms``, worked
        (1.5 h), with travel (0.5 h), the contract's listed part and an extra one, done."""
        contract = (
            self.env["field.intervention.contract"]
            .with_user(self.manager)
            .create(
                {
                    "partner_id": self.customer.id,
                    "site_ids": [Command.set(self.site.ids)],
                    "project_id": self.project.id,
                    "user_id": self.tech_a.id,
                    "date_start": self.today - relativedelta(months=1),
                    "line_ids": [Command.create({"equipment_id": self.boiler.id, "first_due_date": self.today})],
                    "covered_product_ids": [Command.set(self.part_a.ids)],
                    **terms,
                }
            )
        )
        contract.action_confirm()
        visit = contract.sudo()._fi_plan_visits(today=self.today)
        intervention = visit.task_id.intervention_ids.with_user(self.tech_a)
        self.assertEqual(intervention.fi_contract_id, contract)
        start = fields.Datetime.now().replace(microsecond=0) - timedelta(hours=3)
        intervention.write(
            {
                "travel_duration": 0.5,
                "work_description": "Entretien annuel de la chaudière.",
                "time_ids": [Command.create({"date_start": start, "date_end": start + timedelta(hours=1.5)})],
                "part_ids": [
                    Command.create({"product_id": self.part_a.id, "quantity": 2.0}),
                    Command.create({"product_id": self.part_b.id, "quantity": 1.0}),
                ],
            }
        )
        intervention.action_done()
        return intervention.with_env(self.env), contract

    def _product_lines(self, intervention):
        return self._invoice_of(intervention).invoice_line_ids.filtered(lambda line: line.display_type == "product")

    def _nothing_messages(self, intervention):
        return intervention.message_ids.filtered(lambda message: "Nothing to bill" in (message.body or ""))

    def test_invoice_carries_only_the_extra_part(self):
        intervention, __ = self._visit(include_labour=True, include_travel=True, parts_policy="listed")
        covered, extra = intervention.part_ids.sorted("id")
        self.assertTrue(covered.fi_covered)
        self.assertFalse(extra.fi_covered)
        self._sign(intervention)
        lines = self._product_lines(intervention)
        self.assertEqual(intervention.sudo().invoice_status, "invoiced")
        self.assertEqual(lines.product_id, self.part_b, "no labour, no travel, no covered part")
        self.assertEqual(lines.quantity, 1.0)
        self.assertEqual(lines.price_unit, 30.0)
        self.assertTrue(lines.fi_invoice_claim, "the extra part's line claims the intervention")
        # the invoicing runs again (scheduled action, a second trigger): no second invoice
        self.env["field.intervention"]._cron_fi_invoice()
        intervention.sudo()._fi_invoice_isolated()
        self.assertEqual(len(self.env["account.move.line"].search([("intervention_id", "=", intervention.id)])), 1)

    def test_billing_opens_the_visit_it_invoices(self):
        """Billing reviews the draft invoice from the intervention's form: the serviced equipment,
        the contract and its certificates are read, not refused (they are the form's fields)."""
        intervention, __ = self._visit(include_labour=True, include_travel=True, parts_policy="listed")
        form = intervention.with_user(self.billing).get_views([(False, "form")])["views"]["form"]["arch"]
        for name in ("equipment_ids", "fi_contract_id", "boiler_certificate_ids"):
            self.assertIn(f'name="{name}"', form)
        (values,) = intervention.with_user(self.billing).web_read(
            {
                "equipment_ids": {"fields": {"display_name": {}}},
                "fi_contract_id": {"fields": {"display_name": {}}},
                "boiler_certificate_ids": {"fields": {"equipment_id": {}, "attachment_id": {}}},
            }
        )
        self.assertEqual(values["fi_contract_id"]["id"], intervention.fi_contract_id.id)
        self.assertEqual([e["id"] for e in values["equipment_ids"]], intervention.equipment_ids.ids)
        # the contract's form, from that link: every field it shows to billing is read, the
        # planning of the visits (the field service's) is not offered, and refused if called
        contract = intervention.fi_contract_id.with_user(self.billing)
        views = contract.get_views([(False, "form")])
        contract.web_read({name: {} for name in views["models"]["field.intervention.contract"]["fields"]})
        self.assertNotIn("action_view_visits", views["views"]["form"]["arch"])
        with self.assertRaises(AccessError):
            contract.action_view_visits()

    def test_extra_work_and_travel_are_billed(self):
        """A contract that includes only the parts: the visit's work and travel are billed."""
        intervention, __ = self._visit(include_labour=False, include_travel=False, parts_policy="all")
        self._sign(intervention)
        lines = self._product_lines(intervention)
        self.assertEqual(lines.product_id, self.labour_product | self.travel_product)
        self.assertAlmostEqual(lines.filtered(lambda line: line.product_id == self.labour_product).quantity, 1.5)

    def test_fully_covered_visit_is_marked_nothing_to_bill_once(self):
        invoices = self.env["account.move"].search([("fi_from_intervention", "=", True)])
        intervention, contract = self._visit(include_labour=True, include_travel=True, parts_policy="all")
        self._sign(intervention)  # the invoicing triggered by the signature
        cron = self.env.ref("field_intervention_invoice.ir_cron_field_intervention_invoice")
        for _attempt in range(2):  # the scheduled action twice: the second run finds nothing
            __, progress = cron._add_progress()
            self.env["field.intervention"].with_context(ir_cron_progress_id=progress.id)._cron_fi_invoice()
        intervention.sudo()._fi_invoice_isolated()
        intervention = intervention.sudo()
        self.assertFalse(intervention.invoice_id)
        self.assertEqual(intervention.invoice_status, "no_quantity")
        self.assertFalse(intervention.invoice_error)
        self.assertFalse(intervention.activity_ids, "nothing for billing to do")
        messages = self._nothing_messages(intervention)
        self.assertEqual(len(messages), 1, "marked once")
        self.assertIn(contract.name, messages.body)
        self.assertEqual(self.env["account.move"].search([("fi_from_intervention", "=", True)]), invoices)

    def test_coverage_is_signed(self):
        intervention, contract = self._visit(include_labour=True, include_travel=False, parts_policy="listed")
        self._sign(intervention, invoice=False)
        signature = intervention.sudo().signature_id
        signed = json.loads(signature.content_canonical)
        self.assertEqual(
            signed["coverage"],
            {
                "contract": contract.name,
                "labour": True,
                "travel": False,
                "parts": "listed",
                "products": [["F-200", "Filtre F-200"]],
            },
        )
        # the hash covers it: the coverage changed behind the locks is not what was signed
        self.env.cr.execute("UPDATE field_intervention SET fi_cover_travel = true WHERE id = %s", [intervention.id])
        intervention.invalidate_recordset(["fi_cover_travel"])
        content = intervention._fi_get_canonical_content()
        self.assertNotEqual(hashlib.sha256(content.encode()).hexdigest(), signature.content_hash)
        self._run_invoicing_triggered_by_signature(intervention)
        intervention = intervention.sudo()
        self.assertFalse(intervention.invoice_id, "billing never leaves off what was not signed as covered")
        self.assertIn("differs from the report the customer signed", intervention.invoice_error)

    def test_part_flag_changed_behind_the_locks_is_refused(self):
        intervention, __ = self._visit(include_labour=True, include_travel=True, parts_policy="listed")
        self._sign(intervention, invoice=False)
        extra = intervention.part_ids.filtered(lambda part: part.product_id == self.part_b)
        self.env.cr.execute("UPDATE field_intervention_part SET fi_covered = true WHERE id = %s", [extra.id])
        extra.invalidate_recordset(["fi_covered"])
        self._run_invoicing_triggered_by_signature(intervention)
        intervention = intervention.sudo()
        self.assertFalse(intervention.invoice_id)
        self.assertNotEqual(intervention.invoice_status, "no_quantity", "not hidden as nothing to bill")
        self.assertIn("what the contract covers", intervention.invoice_error)

    def test_intervention_without_contract_invoices_as_before(self):
        intervention = self._sign(self._create_done_intervention())
        self.assertFalse(intervention.fi_contract_id)
        self.assertNotIn("coverage", json.loads(intervention.sudo().signature_id.content_canonical))
        lines = self._product_lines(intervention)
        self.assertEqual(lines.product_id, self.labour_product | self.travel_product | self.part_a | self.part_b)
