import base64
import io
from datetime import timedelta
from unittest.mock import patch

from PIL import Image, ImageDraw

from odoo import Command, fields
from odoo.tests.common import HttpCase, TransactionCase

from odoo.addons.field_intervention_sign.tools import evidence_pdf
from odoo.addons.mail.tests.common import mail_new_test_user


def make_signature_png(size=(300, 100), blank=False):
    """A PNG signature (transparent background, one stroke) as base64 text."""
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    if not blank:
        ImageDraw.Draw(image).line([(10, 80), (120, 20), (290, 70)], fill=(0, 0, 139, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def fake_report_pdf(intervention):
    """Stand-in for wkhtmltopdf (in test mode Odoo renders HTML instead of a PDF)."""
    return evidence_pdf.render_evidence_page(
        title=f"Intervention report {intervention.name}",
        lines=[("Signer", intervention.signature_id.signer_name or "")],
    )


class FiSignDataMixin:
    """Users, customer, site, project, mission and done interventions built by setUpClass."""

    # set to False in a class that renders the real report with wkhtmltopdf
    fake_report = True

    @classmethod
    def _setup_fi_sign_data(cls):
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        if cls.fake_report:
            Intervention = type(cls.env["field.intervention"])
            cls.startClassPatcher(patch.object(Intervention, "_fi_render_report_pdf", fake_report_pdf))
        cls.company = cls.env.company
        cls.company.write(
            {"fi_billing_email": "billing@fi-company.example.com", "email": "office@fi-company.example.com"}
        )
        technician = "field_intervention.group_field_intervention_technician"
        manager = "field_intervention.group_field_intervention_manager"
        cls.tech = mail_new_test_user(
            cls.env,
            login="fis_tech",
            name="Thierry Technician",
            groups=technician,
            email="thierry@fi-company.example.com",
            tz="Europe/Paris",
        )
        cls.tech_other = mail_new_test_user(
            cls.env,
            login="fis_tech_other",
            name="Olga Other",
            groups=technician,
            tz="Europe/Paris",
        )
        cls.manager = mail_new_test_user(
            cls.env,
            login="fis_manager",
            name="Dominique Dispatcher",
            groups=manager,
            email="dispatch@fi-company.example.com",
            tz="Europe/Paris",
        )
        cls.env["hr.employee"].create(
            [{"name": user.name, "user_id": user.id} for user in (cls.tech, cls.tech_other, cls.manager)]
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Boulangerie Durand SARL",
                "is_company": True,
                "email": "contact@durand.example.com",
                "street": "1 rue du Four",
                "zip": "69001",
                "city": "Lyon",
                "country_id": cls.env.ref("base.fr").id,
            }
        )
        cls.site_contact = cls.env["res.partner"].create(
            {
                "name": "Jeanne Durand",
                "parent_id": cls.customer.id,
                "type": "contact",
                "email": "jeanne@durand.example.com",
            }
        )
        cls.other_customer = cls.env["res.partner"].create(
            {
                "name": "Pressing Leroy",
                "is_company": True,
                "email": "leroy@example.com",
            }
        )
        cls.portal_user = mail_new_test_user(
            cls.env,
            login="fis_portal",
            name="Paul Durand",
            groups="base.group_portal",
            email="paul@durand.example.com",
        )
        cls.portal_user.partner_id.parent_id = cls.customer
        cls.other_portal_user = mail_new_test_user(
            cls.env,
            login="fis_portal_other",
            name="Lise Leroy",
            groups="base.group_portal",
            email="lise@leroy.example.com",
        )
        cls.other_portal_user.partner_id.parent_id = cls.other_customer
        cls.product = cls.env["product.product"].create({"name": "Résistance 2 kW", "type": "consu", "lst_price": 42.0})
        cls.project = cls.env["project.project"].create(
            {
                "name": "Maintenance fours",
                "is_field_service": True,
                "allow_timesheets": True,
                "privacy_visibility": "employees",
                "user_id": cls.manager.id,
            }
        )
        cls.task = cls.env["project.task"].create(
            {
                "name": "Four en panne",
                "project_id": cls.project.id,
                "partner_id": cls.customer.id,
                "intervention_site_id": cls.site_contact.id,
                "user_ids": [Command.set(cls.tech.ids)],
            }
        )
        cls.other_task = cls.env["project.task"].create(
            {
                "name": "Machine à repasser",
                "project_id": cls.project.id,
                "partner_id": cls.other_customer.id,
                "user_ids": [Command.set(cls.tech.ids)],
            }
        )
        cls.intervention = cls._create_done_intervention()
        cls.other_intervention = cls._create_done_intervention(task=cls.other_task)
        cls.signature_png = make_signature_png()

    @classmethod
    def _create_done_intervention(cls, task=None, start=None, **vals):
        start = start or fields.Datetime.now() - timedelta(hours=3)
        values = {
            "task_id": (task or cls.task).id,
            "technician_ids": [Command.set(cls.tech.ids)],
            "work_description": "Remplacement de la résistance du four.",
            "findings": "Joint de porte usé.",
            "time_ids": [Command.create({"date_start": start, "date_end": start + timedelta(hours=2)})],
            "part_ids": [Command.create({"product_id": cls.product.id, "quantity": 1.0})],
        }
        values.update(vals)
        intervention = cls.env["field.intervention"].create(values)
        intervention.action_done()
        return intervention

    def _sign_values(self, **overrides):
        values = {
            "decision": "sign",
            "signer_name": "Jeanne Durand",
            "signer_email": "jeanne@durand.example.com",
            "signature": self.signature_png,
            "signer_role": "device",
        }
        values.update(overrides)
        return values

    def _sign(self, intervention=None, user=None, **overrides):
        intervention = intervention or self.intervention
        user = user or self.tech
        return intervention.with_user(user)._fi_submit_signature(self._sign_values(**overrides), {"user": user}).sudo()


class FiSignCase(FiSignDataMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_fi_sign_data()


class FiSignHttpCase(FiSignDataMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_fi_sign_data()
