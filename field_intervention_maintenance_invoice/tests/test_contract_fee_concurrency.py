import threading
from datetime import date

from psycopg2 import IntegrityError

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.field_intervention.tests.common import TwoWorkersCase

# how long the test waits for the second worker to block on the first one's fee period
BLOCK_TIMEOUT = 10.0
TODAY = date(2027, 1, 1)


@tagged("-at_install", "post_install")
class TestContractFeeConcurrency(TwoWorkersCase):
    """Two workers (two database connections) invoice the same contract's fee at once.

    The fixture (a running contract of the main company, whose chart of accounts the database
    has) is committed in its own cursor and removed at the end of the test.
    """

    @staticmethod
    def _create_fixture(env):
        partner = env["res.partner"].create({"name": "Concurrent Fee Customer", "is_company": True})
        project = env["project.project"].create({"name": "Concurrent Fee Project", "is_field_service": True})
        equipment = env["field.intervention.equipment"].create(
            {"site_id": partner.id, "kind": "gas_boiler", "serial_number": "FEE-CONC-1"}
        )
        contract = env["field.intervention.contract"].create(
            {
                "partner_id": partner.id,
                "project_id": project.id,
                "date_start": TODAY,
                "fee_period": "yearly",
                "fee_amount": 480.0,
                "line_ids": [Command.create({"equipment_id": equipment.id, "first_due_date": TODAY})],
            }
        )
        contract.action_confirm()
        return {"partner": partner.id, "project": project.id, "equipment": equipment.id, "contract": contract.id}

    def _remove_fixture(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            contract = env["field.intervention.contract"].browse(self.fixture["contract"])
            invoices = contract.fee_ids.move_id
            contract.fee_ids.unlink()
            invoices.unlink()
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

    def test_two_workers_invoice_a_period_once(self):
        fees_1, __ = self._contract(self.env1)._fi_invoice_fees(today=TODAY)
        self.assertEqual(len(fees_1), 1)
        self.assertTrue(fees_1.move_id)
        result = {}

        def second_worker():
            try:
                result["fees"] = self._contract(self.env2)._fi_invoice_fees(today=TODAY)[0].ids
            except Exception as error:  # noqa: BLE001 - reported by the main thread's assertions
                result["error"] = error

        thread = threading.Thread(target=second_worker, name="second fee worker")
        thread.start()
        self.assertTrue(self._wait_until_blocked(thread), "the second worker waits for the first one's period")
        self.cr1.commit()
        thread.join(BLOCK_TIMEOUT)
        self.assertFalse(thread.is_alive())
        self.assertNotIn("error", result)
        self.assertEqual(result["fees"], [], "the second worker invoiced nothing")
        self.cr2.commit()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            contract = self._contract(env)
            self.assertEqual(len(contract.fee_ids), 1)
            self.assertEqual(env["account.move"].search_count([("invoice_origin", "=", contract.name)]), 1)
            # a third run, later the same year: nothing new
            self.assertFalse(contract._fi_invoice_fees(today=date(2027, 6, 1))[0])
            # and the database itself refuses a second record of the period
            with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), cr.savepoint():
                env["field.intervention.contract.fee"].create(
                    {
                        "contract_id": contract.id,
                        "company_id": contract.company_id.id,
                        "period_start": TODAY,
                        "period_end": date(2027, 12, 31),
                        "amount": 480.0,
                    }
                )

    def _fee_vals(self, env):
        contract = self._contract(env)
        return {
            "contract_id": contract.id,
            "company_id": contract.company_id.id,
            "period_start": TODAY,
            "period_end": date(2027, 12, 31),
            "amount": 480.0,
        }

    def test_unique_period_refuses_a_concurrent_insert(self):
        """Whatever code inserts a period (not only the scheduled action's statement), the
        second of two concurrent transactions is refused by the database."""
        fee_model = "field.intervention.contract.fee"
        self.env1[fee_model].create(self._fee_vals(self.env1))
        self.env1.flush_all()
        result = {}

        def second_worker():
            try:
                with mute_logger("odoo.sql_db"):
                    self.env2[fee_model].create(self._fee_vals(self.env2))
                    self.env2.flush_all()
            except Exception as error:  # noqa: BLE001 - reported by the main thread's assertions
                result["error"] = error

        thread = threading.Thread(target=second_worker, name="second fee insert")
        thread.start()
        self.assertTrue(self._wait_until_blocked(thread), "the second insert waits for the first one")
        self.cr1.commit()
        thread.join(BLOCK_TIMEOUT)
        self.assertFalse(thread.is_alive())
        self.assertIsInstance(result.get("error"), IntegrityError)
        self.cr2.rollback()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.assertEqual(len(self._contract(env).fee_ids), 1)
