import io
from datetime import datetime
from unittest.mock import patch
from urllib.parse import urlparse

from freezegun import freeze_time
from pypdf import PdfReader

from odoo.tests import tagged

from .common import FiSignCase, FiSignHttpCase, run_sign_jobs


@tagged("-at_install", "post_install")
class TestPortalLang(FiSignHttpCase):
    """The customer pages speak the customer's language with its date format: opened by the
    link of a mail (the document's customer), by login (the user's), else the browser's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["portal", "field_intervention_sign"], ["fr_FR"], overwrite=True)
        (cls.customer | cls.site_contact).lang = "fr_FR"
        cls.other_customer.lang = "en_US"
        # 4 March 2025: 04/03/2025 in French, 03/04/2025 in English
        start = datetime(2025, 3, 4, 8, 0)
        cls.french_job = cls._fi_create_done_intervention(start=start)
        cls.english_job = cls._fi_create_done_intervention(task=cls.other_task, start=start)

    def _set_lang_cookie(self, lang):
        """The language cookie a previous page left (the same cookie as the server's, replaced)."""
        self.opener.cookies.set("frontend_lang", lang, domain=urlparse(self.base_url()).hostname, path="/")

    def _page(self, intervention, accept_language=None, cookie_lang=None):
        if cookie_lang:
            self._set_lang_cookie(cookie_lang)
        url = f"/my/interventions/{intervention.id}?access_token={intervention._portal_ensure_token()}"
        headers = {"Accept-Language": accept_language} if accept_language else {}
        response = self.url_open(url, headers=headers)
        self.assertEqual(response.status_code, 200)
        return response.text

    def _assert_texts(self, html, present, absent):
        # messages without the whole page: the page is long
        for text in present:
            self.assertTrue(text in html, f"{text!r} is missing from the page")
        for text in absent:
            self.assertFalse(text in html, f"{text!r} is on the page")

    def assertFrench(self, html):
        self._assert_texts(html, ("Signer", "Refuser", "Date de service", "04/03/2025"), ("Service date", "03/04/2025"))
        # the page's next requests and its scripts' translations (/website/translations) follow
        self.assertEqual(self.opener.cookies.get("frontend_lang"), "fr_FR")

    def assertEnglish(self, html):
        self._assert_texts(
            html, ("Sign", "Refuse", "Service date", "03/04/2025"), ("Date de service", "Refuser", "04/03/2025")
        )
        self.assertEqual(self.opener.cookies.get("frontend_lang"), "en_US")

    def test_signed_pdf_evidence_in_the_customers_language(self):
        """The signed PDF is made by the scheduled action, in its own user's language and time
        zone: its evidence page and its name are in the customer's language still, as the
        report, and the report's hours in the customer's time zone."""
        self.french_job.with_user(self.tech)._fi_submit_signature(
            self._sign_values(signer_name="Jeanne Durand"), {"user": self.tech}
        )
        self.french_job.partner_id.tz = "Indian/Reunion"
        intervention_class = type(self.env["field.intervention"])
        render, zones = intervention_class._fi_render_report_pdf, []

        def spy(intervention):
            zones.append(intervention.env.context.get("tz"))
            return render(intervention)

        with patch.object(intervention_class, "_fi_render_report_pdf", spy):
            run_sign_jobs(self.env(context={"lang": "en_US", "tz": "UTC"}))
        self.assertEqual(zones, ["Indian/Reunion"], "the report's hours are the site's, not the action's")
        attachment = self.french_job.signed_pdf_id
        self.assertTrue(attachment.name.endswith(" - signé.pdf"), attachment.name)
        evidence = PdfReader(io.BytesIO(attachment.raw)).pages[-1].extract_text()
        self.assertIn("Preuve de signature", " ".join(evidence.split()))

    def test_signing_dialog_speaks_french(self):
        """The signing dialog is built in the browser (JavaScript, templates): the frontend loads
        its words with the page's translations, so the customer reads "Signer", not "Sign"."""
        self.assertIn("field_intervention_sign.signature_form", self._page(self.french_job))
        response = self.url_open("/website/translations/fi?lang=fr_FR")
        self.assertEqual(response.status_code, 200)
        messages = response.json()["modules"].get("field_intervention_sign", {}).get("messages", [])
        self.assertIn({"id": "Sign", "string": "Signer"}, messages)

    def test_link_opens_in_the_customers_language(self):
        """A public visitor (the customer's phone) opening the mail's link reads the page in
        the customer's language, whatever the browser asks or a previous page left."""
        self.assertEqual(self.french_job.intervention_date.isoformat(), "2025-03-04")
        self.assertFrench(self._page(self.french_job))
        self.assertFrench(self._page(self.french_job, accept_language="en-US,en;q=0.9", cookie_lang="en_US"))
        self.assertEnglish(self._page(self.english_job, accept_language="fr-FR,fr;q=0.9", cookie_lang="fr_FR"))

    def test_browser_language_when_the_customer_has_none(self):
        """Accept-Language: fr -> French, when the customer's contact has no language."""
        (self.customer | self.site_contact).lang = False
        self.assertFrench(self._page(self.french_job, accept_language="fr"))
        self.assertFrench(self._page(self.french_job, accept_language="de-DE,fr-CA;q=0.8", cookie_lang="en_US"))

    def test_login_pages_in_the_users_language(self):
        self.portal_user.lang = "fr_FR"
        self.authenticate("fis_portal", "fis_portal")
        self._set_lang_cookie("en_US")
        response = self.url_open("/my/interventions", headers={"Accept-Language": "en-US"})
        self.assertEqual(response.status_code, 200)
        self._assert_texts(response.text, ("Trier par", "04/03/2025"), ("Sort By", "03/04/2025"))
        self.assertFrench(self._page(self.french_job, accept_language="en-US"))

    def test_verification_page_in_the_customers_language(self):
        self._sign(self.french_job)
        token = self.french_job.sudo().signature_id.verify_token
        self._set_lang_cookie("en_US")
        response = self.url_open(f"/fi/verify/{token}", headers={"Accept-Language": "en-US"})
        self.assertEqual(response.status_code, 200)
        self._assert_texts(
            response.text, ("Bon d'intervention signé", "Date de service", "04/03/2025"), ("Service date", "03/04/2025")
        )


@tagged("-at_install", "post_install")
class TestMailLang(FiSignCase):
    """The signed report's mail reaches the customer in its language and date format, whoever
    signs (here an English-speaking technician)."""

    def test_signed_mail_in_the_customers_date_format(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["field_intervention_sign"], ["fr_FR"], overwrite=True)
        (self.customer | self.site_contact).lang = "fr_FR"
        self.other_customer.lang = "en_US"
        self.assertEqual(self.tech.lang, "en_US")
        start = datetime(2025, 3, 4, 8, 0)
        french_job = self._fi_create_done_intervention(start=start)
        english_job = self._fi_create_done_intervention(task=self.other_task, start=start)
        with freeze_time("2025-03-04 14:05:00"):
            self._sign(french_job)
            self._sign(english_job, signer_email="leroy@example.com")
        Mail = self.env["mail.mail"].sudo()
        for job, date, words in (
            (french_job, "04/03/2025 14:05:00", "a été signé par"),
            (english_job, "03/04/2025 14:05:00", "was signed by"),
        ):
            mail = Mail.search(
                [
                    ("model", "=", "field.intervention"),
                    ("res_id", "=", job.id),
                    ("recipient_ids", "in", job.partner_id.ids),
                ]
            )
            self.assertEqual(len(mail), 1)
            self.assertIn(words, mail.body_html)
            self.assertIn(date, mail.body_html)
