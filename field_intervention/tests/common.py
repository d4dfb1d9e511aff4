import base64
import io
import time

from PIL import Image, ImageDraw

from odoo import SUPERUSER_ID, Command, api
from odoo.tests.common import TransactionCase

from odoo.addons.mail.tests.common import mail_new_test_user

TECHNICIAN_GROUP = "field_intervention.group_field_intervention_technician"
MANAGER_GROUP = "field_intervention.group_field_intervention_manager"


def make_signature_png(size=(300, 100), blank=False):
    """A PNG signature (transparent background, one stroke) as base64 text: the one signature
    image of the suite's tests."""
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    if not blank:
        ImageDraw.Draw(image).line([(10, 80), (120, 20), (290, 70)], fill=(0, 0, 139, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


class FieldInterventionCommon(TransactionCase):
    """Shared fixture: a field-service project with a mission, two technicians and a manager.

    The first link of the suite's chain of fixtures: field_intervention_sign's common builds on
    it, field_intervention_invoice's common on that one. Its ``_fi_create_*`` helpers are the
    one way the chain creates users, customers, projects and missions.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, tz="Europe/Paris"))
        cls.company = cls.env.company
        cls.company.write({"company_registry": "123456782", "vat": "FR11123456782"})
        cls.other_company = cls.env["res.company"].create({"name": "Other Field Company"})
        cls.tech_a = cls._fi_create_user("fi_tech_a", "Alice Technician", TECHNICIAN_GROUP)
        cls.tech_b = cls._fi_create_user("fi_tech_b", "Bruno Technician", TECHNICIAN_GROUP)
        cls.manager = cls._fi_create_user("fi_manager", "Martine Dispatcher", MANAGER_GROUP)
        cls.tech_other = cls._fi_create_user(
            "fi_tech_other",
            "Oscar Other",
            TECHNICIAN_GROUP,
            company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)],
        )
        cls._fi_create_employees(cls.tech_a | cls.tech_b | cls.manager | cls.tech_other)
        cls.customer = cls._fi_create_customer(
            "Boulangerie Martin SARL", company_registry="552100554", phone="+33 1 23 45 67 89"
        )
        cls.site = cls._fi_create_site(cls.customer, "Boulangerie Martin - Fournil", phone="+33 4 11 22 33 44")
        cls.part_product = cls.env["product.product"].create(
            {"name": "Filtre à air F-200", "type": "consu", "company_id": cls.company.id}
        )
        cls.labour_product = cls.env["product.product"].create({"name": "Main d'oeuvre", "type": "service"})
        cls.project = cls._fi_create_project(
            "Maintenance chaufferie",
            labour_product_id=cls.labour_product.id,
            checklist_template_ids=[
                Command.create({"name": "Contrôle pression", "sequence": 1}),
                Command.create({"name": "Nettoyage brûleur", "sequence": 2}),
            ],
        )
        cls.task = cls._fi_create_task("Entretien annuel chaudière", cls.customer, cls.site, cls.tech_a)

    # ------------------------------------------------------------------
    # Helpers of the whole chain
    # ------------------------------------------------------------------
    @classmethod
    def _fi_create_user(cls, login, name, groups, **values):
        """A user of the company (unless said otherwise), in Paris time."""
        values.setdefault("company_id", cls.company.id)
        values.setdefault("tz", "Europe/Paris")
        return mail_new_test_user(cls.env, login=login, name=name, groups=groups, **values)

    @classmethod
    def _fi_create_employees(cls, users):
        """The employees of the users (timesheets need them)."""
        return cls.env["hr.employee"].create(
            [{"name": user.name, "user_id": user.id, "company_id": user.company_id.id} for user in users]
        )

    @classmethod
    def _fi_create_customer(cls, name, **values):
        """A French company customer in Paris (any value can be overridden)."""
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "street": "12 rue de la Paix",
                "zip": "75002",
                "city": "Paris",
                "country_id": cls.env.ref("base.fr").id,
                **values,
            }
        )

    @classmethod
    def _fi_create_site(cls, customer, name, **values):
        """An intervention site of the customer, in Lyon (any value can be overridden)."""
        site = {"type": "other", "street": "3 avenue Jean Jaurès", "zip": "69007", "city": "Lyon"}
        return cls._fi_create_customer(name, is_company=False, parent_id=customer.id, **{**site, **values})

    @classmethod
    def _fi_create_project(cls, name, **values):
        """A field-service project of the company, with timesheets."""
        return cls.env["project.project"].create(
            {
                "name": name,
                "is_field_service": True,
                "allow_timesheets": True,
                "privacy_visibility": "employees",
                "company_id": cls.company.id,
                **values,
            }
        )

    @classmethod
    def _fi_create_task(cls, name, customer, site=None, users=None, project=None, **values):
        """A mission of the project (default: the common one) for the customer at the site."""
        if site:
            values["intervention_site_id"] = site.id
        if users:
            values["user_ids"] = [Command.set(users.ids)]
        return cls.env["project.task"].create(
            {"name": name, "project_id": (project or cls.project).id, "partner_id": customer.id, **values}
        )

    @classmethod
    def _create_intervention(cls, user=None, **vals):
        values = {"task_id": cls.task.id, "technician_ids": [Command.set((user or cls.tech_a).ids)]}
        values.update(vals)
        return cls.env["field.intervention"].create(values)


class TwoWorkersCase(TransactionCase):
    """Two transactions at once, as two Odoo workers run them: ``env1`` and ``env2`` on two
    cursors of their own. The fixture (``_create_fixture(env)``) is committed in a third cursor,
    since the test's own transaction is invisible to the others, and removed by
    ``_remove_fixture()`` at the end of each test."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            self.fixture = self._create_fixture(api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True}))
        self.addCleanup(self._remove_fixture)
        self.cr1 = self.registry.cursor()
        self.cr2 = self.registry.cursor()
        self.addCleanup(self.cr1.close)
        self.addCleanup(self.cr2.close)
        self.env1 = api.Environment(self.cr1, SUPERUSER_ID, {"tracking_disable": True})
        self.env2 = api.Environment(self.cr2, SUPERUSER_ID, {"tracking_disable": True})

    @staticmethod
    def _create_fixture(env):
        raise NotImplementedError

    def _remove_fixture(self):
        raise NotImplementedError

    def _wait_until_blocked(self, thread, timeout=10.0):
        """Wait until ``env2``'s connection (run by ``thread``) waits for a lock held by ``env1``."""
        deadline = time.monotonic() + timeout
        with self.registry.cursor() as cr:
            while time.monotonic() < deadline and thread.is_alive():
                cr.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'",
                    [self.cr2._cnx.get_backend_pid()],
                )
                if cr.fetchone()[0]:
                    return True
                time.sleep(0.05)
        return False
