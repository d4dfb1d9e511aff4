"""E-reporting through the approved platform (PA simulator on loopback): billing invoices an
individual, the invoice is not deposited as an e-invoice; the daily e-reporting scheduled action
puts it, once its period has ended, in the period's transactions report (FRR, DGFiP flux 10),
which the deposit scheduled action sends and the simulator accepts after checking it.

The invoice is dated in the latest period that has ended (ten days under the default VAT
regime), computed from today: the scheduled action runs on the real day, as in production."""

import datetime

import pytest
from lxml import etree

from .test_7_pa import connect_platform, run_deposits

EREPORT_CRON = "l10n_fr_pa_flow.ir_cron_l10n_fr_pa_ereport"


def last_ended_decade(today):
    """(start, end) of the decade (1-10, 11-20, 21-end) before the one holding ``today``."""
    start = today.replace(day=1 if today.day <= 10 else 11 if today.day <= 20 else 21)
    end = start - datetime.timedelta(days=1)
    return end.replace(day=1 if end.day <= 10 else 11 if end.day <= 20 else 21), end


@pytest.fixture(scope="module")
def pa(world, erp, server, tmp_path_factory):
    simulator, client = connect_platform(world, server, tmp_path_factory.mktemp("pa-er"), "odoo-erep", "CII")
    erp("res.company", "write", [world.company_id], {"l10n_fr_pa_vat_regime": False})  # the default: monthly
    yield client
    erp("res.company", "write", [world.company_id], {"l10n_fr_pa_enabled": False})
    simulator.stop()


def test_individual_invoice_lands_in_the_next_ereporting_flow(world, erp, pg, pa, log_start):
    billing = world.web(world.billing_login)
    individual = erp(
        "res.partner", "create", {"name": "Jeanne Particulière e2e", "country_id": world.fr, "city": "Lyon"}
    )
    start, end = last_ended_decade(datetime.date.today())
    invoice = billing.call_kw(
        "account.move",
        "create",
        [
            {
                "move_type": "out_invoice",
                "partner_id": individual,
                "invoice_date": end.isoformat(),
                "invoice_line_ids": [(0, 0, {"product_id": world.labour, "quantity": 2, "price_unit": 60.0})],
            }
        ],
    )
    billing.call_button("account.move", "action_post", [invoice])
    run_deposits(world, pg)
    assert not erp("l10n_fr_pa.flow", "search", [("move_id", "=", invoice)]), "an individual: no e-invoice"

    world.run_cron(EREPORT_CRON)
    (report,) = erp(
        "l10n_fr_pa.ereport",
        "search_read",
        [("move_ids", "in", [invoice]), ("kind", "=", "transactions")],
        fields=["date_start", "date_end", "type_code", "state", "transmission_id", "flow_id"],
    )
    assert (report["date_start"], report["date_end"]) == (start.isoformat(), end.isoformat()), report
    assert report["type_code"] == "IN" and report["state"] == "queued", report
    run_deposits(world, pg)
    report = erp("l10n_fr_pa.ereport", "read", [report["id"]], ["state", "flow_type", "flow_id"])[0]
    assert report["state"] == "sent", report

    tracking = erp("l10n_fr_pa.flow", "read", [report["flow_id"][0]], ["tracking_id"])[0]["tracking_id"]
    (received,) = [flow for flow in pa.control("flows")["flows"] if flow["flow"].get("trackingId") == tracking]
    assert received["flow"]["flowSyntax"] == "FRR" and received["flow"]["processingRule"] == "NotApplicable"
    assert received["flow"]["acknowledgement"] == {"status": "Ok"}, received["flow"]
    assert received["flow"]["flowType"] in ("AggregatedCustomerTransactionReport", "MultiFlowReport")
    assert received["flow"]["flowType"] == report["flow_type"]
    pa.token = pa.get_token("odoo-erep", "odoo-erep-secret").json()["access_token"]  # the company's account
    root = etree.fromstring(pa.get(received["flow"]["flowId"], "Original").content)
    assert root.findtext("ReportDocument/Issuer/Id") == pa.siren
    assert root.findtext("ReportDocument/TypeCode") == "IN"
    assert root.findtext("TransactionsReport/ReportPeriod/StartDate") == f"{start:%Y%m%d}"
    days = [
        node
        for node in root.iterfind("TransactionsReport/Transactions")
        if node.findtext("Date") == f"{end:%Y%m%d}" and node.findtext("CategoryCode") == "TPS1"
    ]
    assert days and float(days[0].findtext("TaxExclusiveAmount")) >= 120.0

    world.run_cron(EREPORT_CRON)  # the same period again: nothing new to send
    assert erp("l10n_fr_pa.ereport", "search_count", [("move_ids", "in", [invoice])]) == 1


def test_server_log_is_clean(server, log_start):
    assert server.log_problems(since=log_start) == []
