from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import MaintenanceCommon

# the contract's term: 1 April 2030 - 31 March 2031, refused by 1 March 2031 (30 days' notice)
START = date(2030, 4, 1)
END = date(2031, 3, 31)
DEADLINE = date(2031, 3, 1)


@tagged("-at_install", "post_install")
class TestRenewal(MaintenanceCommon):
    """Tacit renewal (Code de la consommation L215-1 for consumers), refusal, price revision.
    Every run is given its ``today``: nothing depends on the real date."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.consumer = cls.env["res.partner"].create(
            {
                "name": "Jeanne Durand",
                "is_company": False,
                "email": "jeanne.durand@example.com",
                "street": "5 rue des Lilas",
                "zip": "69003",
                "city": "Lyon",
                "lang": "fr_FR",
            }
        )
        cls.consumer_boiler = cls._create_equipment(cls.consumer, kind="gas_boiler", brand="Chaffoteaux")
        cls.Index = cls.env["field.intervention.price.index"]
        cls.bt40_base = cls.Index.with_user(cls.manager).create({"name": "BT40", "month": "2030-01-01", "value": 120.0})

    def _consumer_contract(self, **values):
        values = {
            "partner_id": self.consumer.id,
            "site_ids": [(6, 0, self.consumer.ids)],
            "date_start": START,
            "fee_period": "yearly",
            "fee_amount": 180.0,
            **values,
        }
        return self._create_contract([(self.consumer_boiler, "yearly", 10)], **values)

    def _notices(self, contract):
        return contract.message_ids.filtered(
            lambda message: message.message_type == "comment" and self.consumer in message.partner_ids
        )

    # -- who is a consumer -------------------------------------------------------------------
    def test_consumer_or_business(self):
        self.assertTrue(self.consumer._fi_is_consumer())
        self.assertFalse(self.customer._fi_is_consumer())
        sole_trader = self.env["res.partner"].create({"name": "Paul Artisan", "vat": "FR23334175221"})
        self.assertFalse(sole_trader._fi_is_consumer())
        # a contact of a company is the company's
        self.assertFalse(self.site._fi_is_consumer())

    # -- the renewal notice ---------------------------------------------------------------------
    def test_notice_sent_once_in_the_window(self):
        contract = self._consumer_contract()
        self.assertEqual((contract.date_end, contract.renewal_deadline), (END, DEADLINE))
        self.assertTrue(contract.is_consumer)
        # three months and one day before the deadline: too early
        contract._fi_run_renewals(date(2030, 11, 30))
        self.assertFalse(contract.renewal_notice_sent_for)
        self.assertFalse(self._notices(contract))
        # two months before: sent, in the customer's language, with the French date format
        contract._fi_run_renewals(date(2031, 1, 1))
        self.assertEqual(contract.renewal_notice_sent_for, END)
        notice = self._notices(contract)
        self.assertEqual(len(notice), 1)
        self.assertIn(contract.name, notice.subject)
        self.assertIn("reconduit tacitement", notice.body)
        self.assertIn("31/03/2031", notice.body)
        self.assertIn("01/03/2031", notice.body)
        self.assertIn("180,00", notice.body)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", notice.id)])
        self.assertEqual(mail.recipient_ids, self.consumer)
        # never twice for the same term
        contract._fi_run_renewals(date(2031, 1, 2))
        contract._fi_run_renewals(date(2031, 2, 1))
        self.assertEqual(len(self._notices(contract)), 1)
        # the claim is a conditional update: a second claim of the same term gets nothing
        self.assertFalse(contract._fi_claim_notice())

    def test_notice_in_english_and_too_late(self):
        self.consumer.lang = "en_US"
        contract = self._consumer_contract()
        # less than one month before the deadline: too late for a notice (L215-1)
        contract._fi_run_renewals(date(2031, 2, 2))
        self.assertFalse(self._notices(contract))
        contract._fi_run_renewals(date(2031, 2, 1))
        notice = self._notices(contract)
        self.assertEqual(len(notice), 1)
        self.assertIn("renews by tacit renewal", notice.body)
        self.assertIn("03/31/2031", notice.body)

    def test_consumer_without_email_gets_a_letter(self):
        self.consumer.email = False
        contract = self._consumer_contract()
        contract._fi_run_renewals(date(2031, 1, 1))
        self.assertFalse(self._notices(contract))
        self.assertEqual(contract.renewal_notice_sent_for, END)
        self.assertEqual(contract.activity_ids.user_id, self.manager)
        self.assertEqual(contract.activity_ids.date_deadline, date(2031, 2, 1))
        contract._fi_run_renewals(date(2031, 1, 2))
        self.assertEqual(len(contract.activity_ids), 1)

    def test_notice_shows_the_revised_fee(self):
        contract = self._consumer_contract(price_revision="percentage", revision_percentage=3.0)
        self.assertEqual(contract.fee_yearly_revised, 185.4)
        contract._fi_run_renewals(date(2031, 1, 1))
        self.assertIn("185,40", self._notices(contract).body)

    def test_business_gets_a_reminder_not_a_notice(self):
        contract = self._create_contract([(self.boiler, "yearly", 10)], date_start=START)
        self.assertFalse(contract.is_consumer)
        contract._fi_run_renewals(date(2031, 1, 1))
        self.assertFalse(contract.renewal_notice_sent_for)
        self.assertFalse(contract.activity_ids)
        # one month before the deadline: a to-do for the contract's responsible, no mail
        contract._fi_run_renewals(date(2031, 2, 1))
        self.assertEqual(contract.renewal_notice_sent_for, END)
        self.assertEqual(contract.activity_ids.user_id, self.manager)
        self.assertEqual(contract.activity_ids.date_deadline, DEADLINE)
        self.assertFalse(contract.message_ids.filtered(lambda message: message.message_type == "comment"))
        contract._fi_run_renewals(date(2031, 2, 2))
        self.assertEqual(len(contract.activity_ids), 1)

    # -- renewal and refusal ------------------------------------------------------------------
    def test_renewal_extends_the_contract(self):
        contract = self._consumer_contract()
        contract._fi_run_renewals(date(2031, 1, 1))
        contract._fi_run_renewals(END)
        self.assertEqual((contract.state, contract.renewal_count), ("running", 0))
        contract._fi_run_renewals(date(2031, 4, 1))
        self.assertEqual(contract.state, "running")
        self.assertEqual(contract.renewal_count, 1)
        self.assertEqual(contract.date_end, date(2032, 3, 31))
        self.assertEqual(contract.renewal_deadline, date(2032, 3, 1))
        # the new term has its own notice
        self.assertTrue(contract._fi_notice_due(date(2032, 1, 1)))
        contract._fi_run_renewals(date(2032, 1, 1))
        self.assertEqual(len(self._notices(contract)), 2)
        # the planning of the visits (the other scheduled action) renews the same way
        contract._fi_plan_visits(today=date(2034, 4, 2))
        self.assertEqual((contract.renewal_count, contract.date_end), (4, date(2035, 3, 31)))

    def test_refusal_ends_the_contract(self):
        contract = self._consumer_contract()
        with self.assertRaises(AccessError):
            contract.with_user(self.tech_a).action_refuse_renewal()
        with self.assertRaises(AccessError):
            contract.with_user(self.manager).write({"renewal_refused_date": date(2031, 1, 5)})
        contract.with_user(self.manager).action_refuse_renewal()
        self.assertTrue(contract.renewal_refused_date)
        with self.assertRaises(UserError):
            contract.with_user(self.manager).action_refuse_renewal()
        # no notice for a renewal already refused; the contract ends at its end date
        contract._fi_run_renewals(date(2031, 1, 1))
        self.assertFalse(self._notices(contract))
        contract._fi_run_renewals(END)
        self.assertEqual(contract.state, "running")
        contract._fi_run_renewals(date(2031, 4, 1))
        self.assertEqual((contract.state, contract.date_end), ("expired", END))

    def test_refusal_needs_a_tacit_renewal(self):
        contract = self._consumer_contract(tacit_renewal=False)
        with self.assertRaises(UserError):
            contract.with_user(self.manager).action_refuse_renewal()

    # -- price revision -----------------------------------------------------------------------
    def test_revision_by_percentage(self):
        contract = self._consumer_contract(price_revision="percentage", revision_percentage=2.5, fee_amount=123.45)
        contract._fi_run_renewals(date(2031, 3, 31))
        self.assertEqual(contract.fee_amount, 123.45)
        contract._fi_run_renewals(date(2031, 4, 1))
        # 123.45 × 1.025 = 126.536... rounded to the cent
        self.assertEqual(contract.fee_amount, 126.54)
        self.assertEqual(contract.price_revision_date, date(2031, 4, 1))
        self.assertIn("123.45", contract.message_ids[0].body)
        self.assertIn("126.54", contract.message_ids[0].body)
        # once per anniversary
        contract._fi_run_renewals(date(2031, 4, 2))
        self.assertEqual(contract.fee_amount, 126.54)
        contract._fi_run_renewals(date(2032, 4, 1))
        self.assertEqual(contract.fee_amount, 129.70)

    def test_revision_of_a_leap_day_contract(self):
        contract = self._consumer_contract(
            date_start=date(2028, 2, 29), price_revision="percentage", revision_percentage=10.0, fee_amount=100.0
        )
        self.assertEqual(contract.price_revision_next, date(2029, 2, 28))
        contract._fi_run_renewals(date(2029, 2, 28))
        self.assertEqual((contract.fee_amount, contract.price_revision_date), (110.0, date(2029, 2, 28)))
        contract._fi_run_renewals(date(2029, 3, 1))
        self.assertEqual(contract.fee_amount, 110.0)
        self.assertEqual(contract.price_revision_next, date(2030, 2, 28))

    def test_scheduled_action(self):
        """The daily scheduled action finds what is due at its date (the clock frozen there)."""
        consumer = self._consumer_contract()
        revised = self._create_contract(
            [(self.boiler, "yearly", 10)],
            date_start=date(2030, 1, 15),
            price_revision="percentage",
            revision_percentage=2.0,
            fee_amount=50.0,
        )
        ending = self._create_contract([(self.boiler, "yearly", 10)], date_start=date(2030, 1, 16), tacit_renewal=False)
        idle = self._create_contract([(self.boiler, "yearly", 10)], date_start=date(2030, 9, 1))
        with freeze_time("2031-01-15 10:00:00"):
            self.env["field.intervention.contract"]._cron_renewals()
        self.assertEqual(consumer.renewal_notice_sent_for, END)
        self.assertEqual(len(self._notices(consumer)), 1)
        self.assertEqual((revised.state, revised.renewal_count, revised.fee_amount), ("running", 1, 51.0))
        self.assertEqual(ending.state, "running")
        self.assertFalse(idle.renewal_notice_sent_for)
        self.assertFalse(idle.activity_ids)
        with freeze_time("2031-01-16 10:00:00"):
            self.env["field.intervention.contract"]._cron_renewals()
        self.assertEqual(ending.state, "expired")
        self.assertEqual(revised.fee_amount, 51.0)

    def test_revision_by_index_missing_then_entered(self):
        contract = self._consumer_contract(
            price_revision="index", revision_index_id=self.bt40_base.id, fee_period="quarterly", fee_amount=100.0
        )
        self.assertFalse(contract.fee_revised)
        messages = contract.message_ids
        # the anniversary comes and BT40 of January 2031 is not entered: said once, not revised
        contract._fi_run_renewals(date(2031, 4, 1))
        self.assertEqual(contract.fee_amount, 100.0)
        self.assertEqual(contract.price_revision_missing_for, date(2031, 4, 1))
        warning, renewed = contract.message_ids - messages  # newest first
        self.assertIn("renewed", renewed.body)
        self.assertIn("BT40", warning.body)
        self.assertIn("01/2031", warning.body)
        self.assertEqual(len(contract.activity_ids), 1)
        contract._fi_run_renewals(date(2031, 4, 2))
        self.assertEqual(contract.message_ids - messages, renewed | warning)
        # the manager enters it (any day of the month is the month's value)
        new_index = self.Index.with_user(self.manager).create({"name": "BT40", "month": "2031-01-15", "value": 123.7})
        self.assertEqual(new_index.month, date(2031, 1, 1))
        self.assertEqual(contract.fee_revised, 103.08)
        contract._fi_run_renewals(date(2031, 4, 3))
        # 100 × 123.7 / 120 = 103.0833... rounded to the cent; the base moves to the value used
        self.assertEqual(contract.fee_amount, 103.08)
        self.assertEqual(contract.fee_yearly, 412.32)
        self.assertEqual(contract.revision_index_id, new_index)
        self.assertEqual(contract.revision_index_value, 123.7)
        self.assertEqual(contract.price_revision_date, date(2031, 4, 1))
        self.assertFalse(contract.price_revision_missing_for)
        self.assertIn("123.7", contract.message_ids[0].body)
        contract._fi_run_renewals(date(2031, 4, 4))
        self.assertEqual(contract.fee_amount, 103.08)

    def test_index_values_are_the_managers(self):
        with self.assertRaises(AccessError):
            self.Index.with_user(self.tech_a).create({"name": "BT41", "month": "2030-01-01", "value": 110.0})
        self.assertEqual(self.bt40_base.with_user(self.tech_a).value, 120.0)
        with self.assertRaises(UserError):
            self._consumer_contract(price_revision="index")
        contract = self._consumer_contract()
        with self.assertRaises(UserError):
            contract.with_user(self.manager).write({"notice_days": 400})
