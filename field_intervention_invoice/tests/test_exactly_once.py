from datetime import datetime, timedelta
from unittest.mock import patch

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.field_intervention.tests.common import TwoWorkersCase
from odoo.addons.field_intervention_sign.tests.common import fake_report_pdf, make_signature_png, run_sign_jobs


@tagged("-at_install", "post_install")
class TestExactlyOnce(TwoWorkersCase):
    """Two transactions invoicing the same intervention: a user and the cron, or two workers.

    The fixture is committed in its own cursor (the test transaction is invisible to the
    other cursors) and removed at the end of each test.
    """

    @staticmethod
    def _create_fixture(env):
        partner = env["res.partner"].create({"name": "Exactly Once Customer", "is_company": True})
        part = env["product.product"].create({"name": "Exactly Once Part", "type": "consu", "list_price": 10.0})
        labour = env["product.product"].create({"name": "Exactly Once Labour", "type": "service", "list_price": 50.0})
        project = env["project.project"].create(
            {
                "name": "Exactly Once Project",
                "is_field_service": True,
                "labour_product_id": labour.id,
                "intervention_invoice_policy": "manual",
            }
        )
        task = env["project.task"].create(
            {"name": "Exactly Once Mission", "project_id": project.id, "partner_id": partner.id}
        )
        technician = env.ref("base.user_admin")
        employee = env["hr.employee"].search([("user_id", "=", technician.id)]) or env["hr.employee"].create(
            {"name": "Exactly Once Technician", "user_id": technician.id, "company_id": env.company.id}
        )
        created_employee = employee if employee.name == "Exactly Once Technician" else employee.browse()
        start = datetime.now() - timedelta(hours=3)
        intervention = env["field.intervention"].create(
            {
                "task_id": task.id,
                "technician_ids": [Command.set(technician.ids)],
                "work_description": "Exactly once",
                "time_ids": [Command.create({"date_start": start, "date_end": start + timedelta(hours=1)})],
                "part_ids": [Command.create({"product_id": part.id, "quantity": 1.0})],
            }
        )
        intervention.action_done()
        with patch.object(type(intervention), "_fi_render_report_pdf", fake_report_pdf):
            intervention._fi_submit_signature(
                {
                    "decision": "sign",
                    "signer_name": "Jean Martin",
                    "signature": make_signature_png(),
                    "signer_role": "device",
                },
                {"user": env.user},
            )
            run_sign_jobs(env)  # what the signature's scheduled action does right after the answer
        return {
            "intervention": intervention.id,
            "task": task.id,
            "project": project.id,
            "product": (part | labour).product_tmpl_id.ids,
            "partner": partner.id,
            "employee": created_employee.ids,
        }

    def _remove_fixture(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            fixture = self.fixture
            moves = env["account.move.line"].search([("intervention_id", "=", fixture["intervention"])]).move_id
            moves.filtered(lambda move: move.state != "draft").button_draft()
            moves.unlink()
            env.flush_all()
            # the evidence of a signature is never deleted by the application: the test removes its
            # committed fixture in SQL
            cr.execute(
                """UPDATE field_intervention SET state = 'draft', signature_id = NULL WHERE id = %(id)s;
                   DELETE FROM field_intervention_sign_event WHERE intervention_id = %(id)s;
                   DELETE FROM field_intervention_signature WHERE intervention_id = %(id)s""",
                {"id": fixture["intervention"]},
            )
            env.invalidate_all()
            env["field.intervention"].browse(fixture["intervention"]).unlink()
            env["project.task"].browse(fixture["task"]).unlink()
            env["project.project"].browse(fixture["project"]).unlink()
            env["product.template"].browse(fixture["product"]).unlink()
            env["res.partner"].browse(fixture["partner"]).unlink()
            env["hr.employee"].browse(fixture["employee"]).unlink()

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
