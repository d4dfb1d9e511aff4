from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from .common import FieldInterventionInvoiceCommon


@tagged("-at_install", "post_install")
class TestInvoiceCron(FieldInterventionInvoiceCommon):
    """Grouped policies, batches with progress, and failures isolated per intervention."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.fi_billing_user_id = cls.billing
        cls.customer.intervention_invoice_policy = "weekly"
        cls.cron = cls.env.ref("field_intervention_invoice.ir_cron_field_intervention_invoice")

    def _run_cron(self, batch_size=200):
        __, progress = self.cron._add_progress()
        self.env["field.intervention"].with_context(ir_cron_progress_id=progress.id)._cron_fi_invoice(batch_size)
        return progress

    def test_weekly_grouped_invoice(self):
        with freeze_time("2026-03-12 17:00"):
            tuesday = self._sign(self._create_done_intervention(start=datetime(2026, 3, 10, 8)))
            thursday = self._sign(self._create_done_intervention(start=datetime(2026, 3, 12, 8)))
            self.assertFalse(self._invoice_of(tuesday), "weekly: nothing at signature")
            self._run_cron()
            self.assertFalse(self._invoice_of(tuesday), "the week is not over")
        with freeze_time("2026-03-17 17:00"):
            next_week = self._sign(self._create_done_intervention(start=datetime(2026, 3, 17, 8)))
            progress = self._run_cron()
        invoice = self._invoice_of(tuesday)
        self.assertTrue(invoice)
        self.assertEqual(self._invoice_of(thursday), invoice, "one invoice per customer and week")
        self.assertFalse(self._invoice_of(next_week), "the current week waits")
        sections = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "line_section")
        self.assertEqual(sections.intervention_id, tuesday | thursday, "one section per intervention")
        self.assertEqual(len(invoice.invoice_line_ids.filtered("fi_invoice_claim")), 2)
        self.assertAlmostEqual(invoice.amount_untaxed, 2 * 212.5)
        self.assertEqual(str(invoice.delivery_date), "2026-03-12")
        self.assertEqual((progress.done, progress.remaining), (2, 0))
        self.assertEqual(invoice.invoice_user_id, self.billing, "its mail is signed by billing, not by the action")

    def test_monthly_policy(self):
        self.customer.intervention_invoice_policy = "monthly"
        with freeze_time("2026-03-20 17:00"):
            march = self._sign(self._create_done_intervention(start=datetime(2026, 3, 10, 8)))
            self._run_cron()
            self.assertFalse(self._invoice_of(march))
        with freeze_time("2026-04-01 06:00"):
            self._run_cron()
        self.assertTrue(self._invoice_of(march))

    def test_workers_share_the_backlog(self):
        """A customer another worker is invoicing (its transaction holds the customer) is
        skipped: this worker takes the next customers instead of waiting or doing nothing."""
        second = self._create_customer("Hôtel du Parc", "41234567800019", intervention_invoice_policy="weekly")
        with freeze_time("2026-03-12 17:00"):
            first_job = self._create_done_intervention(start=datetime(2026, 3, 10, 8))
            second_job = self._create_done_intervention(task=self._create_task(second), start=datetime(2026, 3, 10, 8))
            self._sign(first_job | second_job)
        Intervention = self.env["field.intervention"]
        with freeze_time("2026-03-17 17:00"), self.registry.cursor() as other_worker_cr:
            other_worker = Intervention.with_env(Intervention.env(cr=other_worker_cr))
            self.assertTrue(other_worker._fi_try_lock_customer(self.customer.commercial_partner_id.id))
            batch = Intervention._fi_cron_next_batch(Intervention._fi_cron_domain(), batch_size=200)
            self.assertEqual(batch, second_job)
            other_worker_cr.rollback()  # the other worker is done: the customer is free again
            batch = Intervention._fi_cron_next_batch(Intervention._fi_cron_domain(), batch_size=200)
        self.assertEqual(batch, first_job | second_job)

    def test_cron_isolates_failures(self):
        second = self._create_customer("Hôtel du Parc", "41234567800019", intervention_invoice_policy="weekly")
        third = self._create_customer("Garage Central", "39876543200011", intervention_invoice_policy="weekly")
        with freeze_time("2026-03-12 17:00"):
            parts = [(self.part_a, 2.0)]
            ok_1 = self._create_done_intervention(start=datetime(2026, 3, 10, 8), parts=parts)
            broken_group = self._create_done_intervention(start=datetime(2026, 3, 11, 8), parts=parts)
            ok_2 = self._create_done_intervention(
                task=self._create_task(second),
                start=datetime(2026, 3, 10, 8),
                parts=parts,
            )
            archived = self._create_done_intervention(
                task=self._create_task(third),
                start=datetime(2026, 3, 10, 8),
                parts=[(self.part_b, 1.0)],
            )
            self._sign(ok_1 | broken_group | ok_2 | archived)
        self.part_b.action_archive()

        original = type(self.env["field.intervention"])._fi_prepare_invoice_line

        def prepare_line(intervention, item, data):
            if intervention == broken_group:
                raise ValueError("unexpected failure")
            return original(intervention, item, data)

        with (
            freeze_time("2026-03-17 17:00"),
            patch.object(type(self.env["field.intervention"]), "_fi_prepare_invoice_line", prepare_line),
        ):
            first = self._run_cron(batch_size=3)
            second_run = self._run_cron(batch_size=3)

        self.assertEqual((first.done, first.remaining), (3, 1), "whole customers per batch")
        self.assertEqual((second_run.done, second_run.remaining), (1, 0))
        self.assertTrue(self._invoice_of(ok_1), "the rest of a failing group is invoiced")
        self.assertTrue(self._invoice_of(ok_2))
        for failed, reason in ((broken_group, "unexpected failure"), (archived, "is archived")):
            self.assertFalse(self._invoice_of(failed))
            self.assertEqual(failed.sudo().invoice_status, "to_invoice")
            self.assertIn(reason, failed.sudo().invoice_error)
            activity = failed.activity_ids
            self.assertEqual(activity.user_id, self.billing)
            self.assertEqual(activity.summary, "Invoicing failed")
        # errored interventions wait for billing: the next run does not retry them
        progress = self._run_cron()
        self.assertEqual((progress.done, progress.remaining), (0, 0))
