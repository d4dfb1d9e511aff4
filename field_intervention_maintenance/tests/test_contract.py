from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import MaintenanceCommon


@tagged("-at_install", "post_install")
class TestContract(MaintenanceCommon):
    def test_lifecycle_through_its_actions(self):
        contract = self._create_contract([(self.boiler, "yearly", 10)], confirm=False)
        self.assertEqual(contract.state, "draft")
        self.assertTrue(contract.name.startswith("CT/"))
        self.assertEqual(contract.date_end, contract.date_start + relativedelta(months=12, days=-1))
        as_manager = contract.with_user(self.manager)
        as_manager.action_confirm()
        self.assertEqual(contract.state, "running")
        with self.assertRaises(UserError):
            as_manager.action_confirm()
        as_manager.action_terminate()
        self.assertEqual(contract.state, "terminated")
        self.assertEqual(contract.date_terminated, self.today)
        with self.assertRaises(UserError):
            as_manager.write({"fee_amount": 10.0})
        with self.assertRaises(UserError):
            contract.line_ids.with_user(self.manager).write({"periodicity": "biennial"})

    def test_workflow_fields_refused(self):
        contract = self._create_contract([(self.boiler, "yearly", 10)], confirm=False)
        as_manager = contract.with_user(self.manager)
        for vals in ({"state": "running"}, {"date_terminated": self.today}, {"name": "CT/forged"}):
            with self.assertRaises(AccessError):
                as_manager.write(vals)
        with self.assertRaises(AccessError):
            self.env["field.intervention.contract"].with_user(self.manager).create(
                {"partner_id": self.customer.id, "project_id": self.project.id, "state": "running"}
            )
        # a default_ key of a workflow field in the context is dropped, not applied
        created = (
            self.env["field.intervention.contract"]
            .with_user(self.manager)
            .with_context(default_state="running")
            .create({"partner_id": self.customer.id, "project_id": self.project.id})
        )
        self.assertEqual(created.state, "draft")

    def test_technician_reads_only(self):
        contract = self._create_contract([(self.boiler, "yearly", 10)], confirm=False)
        as_tech = contract.with_user(self.tech_a)
        self.assertEqual(as_tech.partner_id, self.customer)
        with self.assertRaises(AccessError):
            as_tech.action_confirm()
        with self.assertRaises(AccessError):
            as_tech.write({"fee_amount": 1.0})

    def test_confirm_needs_equipment(self):
        contract = self._create_contract([], confirm=False)
        with self.assertRaises(UserError):
            contract.with_user(self.manager).action_confirm()

    def test_equipment_and_sites_of_the_customer(self):
        with self.assertRaises(ValidationError):
            self._create_contract([(self.other_equipment, "yearly", 10)], confirm=False)
        with self.assertRaises(ValidationError):
            self._create_contract([], confirm=False, site_ids=[Command.set(self.other_customer.ids)])

    def test_fee_fields(self):
        contract = self._create_contract([(self.boiler, "yearly", 10)], confirm=False)
        contract.with_user(self.manager).write({"fee_period": "monthly", "fee_amount": 20.0})
        self.assertEqual(contract.fee_yearly, 240.0)
