import base64
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from unittest.mock import patch

from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.l10n_fr_pa_flow.tools.ereport import PAYMENTS, TRANSACTIONS, check_report, last_ended_period, period

from .common import PaCommon


@tagged("post_install", "-at_install")
class TestEreporting(PaCommon):
    """E-reporting: the sales that are not e-invoices (individuals, businesses abroad) and the
    collections of services with VAT on receipts reach the platform as FRR reports. Every date is
    explicit (the daily run is given its day): in January 2025, far from any demo invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tax_10 = cls.tax.copy({"name": "TVA 10 % (PA test)", "amount": 10.0})
        cls.tax_goods = cls.env["account.tax"].create(
            {"name": "TVA 20 % biens (PA test)", "amount": 20.0, "type_tax_use": "sale", "company_id": cls.company.id}
        )
        cls.belgian = cls.env["res.partner"].create(
            {
                "name": "Chauffage Bruxelles SPRL",
                "is_company": True,
                "country_id": cls.env.ref("base.be").id,
                "vat": "BE0477472701",
            }
        )

    def sell(self, partner, day, lines, move_type="out_invoice"):
        """Post an invoice of ``lines`` [(product, price, tax)] on ``day``."""
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": day,
                "date": day,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity": 1,
                            "price_unit": price,
                            "tax_ids": [Command.set(tax.ids)],
                        }
                    )
                    for product, price, tax in lines
                ],
            }
        )
        move.action_post()
        return move

    def pay(self, move, amount, day):
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"amount": amount, "payment_date": day})
            ._create_payments()
        )

    def run_ereport(self, day):
        return self.env["l10n_fr_pa.ereport"]._cron_ereport(today=day)

    def xml(self, report):
        content = base64.b64decode(report.file)
        self.assertEqual(check_report(content), [], "the report passes the structural check")
        return etree.fromstring(content)

    def frr_deposits(self):
        return [info for info in self.pa.deposits() if info["flowSyntax"] == "FRR"]

    def test_individual_in_next_transactions_report(self):
        self.sell(
            self.individual,
            "2025-01-03",
            [(self.service, 100.0, self.tax), (self.goods, 50.0, self.tax_goods), (self.service, 200.0, self.tax_10)],
        )
        self.sell(self.individual, "2025-01-03", [(self.service, 10.0, self.tax)])
        self.assertFalse(self.run_ereport(date(2025, 1, 10)), "the period has not ended")
        report = self.run_ereport(date(2025, 1, 11))
        self.assertRecordValues(
            report,
            [
                {
                    "kind": TRANSACTIONS,
                    "date_start": date(2025, 1, 1),
                    "date_end": date(2025, 1, 10),
                    "type_code": "IN",
                    "state": "queued",
                    "flow_type": "AggregatedCustomerTransactionReport",
                    "amount": 360.0,
                }
            ],
        )
        self.assertEqual(len(report.move_ids), 2)
        self.deposit()
        self.assertEqual(report.state, "sent")
        info = self.frr_deposits()[0]
        self.assertEqual((info["flowSyntax"], info["processingRule"]), ("FRR", "NotApplicable"))
        root = self.xml(report)
        self.assertEqual(root.findtext("ReportDocument/TypeCode"), "IN")
        self.assertEqual(root.findtext("ReportDocument/Id"), report.transmission_id)
        issuer = root.find("ReportDocument/Issuer/Id")
        self.assertEqual((issuer.text, issuer.get("schemeId")), ("303265045", "0002"))
        self.assertEqual(root.findtext("TransactionsReport/ReportPeriod/StartDate"), "20250101")
        self.assertEqual(root.findtext("TransactionsReport/ReportPeriod/EndDate"), "20250110")
        self.assertIsNone(root.find("PaymentsReport"), "one kind per file (G6.29)")
        self.assertIsNone(root.find("TransactionsReport/Invoice"))
        blocks = {node.findtext("CategoryCode"): node for node in root.iterfind("TransactionsReport/Transactions")}
        self.assertEqual(set(blocks), {"TLB1", "TPS1"})
        services = blocks["TPS1"]
        self.assertEqual(services.findtext("Date"), "20250103")
        self.assertEqual(services.findtext("TransactionsCurrency"), "EUR")
        self.assertEqual(services.findtext("TaxExclusiveAmount"), "310.00")
        self.assertEqual(services.findtext("TaxTotal"), "42.00")
        self.assertEqual(services.findtext("TransactionsCount"), "2")
        self.assertIsNone(services.find("TaxDueDateTypeCode"), "VAT on receipts: no option for debits")
        self.assertEqual(
            [
                (node.findtext("TaxPercent"), node.findtext("TaxableAmount"), node.findtext("TaxTotal"))
                for node in services.iterfind("TaxSubtotal")
            ],
            [("20.00", "110.00", "22.00"), ("10.00", "200.00", "20.00")],
        )
        goods = blocks["TLB1"]
        self.assertEqual((goods.findtext("TaxExclusiveAmount"), goods.findtext("TaxTotal")), ("50.00", "10.00"))
        self.assertFalse(self.run_ereport(date(2025, 1, 12)), "reported once")
        self.assertFalse(self.run_ereport(date(2025, 1, 21)), "nothing sold in the next decade: nothing sent")

    def test_period_due_after_midnight_in_paris(self):
        """The daily run reports a decade as soon as it has ended in France: at 00:30 in Paris
        (23:30 UTC, still the last day of the decade in UTC), whatever its user's time zone."""
        ereport = self.env["l10n_fr_pa.ereport"].with_context(tz="UTC")
        self.assertEqual(ereport._ereport_today(datetime(2025, 1, 10, 22, 59)), date(2025, 1, 10))
        self.assertEqual(ereport._ereport_today(datetime(2025, 1, 10, 23, 30)), date(2025, 1, 11))
        self.assertEqual(ereport._ereport_today(datetime(2025, 7, 31, 22, 30)), date(2025, 8, 1), "summer time")
        self.sell(self.individual, "2025-01-10", [(self.service, 100.0, self.tax)])
        with patch.object(type(ereport), "_ereport_today", lambda self: date(2025, 1, 11)):
            report = ereport._cron_ereport()
        self.assertEqual((report.date_start, report.date_end), (date(2025, 1, 1), date(2025, 1, 10)))

    def test_foreign_business_invoice_unitary(self):
        move = self.sell(self.belgian, "2025-01-04", [(self.service, 1000.0, self.tax)])
        report = self.run_ereport(date(2025, 1, 11))
        self.assertEqual(report.flow_type, "UnitaryCustomerTransactionReport")
        self.assertFalse(self.flows(move), "not an e-invoice: not deposited as an invoice")
        invoice = self.xml(report).find("TransactionsReport/Invoice")
        self.assertEqual(invoice.findtext("ID"), move.name)
        self.assertEqual(invoice.findtext("IssueDate"), "20250104")
        self.assertEqual(invoice.findtext("TypeCode"), "380")
        self.assertEqual(invoice.findtext("BusinessProcess/ID"), "S1")
        self.assertEqual(invoice.findtext("BusinessProcess/TypeID"), "urn.cpro.gouv.fr:1p0:ereporting")
        self.assertEqual(invoice.findtext("Seller/CompanyId"), "303265045")
        buyer = invoice.find("Buyer/CompanyId")
        self.assertEqual((buyer.text, buyer.get("schemeId")), ("BE0477472701", "0223"))
        self.assertEqual(invoice.findtext("Buyer/PostalAddress/CountryId"), "BE")
        self.assertEqual(invoice.findtext("MonetaryTotal/TaxExclusiveAmount"), "1000.00")
        self.assertEqual(invoice.find("MonetaryTotal/TaxAmount").get("CurrencyCode"), "EUR")
        self.assertEqual(len(invoice.findall("TaxSubTotal")), 1)

    def test_french_business_is_not_reported(self):
        """A French business's invoice is an e-invoice (deposited as such): no report, and a
        period without any other sale sends nothing."""
        move = self.sell(self.customer, "2025-01-04", [(self.service, 100.0, self.tax)])
        self.pay(move, 120.0, "2025-01-05")
        self.assertFalse(self.run_ereport(date(2025, 2, 1)))
        self.deposit()
        self.assertEqual(self.flows(move).state, "sent")
        self.assertFalse(self.frr_deposits())
        self.assertFalse(self.env["l10n_fr_pa.ereport"].search([("move_ids", "in", move.ids)]))

    def test_collection_of_individual_service_in_payments_report(self):
        move = self.sell(
            self.individual, "2025-01-03", [(self.service, 100.0, self.tax), (self.goods, 50.0, self.tax_goods)]
        )
        goods_only = self.sell(self.individual, "2025-01-03", [(self.goods, 50.0, self.tax_goods)])
        self.pay(move, 180.0, "2025-01-15")
        self.pay(goods_only, 60.0, "2025-01-15")
        self.assertFalse(self.run_ereport(date(2025, 1, 31)).filtered(lambda report: report.kind == PAYMENTS))
        reports = self.run_ereport(date(2025, 2, 1))
        payments = reports.filtered(lambda report: report.kind == PAYMENTS)
        self.assertRecordValues(
            payments,
            [
                {
                    "date_start": date(2025, 1, 1),
                    "date_end": date(2025, 1, 31),
                    "type_code": "IN",
                    "flow_type": "AggregatedCustomerPaymentReport",
                }
            ],
        )
        self.assertEqual(payments.move_ids, move, "goods owe their VAT on delivery: their collection is not reported")
        root = self.xml(payments)
        self.assertIsNone(root.find("TransactionsReport"))
        payment = root.find("PaymentsReport/Transactions/Payment")
        self.assertEqual(payment.findtext("Date"), "20250115")
        self.assertEqual(
            [(node.findtext("TaxPercent"), node.findtext("Amount")) for node in payment.iterfind("SubTotals")],
            [("20.00", "120.00")],
            "the services' part of the collection, VAT included",
        )

    def test_credit_note_after_report_restates_period(self):
        move = self.sell(self.individual, "2025-01-03", [(self.service, 100.0, self.tax)])
        first = self.run_ereport(date(2025, 1, 11))
        self.deposit()
        self.assertEqual(first.state, "sent")
        refund = move._reverse_moves([{"invoice_date": "2025-01-05", "date": "2025-01-05"}])
        refund.invoice_line_ids.price_unit = 20.0
        refund.action_post()
        restated = self.run_ereport(date(2025, 1, 12))
        self.assertRecordValues(
            restated,
            [{"type_code": "RE", "date_start": date(2025, 1, 1), "date_end": date(2025, 1, 10), "amount": 80.0}],
        )
        self.assertNotEqual(restated.transmission_id, first.transmission_id, "a new transmission id (G8.05)")
        self.assertEqual(restated.move_ids, move | refund)
        root = self.xml(restated)
        self.assertEqual(root.findtext("ReportDocument/TypeCode"), "RE")
        days = {node.findtext("Date"): node for node in root.iterfind("TransactionsReport/Transactions")}
        self.assertEqual(days["20250103"].findtext("TaxExclusiveAmount"), "100.00")
        self.assertEqual(days["20250105"].findtext("TaxExclusiveAmount"), "-20.00")
        self.assertEqual(days["20250105"].findtext("TaxTotal"), "-4.00")
        self.deposit()
        self.assertEqual(restated.state, "sent")
        self.assertEqual(len(self.frr_deposits()), 2)
        self.assertFalse(self.run_ereport(date(2025, 1, 13)), "restated once")

    def test_collection_of_foreign_business_invoice_unitary(self):
        """10.2: the collections of an invoice to a business abroad, one per invoice and day."""
        move = self.sell(self.belgian, "2025-01-04", [(self.service, 1000.0, self.tax)])
        self.pay(move, 600.0, "2025-01-20")
        self.pay(move, 600.0, "2025-01-22")
        payments = self.run_ereport(date(2025, 2, 1)).filtered(lambda report: report.kind == PAYMENTS)
        self.assertEqual(payments.flow_type, "UnitaryCustomerPaymentReport")
        self.assertEqual(payments.amount, 1200.0)
        invoices = self.xml(payments).findall("PaymentsReport/Invoice")
        self.assertEqual(
            [
                (node.findtext("InvoiceID"), node.findtext("IssueDate"), node.findtext("Payment/Date"))
                for node in invoices
            ],
            [(move.name, "20250104", "20250120"), (move.name, "20250104", "20250122")],
        )
        self.assertEqual(invoices[0].findtext("Payment/SubTotals/Amount"), "600.00")

    def test_cancelled_invoice_restates_period(self):
        """The only sale of a reported period cancelled: the period is restated empty (RE), once;
        a rejected transmission is not sent again by itself."""
        move = self.sell(self.individual, "2025-01-03", [(self.service, 100.0, self.tax)])
        self.pa.deposit_answers.append(("Error", "InvalidSchema"))
        first = self.run_ereport(date(2025, 1, 11))
        self.deposit()
        self.assertRecordValues(first, [{"state": "error", "reason_code": "InvalidSchema"}])
        # billing is told, with an activity (the company's first billing user)
        self.assertEqual(first.activity_ids.user_id, self.company._l10n_fr_pa_billing_user())
        self.assertIn("InvalidSchema", first.message_ids[0].body)
        self.assertFalse(self.run_ereport(date(2025, 1, 12)), "nothing changed: not sent again")
        move.button_draft()
        move.action_post()
        second = self.run_ereport(date(2025, 1, 12))
        self.assertFalse(second, "the same data: nothing to restate")
        move.button_draft()
        move.invoice_line_ids.price_unit = 150.0
        move.action_post()
        second = self.run_ereport(date(2025, 1, 13))
        self.assertRecordValues(second, [{"type_code": "IN", "amount": 150.0}])
        self.deposit()
        self.assertEqual(second.state, "sent")
        move.button_draft()
        move.button_cancel()
        restated = self.run_ereport(date(2025, 1, 14))
        self.assertRecordValues(restated, [{"type_code": "RE", "amount": 0.0}])
        self.assertFalse(restated.move_ids)
        root = self.xml(restated)
        self.assertEqual(root.findtext("ReportDocument/TypeCode"), "RE")
        self.assertIsNone(root.find("TransactionsReport/Transactions"), "nothing left in the period")
        self.assertFalse(self.run_ereport(date(2025, 1, 15)), "restated once")

    def test_daily_run_reads_only_what_changed(self):
        """A reported period is read again only when one of its invoices, or an invoice dated in
        it, was written since its report: the daily run costs what changed, not a year of sales."""
        self.sell(self.individual, "2025-01-03", [(self.service, 100.0, self.tax)])
        late = self.sell(self.individual, "2025-01-12", [(self.service, 50.0, self.tax)])
        self.assertTrue(self.run_ereport(date(2025, 1, 21)))
        # two days later, the invoices untouched for five
        self.env.flush_all()
        self.env.cr.execute("UPDATE account_move SET write_date = now() - interval '5 days' WHERE company_id = %s",
                            [self.company.id])  # fmt: skip
        self.env.cr.execute("UPDATE l10n_fr_pa_ereport SET create_date = now() - interval '2 days'")
        self.env.invalidate_all()
        with self.periods_read() as read:
            self.assertFalse(self.run_ereport(date(2025, 1, 23)))
            self.assertEqual(read, [], "nothing changed: no period read again")
            late.button_draft()
            late.button_cancel()
            restated = self.run_ereport(date(2025, 1, 23))
        self.assertEqual(read, [(TRANSACTIONS, date(2025, 1, 11), date(2025, 1, 20))], "the changed period only")
        self.assertRecordValues(restated, [{"type_code": "RE", "date_start": date(2025, 1, 11), "amount": 0.0}])

    def test_daily_run_reads_since_its_previous_run(self):
        """An invoice written after its period's report but before the scheduled action's
        previous run (``lastcall``) was seen by that run: it is not read again."""
        self.sell(self.individual, "2025-01-03", [(self.service, 100.0, self.tax)])
        self.assertTrue(self.run_ereport(date(2025, 1, 11)))
        self.env.flush_all()
        self.env.cr.execute("UPDATE l10n_fr_pa_ereport SET create_date = now() - interval '30 days'")
        self.env.cr.execute("UPDATE account_move SET write_date = now() - interval '20 days' WHERE company_id = %s",
                            [self.company.id])  # fmt: skip
        self.env.invalidate_all()
        ereport = self.env["l10n_fr_pa.ereport"]
        previous_run = fields.Datetime.now() - timedelta(days=2)
        with self.periods_read() as read:
            ereport.with_context(lastcall=previous_run)._cron_ereport(today=date(2025, 2, 1))
            self.assertEqual(read, [], "written before the previous run: already seen")
            ereport._cron_ereport(today=date(2025, 2, 1))
        self.assertEqual(read, [(TRANSACTIONS, date(2025, 1, 1), date(2025, 1, 10))], "no previous run: read again")

    @contextmanager
    def periods_read(self):
        """[(kind, start, end)] of the periods the daily run reads (computes) while in the block."""
        ereport = type(self.env["l10n_fr_pa.ereport"])
        original, read = ereport._period_values, []

        def spy(model, company, kind, start, end):
            read.append((kind, start, end))
            return original(model, company, kind, start, end)

        with patch.object(ereport, "_period_values", spy):
            yield read

    def test_schedule_follows_vat_regime(self):
        self.assertEqual(period(False, TRANSACTIONS, date(2025, 1, 15)), (date(2025, 1, 11), date(2025, 1, 20)))
        self.assertEqual(period("monthly", TRANSACTIONS, date(2025, 2, 25)), (date(2025, 2, 21), date(2025, 2, 28)))
        self.assertEqual(period("monthly", PAYMENTS, date(2025, 1, 15)), (date(2025, 1, 1), date(2025, 1, 31)))
        self.assertEqual(period("simplified", TRANSACTIONS, date(2025, 1, 15)), (date(2025, 1, 1), date(2025, 1, 31)))
        self.assertEqual(period("franchise", PAYMENTS, date(2025, 4, 15)), (date(2025, 3, 1), date(2025, 4, 30)))
        self.assertEqual(
            last_ended_period("franchise", TRANSACTIONS, date(2025, 1, 2)), (date(2024, 11, 1), date(2024, 12, 31))
        )
        self.company.l10n_fr_pa_vat_regime = "quarterly"
        self.sell(self.individual, "2025-01-03", [(self.service, 100.0, self.tax)])
        self.assertFalse(self.run_ereport(date(2025, 1, 11)), "monthly periods: January has not ended")
        report = self.run_ereport(date(2025, 2, 1))
        self.assertEqual((report.date_start, report.date_end), (date(2025, 1, 1), date(2025, 1, 31)))

    def test_structural_check_finds_errors(self):
        self.sell(self.individual, "2025-01-03", [(self.service, 100.0, self.tax)])
        content = base64.b64decode(self.run_ereport(date(2025, 1, 11)).file)
        broken = content.replace(b"<TypeCode>IN</TypeCode>", b"<TypeCode>MO</TypeCode>").replace(
            b"<TaxTotal>20.00</TaxTotal>\n", b"<TaxTotal>21.00</TaxTotal>\n", 1
        )
        rules = {rule for rule, __ in check_report(broken)}
        self.assertEqual(rules, {"G8.01", "G1.53"})
        unordered = content.replace(b"<TransactionsCurrency>EUR</TransactionsCurrency>", b"").replace(
            b"<TaxTotal>", b"<TransactionsCurrency>EUR</TransactionsCurrency><TaxTotal>", 1
        )
        self.assertIn("XSD", {rule for rule, __ in check_report(unordered)})

    def test_billing_reads_never_writes(self):
        self.sell(self.individual, "2025-01-03", [(self.service, 100.0, self.tax)])
        report = self.run_ereport(date(2025, 1, 11))
        as_billing = report.with_user(self.billing)
        self.assertEqual(as_billing.transmission_id, report.transmission_id)
        with self.assertRaises(AccessError):
            as_billing.write({"type_code": "RE"})
        with self.assertRaises(AccessError):
            self.env["l10n_fr_pa.ereport"].with_user(self.billing).create(
                {
                    "company_id": self.company.id,
                    "kind": TRANSACTIONS,
                    "date_start": "2025-01-01",
                    "date_end": "2025-01-10",
                    "type_code": "IN",
                    "transmission_id": "X",
                }
            )
        with self.assertRaises(AccessError):
            self.env["l10n_fr_pa.ereport"].with_user(self.employee).search([])
