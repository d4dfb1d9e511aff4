from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import MaintenanceCommon


@tagged("-at_install", "post_install")
class TestPlanning(MaintenanceCommon):
    def _plan(self, contract, today=None):
        return contract._fi_plan_visits(today=today)

    def test_due_dates_per_periodicity(self):
        contract = self._create_contract([(self.boiler, "yearly", 0)], confirm=False)
        line = contract.line_ids
        until = date(2031, 12, 31)
        expected = {
            "yearly": [date(2027, 8, 31), date(2028, 8, 31), date(2029, 8, 31), date(2030, 8, 31), date(2031, 8, 31)],
            "biennial": [date(2027, 8, 31), date(2029, 8, 31), date(2031, 8, 31)],
            # counted from the first date: no drift to the 28th after February
            "semiannual": [date(2027, 8, 31), date(2028, 2, 29), date(2028, 8, 31), date(2029, 2, 28)],
        }
        for periodicity, dates in expected.items():
            line.write({"periodicity": periodicity, "first_due_date": date(2027, 8, 31)})
            self.assertEqual(line._fi_due_dates(until)[: len(dates)], dates, periodicity)
        self.assertEqual(line._fi_due_dates(date(2027, 8, 30)), [])

    def test_horizon(self):
        contract = self._create_contract(
            [(self.boiler, "yearly", 10), (self.heat_pump, "biennial", 40)], user_id=self.tech_a.id
        )
        visits = self._plan(contract)
        self.assertEqual(visits.equipment_id, self.boiler, "only the visit due within 30 days")
        self.assertEqual(visits.due_date, self.today + relativedelta(days=10))
        self.company.fi_maintenance_horizon_days = 45
        visits = self._plan(contract)
        self.assertEqual(visits.equipment_id, self.heat_pump)
        self.assertEqual(len(contract.visit_ids), 2)

    def test_mission_of_a_visit(self):
        contract = self._create_contract([(self.boiler, "yearly", 10)], user_id=self.tech_a.id)
        visit = self._plan(contract)
        task = visit.task_id
        self.assertEqual(task.project_id, self.project)
        self.assertEqual(task.partner_id, self.customer)
        self.assertEqual(task.intervention_site_id, self.site)
        self.assertEqual(task.fi_equipment_ids, self.boiler)
        self.assertEqual(task.date_deadline.date(), visit.due_date)
        self.assertEqual(task.user_ids, self.tech_a)
        self.assertLess(task.planned_date_start, task.planned_date_end)
        self.assertEqual(visit.planned_date, visit.due_date)
        # assigned: its intervention exists, for the technician's day and phone
        intervention = task.intervention_ids
        self.assertEqual(len(intervention), 1)
        self.assertEqual(intervention.equipment_ids, self.boiler)
        self.assertEqual(intervention.technician_ids, self.tech_a)
        self.assertIn(intervention, self.env["field.intervention"].with_user(self.tech_a).search([]))

    def test_mission_and_visit_speak_the_companys_language(self):
        """The scheduled action runs in its user's language (English on a fresh database): the
        mission it creates is named in the company's, for the company's technicians."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.company.partner_id.lang = "fr_FR"
        boiler = self._create_equipment(self.site, kind="gas_boiler", brand="Viessmann")
        contract = self._create_contract([(boiler, "yearly", 10)])
        visit = contract.with_context(lang="en_US")._fi_plan_visits()
        self.assertTrue(visit.task_id.name.startswith("Entretien : Chaudière gaz"), visit.task_id.name)
        self.assertIn(visit.equipment_id.display_name, visit.with_context(lang="en_US").display_name)
        self.assertNotIn("field.intervention.visit", visit.display_name)

    def test_archived_default_technician_gets_no_mission(self):
        contract = self._create_contract([(self.boiler, "yearly", 10)], user_id=self.tech_a.id)
        self.tech_a.active = False
        task = self._plan(contract).task_id
        self.assertFalse(task.user_ids, "the dispatcher assigns the visit of a technician who left")
        self.assertFalse(task.intervention_ids)

    def test_technician_sees_the_visits_of_his_missions(self):
        contract = self._create_contract([(self.boiler, "yearly", 10), (self.heat_pump, "yearly", 12)])
        visits = self._plan(contract)
        visits[0].task_id.with_user(self.manager).write({"user_ids": [Command.set(self.tech_a.ids)]})
        Visit = self.env["field.intervention.visit"]
        self.assertEqual(Visit.with_user(self.tech_a).search([("contract_id", "=", contract.id)]), visits[0])
        self.assertFalse(Visit.with_user(self.tech_b).search([("contract_id", "=", contract.id)]))
        self.assertEqual(Visit.with_user(self.manager).search([("contract_id", "=", contract.id)]), visits)

    def test_dispatcher_assigns_then_intervention(self):
        contract = self._create_contract([(self.boiler, "yearly", 10)])
        task = self._plan(contract).task_id
        self.assertFalse(task.user_ids)
        self.assertFalse(task.intervention_ids, "no technician, no intervention yet")
        task.with_user(self.manager).write({"user_ids": [Command.set(self.tech_b.ids)]})
        self.assertEqual(task.intervention_ids.technician_ids, self.tech_b)
        task.with_user(self.manager).write({"user_ids": [Command.set(self.tech_a.ids)]})
        self.assertEqual(len(task.intervention_ids), 1, "one intervention, not one per assignment")

    def test_run_twice_creates_nothing_twice(self):
        contract = self._create_contract([(self.boiler, "semiannual", -200), (self.heat_pump, "yearly", 5)])
        first = self._plan(contract)
        self.assertEqual(len(first), 3, "two past semiannual due dates and the heat pump's")
        tasks = self.env["project.task"].search_count([("project_id", "=", self.project.id)])
        self.assertFalse(self._plan(contract))
        self.env["field.intervention.contract"]._cron_plan_visits()
        self.assertEqual(len(contract.visit_ids), 3)
        self.assertEqual(self.env["project.task"].search_count([("project_id", "=", self.project.id)]), tasks)
        # the database refuses a second visit of the same line and due date, whatever the path
        Visit = self.env["field.intervention.visit"]
        self.assertFalse(Visit._fi_insert([(first[0].contract_line_id, first[0].due_date)]))

    def test_no_visit_of_a_draft_or_terminated_contract(self):
        draft = self._create_contract([(self.boiler, "yearly", 5)], confirm=False)
        self.env["field.intervention.contract"]._cron_plan_visits()
        self.assertFalse(draft.visit_ids)
        running = self._create_contract([(self.heat_pump, "yearly", 40)])
        running.with_user(self.manager).action_terminate()
        self.company.fi_maintenance_horizon_days = 60
        self.env["field.intervention.contract"]._cron_plan_visits()
        self.assertFalse(running.visit_ids)

    def test_termination_cancels_the_visits_to_come(self):
        contract = self._create_contract(
            [(self.boiler, "semiannual", -10), (self.heat_pump, "yearly", 10)], user_id=self.tech_a.id
        )
        self.company.fi_maintenance_horizon_days = 200
        visits = self._plan(contract)
        overdue = visits.filtered(lambda visit: visit.due_date < self.today)
        to_come = visits - overdue
        self.assertEqual((len(overdue), len(to_come)), (1, 2))
        started = to_come[0].task_id.intervention_ids.with_user(self.tech_a)
        started.action_start()
        contract.with_user(self.manager).action_terminate()
        self.assertEqual(overdue.state, "planned", "due under the contract: the dispatcher decides")
        self.assertEqual(to_come[0].state, "planned", "started by its technician")
        self.assertEqual(started.state, "in_progress")
        self.assertEqual(to_come[1].state, "cancel")
        self.assertEqual(to_come[1].task_id.state, "1_canceled")
        self.assertEqual(to_come[1].task_id.intervention_ids.state, "cancel")
        self.assertEqual(overdue.task_id.intervention_ids.state, "draft")

    def test_contract_without_renewal_ends(self):
        contract = self._create_contract(
            [(self.boiler, "semiannual", 5)], tacit_renewal=False, duration_months=2, date_start=self.today
        )
        self.company.fi_maintenance_horizon_days = 400
        visits = self._plan(contract)
        self.assertEqual(len(visits), 1, "the next one falls after the end of the contract")
        self.assertFalse(self._plan(contract, today=contract.date_end + relativedelta(days=1)))
        self.assertEqual(contract.state, "expired")

    def test_reschedule_keeps_due_date(self):
        contract = self._create_contract([(self.boiler, "yearly", 10)], user_id=self.tech_a.id)
        visit = self._plan(contract)
        new_day = visit.due_date + relativedelta(days=3)
        visit.with_user(self.manager).write({"planned_date": new_day})
        self.assertEqual(visit.planned_date, new_day)
        self.assertEqual(visit.due_date, self.today + relativedelta(days=10))
        start = visit._fi_tz_env().task_id.planned_date_start
        self.assertEqual(visit._fi_window(new_day)[0], start)
        # the dispatcher moves the mission in the planning: the visit follows
        start, end = visit._fi_window(new_day + relativedelta(days=1))
        visit.task_id.with_user(self.manager).write({"planned_date_start": start, "planned_date_end": end})
        self.assertEqual(visit.planned_date, new_day + relativedelta(days=1))
        with self.assertRaises(AccessError):
            visit.with_user(self.tech_a).write({"planned_date": new_day})
        with self.assertRaises(AccessError):
            visit.with_user(self.manager).write({"due_date": new_day})

    def test_visit_day_in_the_site_time_zone_whoever_reschedules(self):
        contract = self._create_contract([(self.boiler, "yearly", 10)], user_id=self.tech_a.id)
        visit = self._plan(contract)
        self.assertEqual(self.site.tz, "Europe/Paris")
        new_day = visit.due_date + relativedelta(days=3)
        # a dispatcher whose browser is in Honolulu (UTC-10): 8:00 in Paris is the day before there
        visit.with_user(self.manager).with_context(tz="Pacific/Honolulu").write({"planned_date": new_day})
        start = visit.task_id.planned_date_start
        paris = fields.Datetime.context_timestamp(visit.with_context(tz="Europe/Paris"), start)
        self.assertEqual((paris.date(), paris.hour), (new_day, 8))
        visit.invalidate_recordset(["planned_date"])
        self.assertEqual(visit.planned_date, new_day)
        visit.task_id.with_context(tz="Pacific/Honolulu").write({"planned_date_start": start - timedelta(minutes=1)})
        self.assertEqual(visit.planned_date, new_day, "recomputed in the site's time zone, not the writer's")

    def test_overdue_flag(self):
        contract = self._create_contract([(self.boiler, "yearly", 3)], user_id=self.tech_a.id)
        visit = self._plan(contract)
        Visit = self.env["field.intervention.visit"]
        self.assertFalse(visit.is_overdue)
        self.assertNotIn(visit, Visit.search([("is_overdue", "=", True)]))
        with freeze_time(self.today + relativedelta(days=5)):
            visit.invalidate_recordset(["is_overdue"])
            self.assertTrue(visit.is_overdue)
            self.assertIn(visit, Visit.search([("is_overdue", "=", True)]))
            self.assertNotIn(visit, Visit.search([("is_overdue", "=", False)]))
            # done: no longer overdue
            intervention = visit.task_id.intervention_ids.with_user(self.tech_a)
            start = fields.Datetime.now() - timedelta(hours=2)
            intervention.write(
                {
                    "work_description": "Entretien annuel",
                    "time_ids": [Command.create({"date_start": start, "date_end": start + timedelta(hours=1)})],
                }
            )
            intervention.action_done()
            visit.invalidate_recordset(["is_overdue"])
            self.assertEqual(visit.state, "done")
            self.assertFalse(visit.is_overdue)
        with self.assertRaises(UserError):
            visit.with_user(self.manager).write({"planned_date": self.today})
