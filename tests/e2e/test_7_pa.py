"""The last mile through an approved platform (PA): the PA simulator (setup/pa_simulator.py, a
subprocess on loopback, every request checked against the AFNOR Flow Service OpenAPI) stands for
the platform; the company's connection (l10n_fr_pa_flow) is set up over XML-RPC by the
administrator, as in the Accounting settings.

The story: the customer signs -> the draft invoice the signature created -> billing posts it ->
the deposit scheduled action sends it (Factur-X) -> "200 Déposée" read by polling -> the buyer's
"205 Approuvée" pushed by webhook -> billing registers the payment -> our "212 Encaissée" is
deposited with the amount collected. The faults: the PA down (503, then closed connections)
during the deposit, an answer lost after the PA stored the flow, a duplicate webhook, statuses
that arrive out of order, a "210 Refusée" on an invoice born from an intervention, and a "213
Rejetée" by the platform (the customer's address is not in its directory) corrected by billing.

Scheduled actions are run as the administrator does with "Run Manually"; when a failed deposit
waits for its backoff, the test moves the retry date to now in the database (the clock, not the
logic, is what the test shortens)."""

import datetime
import time

import pytest
import requests

from ..pa_client import Pa, PaSimulator
from .clients import signature_png

DEPOSIT_CRON = "l10n_fr_pa_flow.ir_cron_l10n_fr_pa_deposit"
POLL_CRON = "l10n_fr_pa_flow.ir_cron_l10n_fr_pa_poll"
COMPANY_SIREN = "732829320"
WEBHOOK_SECRET = "e2e-webhook-secret"
STATUS_FIELDS = ["code", "date", "reason_code", "reason", "amount", "source", "pa_flow_id", "error"]


def connect_platform(world, server, workdir, client_id, syntax, webhook_secret=WEBHOOK_SECRET):
    """Start a PA simulator and connect the company to it as the administrator does in the
    settings (client, secret, webhook secret, the SIREN it is known by): the started simulator
    and a client of its API knowing the company's SIREN."""
    erp = world.erp
    simulator = PaSimulator(
        workdir,
        client_id=client_id,
        client_secret=f"{client_id}-secret",
        webhook_url=f"{server.url}/l10n_fr_pa_flow/webhook/{world.company_id}",
        webhook_secret=webhook_secret,
    )
    simulator.start()
    company = erp("res.company", "read", [world.company_id], ["company_registry"])[0]
    erp(
        "res.company",
        "write",
        [world.company_id],
        {
            "company_registry": company["company_registry"] or COMPANY_SIREN,
            "l10n_fr_pa_enabled": True,
            "l10n_fr_pa_base_url": simulator.url,
            "l10n_fr_pa_token_url": f"{simulator.url}/oauth/token",
            "l10n_fr_pa_client_id": client_id,
            "l10n_fr_pa_client_secret": f"{client_id}-secret",
            "l10n_fr_pa_webhook_secret": webhook_secret,
            "l10n_fr_pa_flow_syntax": syntax,
            "fi_billing_user_id": world.billing,  # who follows the platform's problems up
        },
    )
    client = Pa(simulator.url)
    client.siren = erp("res.company", "read", [world.company_id], ["company_registry"])[0]["company_registry"]
    return simulator, client


@pytest.fixture(scope="module")
def pa(world, erp, server, tmp_path_factory):
    """The simulator, and the company's platform connection pointing at it (client, secret,
    webhook secret written by the administrator as in the settings)."""
    addons = ("l10n_fr_pa_flow", "field_intervention_pa")
    installed = erp("ir.module.module", "search_count", [("name", "in", addons), ("state", "=", "installed")])
    assert installed == 2, f"{addons} must be installed in FI_TEST_DB (FI_ADDONS in setup/lib.sh)"
    simulator, client = connect_platform(world, server, tmp_path_factory.mktemp("pa"), "odoo-e2e", "Factur-X")
    yield client
    erp("res.company", "write", [world.company_id], {"l10n_fr_pa_enabled": False})
    simulator.stop()


@pytest.fixture(scope="module")
def billing(world):
    return world.web(world.billing_login)


@pytest.fixture(scope="module")
def story():
    return {}


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
def sign_new_intervention(world, customer, tech_id, tech_login):
    """A done intervention signed on the technician's phone, then invoiced by the scheduled
    action that the signature triggers."""
    task = world.create_missions([(customer, tech_id)], name="Entretien PA")[0]
    intervention = world.create_done_interventions([task], tech_id)[0]
    tech = world.web(tech_login)
    action = tech.call_button("field.intervention", "action_fi_customer_sign", [intervention])
    wizard = tech.call_kw(
        "field.intervention.sign.wizard",
        "web_save",
        [[], {"signer_name": "Client PA", "signature": signature_png(7), "geo_consent": False}],
        {"specification": {}, "context": action["context"]},
    )[0]
    tech.call_button("field.intervention.sign.wizard", "action_confirm", [wizard["id"]], action["context"])
    world.run_sign_jobs()
    world.run_invoicing()
    record = world.erp("field.intervention", "read", [intervention], ["state", "invoice_id"])[0]
    assert record["state"] == "signed" and record["invoice_id"], record
    return intervention, record["invoice_id"][0]


def new_posted_invoice(world, customer, price=150.0):
    """A customer invoice not born from an intervention (the connector handles any invoice)."""
    erp = world.erp
    invoice = erp(
        "account.move",
        "create",
        {
            "move_type": "out_invoice",
            "partner_id": customer,
            "invoice_line_ids": [(0, 0, {"product_id": world.labour, "quantity": 1, "price_unit": price})],
        },
    )
    erp("account.move", "action_post", [invoice])
    return invoice


def flows_of(erp, invoice, flow_type="CustomerInvoice"):
    return erp(
        "l10n_fr_pa.flow",
        "search_read",
        [("move_id", "=", invoice), ("flow_type", "=", flow_type)],
        fields=["state", "tracking_id", "pa_flow_id", "ack_status", "attempts", "reason_code", "status_code", "amount"],
        order="id",
    )


def attempts_of(erp, flow_id):
    return [
        row["outcome"]
        for row in erp("l10n_fr_pa.flow.attempt", "search_read", [("flow_id", "=", flow_id)], fields=["outcome"],
                       order="id")
    ]  # fmt: skip


def due_deposits(pg):
    with pg.cursor() as cr:
        cr.execute(
            "SELECT count(*) FROM l10n_fr_pa_flow WHERE state = 'queued' AND next_try <= now() AT TIME ZONE 'UTC'"
        )
        return cr.fetchone()[0]


def run_deposits(world, pg, limit=20):
    """Run the deposit scheduled action until no due flow is left (earlier modules' invoices
    may be queued before ours: the action takes them in batches)."""
    for __ in range(limit):
        world.run_cron(DEPOSIT_CRON)
        if not due_deposits(pg):
            return
    raise AssertionError(f"deposits still due after the scheduled action ran {limit} times")


def time_passes(pg, invoice):
    """The backoff of the invoice's queued deposits is over (moves the retry date only)."""
    with pg.cursor() as cr:
        cr.execute(
            "UPDATE l10n_fr_pa_flow SET next_try = now() AT TIME ZONE 'UTC' - interval '1 second'"
            " WHERE move_id = %s AND state = 'queued'",
            [invoice],
        )


def poll(world, pg, limit=10):
    """Run the polling scheduled action until a run records nothing new (one page per run)."""
    for __ in range(limit):
        with pg.cursor() as cr:
            cr.execute("SELECT count(*) FROM l10n_fr_pa_status")
            before = cr.fetchone()[0]
        world.run_cron(POLL_CRON)
        with pg.cursor() as cr:
            cr.execute("SELECT count(*) FROM l10n_fr_pa_status")
            if cr.fetchone()[0] == before:
                return
    raise AssertionError(f"polling still finds new statuses after {limit} runs")


def statuses_of(erp, invoice):
    return erp("l10n_fr_pa.status", "search_read", [("move_id", "=", invoice)], fields=STATUS_FIELDS, order="date, id")


def invoice_of(erp, invoice, fields=("name", "state", "amount_total", "payment_state")):
    return erp(
        "account.move",
        "read",
        [invoice],
        [*fields, "l10n_fr_pa_deposit_state", "l10n_fr_pa_status", "l10n_fr_pa_attention"],
    )[0]


def accepted_invoice_flows(pa, tracking_id=None, number=None):
    return [
        f
        for f in pa.control("flows")["flows"]
        if f["flow"]["flowType"] == "CustomerInvoice"
        and f["flow"]["acknowledgement"]["status"] == "Ok"
        and (tracking_id is None or f["flow"].get("trackingId") == tracking_id)
        and (number is None or (f["invoice"] or {}).get("number") == number)
    ]


def cdar_deposits(pa, number):
    return [
        f
        for f in pa.control("flows")["flows"]
        if f["flow"]["flowSyntax"] == "CDAR"
        and f["flow"]["flowDirection"] == "Out"
        and f["cdar"]
        and f["cdar"]["references"][0]["invoice"] == number
    ]


def emit(pa, number, code, **options):
    """The platform (or the buyer through it) sends a status; ``webhook`` pushes it at once."""
    result = pa.control("lifecycle", {"invoice": number, "seller": pa.siren, "code": code, **options})
    for delivery in result["webhook"]:
        assert delivery.get("status") == 200, delivery
    return result


def utc_iso(hours=0.0):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# The story
# ---------------------------------------------------------------------------------------------
def test_01_signed_invoice_is_deposited_by_the_scheduled_action(world, erp, pg, pa, billing, story):
    intervention, invoice = sign_new_intervention(world, world.cust_c, world.tech_b, world.tech_b_login)
    assert invoice_of(erp, invoice)["state"] == "draft"
    billing.call_button("account.move", "action_post", [invoice])
    posted = invoice_of(erp, invoice)
    assert posted["state"] == "posted" and posted["l10n_fr_pa_deposit_state"] == "queued"
    assert accepted_invoice_flows(pa, number=posted["name"]) == []  # posting never calls the PA
    run_deposits(world, pg)
    (flow,) = flows_of(erp, invoice)
    assert flow["state"] == "sent" and flow["ack_status"] == "Ok" and flow["pa_flow_id"]
    assert invoice_of(erp, invoice)["l10n_fr_pa_deposit_state"] == "sent"
    (received,) = accepted_invoice_flows(pa, tracking_id=flow["tracking_id"])
    assert received["flow"]["flowId"] == flow["pa_flow_id"]
    assert received["flow"]["flowSyntax"] == "Factur-X" and received["flow"]["processingRule"] == "B2B"
    # what the platform read from the Factur-X it received
    assert received["invoice"]["number"] == posted["name"]
    assert received["invoice"]["sellerSiren"] == pa.siren and received["invoice"]["buyerSiren"] == "493000012"
    assert float(received["invoice"]["totalAmount"]) == pytest.approx(posted["amount_total"])
    story.update(invoice=invoice, name=posted["name"], intervention=intervention, tracking=flow["tracking_id"])


def test_02_deposited_200_is_read_by_polling(world, erp, pg, pa, story):
    poll(world, pg)
    statuses = statuses_of(erp, story["invoice"])
    assert [s["code"] for s in statuses] == ["200"]
    assert statuses[0]["source"] == "platform" and not statuses[0]["error"]
    assert invoice_of(erp, story["invoice"])["l10n_fr_pa_status"] == "200"
    world.run_cron(POLL_CRON)  # polling again records nothing twice
    assert len(statuses_of(erp, story["invoice"])) == 1


def test_03_buyer_approval_205_arrives_by_webhook(world, erp, pa, story):
    emitted = emit(pa, story["name"], 205, webhook=True)
    statuses = statuses_of(erp, story["invoice"])
    assert [s["code"] for s in statuses] == ["200", "205"]
    assert statuses[-1]["pa_flow_id"] == emitted["flow"]["flowId"]
    assert invoice_of(erp, story["invoice"])["l10n_fr_pa_status"] == "205"
    # a forged callback (bad signature) is refused and records nothing
    body = b'{"flowInfo": {"flowId": "forged"}}'
    response = requests.post(
        f"{world.server.url}/l10n_fr_pa_flow/webhook/{world.company_id}",
        data=body,
        headers={"Content-Type": "application/json", "X-PA-Signature": "sha256=" + "0" * 64},
        timeout=30,
    )
    assert response.status_code == 403
    assert len(statuses_of(erp, story["invoice"])) == 2


def test_04_payment_sends_212_collected_with_the_amount(world, erp, pg, pa, billing, story):
    invoice = story["invoice"]
    context = {"active_model": "account.move", "active_ids": [invoice]}
    wizard = billing.call_kw("account.payment.register", "create", [{}], {"context": context})
    billing.call_button("account.payment.register", "action_create_payments", [wizard], context)
    paid = invoice_of(erp, invoice)
    assert paid["payment_state"] == "paid", paid
    run_deposits(world, pg)  # the scheduled action turns the collection into a 212 and deposits it
    (collection,) = flows_of(erp, invoice, "CustomerInvoiceLC")
    assert collection["state"] == "sent" and collection["status_code"] == "212"
    (received,) = cdar_deposits(pa, story["name"])
    assert received["flow"]["acknowledgement"]["status"] == "Ok"
    assert (
        received["flow"]["flowType"] == "CustomerInvoiceLC"
        and received["flow"]["trackingId"] == (collection["tracking_id"])
    )
    reference = received["cdar"]["references"][0]
    assert reference["code"] == "212" and reference["sellerSiren"] == pa.siren
    assert reference["amounts"] == [{"typeCode": "MEN", "amount": f"{paid['amount_total']:.2f}", "currency": "EUR"}]
    assert received["cdar"]["sender"] == {"siren": pa.siren, "role": "SE"}
    history = statuses_of(erp, invoice)
    assert [s["code"] for s in history] == ["200", "205", "212"]
    assert history[-1]["source"] == "company" and history[-1]["amount"] == pytest.approx(paid["amount_total"])
    assert invoice_of(erp, invoice)["l10n_fr_pa_status"] == "212"
    run_deposits(world, pg)  # nothing new collected: no second 212
    assert len(cdar_deposits(pa, story["name"])) == 1


# ---------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------
def test_05_pa_down_during_the_deposit_then_back(world, erp, pg, pa):
    invoice = new_posted_invoice(world, world.cust_a)
    name = invoice_of(erp, invoice)["name"]
    pa.control("mode", {"mode": "fail", "status": 503})
    run_deposits(world, pg)
    (flow,) = flows_of(erp, invoice)
    assert flow["state"] == "queued" and flow["attempts"] == 1
    pa.control("mode", {"mode": "down"})  # connections closed without an answer
    time_passes(pg, invoice)
    run_deposits(world, pg)
    (flow,) = flows_of(erp, invoice)
    assert flow["state"] == "queued" and flow["attempts"] == 2
    assert invoice_of(erp, invoice)["l10n_fr_pa_deposit_state"] == "queued"
    pa.control("mode", {"mode": "accept"})
    time_passes(pg, invoice)
    run_deposits(world, pg)
    (flow,) = flows_of(erp, invoice)
    assert flow["state"] == "sent" and attempts_of(erp, flow["id"]) == ["retry", "retry", "sent"]
    # one flow on the platform, and every attempt that reached it carried the same trackingId
    assert len(accepted_invoice_flows(pa, number=name)) == 1
    tried = [r for r in pa.control("requests")["requests"] if r["path"] == "/v1/flows" and r.get("trackingId")]
    mine = [r for r in tried if r["trackingId"] == flow["tracking_id"]]
    assert [r["status"] for r in mine] == [503, 202]
    assert accepted_invoice_flows(pa, tracking_id=flow["tracking_id"])[0]["invoice"]["number"] == name


def test_06_answer_lost_after_the_pa_stored_the_flow(world, erp, pg, pa):
    """The PA stores the flow but answers after the connector's read timeout (30 s): the retry,
    same trackingId, is acknowledged AlreadyExistingFlow, and the invoice counts as deposited."""
    invoice = new_posted_invoice(world, world.cust_b)
    name = invoice_of(erp, invoice)["name"]
    pa.control("mode", {"mode": "delay", "seconds": 35, "count": 1})
    started = time.monotonic()
    run_deposits(world, pg)
    assert time.monotonic() - started >= 30
    (flow,) = flows_of(erp, invoice)
    assert flow["state"] == "queued" and flow["attempts"] == 1
    time_passes(pg, invoice)
    run_deposits(world, pg)
    (flow,) = flows_of(erp, invoice)
    assert flow["state"] == "sent" and attempts_of(erp, flow["id"]) == ["retry", "duplicate"]
    (stored,) = accepted_invoice_flows(pa, number=name)
    assert stored["flow"]["trackingId"] == flow["tracking_id"] and flow["pa_flow_id"] == stored["flow"]["flowId"]
    assert invoice_of(erp, invoice)["l10n_fr_pa_deposit_state"] == "sent"


def test_07_duplicate_webhook_records_one_status(world, erp, pg, pa):
    invoice = new_posted_invoice(world, world.cust_a, price=80.0)
    run_deposits(world, pg)
    name = invoice_of(erp, invoice)["name"]
    result = emit(pa, name, 204, webhook=True, duplicate=True)
    assert len(result["webhook"]) == 2  # the same callback delivered twice, both answered 200
    codes = [s["code"] for s in statuses_of(erp, invoice)]
    assert codes.count("204") == 1
    poll(world, pg)  # and polling finds the same flows again: still one line each
    codes = [s["code"] for s in statuses_of(erp, invoice)]
    assert sorted(codes) == ["200", "204"]


def test_08_statuses_out_of_order(world, erp, pg, pa):
    """205 arrives before 204, which is dated earlier (one by webhook, one by polling): the
    history is in the order of the statuses' dates and the current status stays 205. (Dated in
    the past: a status dated in the future counts from its receipt.)"""
    invoice = new_posted_invoice(world, world.cust_b, price=95.0)
    run_deposits(world, pg)
    name = invoice_of(erp, invoice)["name"]
    poll(world, pg)
    time.sleep(3)  # the 204 and 205 are dated after the 200 of the deposit, to the second
    dated_205, dated_204 = utc_iso(), utc_iso(-2 / 3600)
    emit(pa, name, 205, webhook=True, statusDate=dated_205)
    emit(pa, name, 204, webhook=False, statusDate=dated_204)
    poll(world, pg)
    history = statuses_of(erp, invoice)
    assert [s["code"] for s in history] == ["200", "204", "205"], history
    assert invoice_of(erp, invoice)["l10n_fr_pa_status"] == "205"


def test_09_refused_by_the_customer(world, erp, pg, pa):
    """A 210 Refusée on an invoice born from an intervention: flagged, an activity for billing,
    the reason kept, and the intervention shows it."""
    intervention, invoice = sign_new_intervention(world, world.cust_a, world.tech_a, world.tech_a_login)
    erp("account.move", "action_post", [invoice])
    run_deposits(world, pg)
    name = invoice_of(erp, invoice)["name"]
    emit(pa, name, 210, webhook=True, reasonCode="PRIX", reason="Tarif horaire non conforme au contrat")
    history = statuses_of(erp, invoice)
    assert [s["code"] for s in history][-1] == "210"
    assert (history[-1]["reason_code"], history[-1]["reason"]) == ("PRIX", "Tarif horaire non conforme au contrat")
    state = invoice_of(erp, invoice)
    assert state["l10n_fr_pa_status"] == "210" and state["l10n_fr_pa_attention"] is True
    activities = erp(
        "mail.activity", "search_read", [("res_model", "=", "account.move"), ("res_id", "=", invoice)],
        fields=["summary", "user_id"],
    )  # fmt: skip
    assert len(activities) == 1 and name in activities[0]["summary"], activities
    assert activities[0]["user_id"][0] == world.billing
    # the intervention shows it, to its technician too, with the reason in its chatter
    tech = world.web(world.tech_a_login)
    flagged = tech.call_kw("field.intervention", "read", [[intervention], ["fi_pa_attention", "fi_pa_status"]])[0]
    assert flagged["fi_pa_attention"] is True and flagged["fi_pa_status"] == "210"
    notes = erp(
        "mail.message", "search_read", [("model", "=", "field.intervention"), ("res_id", "=", intervention)],
        fields=["body"],
    )  # fmt: skip
    assert any(name in note["body"] and "Tarif horaire" in note["body"] for note in notes), notes


def test_10_rejected_by_the_platform_then_corrected(world, erp, pg, pa, billing):
    """What no check in Odoo can see: the platform's directory knows the customer at its
    accounts department's address only (SIREN_COMPTA). The invoice, addressed to the SIREN, is
    deposited, then "213 Rejetée" (REJ_ADR, BT-49): billing reads why on the invoice; the
    customer's e-invoicing address is corrected on its card (by whoever may change contacts);
    billing resets the invoice to draft and posts it again: deposited again under its number,
    accepted."""
    siren = erp("res.partner", "read", [world.cust_b], ["company_registry"])[0]["company_registry"]
    address = f"{siren}_COMPTA"
    before = erp("res.partner", "read", [world.cust_b], ["peppol_eas", "peppol_endpoint"])[0]
    pa.control("config", {"directory": [pa.siren, address]})
    try:
        invoice = new_posted_invoice(world, world.cust_b, price=130.0)
        name = invoice_of(erp, invoice)["name"]
        run_deposits(world, pg)
        poll(world, pg)
        (rejected,) = accepted_invoice_flows(pa, number=name)  # acknowledged Ok, then rejected
        assert rejected["rejection"]["reasonCode"] == "REJ_ADR", rejected["rejection"]
        history = statuses_of(erp, invoice)
        assert [s["code"] for s in history] == ["200", "213"], history
        assert history[-1]["reason_code"] == "REJ_ADR" and "BT-49" in history[-1]["reason"]
        assert siren in history[-1]["reason"]
        state = invoice_of(erp, invoice)
        assert state["l10n_fr_pa_status"] == "213" and state["l10n_fr_pa_attention"] is True
        # billing reads the reason on the invoice (its chatter and its activity)
        seen = billing.call_kw("account.move", "read", [[invoice], ["l10n_fr_pa_status", "activity_ids"]])[0]
        assert seen["l10n_fr_pa_status"] == "213" and seen["activity_ids"]
        notes = billing.call_kw(
            "mail.message", "search_read", [[("model", "=", "account.move"), ("res_id", "=", invoice)]],
            {"fields": ["body"]},
        )  # fmt: skip
        assert any("REJ_ADR" in note["body"] and "BT-49" in note["body"] for note in notes), notes
        # the customer's e-invoicing address is corrected; billing posts the invoice again
        time.sleep(1.1)  # the new deposit starts after the rejection's second (statuses are dated to the second)
        erp("res.partner", "write", [world.cust_b], {"peppol_eas": "0225", "peppol_endpoint": address})
        billing.call_button("account.move", "button_draft", [invoice])
        billing.call_button("account.move", "action_post", [invoice])
        again = invoice_of(erp, invoice)
        assert again["name"] == name and again["l10n_fr_pa_deposit_state"] == "queued"
        run_deposits(world, pg)
        poll(world, pg)
        first, second = accepted_invoice_flows(pa, number=name)
        assert first["flow"]["flowId"] == rejected["flow"]["flowId"]
        assert second["rejection"] is None and second["invoice"]["buyerAddress"] == address
        assert second["flow"]["trackingId"] != first["flow"]["trackingId"]
        assert [s["code"] for s in statuses_of(erp, invoice)] == ["200", "213", "200"]
        state = invoice_of(erp, invoice)
        assert state["l10n_fr_pa_status"] == "200" and state["l10n_fr_pa_deposit_state"] == "sent"
    finally:
        pa.control("config", {"directory": None})
        erp("res.partner", "write", [world.cust_b], before_values(before))


def before_values(record):
    return {key: value for key, value in record.items() if key != "id"}


def test_11_server_log_is_clean(server, log_start):
    assert server.log_problems(since=log_start) == []
