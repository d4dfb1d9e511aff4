from datetime import date

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.field_intervention_invoice.tests.common import FieldInterventionInvoiceCommon
from odoo.addons.field_intervention_maintenance_invoice.hooks import set_fee_income_accounts


@tagged("-at_install", "post_install")
class TestContractFee(FieldInterventionInvoiceCommon):
    """The fees of the maintenance contracts: one draft invoice per started period, once; the
    unused part of an invoiced period credited at termination. The clock is passed explicitly."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.customer.lang = "fr_FR"
        cls.boiler = cls.env["field.intervention.equipment"].create(
            {"site_id": cls.site.id, "kind": "gas_boiler", "brand": "Viessmann"}
        )
        cls.fee_product = cls.env["product.product"].create(
            {
                "name": "Contrat d'entretien chaudière",
                "type": "service",
                "taxes_id": [Command.set(cls.tax_20.ids)],
                "property_account_income_id": cls.income_account.id,
                "company_id": cls.company.id,
            }
        )
        cls.company.fi_contract_fee_product_id = cls.fee_product
        cls.Fee = cls.env["field.intervention.contract.fee"]

    def _contract(self, start=date(2027, 1, 1), fee_period="yearly", fee_amount=1200.0, confirm=True, **terms):
        contract = (
            self.env["field.intervention.contract"]
            .with_user(self.manager)
            .create(
                {
                    "partner_id": self.customer.id,
                    "site_ids": [Command.set(self.site.ids)],
                    "project_id": self.project.id,
                    "date_start": start,
                    "fee_period": fee_period,
                    "fee_amount": fee_amount,
                    "line_ids": [Command.create({"equipment_id": self.boiler.id, "first_due_date": start})],
                    **terms,
                }
            )
        )
        if confirm:
            contract.action_confirm()
        return contract.with_env(self.env)

    def _run(self, today):
        """The scheduled action's work on the day ``today``: every running contract (of the
        test: the database may hold others, demo data)."""
        contracts = self.env["field.intervention.contract"].search(
            [("state", "=", "running"), ("partner_id", "=", self.customer.id)]
        )
        fees, remaining = contracts._fi_invoice_fees(today=today)
        self.assertEqual(remaining, 0)
        return fees

    def _label(self, contract, start, end):
        return f"Contrat {contract.name} – période du {start} au {end}"

    def test_new_contract_year_is_billed_at_the_revised_fee(self):
        """The fee invoicing of an anniversary runs the price revision first: the new year's
        invoice carries the revised fee, revised once."""
        contract = self._contract(price_revision="percentage", revision_percentage=3.0)
        self.assertEqual(self._run(date(2027, 1, 1)).amount, 1200.0)
        fee = self._run(date(2028, 1, 1))
        self.assertEqual(fee.amount, 1236.0)
        self.assertEqual(fee.move_id.amount_untaxed, 1236.0)
        self.assertEqual(contract.fee_amount, 1236.0)
        # the renewals' scheduled action the same day revises nothing again
        contract._fi_run_renewals(date(2028, 1, 1))
        self.assertEqual(contract.fee_amount, 1236.0)

    def test_refused_renewal_bills_nothing_after_the_end(self):
        """The customer refused the renewal: the contract's last year is billed, then nothing."""
        contract = self._contract(tacit_renewal=True)
        self.assertTrue(self._run(date(2027, 1, 1)))
        contract.with_user(self.manager).action_refuse_renewal()
        self.assertFalse(self._run(date(2028, 1, 1)))
        self.assertEqual(contract.state, "expired")
        self.assertEqual(contract.fee_count, 1)

    def test_yearly_fee_invoiced_in_advance(self):
        contract = self._contract()
        self.assertFalse(self._run(date(2026, 12, 31)), "a period not started is not invoiced")
        fee = self._run(date(2027, 1, 1))
        self.assertEqual(fee.contract_id, contract)
        self.assertEqual((fee.period_start, fee.period_end), (date(2027, 1, 1), date(2027, 12, 31)))
        self.assertEqual(fee.amount, 1200.0)
        # named in the user's language and date format
        self.assertEqual(fee.with_context(lang="fr_FR").display_name, f"{contract.name} : 01/01/2027 - 31/12/2027")
        invoice = fee.move_id
        self.assertRecordValues(
            invoice,
            [
                {
                    "move_type": "out_invoice",
                    "state": "draft",
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "invoice_date": date(2027, 1, 1),
                    "invoice_origin": contract.name,
                    "amount_untaxed": 1200.0,
                    "amount_tax": 240.0,
                }
            ],
        )
        line = invoice.invoice_line_ids
        self.assertEqual(len(line), 1)
        self.assertEqual(line.name, self._label(contract, "01/01/2027", "31/12/2027"))
        self.assertEqual(line.product_id, self.fee_product)
        self.assertEqual(line.account_id, self.income_account)
        self.assertEqual(line.tax_ids, self.tax_20)
        # the rest of the year: nothing; the next contract year: its invoice, in advance
        self.assertFalse(self._run(date(2027, 12, 31)))
        next_fee = self._run(date(2028, 1, 1))
        self.assertEqual((next_fee.period_start, next_fee.period_end), (date(2028, 1, 1), date(2028, 12, 31)))
        self.assertEqual(contract.fee_count, 2)
        self.assertEqual(contract.fee_ids, fee | next_fee)
        action = contract.with_user(self.manager).action_view_fees()
        self.assertEqual(self.Fee.search(action["domain"]), fee | next_fee)

    def test_shipped_fee_product_by_default(self):
        """Without a product in the settings: the shipped service, its income account 706 on the
        French chart, the company's sales tax (20 %) when the product has none of the company."""
        self.company.fi_contract_fee_product_id = False
        set_fee_income_accounts(self.env)
        self._contract()
        line = self._run(date(2027, 1, 1)).move_id.invoice_line_ids
        self.assertEqual(line.product_id, self.env.ref("field_intervention_maintenance_invoice.product_contract_fee"))
        self.assertEqual(line.account_id.code, "706000")
        self.assertEqual(line.tax_ids, self.company.account_sale_tax_id)
        self.assertEqual(line.tax_ids.amount, 20.0)

    def test_quarterly_fee_each_quarter_start(self):
        contract = self._contract(start=date(2027, 1, 15), fee_period="quarterly", fee_amount=90.0)
        # a run missed for months invoices each started quarter, once
        fees = self._run(date(2027, 8, 1)).sorted("period_start")
        self.assertEqual(
            [(fee.period_start, fee.period_end) for fee in fees],
            [
                (date(2027, 1, 15), date(2027, 4, 14)),
                (date(2027, 4, 15), date(2027, 7, 14)),
                (date(2027, 7, 15), date(2027, 10, 14)),
            ],
        )
        self.assertEqual(fees.mapped("amount"), [90.0, 90.0, 90.0])
        self.assertEqual(len(fees.move_id), 3)
        self.assertEqual(fees[2].move_id.invoice_line_ids.name, self._label(contract, "15/07/2027", "14/10/2027"))
        self.assertFalse(self._run(date(2027, 10, 14)))
        self.assertEqual(self._run(date(2027, 10, 15)).period_end, date(2028, 1, 14))

    def test_monthly_fee_ends_with_a_contract_that_does_not_renew(self):
        contract = self._contract(fee_period="monthly", fee_amount=20.0, duration_months=2, tacit_renewal=False)
        fees = self._run(date(2027, 6, 1))
        self.assertEqual(len(fees), 2, "two months, then the contract ended (expired)")
        self.assertEqual(contract.state, "expired")

    def test_run_twice_creates_nothing_twice(self):
        contract = self._contract(fee_period="monthly", fee_amount=30.0)
        first = self._run(date(2027, 3, 10))
        self.assertEqual(len(first), 3)
        invoices = self.env["account.move"].search([("invoice_origin", "=", contract.name)])
        self.assertEqual(invoices, first.move_id)
        self.assertFalse(self._run(date(2027, 3, 10)), "a second run invoices nothing")
        self.assertFalse(self._run(date(2027, 3, 31)))
        self.assertEqual(self.env["account.move"].search([("invoice_origin", "=", contract.name)]), invoices)
        # the database refuses a second record of the same period, whoever writes it
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.Fee.create(
                {
                    "contract_id": contract.id,
                    "company_id": self.company.id,
                    "period_start": date(2027, 2, 1),
                    "period_end": date(2027, 2, 28),
                    "amount": 30.0,
                }
            )

    def test_scheduled_action_by_batches(self):
        contract = self._contract(fee_period="monthly", fee_amount=30.0)
        fees, remaining = contract._fi_invoice_fees(today=date(2027, 3, 10), limit=2)
        self.assertEqual((len(fees), remaining), (2, 1), "two periods now, the third at the next call")
        fees, remaining = contract._fi_invoice_fees(today=date(2027, 3, 10), limit=2)
        self.assertEqual((fees.period_start, remaining), (date(2027, 3, 1), 0))
        # the scheduled action's entry point (on the company's today)
        with freeze_time("2027-04-01 09:00"):
            self.env["field.intervention.contract"]._cron_fi_invoice_fees()
        self.assertEqual(len(contract.fee_ids), 4)
        self.assertEqual(max(contract.fee_ids.mapped("period_start")), date(2027, 4, 1))

    def test_contract_not_running_gets_no_fee_invoice(self):
        draft = self._contract(confirm=False)
        terminated = self._contract(fee_period="monthly", fee_amount=25.0)
        with freeze_time("2027-01-20"):
            terminated.with_user(self.manager).action_terminate()
        self.assertFalse(self._run(date(2027, 6, 1)))
        self.assertFalse(draft.fee_ids)
        self.assertFalse(terminated.fee_ids)
        # nor when the method is given them directly
        self.assertFalse((draft | terminated)._fi_invoice_fees(today=date(2027, 6, 1))[0])

    def test_termination_credits_the_unused_part_of_a_posted_invoice(self):
        contract = self._contract()
        fee = self._run(date(2027, 1, 1))
        invoice = fee.move_id
        invoice.with_user(self.billing).action_post()
        self.assertEqual(invoice.state, "posted")
        # terminated on 1 April 2027: 91 days of the 365-day contract year used, 274 unused
        with freeze_time("2027-04-01 10:00"):
            contract.with_user(self.manager).action_terminate()
        self.assertEqual(contract.date_terminated, date(2027, 4, 1))
        refund = fee.refund_id
        self.assertRecordValues(
            refund,
            [
                {
                    "move_type": "out_refund",
                    "state": "draft",
                    "partner_id": self.customer.id,
                    "reversed_entry_id": invoice.id,
                    "invoice_date": date(2027, 4, 1),
                    "invoice_origin": contract.name,
                    "amount_untaxed": 900.82,  # 1200 x 274 / 365 = 900.8219...
                }
            ],
        )
        self.assertEqual(fee.refund_amount, 900.82)
        self.assertEqual(
            refund.invoice_line_ids.name,
            f"Contrat {contract.name} – partie non utilisée du 02/04/2027 au 31/12/2027 (résilié le 01/04/2027)",
        )
        self.assertEqual(refund.invoice_line_ids.tax_ids, self.tax_20)
        # exactly once: crediting again finds nothing to credit
        self.assertFalse(contract.sudo()._fi_credit_unused_fees(date(2027, 4, 1)))
        self.assertEqual(self.env["account.move"].search_count([("reversed_entry_id", "=", invoice.id)]), 1)
        # and a terminated contract is not terminated twice
        with self.assertRaises(UserError):
            contract.with_user(self.manager).action_terminate()

    def test_termination_reduces_a_draft_invoice(self):
        contract = self._contract()
        fee = self._run(date(2027, 1, 1))
        invoice = fee.move_id
        with freeze_time("2027-04-01 10:00"):
            contract.with_user(self.manager).action_terminate()
        self.assertFalse(fee.refund_id, "a draft that never left needs no credit note")
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.amount_untaxed, 299.18)  # 1200 - 900.82: the 91 days used
        self.assertEqual(invoice.invoice_line_ids.name, self._label(contract, "01/01/2027", "01/04/2027"))
        self.assertTrue(
            invoice.message_ids.filtered(
                lambda message: "résilié le 01/04/2027" in message.body and "900,82" in message.body
            )
        )
        self.assertEqual(fee.refund_amount, 900.82)
        self.assertFalse(self.env["account.move"].search([("reversed_entry_id", "=", invoice.id)]))

    def test_termination_on_the_last_day_of_a_period_credits_nothing(self):
        contract = self._contract(fee_period="monthly", fee_amount=50.0)
        fees = self._run(date(2027, 1, 1))
        fees.move_id.action_post()
        # terminated on the last day of the invoiced month: nothing unused
        with freeze_time("2027-01-31 10:00"):
            contract.with_user(self.manager).action_terminate()
        self.assertFalse(fees.refund_id)
        self.assertFalse(fees.refund_amount)

    def test_fee_periods_are_the_application_s(self):
        contract = self._contract()
        fee = self._run(date(2027, 1, 1))
        self.assertEqual(fee.with_user(self.billing).read(["move_id"])[0]["move_id"][0], fee.move_id.id)
        self.assertEqual(fee.with_user(self.manager).invoice_state, "draft")
        for user in (self.billing, self.manager):
            with self.assertRaises(AccessError):
                fee.with_user(user).write({"amount": 1.0})
            with self.assertRaises(AccessError):
                fee.with_user(user).unlink()
            with self.assertRaises(AccessError):
                self.Fee.with_user(user).create(
                    {"contract_id": contract.id, "period_start": date(2030, 1, 1), "period_end": date(2030, 12, 31)}
                )
        with self.assertRaises(AccessError):
            fee.with_user(self.tech_a).read(["amount"])
        # a technician reads the contract, not its invoicing
        self.assertEqual(contract.with_user(self.tech_a).fee_count, 0)
        contract.invalidate_recordset(["fee_count"])
        self.assertEqual(contract.with_user(self.manager).fee_count, 1)
        # the grid of the invoiced periods no longer moves
        with self.assertRaises(UserError):
            contract.with_user(self.manager).fee_period = "monthly"
        contract.with_user(self.manager).fee_amount = 1300.0
