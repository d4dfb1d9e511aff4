from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import FieldInterventionInvoiceCommon


@tagged("-at_install", "post_install")
class TestInvoiceLang(FieldInterventionInvoiceCommon):
    """The invoice lines are written in the customer's language and date format, whoever
    invoices: the scheduled action (the superuser, in English) or a user of another language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.customer.lang = "fr_FR"
        cls.english_customer = cls._create_customer("Bakery Ltd", "41234567800019", lang="en_US")
        cls.travel_product.with_context(lang="en_US").name = "Travel"
        cls.travel_product.with_context(lang="fr_FR").name = "Déplacement"
        cls.cron = cls.env.ref("field_intervention_invoice.ir_cron_field_intervention_invoice")

    def _invoice_with_cron_in(self, lang):
        """A French and an English customer's interventions of 2 December 2026, signed, then
        invoiced by the scheduled action run in an environment of ``lang``."""
        with freeze_time("2026-12-02 17:00"):
            start = datetime(2026, 12, 2, 8)
            french = self._create_done_intervention(start=start)
            english = self._create_done_intervention(task=self._create_task(self.english_customer), start=start)
            self._sign(french | english, invoice=False)
            __, progress = self.cron._add_progress()
            self.env["field.intervention"].with_context(lang=lang, ir_cron_progress_id=progress.id)._cron_fi_invoice()
        return french, english

    def _product_lines(self, intervention):
        return self._invoice_of(intervention).invoice_line_ids.filtered(lambda line: line.display_type == "product")

    def test_lines_in_the_customers_language_whoever_invoices(self):
        for env_lang in ("en_US", "fr_FR"):
            with self.subTest(env_lang=env_lang):
                french, english = self._invoice_with_cron_in(env_lang)
                self.assertEqual(str(french.intervention_date), "2026-12-02")
                french_lines = self._product_lines(french)
                english_lines = self._product_lines(english)
                self.assertEqual(len(french_lines), 4, "labour, travel and two parts")
                self.assertEqual(len(english_lines), 4)
                for line in french_lines:
                    self.assertIn(f"\n{french.name} - 02/12/2026 - Fournil Lyon, Lyon", line.name)
                for line in english_lines:
                    self.assertIn(f"\n{english.name} - 12/02/2026", line.name)
                travel = self.travel_product
                self.assertTrue(
                    french_lines.filtered(lambda line, p=travel: line.product_id == p).name.startswith("Déplacement\n")
                )
                self.assertTrue(
                    english_lines.filtered(lambda line, p=travel: line.product_id == p).name.startswith("Travel\n")
                )
