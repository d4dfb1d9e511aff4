from datetime import date, datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import FieldInterventionInvoiceCommon


@tagged("-at_install", "post_install")
class TestKpi(FieldInterventionInvoiceCommon):
    """Billing KPIs with frozen dates: lead time mean and median, unbilled work, disputes."""

    def _signed_on(self, day, **sign_kwargs):
        with freeze_time(datetime(2026, 3, day, 10, 0)):
            intervention = self._create_done_intervention(start=datetime(2026, 3, day, 7, 0))
            self._sign(intervention, **sign_kwargs)
        return intervention

    def _post_on(self, intervention, day):
        invoice = self._invoice_of(intervention)
        with freeze_time(datetime(2026, 3, day, 16, 0)):
            invoice.invoice_date = date(2026, 3, day)
            invoice.action_post()

    def test_kpi_values(self):
        same_day = self._signed_on(2)
        self._post_on(same_day, 2)
        four_days = self._signed_on(3)
        self._post_on(four_days, 7)
        ten_days = self._signed_on(4)
        self._post_on(ten_days, 14)
        reserved = self._signed_on(5, reserves="Trace sur le mur")  # draft invoice only
        refused = self._signed_on(6, refuse=True)

        Report = self.env["field.intervention.invoice.report"].with_user(self.manager)
        rows = Report.search([("intervention_id", "in", (same_day | four_days | ten_days | reserved | refused).ids)])
        self.assertEqual(len(rows), 5)
        by_intervention = {row.intervention_id: row for row in rows}
        self.assertEqual(by_intervention[four_days].lead_time, 4.0)
        self.assertEqual(by_intervention[refused].dispute_rate, 100.0)
        self.assertAlmostEqual(by_intervention[reserved].unbilled_value, 212.5)
        [group] = Report.read_group(
            [("id", "in", rows.ids)],
            ["lead_time:avg", "unbilled_value:sum", "dispute_rate:avg", "invoiced_rate:avg", "signed_count:sum"],
            [],
        )
        self.assertAlmostEqual(group["lead_time"], 14.0 / 3)
        self.assertAlmostEqual(group["unbilled_value"], 212.5)
        self.assertAlmostEqual(group["dispute_rate"], 40.0)
        self.assertAlmostEqual(group["invoiced_rate"], 75.0)
        self.assertEqual(group["signed_count"], 4)

        Kpi = self.env["field.intervention.invoice.kpi"].with_user(self.manager)
        Kpi.action_fi_refresh()  # the figures are computed at a refresh (the dashboard's button)
        month = Kpi.search(
            [
                ("dimension", "=", "all"),
                ("month", "=", "2026-03-01"),
                ("company_id", "=", self.company.id),
            ]
        )
        self.assertEqual(len(month), 1)
        self.assertAlmostEqual(month.lead_time_mean, 14.0 / 3)
        self.assertEqual(month.lead_time_median, 4.0)
        self.assertEqual((month.presented_count, month.signed_count, month.invoiced_count), (5, 4, 3))
        self.assertAlmostEqual(month.dispute_rate, 40.0)
        self.assertAlmostEqual(month.invoiced_rate, 75.0)
        self.assertAlmostEqual(month.unbilled_value, 212.5)
        self.assertAlmostEqual(month.signed_value, 4 * 212.5)
        technician = Kpi.search(
            [("dimension", "=", "technician"), ("month", "=", "2026-03-01"), ("technician_id", "=", self.tech_a.id)]
        )
        self.assertEqual(technician.lead_time_median, 4.0)
        customer = Kpi.search(
            [("dimension", "=", "customer"), ("month", "=", "2026-03-01"), ("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(customer.invoiced_count, 3)
        project = Kpi.search(
            [("dimension", "=", "project"), ("month", "=", "2026-03-01"), ("project_id", "=", self.project.id)]
        )
        self.assertEqual(project.presented_count, 5)

    def test_kpi_figures_change_at_refresh_only(self):
        """The dashboard reads the figures of the last refresh (a materialized view), not the
        live ones: a signed intervention counts from the next refresh on."""
        self._signed_on(2)
        Kpi = self.env["field.intervention.invoice.kpi"].with_user(self.manager)
        domain = [("dimension", "=", "all"), ("month", "=", "2026-03-01"), ("company_id", "=", self.company.id)]
        Kpi.action_fi_refresh()
        before = Kpi.search(domain)
        self.assertEqual(len(before), 1)
        self.assertLessEqual(abs((before.computed_at - self.env.cr.now()).total_seconds()), 1.0)
        presented, signed = before.presented_count, before.signed_count

        self._signed_on(3)
        self._signed_on(4, refuse=True)
        unchanged = Kpi.search(domain)
        self.assertEqual((unchanged.presented_count, unchanged.signed_count), (presented, signed))

        # the dashboards' scheduled action: one action for every dashboard's view
        cron = self.env.ref("field_intervention_invoice.ir_cron_field_intervention_invoice_kpi_refresh")
        self.assertEqual(cron.code, "model._cron_fi_refresh_dashboards()")
        cron.method_direct_trigger()
        # background work on one core: PostgreSQL's parallel workers are left to the users
        self.env.cr.execute("SHOW max_parallel_workers_per_gather")
        self.assertEqual(self.env.cr.fetchone()[0], "0")
        after = Kpi.search(domain)
        self.assertEqual((after.presented_count, after.signed_count), (presented + 2, signed + 1))
        technician = Kpi.search(domain[1:] + [("dimension", "=", "technician"), ("technician_id", "=", self.tech_a.id)])
        self.assertEqual(technician.presented_count, presented + 2)
