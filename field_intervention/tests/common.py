from odoo import Command
from odoo.tests.common import TransactionCase

from odoo.addons.mail.tests.common import mail_new_test_user


class FieldInterventionCommon(TransactionCase):
    """Shared fixture: a field-service project with a mission, two technicians and a manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, tz="Europe/Paris"))
        cls.company = cls.env.company
        cls.company.write({"company_registry": "123456782", "vat": "FR11123456782"})
        cls.other_company = cls.env["res.company"].create({"name": "Other Field Company"})
        technician = "field_intervention.group_field_intervention_technician"
        manager = "field_intervention.group_field_intervention_manager"
        cls.tech_a = mail_new_test_user(
            cls.env,
            login="fi_tech_a",
            name="Alice Technician",
            groups=technician,
            company_id=cls.company.id,
            tz="Europe/Paris",
        )
        cls.tech_b = mail_new_test_user(
            cls.env,
            login="fi_tech_b",
            name="Bruno Technician",
            groups=technician,
            company_id=cls.company.id,
            tz="Europe/Paris",
        )
        cls.manager = mail_new_test_user(
            cls.env,
            login="fi_manager",
            name="Martine Dispatcher",
            groups=manager,
            company_id=cls.company.id,
            tz="Europe/Paris",
        )
        cls.tech_other = mail_new_test_user(
            cls.env,
            login="fi_tech_other",
            name="Oscar Other",
            groups=technician,
            company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)],
            tz="Europe/Paris",
        )
        cls.env["hr.employee"].create(
            [
                {"name": user.name, "user_id": user.id, "company_id": user.company_id.id}
                for user in (cls.tech_a, cls.tech_b, cls.manager, cls.tech_other)
            ]
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Boulangerie Martin SARL",
                "is_company": True,
                "company_registry": "552100554",
                "street": "12 rue de la Paix",
                "zip": "75002",
                "city": "Paris",
                "country_id": cls.env.ref("base.fr").id,
                "phone": "+33 1 23 45 67 89",
            }
        )
        cls.site = cls.env["res.partner"].create(
            {
                "name": "Boulangerie Martin - Fournil",
                "parent_id": cls.customer.id,
                "type": "other",
                "street": "3 avenue Jean Jaurès",
                "zip": "69007",
                "city": "Lyon",
                "country_id": cls.env.ref("base.fr").id,
                "phone": "+33 4 11 22 33 44",
            }
        )
        cls.part_product = cls.env["product.product"].create(
            {
                "name": "Filtre à air F-200",
                "type": "consu",
                "company_id": cls.company.id,
            }
        )
        cls.labour_product = cls.env["product.product"].create({"name": "Main d'oeuvre", "type": "service"})
        cls.project = cls.env["project.project"].create(
            {
                "name": "Maintenance chaufferie",
                "is_field_service": True,
                "allow_timesheets": True,
                "privacy_visibility": "employees",
                "company_id": cls.company.id,
                "labour_product_id": cls.labour_product.id,
                "checklist_template_ids": [
                    Command.create({"name": "Contrôle pression", "sequence": 1}),
                    Command.create({"name": "Nettoyage brûleur", "sequence": 2}),
                ],
            }
        )
        cls.task = cls.env["project.task"].create(
            {
                "name": "Entretien annuel chaudière",
                "project_id": cls.project.id,
                "partner_id": cls.customer.id,
                "intervention_site_id": cls.site.id,
                "user_ids": [Command.set(cls.tech_a.ids)],
            }
        )

    @classmethod
    def _create_intervention(cls, user=None, **vals):
        values = {"task_id": cls.task.id, "technician_ids": [Command.set((user or cls.tech_a).ids)]}
        values.update(vals)
        return cls.env["field.intervention"].create(values)
