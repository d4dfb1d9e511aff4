from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests.common import HttpCase

from odoo.addons.field_intervention.tests.common import (
    MANAGER_GROUP,
    TECHNICIAN_GROUP,
    FieldInterventionCommon,
    make_signature_png,
)
from odoo.addons.field_intervention_sign.tools import evidence_pdf

__all__ = ["FiSignCase", "FiSignHttpCase", "fake_report_pdf", "make_signature_png", "run_sign_jobs"]

SIGN_JOB_ROUNDS = 10  # batches of the scheduled action per call (a test never queues more)


def fake_report_pdf(intervention):
    """Stand-in for wkhtmltopdf (in test mode Odoo renders HTML instead of a PDF): the one fake
    report of the suite's tests, a real one-page PDF."""
    return evidence_pdf.render_evidence_page(
        title=f"Intervention report {intervention.name}",
        lines=[("Signer", intervention.signature_id.signer_name or "")],
    )


def run_sign_jobs(env):
    """Run what the signature's scheduled action does once the customer's answer is committed:
    the signed PDFs, then the emails, of the decisions due (a test has no cron thread, and never
    waits for one). A job that fails stays queued for its retry, later."""
    Intervention = env["field.intervention"].sudo()
    for _round in range(SIGN_JOB_ROUNDS):
        due = [("sign_pending_job", "=", True), ("sign_job_next_try", "<=", fields.Datetime.now())]
        if not Intervention.search_count(due):
            break
        Intervention._cron_fi_retry_sign_jobs()


class FiSignCase(FieldInterventionCommon):
    """On top of field_intervention's fixture: the signing people (technician, dispatcher,
    customer contacts with portal access), a mission and two done interventions to sign."""

    # set to False in a class that renders the real report with wkhtmltopdf
    fake_report = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        if cls.fake_report:
            Intervention = type(cls.env["field.intervention"])
            cls.startClassPatcher(patch.object(Intervention, "_fi_render_report_pdf", fake_report_pdf))
        cls.company.write(
            {"fi_billing_email": "billing@fi-company.example.com", "email": "office@fi-company.example.com"}
        )
        cls.tech = cls._fi_create_user(
            "fis_tech", "Thierry Technician", TECHNICIAN_GROUP, email="thierry@fi-company.example.com"
        )
        cls.tech_other = cls._fi_create_user("fis_tech_other", "Olga Other", TECHNICIAN_GROUP)
        cls.manager = cls._fi_create_user(
            "fis_manager", "Dominique Dispatcher", MANAGER_GROUP, email="dispatch@fi-company.example.com"
        )
        cls._fi_create_employees(cls.tech | cls.tech_other | cls.manager)
        cls.customer = cls._fi_create_customer(
            "Boulangerie Durand SARL",
            email="contact@durand.example.com",
            street="1 rue du Four",
            zip="69001",
            city="Lyon",
        )
        cls.site_contact, cls.other_customer = cls.env["res.partner"].create(
            [
                {"name": "Jeanne Durand", "parent_id": cls.customer.id, "email": "jeanne@durand.example.com"},
                {"name": "Pressing Leroy", "is_company": True, "email": "leroy@example.com"},
            ]
        )
        cls.portal_user = cls._fi_create_user(
            "fis_portal", "Paul Durand", "base.group_portal", email="paul@durand.example.com", tz=False
        )
        cls.portal_user.partner_id.parent_id = cls.customer
        cls.other_portal_user = cls._fi_create_user(
            "fis_portal_other", "Lise Leroy", "base.group_portal", email="lise@leroy.example.com", tz=False
        )
        cls.other_portal_user.partner_id.parent_id = cls.other_customer
        cls.product = cls.env["product.product"].create({"name": "Résistance 2 kW", "type": "consu", "lst_price": 42.0})
        cls.project = cls._fi_create_project("Maintenance fours", user_id=cls.manager.id)
        cls.task = cls._fi_create_task("Four en panne", cls.customer, cls.site_contact, cls.tech)
        cls.other_task = cls._fi_create_task("Machine à repasser", cls.other_customer, users=cls.tech)
        # not _create_done_intervention: the invoice tests' common overrides it with its own story
        cls.intervention = cls._fi_create_done_intervention()
        cls.other_intervention = cls._fi_create_done_intervention(task=cls.other_task)
        cls.signature_png = make_signature_png()

    @classmethod
    def _create_done_intervention(cls, task=None, start=None, **vals):
        return cls._fi_create_done_intervention(task=task, start=start, **vals)

    @classmethod
    def _fi_create_done_intervention(cls, task=None, start=None, **vals):
        """A done intervention of the technician on the mission (default: the common one)."""
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

    @classmethod
    def _sign_values(cls, **overrides):
        values = {
            "decision": "sign",
            "signer_name": "Jeanne Durand",
            "signer_email": "jeanne@durand.example.com",
            "signature": cls.signature_png,
            "signer_role": "device",
        }
        values.update(overrides)
        return values

    @classmethod
    def _sign(cls, intervention=None, user=None, jobs=True, **overrides):
        """Sign on the technician's device; with ``jobs``, then run what the signature's
        scheduled action does right after the answer (the signed PDF, the emails)."""
        intervention = intervention or cls.intervention
        user = user or cls.tech
        signature = intervention.with_user(user)._fi_submit_signature(cls._sign_values(**overrides), {"user": user})
        if jobs:
            cls._run_sign_jobs()
        return signature.sudo()

    @classmethod
    def _run_sign_jobs(cls):
        run_sign_jobs(cls.env)

    def _mails(self, intervention=None):
        """The emails queued for the intervention (default: the common one), oldest first."""
        intervention = intervention or self.intervention
        return (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "field.intervention"), ("res_id", "=", intervention.id)], order="id")
        )


class FiSignHttpCase(FiSignCase, HttpCase):
    """The same fixture, with a real HTTP server and browser."""
