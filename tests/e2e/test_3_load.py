"""Load and concurrency on loopback, bounded in count and time:
- 20 portal signers at once on 20 reports, 5 identical submissions at once on one report;
- the invoicing cron run by two workers at once over 500 signed interventions;
- the portal list of a customer at N=10 and N=1,000 reports: same SQL query count;
- a technician's "My interventions" with 10,000 interventions in the database: bounded."""

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from .bulk import clone_interventions, marker, request_stats
from .clients import WebSession, signature_png
from .world import PASSWORD

SIGNERS = 20
SAME_SIGNATURE = 5
CRON_INTERVENTIONS = int(os.environ.get("FI_E2E_CRON_INTERVENTIONS", "500"))
PORTAL_BIG = 1000
DATABASE_BIG = 10000
CALL_TIMEOUT = 240


def parallel(function, items, workers):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items, timeout=CALL_TIMEOUT))


def signed_pdf_count(pg, ids):
    with pg.cursor() as cr:
        cr.execute(
            """SELECT res_id, count(*) FROM ir_attachment
                WHERE res_model = 'field.intervention' AND res_id = ANY(%s) AND name LIKE '%%signed.pdf'
                GROUP BY res_id""",
            [ids],
        )
        return dict(cr.fetchall())


def claims(pg, ids):
    with pg.cursor() as cr:
        cr.execute(
            """SELECT intervention_id, count(*) FROM account_move_line
                WHERE intervention_id = ANY(%s) AND fi_invoice_claim GROUP BY intervention_id""",
            [ids],
        )
        return dict(cr.fetchall())


@pytest.fixture(scope="module")
def load(world):
    return {}


@pytest.fixture
def since(world, server):
    """Log offset at the start of this test (each test judges its own log lines)."""
    return server.log_mark()


def test_concurrent_portal_signatures(world, erp, server, pg, load, log_start):
    ids = world.create_done_interventions([world.task_a] * (SIGNERS + 1), world.tech_a)
    urls = parallel(lambda i: erp("field.intervention", "get_portal_url", [i]), ids, 4)
    tokens = {i: re.search(r"access_token=([\w-]+)", url).group(1) for i, url in zip(ids, urls, strict=True)}
    many, (same,) = ids[:SIGNERS], ids[SIGNERS:]

    def sign(item):
        intervention, seed = item
        signer = WebSession(server.url, server.database)
        params = {"access_token": tokens[intervention], "name": "Signataire Charge", "signature": signature_png(seed)}
        return signer.call(f"/my/interventions/{intervention}/sign", params, timeout=CALL_TIMEOUT)

    started = time.monotonic()
    answers = parallel(sign, [(i, n) for n, i in enumerate(many)] + [(same, 99)] * SAME_SIGNATURE, 25)
    elapsed = time.monotonic() - started
    print(f"{SIGNERS} signers + {SAME_SIGNATURE} identical submissions in {elapsed:.1f}s")
    assert [a for a in answers if "error" in a] == []
    states = erp("field.intervention", "read", ids, ["state"])
    assert {r["state"] for r in states} == {"signed"}
    signatures = erp(
        "field.intervention.signature",
        "read_group",
        [("intervention_id", "in", ids)],
        ["intervention_id"],
        ["intervention_id"],
    )
    assert {g["intervention_id"][0]: g["intervention_id_count"] for g in signatures} == dict.fromkeys(ids, 1)
    world.run_sign_jobs()  # triggered by the answers: what the cron thread does right after them
    assert signed_pdf_count(pg, ids) == dict.fromkeys(ids, 1)
    world.run_invoicing()  # triggered by the signed PDFs
    assert claims(pg, ids) == dict.fromkeys(ids, 1)
    # Known bug (reported to field_intervention_sign, strict test in test_pending_bugs.py): the
    # row lock of _fi_lock_for_signature() meets a concurrent update under REPEATABLE READ; Odoo
    # retries the request (all answers above are fine) but sql_db logs the failed query as ERROR.
    problems = server.log_problems(since=log_start)
    assert problems == []
    load["signed_template"] = same


def test_invoicing_cron_on_two_workers_at_once(world, erp, server, pg, load, since):
    """500 signed interventions (SQL clones of a signed one, across 3 customers), the invoicing
    cron duplicated so that two jobs run its code at once in two server workers."""
    template = load["signed_template"]
    ids = []
    for customer, task in ((world.cust_a, world.task_a), (world.cust_b, world.task_b), (world.cust_c, world.task_c)):
        share = CRON_INTERVENTIONS // 3 + (CRON_INTERVENTIONS % 3 if customer == world.cust_a else 0)
        ids += clone_interventions(pg, template, share, partner_id=customer, state="signed", task_id=task)
    with pg.cursor() as cr:
        cr.execute(
            "UPDATE field_intervention SET invoice_status = 'to_invoice', invoice_error = NULL WHERE id = ANY(%s)",
            [ids],
        )
    cron = world.cron_id("field_intervention_invoice.ir_cron_field_intervention_invoice")
    twin = erp("ir.cron", "copy", [cron])
    twin = twin[0] if isinstance(twin, list) else twin

    def remaining():
        return erp("field.intervention", "search_count", [("id", "in", ids), ("invoice_status", "=", "to_invoice")])

    started = time.monotonic()
    rounds = 0
    while remaining() and rounds < 6:
        rounds += 1
        parallel(lambda job: erp("ir.cron", "method_direct_trigger", [job]), [cron, twin], 2)
    elapsed = time.monotonic() - started
    print(f"cron: {CRON_INTERVENTIONS} interventions invoiced in {rounds} round(s) of 2 jobs, {elapsed:.1f}s")
    assert remaining() == 0
    assert claims(pg, ids) == dict.fromkeys(ids, 1)
    errors = erp("field.intervention", "search_count", [("id", "in", ids), ("invoice_error", "!=", False)])
    assert errors == 0
    assert server.log_problems(since=since) == []


def steady(measure, runs=3):
    """(fewest queries, median time) of ``runs`` requests after one request per worker: each of
    the 2 workers has its own caches, the first request a worker serves fills them."""
    for __ in range(2):
        measure()
    results = sorted(measure() for __ in range(runs))
    return min(q for q, __ in results), sorted(t for __, t in results)[runs // 2]


def portal_list_stats(portal, server):
    def measure():
        mark = marker()
        response = portal.get(f"/my/interventions?sortby=date&{mark}=1")
        assert response.status_code == 200
        measure.page = response.text
        return request_stats(server, mark)

    return steady(measure), measure.page


def test_portal_list_query_count_does_not_grow(world, erp, server, pg, load, since):
    customer = erp("res.partner", "create", world.customer_vals("Réseau Bâtiments SA", "dsi@reseau.test", "732829320"))
    contact = erp("res.partner", "create", {"name": "Denis Réseau", "parent_id": customer, "email": "d@reseau.test"})
    login = f"denis.{world.tag}"
    erp(
        "res.users",
        "create",
        {"name": "Denis", "login": login, "password": PASSWORD, "partner_id": contact,
         "groups_id": [(6, 0, [erp.ref("base.group_portal")])]},
    )  # fmt: skip
    template = load["signed_template"]
    first = clone_interventions(pg, template, 10, partner_id=customer)
    portal = WebSession(server.url, server.database)
    portal.login_form(login, PASSWORD)
    (small_queries, small_time), page = portal_list_stats(portal, server)
    assert page.count("/my/interventions/") >= 10
    more = clone_interventions(pg, template, PORTAL_BIG - len(first), partner_id=customer)
    (big_queries, big_time), page = portal_list_stats(portal, server)
    print(
        f"portal list: N=10 {small_queries} queries {small_time * 1000:.0f} ms; "
        f"N={len(first) + len(more)} {big_queries} queries {big_time * 1000:.0f} ms"
    )
    assert big_queries == small_queries
    assert server.log_problems(since=since) == []


def my_interventions_stats(tech, server):
    return steady(lambda: my_interventions_request(tech, server))


def my_interventions_request(tech, server):
    action = tech.call("/web/action/load", {"action_id": "field_intervention.field_intervention_action_my"})
    mark = marker()
    result = tech.call(
        f"/web/dataset/call_kw/field.intervention/web_search_read?{mark}=1",
        {
            "model": "field.intervention",
            "method": "web_search_read",
            "args": [],
            "kwargs": {
                "domain": [("technician_ids", "in", [tech.uid])],
                "specification": {
                    "name": {},
                    "state": {},
                    "partner_id": {"fields": {"display_name": {}}},
                    "site_id": {"fields": {"display_name": {}}},
                    "planned_date": {},
                    "timer_state": {},
                    "technician_ids": {"fields": {"display_name": {}}},
                },
                "limit": 80,
                "context": action.get("context") and {},
            },
        },
    )
    assert result["length"] > 0
    return request_stats(server, mark)


def test_my_interventions_with_10000_in_the_database(world, erp, server, pg, load, since):
    (template,) = world.create_done_interventions([world.task_c], world.tech_b)
    clone_interventions(pg, template, 9, state="done")
    tech = WebSession(server.url, server.database)
    tech.login_form(world.tech_b_login, PASSWORD)
    small_queries, small_time = my_interventions_stats(tech, server)
    with pg.cursor() as cr:
        cr.execute("SELECT count(*) FROM field_intervention")
        (existing,) = cr.fetchone()
    # a tenth for this technician, the rest for others (the technician A)
    clone_interventions(pg, template, (DATABASE_BIG - existing) // 10, state="done", technician_ids=[world.tech_b])
    clone_interventions(pg, template, DATABASE_BIG - existing - (DATABASE_BIG - existing) // 10, state="done")
    with pg.cursor() as cr:
        cr.execute("SELECT count(*) FROM field_intervention")
        (total,) = cr.fetchone()
    assert total >= DATABASE_BIG
    big_queries, big_time = my_interventions_stats(tech, server)
    print(
        f"My interventions: {small_queries} queries {small_time * 1000:.0f} ms with few; "
        f"{big_queries} queries {big_time * 1000:.0f} ms with {total} interventions in the database"
    )
    assert big_queries <= small_queries + 2
    assert big_queries <= 25
    assert server.log_problems(since=since) == []
