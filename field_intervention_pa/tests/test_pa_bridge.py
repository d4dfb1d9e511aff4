from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import FieldInterventionPaCommon


@tagged("-at_install", "post_install")
class TestPaBridge(FieldInterventionPaCommon):
    """Invoices born from interventions on their way to cash through the (fake) platform."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.fi_pa_stuck_days = 5

    def _deposited_invoice(self, day):
        with freeze_time(datetime(2026, 3, day, 10, 0)):
            intervention = self._create_done_intervention(start=datetime(2026, 3, day, 7, 0))
            self._sign(intervention)
        invoice = self._invoice_of(intervention)
        with freeze_time(datetime(2026, 3, day + 1, 9, 0)):
            invoice.invoice_date = date(2026, 3, day + 1)
            invoice.action_post()
            self.pa.submitted_at = f"2026-03-{day + 1:02d}T10:00:00Z"
            self.env["l10n_fr_pa.flow"]._cron_deposit()
        self.assertEqual(invoice.l10n_fr_pa_deposit_state, "sent")
        return intervention, invoice

    def test_refusal_flags_intervention(self):
        intervention, invoice = self._deposited_invoice(2)
        self.assertFalse(intervention.fi_pa_attention)
        self.pa.add_lifecycle(invoice, "210", datetime(2026, 3, 5, 9, 0), reason_code="PRIX", reason="Tarif erroné")
        self.env["l10n_fr_pa.flow"]._cron_poll_lifecycle()
        intervention.invalidate_recordset(["fi_pa_status", "fi_pa_attention"])
        self.assertTrue(intervention.with_user(self.manager).fi_pa_attention)
        self.assertEqual(intervention.with_user(self.tech_a).fi_pa_status, "210")
        self.assertIn("Tarif erroné", intervention.message_ids[0].body)
        self.assertEqual(invoice.activity_ids.user_id, self.billing, "the company's billing responsible")

    def _collect(self, invoice, when):
        """The customer pays the whole invoice on ``when``: our 212 Encaissée is deposited."""
        with freeze_time(when):
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"payment_date": when.date()})._create_payments()
            self.pa.submitted_at = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            self.env["l10n_fr_pa.flow"]._cron_deposit()
        self.assertEqual(invoice.l10n_fr_pa_cash_date, when)

    def test_to_cash_kpis_and_stuck_list(self):
        __, fast = self._deposited_invoice(2)  # signed on the 2nd, deposited on the 3rd
        self.pa.add_lifecycle(fast, "205", datetime(2026, 3, 5, 10, 0))
        __, slow = self._deposited_invoice(4)  # signed on the 4th, deposited on the 5th
        self.pa.add_lifecycle(slow, "205", datetime(2026, 3, 9, 10, 0))
        __, stuck = self._deposited_invoice(6)  # deposited on the 7th, never approved
        with freeze_time(datetime(2026, 3, 10, 12, 0)):
            self.env["l10n_fr_pa.flow"]._cron_poll_lifecycle()
        self._collect(fast, datetime(2026, 3, 12, 10, 0))
        self._collect(slow, datetime(2026, 3, 25, 10, 0))

        # The report and its KPIs compare with PostgreSQL's NOW() (the transaction's time, cr.now()):
        # Python's clock is frozen there too. The stuck invoice has waited since its deposit on
        # 7 March 2026, more than the 5 days allowed, whatever the day.
        with freeze_time(self.env.cr.now()):
            report = self.env["field.intervention.cash.report"].with_user(self.billing)
            rows = {row.invoice_id: row for row in report.search([("invoice_id", "in", (fast | slow | stuck).ids)])}
            self.assertEqual(len(rows), 3)
            self.assertAlmostEqual(rows[fast].sign_to_deposit, 1.0)
            self.assertAlmostEqual(rows[fast].deposit_to_acceptance, 2.0)
            self.assertAlmostEqual(rows[fast].acceptance_to_cash, 7.0)
            self.assertAlmostEqual(rows[fast].sign_to_cash, 10.0)
            self.assertFalse(rows[fast].is_stuck)
            self.assertEqual(rows[stuck].stuck_step, "acceptance")
            self.assertTrue(rows[stuck].is_stuck)
            waited = (self.env.cr.now() - datetime(2026, 3, 7, 10, 0)).total_seconds() / 86400
            self.assertAlmostEqual(rows[stuck].waiting_days, waited, places=4)
            self.assertEqual(
                report.search([("is_stuck", "=", True), ("id", "in", [r.id for r in rows.values()])]).invoice_id, stuck
            )

            kpi = self.env["field.intervention.cash.kpi"].with_user(self.manager)
            kpi.action_fi_refresh()  # the figures are computed at a refresh (the dashboard's button)
            (month,) = kpi.search(
                [("dimension", "=", "all"), ("month", "=", "2026-03-01"), ("company_id", "=", self.company.id)]
            )
            self.assertEqual((month.invoice_count, month.cashed_count, month.stuck_count), (3, 2, 1))
            # signature to collection: 10 days and 21 days
            self.assertAlmostEqual(month.sign_to_cash_mean, 15.5)
            self.assertAlmostEqual(month.sign_to_cash_median, 15.5)
            self.assertAlmostEqual(month.sign_to_deposit_median, 1.0)
            by_customer = kpi.search([("dimension", "=", "customer"), ("partner_id", "=", self.customer.id)])
            self.assertEqual(by_customer.invoice_count, 3)
            by_technician = kpi.search([("dimension", "=", "technician"), ("technician_id", "!=", False)])
            self.assertEqual(sum(by_technician.mapped("invoice_count")), 3)

            # the users of another company see none of these invoices
            other = self.env["res.company"].create({"name": "Autre Société"})
            (self.billing | self.manager).write({"company_ids": [Command.link(other.id)]})
            invoices = fast | slow | stuck
            self.assertFalse(report.with_company(other).search([("invoice_id", "in", invoices.ids)]))
            self.assertFalse(kpi.with_company(other).search([("company_id", "=", self.company.id)]))

    def test_to_cash_kpis_change_at_refresh_only(self):
        """The to-cash dashboard reads the figures of the last refresh (a materialized view),
        refreshed by managers only: an invoice counts from the next refresh on."""
        kpi = self.env["field.intervention.cash.kpi"]
        for user in (self.tech_a, self.billing):
            with self.assertRaises(AccessError):
                kpi.with_user(user).action_fi_refresh()
        kpi = kpi.with_user(self.manager)
        domain = [("dimension", "=", "all"), ("month", "=", "2026-03-01"), ("company_id", "=", self.company.id)]
        self._deposited_invoice(2)
        kpi.action_fi_refresh()
        (before,) = kpi.search(domain)
        self.assertLessEqual(abs((before.computed_at - self.env.cr.now()).total_seconds()), 1.0)
        count = before.invoice_count
        self._deposited_invoice(3)
        self.assertEqual(kpi.search(domain).invoice_count, count)
        # the dashboards' scheduled action (field_intervention_invoice's) refreshes this view too
        self.env.ref(
            "field_intervention_invoice.ir_cron_field_intervention_invoice_kpi_refresh"
        ).method_direct_trigger()
        self.assertEqual(kpi.search(domain).invoice_count, count + 1)

    def test_collection_declared_elsewhere_is_no_collection(self):
        """A 212 Encaissée that arrives from outside on an unpaid invoice is recorded with an
        error: the invoice is not collected and stays on the stuck list."""
        __, invoice = self._deposited_invoice(2)
        self.pa.add_lifecycle(invoice, "212", datetime(2026, 3, 4, 10, 0), amount=invoice.amount_total)
        with freeze_time(datetime(2026, 3, 4, 11, 0)):
            self.env["l10n_fr_pa.flow"]._cron_poll_lifecycle()
        self.assertTrue(invoice.l10n_fr_pa_status_ids.error)
        self.assertFalse(invoice.l10n_fr_pa_cash_date)
        with freeze_time(datetime(2026, 3, 31, 10, 0)):
            (row,) = (
                self.env["field.intervention.cash.report"]
                .with_user(self.billing)
                .search([("invoice_id", "=", invoice.id)])
            )
            self.assertEqual((row.stuck_step, row.is_stuck), ("acceptance", True))

    def test_deposited_invoice_is_corrected_by_a_credit_note(self):
        """Billing cannot cancel a deposited invoice (its interventions would be billed twice):
        the credit note, deposited too, releases them."""
        intervention, invoice = self._deposited_invoice(2)
        with self.assertRaises(UserError):
            invoice.with_user(self.billing).button_cancel()
        with self.assertRaises(UserError):
            invoice.with_user(self.billing).button_draft()
        self.assertEqual((invoice.state, intervention.sudo().invoice_status), ("posted", "invoiced"))
        with freeze_time(datetime(2026, 3, 10, 9, 0)):
            reversal = (
                self.env["account.move.reversal"]
                .with_user(self.billing)
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"journal_id": invoice.journal_id.id, "reason": "Tarif erroné"})
            )
            refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
            refund.with_user(self.billing).action_post()
            self.env["l10n_fr_pa.flow"]._cron_deposit()
        self.assertEqual(refund.l10n_fr_pa_deposit_state, "sent")
        self.assertEqual(intervention.sudo().invoice_status, "to_invoice", "the credit note released it")
        with self.assertRaises(UserError):
            refund.with_user(self.billing).button_draft()
