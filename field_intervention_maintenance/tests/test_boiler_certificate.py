import io
import json
from datetime import timedelta
from unittest.mock import patch

from pypdf import PdfReader

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import config, mute_logger
from odoo.tools.misc import format_date

from odoo.addons.field_intervention_sign.tests.common import fake_report_pdf, make_signature_png, run_sign_jobs
from odoo.addons.mail.tests.common import mail_new_test_user

from .common import MaintenanceCommon

ARRETE = "arrêté du 15 septembre 2009"


def pdf_text(pdf):
    """The text of a PDF as a reader extracts it, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@tagged("-at_install", "post_install")
class TestBoilerCertificate(MaintenanceCommon, HttpCase):
    """The annual boiler maintenance certificate, produced by the signature's job pipeline from
    the visit's measurements, mailed, kept on the equipment and in the customer's portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the signed report itself is not what these tests read: a one-page stand-in
        Intervention = type(cls.env["field.intervention"])
        cls.startClassPatcher(patch.object(Intervention, "_fi_render_report_pdf", fake_report_pdf))
        cls.company.write(
            {
                "name": "Chauffage Rhône SARL",
                "street": "8 quai Perrache",
                "zip": "69002",
                "city": "Lyon",
                "company_registry": "12345678200010",
                "email": "office@chauffage-rhone.example.com",
            }
        )
        if "siret" in cls.company.partner_id._fields:  # l10n_fr's SIRET comes first when installed
            cls.company.partner_id.siret = "12345678200010"
        cls.customer.email = "contact@martin.example.com"
        cls.boiler.write(
            {
                "model": "Vitodens 100",
                "power_kw": 24.0,
                "room": "Cuisine",
                "flue_type": "sealed",
                "last_sweep_date": cls.today - timedelta(days=40),
                "reference_efficiency": 92.0,
                "reference_nox": 56.0,
            }
        )
        contact = cls.env["res.partner"].create({"name": "Jeanne Martin", "parent_id": cls.customer.id})
        other_contact = cls.env["res.partner"].create({"name": "Paul Parc", "parent_id": cls.other_customer.id})
        cls.portal_user = mail_new_test_user(
            cls.env, login="fi_cert_own", groups="base.group_portal", partner_id=contact.id, password="fi_cert_own"
        )
        cls.portal_other = mail_new_test_user(
            cls.env,
            login="fi_cert_other",
            groups="base.group_portal",
            partner_id=other_contact.id,
            password="fi_cert_other",
        )

    def _done_visit(self, equipment, co_ambient=4.0, done=True):
        """A visit of the technician on ``equipment``, its measurements typed, done."""
        start = fields.Datetime.now() - timedelta(hours=3)
        intervention = self._create_intervention(
            equipment_ids=[Command.set(equipment.ids)],
            work_description="Entretien annuel",
            time_ids=[Command.create({"date_start": start, "date_end": start + timedelta(hours=1)})],
        ).with_user(self.tech_a)
        values = {
            "co_ambient": co_ambient,
            "flue_temperature": 62.5,
            "o2": 5.1,
            "co_flue": 38.0,
            "efficiency": 95.3,
            "nox": 48.0,
        }
        for line in intervention.checklist_line_ids.filtered("measure_kind"):
            line.measure_value = values[line.measure_kind]
        intervention.write(
            {
                "checklist_line_ids": [Command.create({"name": "Nettoyage du corps de chauffe", "result": "done"})],
                "measuring_instruments": "Analyseur Testo 310 n° 4711",
                "sizing_assessment": "Puissance adaptée aux besoins du logement.",
                "advice_use": "Ne pas obstruer les entrées d'air.",
                "advice_improvement": "Poser un thermostat d'ambiance programmable.",
                "advice_replacement": "Remplacement sans intérêt à ce jour.",
            }
        )
        if done:
            intervention.action_done()
        return intervention

    def _sign(self, intervention):
        values = {
            "decision": "sign",
            "signer_name": "Jeanne Martin",
            "signer_email": "jeanne@martin.example.com",
            "signature": make_signature_png(),
            "signer_role": "device",
        }
        return intervention.with_user(self.tech_a)._fi_submit_signature(values, {"user": self.tech_a})

    def _sign_and_run(self, intervention):
        self._sign(intervention)
        # the certificate is rendered for real by wkhtmltopdf, which fetches its assets here
        self.env["ir.config_parameter"].sudo().set_param("report.url", f"http://127.0.0.1:{config['http_port']}")
        run_sign_jobs(self.env(context=dict(self.env.context, force_report_rendering=True)))
        self.assertFalse(intervention.sudo().sign_pending_job, intervention.sudo().sign_job_error)

    def test_measurement_lines(self):
        """A boiler visit gets its typed measurement lines; they lock with the report and are signed."""
        intervention = self._done_visit(self.boiler)
        measures = intervention.checklist_line_ids.filtered("measure_kind")
        self.assertEqual(
            set(measures.mapped("measure_kind")),
            {"co_ambient", "flue_temperature", "o2", "co_flue", "efficiency", "nox"},
        )
        self.assertEqual(measures.equipment_id, self.boiler)
        efficiency = measures.filtered(lambda line: line.measure_kind == "efficiency")
        self.assertEqual((efficiency.measure_unit, efficiency.measure_reference), ("%", 92.0))
        content = intervention._fi_get_canonical_content()
        self.assertIn('["SN-1","efficiency","95.3","92.0"]', content)
        self.assertIn("Analyseur Testo 310", content)
        with self.assertRaises(UserError):
            efficiency.with_user(self.tech_a).measure_value = 80.0  # done: locked
        # the heat pump gets no boiler measurement (nor new keys in its signed content); a boiler
        # taken off takes its lines away
        other = self._create_intervention(equipment_ids=[Command.set(self.heat_pump.ids)]).with_user(self.tech_a)
        self.assertFalse(other.checklist_line_ids.filtered("measure_kind"))
        other_content = json.loads(other._fi_get_canonical_content())
        self.assertNotIn("measurements", other_content)
        self.assertNotIn("certificate", other_content)
        other.equipment_ids = [Command.link(self.boiler.id)]
        self.assertEqual(len(other.checklist_line_ids.filtered("measure_kind")), 6)
        other.equipment_ids = [Command.unlink(self.boiler.id)]
        self.assertFalse(other.checklist_line_ids.filtered("measure_kind"))
        with self.assertRaises(ValidationError):
            other.checklist_line_ids = [
                Command.create({"name": "CO", "measure_kind": "co_ambient", "equipment_id": self.boiler.id})
            ]

    def test_certificate_after_signature(self):
        intervention = self._done_visit(self.boiler)
        self._sign(intervention)
        self.assertFalse(intervention.sudo().boiler_certificate_ids, "not in the customer's request")
        self.env["ir.config_parameter"].sudo().set_param("report.url", f"http://127.0.0.1:{config['http_port']}")
        run_sign_jobs(self.env(context=dict(self.env.context, force_report_rendering=True)))
        intervention = intervention.sudo()
        self.assertFalse(intervention.sign_pending_job, intervention.sign_job_error)
        certificate = intervention.boiler_certificate_ids
        self.assertEqual(len(certificate), 1)
        self.assertEqual(certificate.equipment_id, self.boiler)
        self.assertEqual(certificate.attachment_id.res_model, "field.intervention.equipment")
        self.assertEqual(certificate.attachment_id.res_id, self.boiler.id)
        self.assertEqual(self.boiler.boiler_certificate_ids, certificate)
        pdf = certificate.attachment_id.raw
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = pdf_text(pdf)
        fr = self.env(context={"lang": "fr_FR"})
        visit_date = format_date(fr, intervention.intervention_date)
        # (item, legal source, expected text): what the certificate must carry
        items = [
            ("title", "C. env. R. 224-41-8", "Attestation d'entretien annuel de chaudière"),
            ("professional's name", f"{ARRETE}, annexe 5", "Chauffage Rhône SARL"),
            ("professional's address", f"{ARRETE}, annexe 5", "8 quai Perrache"),
            ("professional's SIRET", f"{ARRETE}, annexe 5", "12345678200010"),
            ("technician", f"{ARRETE}, annexe 5", "Alice Technician"),
            ("who ordered the service", "C. env. R. 224-41-5 and R. 224-41-8", "Boulangerie Martin"),
            ("address of the installation", f"{ARRETE}, annexe 5", "3 avenue Jean Jaurès"),
            ("room", f"{ARRETE}, annexe 5", "Cuisine"),
            ("date of the visit", "C. env. R. 224-41-8 (15 days run from it)", f"Date de la visite : {visit_date}"),
            ("make", f"{ARRETE}, annexe 5", "Viessmann Vitodens 100"),
            ("serial number", f"{ARRETE}, annexe 5", "SN-1"),
            ("energy", f"{ARRETE}, annexe 5", "Gaz naturel"),
            ("rated power", "C. env. R. 224-41-4 (4 to 400 kW)", "24,0 kW"),
            ("flue", f"{ARRETE}, annexe 5", "Étanche (ventouse)"),
            (
                "last chimney sweep",
                f"{ARRETE}, annexe 5",
                format_date(fr, self.today - timedelta(days=40)),
            ),
            ("points checked", f"{ARRETE}, art. 1 and annexe 1", "Nettoyage du corps de chauffe"),
            ("measuring instruments", f"{ARRETE}, annexe 5", "Analyseur Testo 310 n° 4711"),
            ("room CO reading", f"{ARRETE}, annexe 1", "CO dans l'air ambiant 4,0 ppm"),
            (
                "CO statement below 10 ppm",
                f"{ARRETE}, annexe 1 (10 ppm since 1 July 2014)",
                "Teneur en CO mesurée inférieure à 10 ppm",
            ),
            ("flue temperature", f"{ARRETE}, annexe 2", "62,5 °C"),
            ("efficiency and its reference", f"{ARRETE}, art. 1 and annexe 2", "Rendement 95,3 % 92,0 %"),
            ("efficiency assessment", "C. env. R. 224-41-6 2°", "Égal ou supérieur à la valeur de référence"),
            ("NOx emissions and reference", f"{ARRETE}, annexe 3", "48,0 mg/kWh 56,0 mg/kWh"),
            ("sizing against the needs", "C. env. R. 224-41-6 2°; arrêté art. 1", "Puissance adaptée aux besoins"),
            ("advice on good use", "C. env. R. 224-41-6 3°; arrêté annexe 4", "Ne pas obstruer les entrées d'air."),
            ("possible improvements", "C. env. R. 224-41-6 3°; arrêté annexe 4", "thermostat d'ambiance programmable"),
            ("interest of replacement", "C. env. R. 224-41-6 3°; arrêté annexe 4", "Remplacement sans intérêt"),
            ("kept two years", "C. env. R. 224-41-8", "au moins deux ans"),
        ]
        missing = [(item, source, expected) for item, source, expected in items if expected not in text]
        self.assertFalse(missing, f"items missing from the certificate:\n{missing}\n--- text:\n{text}")

        # joined to the customer's mail of the signature, next to the signed report
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "field.intervention"), ("res_id", "=", intervention.id)])
        )
        customer_mail = mails.filtered(lambda mail: certificate.attachment_id in mail.attachment_ids)
        self.assertEqual(len(customer_mail), 1)
        self.assertIn(intervention.signed_pdf_id, customer_mail.attachment_ids)

        # idempotent: the job (or its hook) running again makes no second certificate
        intervention._on_signed_pdf_ready()
        intervention._fi_process_pending_jobs()
        self.assertEqual(intervention.boiler_certificate_ids, certificate)
        self.assertEqual(
            self.env["ir.attachment"].search_count(
                [("res_model", "=", "field.intervention.equipment"), ("res_id", "=", self.boiler.id)]
            ),
            1,
        )
        with self.assertRaises(AccessError):
            certificate.with_user(self.manager).write({"visit_date": self.today})

        # the portal: the customer's equipment page lists it and serves it; nobody else gets it
        url = certificate._fi_portal_url()
        self.authenticate("fi_cert_own", "fi_cert_own")
        page = self.url_open(f"/my/equipment/{self.boiler.id}")
        self.assertIn(url, page.text)
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertEqual(response.content, pdf)
        # a certificate id under another of its own equipment: not this route's file
        self.assertEqual(
            self.url_open(f"/my/equipment/{self.heat_pump.id}/certificate/{certificate.id}").status_code, 404
        )
        self.authenticate("fi_cert_other", "fi_cert_other")
        self.assertEqual(self.url_open(url).status_code, 404)
        self.assertFalse(
            self.env["field.intervention.boiler.certificate"].with_user(self.portal_other).search([]),
            "another customer reads none of them",
        )
        self.assertEqual(
            self.env["field.intervention.boiler.certificate"].with_user(self.portal_user).search([]), certificate
        )

    def test_co_statements(self):
        """The statement printed follows the room air's CO reading (thresholds 10 and 50 ppm)."""
        Certificate = self.env["field.intervention.boiler.certificate"].with_context(lang="fr_FR")
        intervention = self._done_visit(self.boiler, co_ambient=10.0, done=False)
        measures = intervention.checklist_line_ids.filtered("measure_kind")
        reading = measures.filtered(lambda line: line.measure_kind == "co_ambient")
        self.assertIn("comprise entre 10 ppm et 50 ppm", Certificate._fi_co_statement(measures))
        reading.measure_value = 50.0
        self.assertIn("danger grave et immédiat", Certificate._fi_co_statement(measures))
        reading.measure_value = 9.9
        self.assertIn("inférieure à 10 ppm", Certificate._fi_co_statement(measures))

    def test_no_certificate_without_boiler(self):
        intervention = self._done_visit(self.heat_pump)
        self._sign(intervention)
        run_sign_jobs(self.env)
        intervention = intervention.sudo()
        self.assertEqual(intervention.state, "signed")
        self.assertFalse(intervention.sign_pending_job, intervention.sign_job_error)
        self.assertFalse(intervention.boiler_certificate_ids)
        self.assertFalse(self.heat_pump.boiler_certificate_ids)

    def test_certificate_failure_is_retried(self):
        """A certificate that cannot be rendered leaves the signature's jobs pending (nothing
        half done); the retry produces it once, then the customer's mail joins it."""
        intervention = self._done_visit(self.boiler)
        self._sign(intervention)
        Certificate = type(self.env["field.intervention.boiler.certificate"])
        with (
            patch.object(Certificate, "_fi_render_and_attach", side_effect=RuntimeError("wkhtmltopdf is down")),
            mute_logger("odoo.addons.field_intervention_sign.models.field_intervention_sign_job_mixin"),
        ):
            run_sign_jobs(self.env)
        intervention = intervention.sudo()
        self.assertTrue(intervention.sign_pending_job)
        self.assertIn("wkhtmltopdf is down", intervention.sign_job_error)
        self.assertFalse(intervention.boiler_certificate_ids)
        self.assertEqual(intervention.state, "signed", "the signature is kept")
        # the scheduled action's next try
        intervention.sign_job_next_try = fields.Datetime.now() - timedelta(seconds=1)
        run_sign_jobs(self.env)
        self.assertFalse(intervention.sign_pending_job, intervention.sign_job_error)
        certificate = intervention.boiler_certificate_ids
        self.assertEqual(len(certificate), 1)
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "field.intervention"), ("res_id", "=", intervention.id)])
        )
        self.assertEqual(len(mails.filtered(lambda mail: certificate.attachment_id in mail.attachment_ids)), 1)
