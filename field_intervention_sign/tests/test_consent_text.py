from datetime import datetime, time, timedelta

from odoo import fields
from odoo.tests import tagged

from .common import FiSignHttpCase


@tagged("-at_install", "post_install")
class TestConsentText(FiSignHttpCase):
    """The sentence the customer signs is in the customer's language, with the date in that
    language's format, whoever renders it: the portal page, the technician's device, a cron."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.customer.lang = "fr_FR"
        cls.tech.lang = "en_US"
        # the service day: noon UTC three days ago, the same day in every time zone of Europe
        cls.day = (fields.Datetime.now() - timedelta(days=3)).date()
        cls.french = cls._fi_create_done_intervention(start=datetime.combine(cls.day, time(10, 0)))
        cls.token = cls.french._portal_ensure_token()

    def test_sentence_of_the_customer_whoever_renders(self):
        expected = self.french.with_context(lang="fr_FR")._fi_get_consent_text()
        self.assertIn("En signant, je confirme", expected)
        self.assertIn(f"du {self.day.strftime('%d/%m/%Y')} ont été réalisés", expected)
        self.assertNotIn(fields.Date.to_string(self.day), expected)
        renderers = {
            "technician reading English": self.french.with_user(self.tech),
            "superuser without language (a cron)": self.french.sudo().with_context(lang=None),
            "an English request": self.french.with_context(lang="en_US"),
            "the portal customer": self.french.with_user(self.portal_user).sudo(),
        }
        for name, record in renderers.items():
            with self.subTest(renderer=name):
                self.assertEqual(record._fi_get_consent_text(), expected)
        action = self.french.with_user(self.tech).action_fi_customer_sign()
        Wizard = self.env["field.intervention.sign.wizard"].with_user(self.tech)
        wizard = Wizard.with_context(**action["context"]).create({})
        self.assertEqual(wizard.consent_text, expected, "the device screen")
        signature = self._sign(self.french)
        self.assertEqual(signature.consent_text, expected, "the evidence")

    def test_portal_page_shows_the_customers_sentence(self):
        response = self.url_open(
            f"/my/interventions/{self.french.id}?access_token={self.token}", headers={"Accept-Language": "en-US"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"du {self.day.strftime('%d/%m/%Y')} ont", response.text)

    def test_customer_without_language_falls_back(self):
        """A contact without a language: the language of the screen the customer reads (the
        technician's, the portal page's), else the company's (a cron), else English."""
        self.customer.lang = False

        def on_the_technicians_phone(lang):  # a request of the technician is in their language
            self.tech.lang = lang
            return self.french.with_user(self.tech).with_context(lang=lang)._fi_get_consent_text()

        self.assertIn("En signant", on_the_technicians_phone("fr_FR"))
        text = on_the_technicians_phone("en_US")
        self.assertIn("By signing", text)
        self.assertIn(self.day.strftime("%m/%d/%Y"), text)
        cron = self.french.sudo().with_context(lang=None)
        self.french.company_id.partner_id.lang = "fr_FR"
        self.assertIn("En signant", cron._fi_get_consent_text())
        self.french.company_id.partner_id.lang = False
        self.assertIn("By signing", cron._fi_get_consent_text())
