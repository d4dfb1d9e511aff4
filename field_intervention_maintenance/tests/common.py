from dateutil.relativedelta import relativedelta

from odoo import Command, fields

from odoo.addons.field_intervention.tests.common import FieldInterventionCommon


class MaintenanceCommon(FieldInterventionCommon):
    """The common field service fixture, with the customer's installed base and a running
    contract (created by the dispatcher) whose lines are due relative to today."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["field.intervention.contract"])
        cls.company.fi_maintenance_horizon_days = 30
        cls.boiler = cls._create_equipment(cls.site, kind="gas_boiler", brand="Viessmann", serial_number="SN-1")
        cls.heat_pump = cls._create_equipment(
            cls.site, kind="heat_pump", brand="Daikin", refrigerant="R32", refrigerant_charge_kg=3.2
        )
        cls.other_customer = cls._fi_create_customer("Hôtel du Parc SAS", company_registry="398765438")
        cls.other_equipment = cls._create_equipment(cls.other_customer, kind="oil_boiler", brand="De Dietrich")

    @classmethod
    def _create_equipment(cls, site, **values):
        return cls.env["field.intervention.equipment"].with_user(cls.tech_a).create({"site_id": site.id, **values})

    @classmethod
    def _create_contract(cls, lines, confirm=True, **values):
        """A contract of the customer (as the dispatcher): ``lines`` are (equipment, periodicity,
        days from today to the first due date)."""
        contract = (
            cls.env["field.intervention.contract"]
            .with_user(cls.manager)
            .create(
                {
                    "partner_id": cls.customer.id,
                    "site_ids": [Command.set(cls.site.ids)],
                    "project_id": cls.project.id,
                    "date_start": cls.today - relativedelta(months=1),
                    "line_ids": [
                        Command.create(
                            {
                                "equipment_id": equipment.id,
                                "periodicity": periodicity,
                                "first_due_date": cls.today + relativedelta(days=days),
                            }
                        )
                        for equipment, periodicity, days in lines
                    ],
                    **values,
                }
            )
        )
        if confirm:
            contract.action_confirm()
        return contract.with_user(cls.env.user)
