import threading

from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import tagged

# how long the test waits for the second worker to block on the first one's visit
BLOCK_TIMEOUT = 10.0

from odoo.addons.field_intervention.tests.common import TwoWorkersCase


@tagged("-at_install", "post_install")
class TestPlanningConcurrency(TwoWorkersCase):
    """Two workers (two database connections) plan the same contract at once.

    The fixture is committed in its own cursor (the test transaction is invisible to the other
    cursors) and removed at the end of the test.
    """

    @staticmethod
    def _create_fixture(env):
        today = fields.Date.context_today(env["field.intervention.contract"])
        partner = env["res.partner"].create({"name": "Concurrent Planning Customer", "is_company": True})
        project = env["project.project"].create({"name": "Concurrent Planning Project", "is_field_service": True})
        equipment = env["field.intervention.equipment"].create(
            [
                {"site_id": partner.id, "kind": "gas_boiler", "serial_number": "CONC-1"},
                {"site_id": partner.id, "kind": "heat_pump", "serial_number": "CONC-2"},
            ]
        )
        contract = env["field.intervention.contract"].create(
            {
                "partner_id": partner.id,
                "project_id": project.id,
                "date_start": today,
                "line_ids": [
                    Command.create({"equipment_id": item.id, "first_due_date": today + relativedelta(days=5)})
                    for item in equipment
                ],
            }
        )
        contract.action_confirm()
        return {"partner": partner.id, "project": project.id, "equipment": equipment.ids, "contract": contract.id}

    def _remove_fixture(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            contract = env["field.intervention.contract"].browse(self.fixture["contract"])
            tasks = contract.visit_ids.task_id
            contract.visit_ids.unlink()
            tasks.unlink()
            # a running contract is never deleted by the application: the test removes its
            # committed fixture in SQL
            cr.execute("UPDATE field_intervention_contract SET state = 'draft' WHERE id = %s", [contract.id])
            env.invalidate_all()
            contract.unlink()
            env["field.intervention.equipment"].browse(self.fixture["equipment"]).unlink()
            env["project.project"].browse(self.fixture["project"]).unlink()
            env["res.partner"].browse(self.fixture["partner"]).unlink()

    def _contract(self, env):
        return env["field.intervention.contract"].browse(self.fixture["contract"])

    def test_two_workers_plan_at_once(self):
        visits_1 = self._contract(self.env1)._fi_plan_visits()
        self.assertEqual(len(visits_1), 2)
        result = {}

        def second_worker():
            try:
                result["visits"] = self._contract(self.env2)._fi_plan_visits().ids
            except Exception as error:  # noqa: BLE001 - reported by the main thread's assertions
                result["error"] = error

        thread = threading.Thread(target=second_worker, name="second planning worker")
        thread.start()
        self.assertTrue(self._wait_until_blocked(thread), "the second worker waits for the first one's visits")
        self.cr1.commit()
        thread.join(BLOCK_TIMEOUT)
        self.assertFalse(thread.is_alive())
        self.assertNotIn("error", result)
        self.assertEqual(result["visits"], [], "the second worker planned nothing")
        self.cr2.commit()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            contract = self._contract(env)
            self.assertEqual(len(contract.visit_ids), 2)
            self.assertEqual(len(contract.visit_ids.task_id), 2, "one mission per visit")
            self.assertEqual(env["project.task"].search_count([("project_id", "=", self.fixture["project"])]), 2)
            # a third run, later: nothing new
            self.assertFalse(contract._fi_plan_visits())
