from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import tagged
from odoo.tests.common import TransactionCase
from odoo.tools import mute_logger


@tagged("-at_install", "post_install")
class TestExactlyOnce(TransactionCase):
    """Two transactions invoicing the same intervention: a user and the cron, or two workers.

    The fixture is committed in its own cursor (the test transaction is invisible to the
    other cursors) and removed at the end of each test.
    """

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            self.fixture = self._create_fixture(env)
        self.addCleanup(self._remove_fixture)
        self.cr1 = self.registry.cursor()
        self.cr2 = self.registry.cursor()
        self.addCleanup(self.cr1.close)
        self.addCleanup(self.cr2.close)
        self.env1 = api.Environment(self.cr1, SUPERUSER_ID, {"tracking_disable": True})
        self.env2 = api.Environment(self.cr2, SUPERUSER_ID, {"tracking_disable": True})

    @staticmethod
    def _create_fixture(env):
        partner = env["res.partner"].create({"name": "Exactly Once Customer", "is_company": True})
        part = env["product.product"].create({"name": "Exactly Once Part", "type": "consu", "list_price": 10.0})
        project = env["project.project"].create(
            {
                "name": "Exactly Once Project",
                "is_field_service": True,
                "intervention_invoice_policy": "manual",
            }
        )
        task = env["project.task"].create(
            {"name": "Exactly Once Mission", "project_id": project.id, "partner_id": partner.id}
        )
        intervention = env["field.intervention"].create(
            {
                "task_id": task.id,
                "technician_ids": [Command.set(env.user.ids)],
                "part_ids": [Command.create({"product_id": part.id, "quantity": 1.0})],
            }
        )
        # the signature flow is tested elsewhere: only the signed state matters here
        env.flush_all()
        env.cr.execute(
            "UPDATE field_intervention SET state = 'signed', invoice_status = 'to_invoice' WHERE id = %s",
            [intervention.id],
        )
        return {
            "intervention": intervention.id,
            "task": task.id,
            "project": project.id,
            "product": part.product_tmpl_id.id,
            "partner": partner.id,
        }

    def _remove_fixture(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            fixture = self.fixture
            moves = env["account.move.line"].search([("intervention_id", "=", fixture["intervention"])]).move_id
            moves.filtered(lambda move: move.state != "draft").button_draft()
            moves.unlink()
            env.flush_all()
            cr.execute("UPDATE field_intervention SET state = 'draft' WHERE id = %s", [fixture["intervention"]])
            env.invalidate_all()
            env["field.intervention"].browse(fixture["intervention"]).unlink()
            env["project.task"].browse(fixture["task"]).unlink()
            env["project.project"].browse(fixture["project"]).unlink()
            env["product.template"].browse(fixture["product"]).unlink()
            env["res.partner"].browse(fixture["partner"]).unlink()

    def _intervention(self, env):
        return env["field.intervention"].browse(self.fixture["intervention"])

    def _invoices(self, env):
        return env["account.move.line"].search([("intervention_id", "=", self.fixture["intervention"])]).move_id

    def test_concurrent_invoicing_skips_locked(self):
        """The user clicks while the cron (another worker) is invoicing the same intervention."""
        moves_1, errors_1 = self._intervention(self.env1)._fi_invoice_isolated()
        self.assertEqual(len(moves_1), 1)
        self.assertFalse(errors_1)
        moves_2, errors_2 = self._intervention(self.env2)._fi_invoice_isolated()
        self.assertFalse(moves_2, "the second transaction skips the intervention being invoiced")
        self.assertFalse(errors_2)
        self.cr1.commit()
        self.cr2.rollback()
        moves_3, __ = self._intervention(self.env2)._fi_invoice_isolated()
        self.assertFalse(moves_3, "already invoiced")
        self.assertEqual(len(self._invoices(self.env2)), 1)

    @mute_logger("odoo.sql_db")
    def test_stale_snapshot_fails_to_serialize(self):
        """A transaction that read the intervention before the other one committed its invoice
        cannot invoice it: PostgreSQL refuses and Odoo retries the whole transaction."""
        self.assertEqual(self._intervention(self.env2).state, "signed")  # snapshot of cr2 taken
        self._intervention(self.env1)._fi_invoice_isolated()
        self.cr1.commit()
        with self.assertRaises(pg_errors.SerializationFailure):
            self._intervention(self.env2)._fi_invoice_isolated()
        self.cr2.rollback()
        moves, __ = self._intervention(self.env2)._fi_invoice_isolated()
        self.assertFalse(moves, "the retried transaction sees the invoice")
        self.assertEqual(len(self._invoices(self.env2)), 1)

    @mute_logger("odoo.sql_db")
    def test_database_refuses_second_claim(self):
        """Whatever the code path, the database refuses a second invoice claiming the intervention."""
        moves_1, __ = self._intervention(self.env1)._fi_invoice_isolated()
        claim = {
            "move_type": "out_invoice",
            "partner_id": self.fixture["partner"],
            "invoice_line_ids": [
                Command.create(
                    {
                        "display_type": "line_section",
                        "name": "Second claim",
                        "intervention_id": self.fixture["intervention"],
                        "fi_invoice_claim": True,
                    }
                )
            ],
        }
        self.cr2.execute("SET LOCAL lock_timeout = '300ms'")
        with self.assertRaises(pg_errors.LockNotAvailable, msg="waits for the first transaction"):
            self.env2["account.move"].create(claim)
            self.env2.flush_all()
        self.cr2.rollback()
        self.env2.invalidate_all()
        self.cr1.commit()
        with self.assertRaises(pg_errors.UniqueViolation):
            self.env2["account.move"].create(claim)
            self.env2.flush_all()
        self.cr2.rollback()
        self.assertEqual(self._invoices(self.env2), moves_1.with_env(self.env2))
