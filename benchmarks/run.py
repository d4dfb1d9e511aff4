#!/usr/bin/env python3
"""Speed users feel: per-request medians (server time and SQL query count) of the suite's user
actions beside Odoo's nearest core equivalent, measured in the same run on the same server.

Not part of the test command (too slow). Usage (FI_TEST_DB: a database with the six addons,
e.g. the demo database; it is copied, never modified):

    FI_TEST_DB=fi_demo ODOO_DIR=/opt/odoo/18.0 FI_VENV=... \\
        $FI_VENV/bin/python benchmarks/run.py [--runs 7] [--invoicing-n 1000] [--pa-n 1000] [--write-readme]

Server time and query count come from the line Odoo logs for each request
("... HTTP/1.1" 200 - <queries> <sql s> <other s>), found by a marker in its URL: server side,
nothing added to the addons. A real server with 2 workers on loopback serves the requests, with
Odoo's default cron threads: after each signature the database is polled for the signed PDF and
the draft invoice that its scheduled actions make, and the run fails (exit status 1) when one
comes more than FOLLOW_UP_LIMIT seconds after the customer's answer.

At scale (issue 23; --no-scale leaves it out, --scale-only does only it): the phone's day download
of the technician with the most interventions, the portal list of the customer with the most
interventions beside sale's of the customer with the most orders, the KPI and the to-cash
dashboards beside sale's and invoicing's analyses (as the administrator: FI_ADMIN_PASSWORD,
default "admin"), the invoicing action at N/10 and N (--invoicing-n, queries per record flat in N)
and the platform polling of a day's statuses (--polling-n, benchmarks/bench_pa_polling.py). The
measured users are chosen by SQL on the database given; a core twin on less than half as many
records as ours is flagged "core data too small", not compared. Two databases side by side:

    $FI_VENV/bin/python benchmarks/run.py --small-db fi_demo --large-db fi_large --invoicing-n 10000 \
        --polling-n 400 --write-readme
"""

import argparse
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.bulk import marker, request_stats
from tests.e2e.clients import SmtpSink, WebSession, signature_png
from tests.e2e.conftest import copy_database, drop_database, pg_connect, start_server
from tests.e2e.test_1_story import INTERVENTION_SPEC
from tests.e2e.test_9_mails_leave_now import crons_idle
from tests.e2e.world import PASSWORD, World
from tests.odoo_server import free_port

KANBAN_SPEC = {
    "name": {},
    "state": {},
    "partner_id": {"fields": {"display_name": {}}},
    "planned_date": {},
    "technician_ids": {"fields": {"display_name": {}}},
}
TASK_KANBAN_SPEC = {
    "name": {},
    "stage_id": {"fields": {"display_name": {}}},
    "partner_id": {"fields": {"display_name": {}}},
    "date_deadline": {},
    "user_ids": {"fields": {"display_name": {}}},
}
TASK_FORM_SPEC = {
    "name": {},
    "stage_id": {"fields": {"display_name": {}}},
    "partner_id": {"fields": {"display_name": {}}},
    "user_ids": {"fields": {"display_name": {}}},
    "timesheet_ids": {"fields": {"name": {}, "unit_amount": {}, "date": {}, "employee_id": {"fields": {}}}},
    "description": {},
    "tag_ids": {"fields": {"display_name": {}}},
}


WARM_UP = 2  # requests of each action not measured: one per worker
FOLLOW_UP_LIMIT = 10.0  # seconds from the customer's answer to the signed PDF, and to the draft invoice
FOLLOW_UP_TIMEOUT = 120.0  # give up waiting (counted as this long)
FOLLOW_UP_QUERY = """
    SELECT s.pdf_attachment_id IS NOT NULL,
           EXISTS (SELECT 1 FROM account_move_line l WHERE l.intervention_id = i.id AND l.fi_invoice_claim),
           i.invoice_error IS NOT NULL OR i.invoice_status IN ('no', 'no_quantity')
      FROM field_intervention i
      LEFT JOIN field_intervention_signature s ON s.id = i.signature_id
     WHERE i.id = %s
"""


class FollowUps:
    """What the signature leaves to the scheduled actions, timed from the customer's answer: the
    signed PDF (the signature's action, triggered by the answer) and the draft invoice (the
    invoicing action, triggered by the signed PDF). The server's own cron threads run them."""

    def __init__(self, pg):
        self.pg = pg
        self.samples = {"signed PDF": [], "draft invoice": []}
        self.warm_up = {"signed PDF": [], "draft invoice": []}

    def wait(self, intervention, answered, warm_up=False):
        """Poll the database until both exist (``answered``: monotonic time of the answer).
        ``warm_up``: a warm-up request of the benchmark, whose follow-ups meet cron workers
        that render their first PDF and invoice: reported apart, not judged."""
        pending = dict.fromkeys(self.samples)
        while any(value is None for value in pending.values()):
            elapsed = time.monotonic() - answered
            with self.pg.cursor() as cr:
                cr.execute(FOLLOW_UP_QUERY, [intervention])
                pdf, invoice, no_invoice = cr.fetchone()
            for key, ready, failed in (("signed PDF", pdf, False), ("draft invoice", invoice, no_invoice)):
                if pending[key] is None and (ready or failed or elapsed > FOLLOW_UP_TIMEOUT):
                    pending[key] = elapsed if ready else FOLLOW_UP_TIMEOUT  # no invoice: a failure
            time.sleep(0.05)
        for key, delay in pending.items():
            (self.warm_up if warm_up else self.samples)[key].append(delay)

    def report(self):
        """Print the median and maximum delays (kept in ``lines`` for the README); True when all
        are within FOLLOW_UP_LIMIT."""
        within = True
        self.lines = []
        for key, delays in self.samples.items():
            if not delays:
                continue
            worst = max(delays)
            within = within and worst <= FOLLOW_UP_LIMIT
            warm_up = ", ".join(f"{delay:.1f}" for delay in self.warm_up[key])
            self.lines.append(
                f"answer -> {key:14} median {statistics.median(delays):5.1f} s, max {worst:5.1f} s "
                f"over {len(delays)} signatures (limit {FOLLOW_UP_LIMIT:.0f} s; warm-up signatures: {warm_up} s)"
            )
            print(self.lines[-1])
        return within


class Bench:
    def __init__(self, server, world, runs, only=None):
        self.server, self.world, self.runs, self.rows = server, world, runs, []
        self.only = set(only or ())

    def selected(self, label):
        return not self.only or label in self.only

    def sample(self, function):
        """(median queries, median ms) of ``function`` (taking a marker and the request's index),
        after WARM_UP requests that are not counted."""
        samples = []
        for index in range(self.runs + WARM_UP):
            mark = marker()
            function(mark, index)
            if index >= WARM_UP:
                samples.append(request_stats(self.server, mark))
        return statistics.median(q for q, __ in samples), statistics.median(t for __, t in samples) * 1000

    def measure(self, label, ours, core, core_label, setup=False):
        """ours/core: callables taking a marker and making one request carrying it.

        An action left out by --only is skipped or, when a later action needs what it leaves
        (``setup``: Stop stops the interventions that Start started), done without being measured,
        core twin included, so that the database is the one a full run measures."""
        if not self.selected(label):
            if setup:
                for function in (ours, core):
                    for index in range(self.runs + WARM_UP):
                        function(marker(), index)
            return
        results = {}
        for key, function in (("ours", ours), ("core", core)):
            samples = []
            for index in range(self.runs + WARM_UP):  # warm-up requests: one per worker
                mark = marker()
                function(mark, index)
                if index >= WARM_UP:
                    samples.append(request_stats(self.server, mark))
            results[key] = (
                statistics.median(q for q, __ in samples),
                statistics.median(t for __, t in samples) * 1000,
            )
        (oq, ot), (cq, ct) = results["ours"], results["core"]
        self.rows.append((label, ot, oq, core_label, ct, cq))
        print(f"{label:28} {ot:7.0f} ms {oq:5.0f} q | {core_label:40} {ct:7.0f} ms {cq:5.0f} q | x{ot / ct:.2f}")


def maintained_copy(template, database):
    """A copy of the template as a production database is: vacuumed and analyzed (a fresh copy
    has no hint bits nor visibility map yet, and its first run measures PostgreSQL's catching
    up rather than the code)."""
    copy_database(template, database)
    connection = pg_connect(database)
    try:
        connection.cursor().execute("VACUUM ANALYZE")
    finally:
        connection.close()


def call_kw(web, mark, model, method, args, kwargs):
    return web.call(
        f"/web/dataset/call_kw/{model}/{method}?{mark}=1",
        {"model": model, "method": method, "args": args, "kwargs": kwargs},
    )


def button(web, mark, model, method, ids):
    return web.call(
        f"/web/dataset/call_button?{mark}=1",
        {"model": model, "method": method, "args": [ids], "kwargs": {"context": {}}},
    )


def run(args, template=None):
    """The user actions (and, unless --no-scale, the measures at scale) on a copy of ``template``."""
    template = template or os.environ["FI_TEST_DB"]
    database = f"{template[:40]}_bench"
    maintained_copy(template, database)
    sink = SmtpSink()
    sink.start()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="fi-bench-"))
    # Odoo's default cron threads: the signatures' scheduled actions run as in production
    server = start_server(database, workdir, sink.port, "bench", cron_threads=None)
    assets = start_server(database, workdir, sink.port, "assets")
    server.assets_url = assets.url
    try:
        pg = pg_connect(database)
        world = World.build(server, sink, pg)
        # the actions due at the start of a copied database run before anything is measured
        deadline = time.monotonic() + 300
        while not crons_idle(pg) and time.monotonic() < deadline:
            time.sleep(0.5)
        # at scale first: the heaviest users, before the table's actions add their records
        scale = measure_scale(server, world, args) if args.scale else ([], {})
        bench = measure_all(server, world, args) if not args.scale_only else Bench(server, world, args.runs)
        bench.scale_rows, bench.sizes = scale
        return bench
    finally:
        server.stop()
        assets.stop()
        sink.stop()
        drop_database(database)


def measure_all(server, world, args):
    erp, runs = world.erp, args.runs
    bench = Bench(server, world, runs, args.only)
    bench.follow_ups = FollowUps(world.pg)
    tech = WebSession(server.url, server.database)
    tech.login_form(world.tech_a_login, PASSWORD)
    n = runs + WARM_UP
    tasks = world.create_missions([(world.cust_a, world.tech_a)] * n, name="Bench")
    drafts = erp(
        "field.intervention",
        "create",
        [{"task_id": t, "technician_ids": [(6, 0, [world.tech_a])]} for t in tasks],
    )
    core_task = tasks[0]
    employee = erp("hr.employee", "search", [("user_id", "=", world.tech_a)], limit=1)[0]
    bench.measure(
        'open "My interventions"',
        lambda m, i: call_kw(tech, m, "field.intervention", "web_search_read", [],
                             {"domain": [("technician_ids", "in", [tech.uid])], "specification": KANBAN_SPEC,
                              "limit": 80}),
        lambda m, i: call_kw(tech, m, "project.task", "web_search_read", [],
                             {"domain": [("user_ids", "in", [tech.uid])], "specification": TASK_KANBAN_SPEC,
                              "limit": 80}),
        'open "My tasks" (project)',
    )  # fmt: skip
    bench.measure(
        "open an intervention",
        lambda m, i: call_kw(tech, m, "field.intervention", "web_read", [[drafts[i]]],
                             {"specification": INTERVENTION_SPEC}),
        lambda m, i: call_kw(tech, m, "project.task", "web_read", [[tasks[i]]], {"specification": TASK_FORM_SPEC}),
        "open a task (project)",
    )  # fmt: skip
    bench.measure(
        "Start",
        lambda m, i: button(tech, m, "field.intervention", "action_start", [drafts[i]]),
        lambda m, i: call_kw(tech, m, "project.task", "web_save", [[core_task], {"description": f"<p>{i}</p>"}],
                             {"specification": {"name": {}}}),
        "save a task (description)",
        setup=True,
    )  # fmt: skip
    bench.measure(
        "add a part",
        lambda m, i: call_kw(tech, m, "field.intervention", "web_save",
                             [[drafts[i]], {"part_ids": [[0, 0, {"product_id": world.part, "quantity": 1}]]}],
                             {"specification": {"part_ids": {"fields": {"name": {}}}}}),
        lambda m, i: call_kw(tech, m, "account.analytic.line", "web_save",
                             [[], {"task_id": core_task, "project_id": world.project, "name": "Bench part",
                                   "unit_amount": 0.25, "employee_id": employee}],
                             {"specification": {"name": {}}}),
        "add a timesheet line (task form)",
    )  # fmt: skip
    bench.measure(
        "Stop",
        lambda m, i: button(tech, m, "field.intervention", "action_stop", [drafts[i]]),
        lambda m, i: call_kw(tech, m, "account.analytic.line", "web_save",
                             [[], {"task_id": core_task, "project_id": world.project, "name": "Bench",
                                   "unit_amount": 0.5, "employee_id": employee}],
                             {"specification": {"name": {}}}),
        "log a timesheet line on a task",
    )  # fmt: skip
    # signatures: fresh done interventions and fresh quotations for each request
    done = world.create_done_interventions([world.task_b] * (2 * n), world.tech_a)
    orders = erp(
        "sale.order",
        "create",
        [
            {"partner_id": world.cust_b, "require_signature": True,
             "order_line": [(0, 0, {"product_id": world.part, "product_uom_qty": 2})]}
            for __ in range(2 * n)
        ],
    )  # fmt: skip
    order_tokens = [
        re.search(r"access_token=([\w-]+)", erp("sale.order", "get_portal_url", [o])).group(1) for o in orders
    ]
    fi_tokens = [
        re.search(r"access_token=([\w-]+)", erp("field.intervention", "get_portal_url", [d])).group(1) for d in done
    ]

    def device_sign(m, i):
        action = button(tech, marker(), "field.intervention", "action_fi_customer_sign", [done[i]])
        wizard = tech.call_kw(
            "field.intervention.sign.wizard", "web_save",
            [[], {"signer_name": "Client Bench", "signature": signature_png(i)}],
            {"specification": {}, "context": action["context"]},
        )[0]  # fmt: skip
        tech.call(
            f"/web/dataset/call_button?{m}=1",
            {"model": "field.intervention.sign.wizard", "method": "action_confirm", "args": [[wizard["id"]]],
             "kwargs": {"context": action["context"]}},
        )  # fmt: skip
        bench.follow_ups.wait(done[i], time.monotonic(), warm_up=i < WARM_UP)

    def quote_accept(m, i, offset=0):
        visitor = WebSession(server.url, server.database)
        answer = visitor.call(
            f"/my/orders/{orders[offset + i]}/accept?{m}=1",
            {"access_token": order_tokens[offset + i], "name": "Client Bench", "signature": signature_png(i)},
        )
        assert "error" not in answer, answer

    def portal_sign(m, i):
        visitor = WebSession(server.url, server.database)
        answer = visitor.call(
            f"/my/interventions/{done[n + i]}/sign?{m}=1",
            {"access_token": fi_tokens[n + i], "name": "Client Bench", "signature": signature_png(i)},
        )
        assert "error" not in answer, answer
        bench.follow_ups.wait(done[n + i], time.monotonic(), warm_up=i < WARM_UP)

    listed = bench.selected("open the portal list")
    if not listed and not bench.selected("sign on device") and not bench.selected("sign in the portal"):
        return bench
    # both portal lists show what the signatures left: signed reports beside accepted quotations
    bench.measure("sign on device", device_sign, quote_accept, "sign a quotation in the portal (sale)", setup=listed)
    bench.measure(
        "sign in the portal", portal_sign, lambda m, i: quote_accept(m, i, n), "sign a quotation in the portal (sale)",
        setup=listed,
    )  # fmt: skip
    bench.follow_ups_within_limit = bench.follow_ups.report()
    contact = erp("res.partner", "create", {"name": "Portail Bench", "parent_id": world.cust_b, "email": "pb@h.test"})
    login = f"portal.bench.{world.tag}"
    erp("res.users", "create", {"name": "Portail Bench", "login": login, "password": PASSWORD, "partner_id": contact,
                                "groups_id": [(6, 0, [erp.ref("base.group_portal")])]})  # fmt: skip
    portal = WebSession(server.url, server.database)
    portal.login_form(login, PASSWORD)
    bench.measure(
        "open the portal list",
        lambda m, i: portal.get(f"/my/interventions?{m}=1"),
        lambda m, i: portal.get(f"/my/orders?{m}=1"),
        "open the portal list of orders (sale)",
    )
    return bench


# ----------------------------------------------------------------------------------------------
# At scale: the heaviest users' actions, beside core twins on equally large core data
# ----------------------------------------------------------------------------------------------
SCALE_TARGET_MS = 1000.0  # the day download and the dashboards (issue 23)
CORE_TWIN_TARGET = 1.2  # every action at most this many times its core twin
FLAT_TARGET = 1.2  # the large database at most this many times the small one
CORE_DATA_SHARE = 0.5  # a core twin on fewer records than this share of ours is not a comparison

# Who is measured: the heaviest, chosen on the database given (never hard-coded).
HEAVIEST_TECHNICIAN_SQL = """
    SELECT rel.user_id, u.login, COUNT(*)
      FROM field_intervention_res_users_rel rel
      JOIN res_users u ON u.id = rel.user_id AND u.active
      JOIN res_groups_users_rel g ON g.uid = u.id
      JOIN ir_model_data d ON d.res_id = g.gid AND d.model = 'res.groups'
           AND d.module = 'field_intervention' AND d.name = 'group_field_intervention_technician'
  GROUP BY rel.user_id, u.login
  ORDER BY COUNT(*) DESC, rel.user_id
     LIMIT 1
"""
# the records the portal list shows: the customer's interventions in the states it sees
HEAVIEST_CUSTOMER_SQL = """
    SELECT p.commercial_partner_id, COUNT(*)
      FROM field_intervention fi
      JOIN res_partner p ON p.id = fi.partner_id
     WHERE fi.state IN ('done', 'signed', 'disputed')
  GROUP BY p.commercial_partner_id
  ORDER BY COUNT(*) DESC, p.commercial_partner_id
     LIMIT 1
"""
# sale's portal list shows the confirmed orders the customer's company follows
HEAVIEST_ORDER_CUSTOMER_SQL = """
    SELECT p.commercial_partner_id, COUNT(DISTINCT so.id)
      FROM sale_order so
      JOIN mail_followers f ON f.res_model = 'sale.order' AND f.res_id = so.id
      JOIN res_partner p ON p.id = f.partner_id
     WHERE so.state = 'sale'
  GROUP BY p.commercial_partner_id
  ORDER BY COUNT(DISTINCT so.id) DESC, p.commercial_partner_id
     LIMIT 1
"""
# what each dashboard aggregates, and what its core twin aggregates
DATA_SIZES_SQL = {
    "interventions": "SELECT COUNT(*) FROM field_intervention",
    "presented interventions": "SELECT COUNT(*) FROM field_intervention WHERE state IN ('signed', 'disputed')",
    "confirmed sale orders": "SELECT COUNT(*) FROM sale_order WHERE state = 'sale'",
    "intervention invoices": "SELECT COUNT(DISTINCT invoice_id) FROM field_intervention WHERE invoice_id IS NOT NULL",
    "posted customer invoices": "SELECT COUNT(*) FROM account_move WHERE state = 'posted' "
    "AND move_type IN ('out_invoice', 'out_refund')",
    "platform statuses": "SELECT COUNT(*) FROM l10n_fr_pa_status",
}
CASH_KPI_LIST_SPEC = {
    name: {}
    for name in (
        "month", "dimension", "technician_id", "partner_id", "invoice_count", "cashed_count", "stuck_count",
        "sign_to_deposit_mean", "sign_to_deposit_median", "deposit_to_acceptance_mean",
        "deposit_to_acceptance_median", "acceptance_to_cash_mean", "acceptance_to_cash_median",
        "sign_to_cash_mean", "sign_to_cash_median",
    )
}  # fmt: skip


def sql_one(pg, query, params=None):
    with pg.cursor() as cr:
        cr.execute(query, params or [])
        return cr.fetchone()


def data_sizes(pg):
    return {label: sql_one(pg, query)[0] for label, query in DATA_SIZES_SQL.items()}


def portal_login_for(world, customer, name):
    """A portal user of ``customer`` (a new contact of it: its portal sees what the company sees)."""
    erp = world.erp
    contact = erp("res.partner", "create", {"name": name, "parent_id": customer, "email": f"{marker()}@h.test"})
    login = f"{name.lower().replace(' ', '.')}.{world.tag}"
    erp("res.users", "create", {"name": name, "login": login, "password": PASSWORD, "partner_id": contact,
                                "groups_id": [(6, 0, [erp.ref("base.group_portal")])]})  # fmt: skip
    session = WebSession(world.server.url, world.server.database)
    session.login_form(login, PASSWORD)
    return session


def portal_path(session, path):
    """The path a portal page answers at for this user (``/fr/...`` for a French customer: the
    redirection to it is not what is measured)."""
    response = session.get(path)
    assert response.status_code == 200, f"{path}: HTTP {response.status_code}"
    return urllib.parse.urlsplit(response.url).path


def portal_page(session, path):
    """GET a portal page; fails unless the page itself answered (no redirection to the login)."""
    response = session.get(path, allow_redirects=False)
    assert response.status_code == 200, f"{path}: HTTP {response.status_code} {response.headers.get('Location')}"
    return response


def scale_row(label, measured, core_label="", core=None, target_ms=None, data="", core_data="", short=False):
    (queries, ms), (core_queries, core_ms) = measured, core or (None, None)
    row = {"label": label, "ms": ms, "queries": queries, "core_label": core_label, "core_ms": core_ms,
           "core_queries": core_queries, "target_ms": target_ms, "data": data, "core_data": core_data,
           "core_short": short}  # fmt: skip
    twin = f" | {core_label:34} {core_ms:7.0f} ms {core_queries:5.0f} q | x{ms / core_ms:.2f}" if core else ""
    print(f"{label:34} {ms:7.0f} ms {queries:5.0f} q{twin}  [{data}{'; core: ' + core_data if core_data else ''}]")
    if short:
        print(f"  !! core data too small for a comparison: {core_data} beside {data}")
    return row


def core_short(ours, core):
    return core < CORE_DATA_SHARE * ours


def measure_scale(server, world, args):
    """The measures of issue 23 at scale; returns rows (dicts) for the README."""
    bench, pg, erp, rows = Bench(server, world, args.runs), world.pg, world.erp, []
    sizes = data_sizes(pg)
    # PostgreSQL's JIT compiles the plans of the dashboards' whole-table aggregations (seconds on a
    # large database, about 40 % of their time at 150,000 interventions): said beside the figures
    sizes["PostgreSQL jit"] = sql_one(pg, "SHOW jit")[0]
    print("data: " + ", ".join(f"{count} {label}" if isinstance(count, int) else f"{label} {count}"
                               for label, count in sizes.items()))  # fmt: skip
    # the phone's day download of the heaviest technician (no core twin: Odoo's field service
    # app is Enterprise)
    heaviest = sql_one(pg, HEAVIEST_TECHNICIAN_SQL)
    if heaviest:
        uid, login, count = heaviest
        erp("res.users", "write", [uid], {"password": PASSWORD})
        phone = WebSession(server.url, server.database)
        phone.login_form(login, PASSWORD)
        payload = {}

        def day(m, i):
            payload.update(phone.call(f"/field_intervention/app/api/day?{m}=1", {"days": 3}))

        measured = bench.sample(day)
        rows.append(scale_row(
            "phone: day download (3 days ahead)", measured, target_ms=SCALE_TARGET_MS,
            data=f"technician {login}: {count} interventions, {len(payload.get('interventions', []))} downloaded, "
                 f"{len(payload.get('products', []))} products",
        ))  # fmt: skip
    else:
        print("!! no technician with interventions: day download not measured")
    # the portal list of the heaviest customer beside sale's of the customer with the most orders
    customer, shown = sql_one(pg, HEAVIEST_CUSTOMER_SQL) or (None, 0)
    order_customer, orders = sql_one(pg, HEAVIEST_ORDER_CUSTOMER_SQL) or (None, 0)
    if customer and order_customer:
        ours_portal = portal_login_for(world, customer, "Portail Lourd")
        core_portal = portal_login_for(world, order_customer, "Portail Commandes")
        ours_path, core_path = portal_path(ours_portal, "/my/interventions"), portal_path(core_portal, "/my/orders")
        measured = bench.sample(lambda m, i: portal_page(ours_portal, f"{ours_path}?{m}=1"))
        core = bench.sample(lambda m, i: portal_page(core_portal, f"{core_path}?{m}=1"))
        rows.append(scale_row(
            "portal: list of the heaviest customer", measured, "portal list of orders (sale)", core,
            data=f"{shown} interventions", core_data=f"{orders} orders", short=core_short(shown, orders),
        ))  # fmt: skip
    else:
        print(f"!! portal lists not measured: customer {customer} ({shown}), order customer {order_customer}")
    # the dashboards, as the manager (admin) opens them, beside core's analyses of the same kind
    manager = WebSession(server.url, server.database)
    manager.login_form("admin", os.environ.get("FI_ADMIN_PASSWORD", "admin"))
    graph = {"lazy": False, "context": {"fill_temporal": True}}
    # the dashboards read materialized views, computed again every 10 minutes by a scheduled action
    # and by the managers' Refresh button: that computing, then the reads of its figures
    for model, label in (
        ("field.intervention.invoice.kpi", "KPI dashboard: refresh (10 min)"),
        ("field.intervention.cash.kpi", "to-cash dashboard: refresh (10 min)"),
    ):
        measured = bench.sample(lambda m, i, model=model: call_kw(manager, m, model, "action_fi_refresh", [[]], {}))
        rows.append(scale_row(label, measured, data="materialized view computed again, readers not blocked"))
    measured = bench.sample(lambda m, i: call_kw(manager, m, "field.intervention.invoice.kpi", "web_read_group", [], {
        "domain": [("dimension", "=", "all")], "fields": ["__count", "lead_time_median:avg"],
        "groupby": ["month:month"], **graph}))  # fmt: skip
    core = bench.sample(lambda m, i: call_kw(manager, m, "sale.report", "web_read_group", [], {
        "domain": [("state", "not in", ("draft", "cancel", "sent"))], "fields": ["__count", "product_uom_qty:sum"],
        "groupby": ["date:month"], **graph}))  # fmt: skip
    ours_n, core_n = sizes["presented interventions"], sizes["confirmed sale orders"]
    rows.append(scale_row(
        "KPI dashboard (graph by month)", measured, "sales analysis graph (sale.report)", core,
        target_ms=SCALE_TARGET_MS, data=f"{ours_n} presented interventions", core_data=f"{core_n} sale orders",
        short=core_short(ours_n, core_n),
    ))  # fmt: skip
    measured = bench.sample(lambda m, i: call_kw(manager, m, "field.intervention.cash.kpi", "web_search_read", [], {
        "domain": [("dimension", "=", "all")], "specification": CASH_KPI_LIST_SPEC, "limit": 80}))  # fmt: skip
    core = bench.sample(lambda m, i: call_kw(manager, m, "account.invoice.report", "web_read_group", [], {
        "domain": [("move_type", "in", ("out_invoice", "out_refund")), ("state", "=", "posted")],
        "fields": ["__count", "price_subtotal:sum"], "groupby": ["invoice_date:month"], **graph}))  # fmt: skip
    ours_n, core_n = sizes["intervention invoices"], sizes["posted customer invoices"]
    rows.append(scale_row(
        "to-cash dashboard (list by month)", measured, "invoice analysis graph (account.invoice.report)", core,
        target_ms=SCALE_TARGET_MS, data=f"{ours_n} intervention invoices", core_data=f"{core_n} customer invoices",
        short=core_short(ours_n, core_n),
    ))  # fmt: skip
    return rows, sizes


def invoicing_benchmark(n, template=None):
    """benchmarks/bench_invoicing.py at N/10 then at N on one copy of the template; returns its
    output and the results at both sizes: {"small": {...}, "large": {...}} (None when a run failed)."""
    script = ROOT / "benchmarks" / "bench_invoicing.py"
    template = template or os.environ["FI_TEST_DB"]
    database = f"{template[:40]}_benchinv"
    maintained_copy(template, database)
    try:
        odoo = os.environ["ODOO_DIR"]
        command = [
            os.path.join(os.environ["FI_VENV"], "bin", "python"), str(script),
            f"--addons-path={odoo}/addons,{ROOT}", "-d", database, "--json",
            f"--db_host={os.environ.get('FI_DB_HOST', '127.0.0.1')}",
            f"--db_user={os.environ.get('FI_DB_USER', 'odoo')}",
            f"--odoo-path={odoo}",
        ]  # fmt: skip
        # N/10 first, on the fresh copy, then N on the same copy: queries per record must not grow
        # with N (no per-record query hidden in a batch), and the second run meets the table sizes
        # the first one left (its rows are rolled back, not its effect on PostgreSQL's statistics),
        # as a database in production has.
        outputs, results = [], {}
        for key, size in (("small", max(n // 10, 1)), ("large", n)):
            result = subprocess.run([*command, "-n", str(size)], capture_output=True, text=True, timeout=4 * 3600,
                                    check=False, cwd=ROOT)  # fmt: skip
            output = (result.stdout + result.stderr).strip()
            found = [line for line in output.splitlines() if line.startswith("RESULT ")]
            results[key] = json.loads(found[-1][len("RESULT ") :]) if found else None
            text = "\n".join(line for line in output.splitlines() if not line.startswith("RESULT "))
            copy = "fresh copy" if key == "small" else "same copy"
            outputs.append(f"# N={size} ({copy})\n{text[-4000:]}")
        lines = [flatness_line(results)]
        print(lines[0])
        return "\n".join(outputs + lines), results
    finally:
        drop_database(database)


def flatness_line(results):
    """Queries per record at N/10 and at N, ours and core's."""
    small, large = results.get("small"), results.get("large")
    if not (small and large):
        return "queries per record: a run failed (see its output)"
    parts = []
    for key, label in (("ours", "ours"), ("core", "core")):
        q_small, q_large = small[key]["queries_per_record"], large[key]["queries_per_record"]
        ratio = q_large / q_small if q_small else 0.0
        parts.append(f"{label} {q_small:.2f} at N={small['n']}, {q_large:.2f} at N={large['n']} (x{ratio:.2f})")
    verdict = "flat" if is_flat_in_n(results) else f"NOT FLAT (more than x{FLAT_TARGET} from N/10 to N)"
    return "queries per record: " + "; ".join(parts) + f": {verdict}"


def is_flat_in_n(results):
    small, large = results.get("small"), results.get("large")
    if not (small and large):
        return False
    q_small, q_large = small["ours"]["queries_per_record"], large["ours"]["queries_per_record"]
    return q_large <= FLAT_TARGET * q_small


def pa_deposit_benchmark(n, syntax="CII", template=None, polling_n=0):
    """benchmarks/bench_pa_deposit.py (N invoices, 0: skipped) then benchmarks/bench_pa_polling.py
    (``polling_n`` invoices of a day, 0: skipped) on one copy of the template (l10n_fr_pa_flow
    installed there first); returns the deposit's output, the polling's output and its results."""
    if not (ROOT / "l10n_fr_pa_flow").is_dir():
        return "l10n_fr_pa_flow is not there yet.", "not run", None
    template = template or os.environ["FI_TEST_DB"]
    database = f"{template[:40]}_benchpa"
    maintained_copy(template, database)
    try:
        odoo = os.environ["ODOO_DIR"]
        python = os.path.join(os.environ["FI_VENV"], "bin", "python")
        connection = [
            f"--addons-path={odoo}/addons,{ROOT}",
            f"--db_host={os.environ.get('FI_DB_HOST', '127.0.0.1')}",
            f"--db_user={os.environ.get('FI_DB_USER', 'odoo')}",
        ]
        with tempfile.NamedTemporaryFile(suffix=".log") as log:
            install = [python, os.path.join(odoo, "odoo-bin"), *connection, "-d", database, "-i", "l10n_fr_pa_flow",
                       "--stop-after-init", "--max-cron-threads=0", f"--logfile={log.name}",
                       f"--http-port={free_port()}"]  # fmt: skip
            subprocess.run(install, check=True, timeout=1800, cwd=ROOT)

        def script_output(name, *extra):
            command = [python, str(ROOT / "benchmarks" / name), *connection, "-d", database, *extra,
                       f"--odoo-path={odoo}"]  # fmt: skip
            result = subprocess.run(command, capture_output=True, text=True, timeout=7200, check=False, cwd=ROOT)
            return [line for line in (result.stdout + result.stderr).strip().splitlines() if " WARNING " not in line]

        deposit = "not run"
        if n:
            deposit = "\n".join(script_output("bench_pa_deposit.py", "-n", str(n), "--syntax", syntax))[-4000:]
        polling, polled = "not run", None
        if polling_n:
            lines = script_output("bench_pa_polling.py", "-n", str(polling_n), "--json")
            found = [line for line in lines if line.startswith("RESULT ")]
            polled = json.loads(found[-1][len("RESULT ") :]) if found else None
            polling = "\n".join(line for line in lines if not line.startswith("RESULT "))[-4000:]
        return deposit, polling, polled
    finally:
        drop_database(database)


INVOICING_README_NOTE = [
    "N interventions vs N confirmed sale orders (the timesheet-based labour product on both sides),",
    "invoiced in batches of 200, run at N/10 then at N on the same copy: first on the database as copied,",
    "then with the table sizes the first run left (its rows are rolled back, not their effect on",
    "PostgreSQL's statistics), as a database in production has. The queries per record must not grow",
    f"from N/10 to N (at most x{FLAT_TARGET}): no per-record query hidden in a batch.",
]

NOTES = [
    "Notes: Start, add a part and Stop have no exact core twin in Community (the timesheet timer is",
    "Enterprise): they are set beside the core write a technician would do instead. Start opens the",
    "timer (a time segment, the state): a task save. Stop closes it and writes the worked time as the",
    "technician's timesheet line: logging a timesheet line (until 2026-12-03 Stop was set beside a task",
    "save; the timesheet line alone costs 22 queries of core's timesheet and analytic code, the rest of",
    "Stop 11). Both signatures answer without the signed PDF: the signature's scheduled action,",
    "triggered by the answer, renders it right after (core's quotation acceptance renders the order",
    "PDF in the request: it is the comparison for both), and the draft invoice follows it, made by",
    "the invoicing scheduled action that the signed PDF triggers; run.py polls the database for both",
    f"after each signature and fails above {FOLLOW_UP_LIMIT:.0f} s.",
]

SCALE_NOTES = [
    "Who and what is measured at scale (chosen by SQL on the database measured, never hard-coded):",
    "the phone's day download (`/field_intervention/app/api/day`, today and 3 days ahead) of the",
    "technician with the most interventions, no core twin (Odoo's field service app is Enterprise);",
    "the portal list (`/my/interventions`) of a contact of the customer with the most interventions",
    "a customer sees, beside sale's `/my/orders` of a contact of the customer following the most",
    "confirmed orders; the KPI dashboard as its action opens it (the graph's `web_read_group` by month",
    "of field.intervention.invoice.kpi, whole company) beside sale's Sales Analysis graph",
    "(`web_read_group` of sale.report by month, confirmed orders, all history); the to-cash dashboard",
    "as its action opens it (the list's `web_search_read` of field.intervention.cash.kpi, whole",
    "company) beside Invoicing's invoice analysis graph (`web_read_group` of account.invoice.report by",
    "month, posted customer invoices); both dashboards as the administrator. The invoicing action and",
    "the platform polling are per record (ms and queries per intervention invoiced, per status read).",
    f"Targets: the day download and the dashboards under {SCALE_TARGET_MS / 1000:.0f} s; every action at most",
    f"x{CORE_TWIN_TARGET} its core twin; at most x{FLAT_TARGET} from the small to the large database. A core twin",
    f'that aggregates fewer than {CORE_DATA_SHARE:.0%} as many records as ours is flagged "core data too small"',
    "rather than compared: the database must hold equally large core data.",
]


LARGE_DB_NOTES = [
    "## The large database (setup/history.py --profile large --scale 1)",
    "",
    "Made on 2026-12-07 on this 2-core machine, on a copy of a database with the suite installed:",
    "`setup/history.py -d fi_large --profile large --scale 1` took **46 min** (2,752 s: the world of 1,000",
    "technicians, 3,000 customers and 6,910 sites/missions in 139 s, one intervention of each of 8 kinds through",
    "the ORM in 30 s, then the SQL copies, their numbers, hashes and signed PDFs, and the 300,000 core sale",
    "orders); the database is **14 GB** (12 GB after `VACUUM`), its file store 1.2 GB (294,000 small signed",
    "PDFs). Updating it to a later revision of the suite (new stored computed fields on the 300,000",
    "interventions) took 203 s. Rows: 300,094 interventions (signed 293,972, disputed 6,035), 300,540",
    "timesheet lines, 300,027 sale orders, 848,663 journal entries with 3,721,858 lines, 865,276 platform",
    "statuses, 1,199,043 attachments. Distributions: the largest customer has 10,844 interventions (the next",
    "ones 7,743, 7,215, 6,950, 6,827), the busiest technicians 355; 1,072 customers have one site, 944 two,",
    "981 three, five have over 200; invoices: 277,334 collected (212 Encaissée), 7,930 approved (205),",
    "8,707 disputed (207); 16,641 unpaid.",
]


def comparable_rows(result):
    """Every measure of a database's run as dicts (label, ms, queries, core_label, core_ms,
    core_queries, target_ms, data, core_data, core_short, flat_in_n)."""
    rows = []
    for label, ot, oq, core_label, ct, cq in result["rows"]:
        rows.append({"label": label, "ms": ot, "queries": oq, "core_label": core_label, "core_ms": ct,
                     "core_queries": cq})  # fmt: skip
    rows += result.get("scale", [])
    invoicing = result.get("invoicing_results") or {}
    if invoicing.get("large"):
        large = invoicing["large"]
        per = {key: 1000 * large[key]["seconds"] / max(large[key]["records"], 1) for key in ("ours", "core")}
        rows.append({
            "label": f"invoicing action, N={large['n']} (per record)", "ms": per["ours"],
            "queries": large["ours"]["queries_per_record"], "core_label": "sale.order._create_invoices (per order)",
            "core_ms": per["core"], "core_queries": large["core"]["queries_per_record"],
            "data": f"queries/rec x{flat_ratio(invoicing):.2f} from N/10", "flat_in_n": is_flat_in_n(invoicing),
        })  # fmt: skip
    polled = result.get("polling_results") or {}
    if polled.get("large"):
        large = polled["large"]
        rows.append({
            "label": f"platform polling, {large['n']} invoices' statuses (per status)", "ms": large["ms_per_record"],
            "queries": large["queries_per_record"], "core_label": "",
            "data": f"{large['statuses']} statuses, {large['matched']}/{large['expected']} matched",
            "flat_in_n": is_flat_in_n({"small": polled.get("small") and {"ours": polled["small"]},
                                       "large": {"ours": large}}) if polled.get("small") else None,
        })  # fmt: skip
    return rows


def flat_ratio(results):
    small, large = results.get("small"), results.get("large")
    q_small = small["ours"]["queries_per_record"] if small else 0
    return large["ours"]["queries_per_record"] / q_small if q_small else 0.0


def flags(row, small=None):
    """What misses its target in ``row`` (``small``: the same measure on the small database)."""
    found = []
    if row.get("core_ms") and row["ms"] > CORE_TWIN_TARGET * row["core_ms"] and not row.get("core_short"):
        found.append(f"> x{CORE_TWIN_TARGET} core")
    if row.get("core_short"):
        found.append("core data too small")
    if row.get("target_ms") and row["ms"] > row["target_ms"]:
        found.append(f"over {row['target_ms'] / 1000:.0f} s")
    if small and small["ms"] and row["ms"] > FLAT_TARGET * small["ms"]:
        found.append(f"not flat in size (> x{FLAT_TARGET})")
    # the query count does not depend on the machine's load: a growing one is never noise
    if small and small.get("queries") and row["queries"] > FLAT_TARGET * small["queries"]:
        found.append(f"queries not flat in size (> x{FLAT_TARGET})")
    if row.get("flat_in_n") is False:
        found.append("queries/rec not flat in N")
    return ", ".join(found) or "ok"


def fmt(value, digits=0):
    return "–" if value is None else f"{value:.{digits}f}"


def ratio(a, b):
    return "–" if not (a and b) else f"{a / b:.2f}"


def readme_head(runs, seconds, databases):
    return [
        "# Benchmarks: the speed users feel",
        "",
        "Measured by `benchmarks/run.py` (not part of the test command: it takes minutes). Each figure is",
        f"the median of {runs} requests (after one warm-up request per worker) on a real Odoo 18.0 server",
        "with 2 workers on loopback, beside Odoo's nearest core equivalent measured in the same run.",
        "Server time and SQL query count are read from the line Odoo's HTTP layer logs for each request.",
        "",
        "How to run (FI_TEST_DB: a database with the six addons; it is copied, never changed):",
        "",
        "```",
        "FI_TEST_DB=fi_demo ODOO_DIR=/opt/odoo/18.0 FI_VENV=~/.local/share/field-intervention/venv-18.0 \\",
        "    $FI_VENV/bin/python benchmarks/run.py --runs 7 --invoicing-n 1000 --write-readme",
        "```",
        "",
        "The small and the large database side by side (each copied, never changed; the large one made by",
        "the generator of setup/, with equally large core data for the core twins):",
        "",
        "```",
        "$FI_VENV/bin/python benchmarks/run.py --small-db fi_demo --large-db fi_large --invoicing-n 10000 \\",
        "    --polling-n 400 --write-readme",
        "```",
        "",
        f"Last run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {seconds:.0f} s, on the 2-core development",
        "machine shared with other jobs (absolute times are noisy there; ratios and query counts are the point).",
        f"Database{'s' if len(databases) > 1 else ''}: {databases_line(databases)}.",
        "",
    ]


def databases_line(databases):
    parts = []
    for label, result in databases:
        sizes = result.get("sizes") or {}
        counts = ", ".join(
            f"{count} {name}" if isinstance(count, int) else f"{name} {count}" for name, count in sizes.items()
        )
        parts.append(f"{label} `{result['database']}`" + (f" ({counts})" if counts else ""))
    return "; ".join(parts)


def readme_sections(result):
    """The follow-ups, invoicing, deposit and polling sections of one database's run."""
    lines = []
    if result.get("follow_ups"):
        lines += ["", f"Follow-ups of the signatures on `{result['database']}` (2 cron threads, the server's default):",
                  "", "```", *result["follow_ups"], "```"]  # fmt: skip
    lines += [
        "",
        f"## Batch invoicing (benchmarks/bench_invoicing.py, run by run.py) on `{result['database']}`",
        "",
        *INVOICING_README_NOTE,
        "",
        "```",
        result.get("invoicing", "not run"),
        "```",
        "",
        *PA_README_SECTION,
        "```",
        result.get("pa_deposit", "not run"),
        "```",
        "",
        *POLLING_README_SECTION,
        "```",
        result.get("polling", "not run"),
        "```",
        "",
    ]
    return lines


def write_readme(result, runs, seconds):
    """The README of a run on one database: the user actions' table, then the measures at scale."""
    lines = readme_head(runs, seconds, [("measured", result)])
    lines += [
        "| user action | ms | queries | core equivalent | ms | queries | time ratio | query ratio |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for label, ot, oq, core_label, ct, cq in result["rows"]:
        ratios = f"{ot / ct:.2f} | {oq / max(cq, 1):.2f}"
        lines.append(f"| {label} | {ot:.0f} | {oq:.0f} | {core_label} | {ct:.0f} | {cq:.0f} | {ratios} |")
    lines += ["", *NOTES]
    scale = [row for row in comparable_rows(result) if row in result.get("scale", []) or "flat_in_n" in row]
    if scale:
        lines += [
            "",
            "## At scale: the heaviest users, the dashboards, the batch actions",
            "",
            "| measure | ms | queries | core twin | ms | queries | time ratio | data | targets |",
            "|---|---:|---:|---|---:|---:|---:|---|---|",
        ]
        for row in scale:
            data = row.get("data", "") + (f"; core: {row['core_data']}" if row.get("core_data") else "")
            lines.append(
                f"| {row['label']} | {fmt(row['ms'])} | {fmt(row['queries'], 1)} | {row.get('core_label') or '–'} "
                f"| {fmt(row.get('core_ms'))} | {fmt(row.get('core_queries'), 1)} "
                f"| {ratio(row['ms'], row.get('core_ms'))} | {data} | {flags(row)} |"
            )
        lines += ["", *SCALE_NOTES]
    lines += readme_sections(result)
    (ROOT / "benchmarks" / "README.md").write_text("\n".join(lines), encoding="utf-8")


def side_by_side_lines(small, large):
    """The table of both databases' measures (by label), with the ratios and the targets missed."""
    lines = [
        (
            "| measure | core twin | small: ms | queries | core ms | ratio | large: ms | queries | core ms | ratio "
            "| large / small | large: data | targets missed |"
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    small_rows = {row["label"]: row for row in comparable_rows(small)}
    for row in comparable_rows(large):
        before = small_rows.get(row["label"]) or {}
        data = row.get("data", "") + (f"; core: {row['core_data']}" if row.get("core_data") else "")
        lines.append(
            f"| {row['label']} | {row.get('core_label') or '–'} "
            f"| {fmt(before.get('ms'))} | {fmt(before.get('queries'), 1)} | {fmt(before.get('core_ms'))} "
            f"| {ratio(before.get('ms'), before.get('core_ms'))} "
            f"| {fmt(row['ms'])} | {fmt(row['queries'], 1)} | {fmt(row.get('core_ms'))} "
            f"| {ratio(row['ms'], row.get('core_ms'))} | {ratio(row['ms'], before.get('ms'))} | {data} "
            f"| {flags(row, before or None)} |"
        )
    return lines


def write_readme_side_by_side(small, large, runs, seconds):
    lines = readme_head(runs, seconds, [("small", small), ("large", large)])
    lines += side_by_side_lines(small, large)
    lines += ["", *NOTES, "", *SCALE_NOTES, "", *LARGE_DB_NOTES]
    lines += ["", "# The small database", *readme_sections(small), "# The large database", *readme_sections(large)]
    (ROOT / "benchmarks" / "README.md").write_text("\n".join(lines), encoding="utf-8")


PA_README_SECTION = [
    "## Deposit on an approved platform (benchmarks/bench_pa_deposit.py, run by run.py)",
    "",
    "1,000 posted customer invoices of French business customers deposited through the PA simulator",
    "(setup/pa_simulator.py, real HTTP on loopback, every request checked against the AFNOR Flow Service",
    "OpenAPI) by l10n_fr_pa_flow's scheduled action, beside posting the same 1,000 invoices",
    "(`action_post`, batches of 100), in the same run and transaction. Time is wall time; queries are",
    "counted on every cursor of the process. The deposited file is the CII XML (`--syntax CII`): with",
    "Factur-X, an invoice never printed costs one wkhtmltopdf rendering more (about 1 s each here).",
    "",
]

POLLING_README_SECTION = [
    "## Platform polling of a day's statuses (benchmarks/bench_pa_polling.py, run by run.py)",
    "",
    "A day's invoices deposited on the PA simulator (not measured), each with three statuses on the",
    "platform (200 Déposée, 204 Prise en charge, 205 Approuvée); measured: l10n_fr_pa_flow's polling",
    "scheduled action reading them (one page of 100 flows per run, each flow downloaded, parsed,",
    "matched to its invoice, recorded), run until a page is not full; N/10 first, then N. No core twin",
    "(Odoo Community has no platform connector).",
    "",
]


def measure_database(template, args):
    """Every measure on copies of ``template``: a dict for the README."""
    started = time.monotonic()
    print(f"=== {template}")
    bench = run(args, template)
    result = {"database": template, "rows": bench.rows, "scale": bench.scale_rows, "sizes": bench.sizes}
    follow_ups = getattr(bench, "follow_ups", None)
    result["follow_ups"] = getattr(follow_ups, "lines", ())
    result["follow_ups_ok"] = getattr(bench, "follow_ups_within_limit", True)
    if args.invoicing_n:
        result["invoicing"], result["invoicing_results"] = invoicing_benchmark(args.invoicing_n, template)
        print(result["invoicing"])
    if args.pa_n or args.polling_n:
        result["pa_deposit"], result["polling"], result["polling_results"] = pa_deposit_benchmark(
            args.pa_n, template=template, polling_n=args.polling_n
        )
        print(result["pa_deposit"])
        print(result["polling"])
    result["seconds"] = time.monotonic() - started
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--invoicing-n", type=int, default=200, help="run at N/10 then at N (0: skip)")
    parser.add_argument("--pa-n", type=int, default=1000, help="invoices deposited on the PA simulator (0: skip)")
    parser.add_argument("--polling-n", type=int, default=400, help="invoices of the day polled (0: skip)")
    parser.add_argument("--pa-only", action="store_true", help="only the deposit on the PA simulator")
    parser.add_argument("--no-scale", dest="scale", action="store_false", help="not the measures at scale")
    parser.add_argument("--scale-only", action="store_true", help="only the measures at scale, not the table")
    parser.add_argument("--small-db", help="with --large-db: both databases measured, side by side")
    parser.add_argument("--large-db", help="the large database (setup/'s generator)")
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--save-results", metavar="FILE", help="write the measures as JSON (a list, one per database)")
    parser.add_argument(
        "--from-results",
        metavar="FILE",
        nargs="+",
        help="measure nothing: the README from saved measures (one file: one database; two: small and large, "
        "each file's first database)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="ACTION",
        help='measure only this user action (repeatable, e.g. --only Stop --only "open the portal list"); '
        "the actions it depends on are still done, unmeasured",
    )
    args = parser.parse_args()
    started = time.monotonic()
    if args.pa_only:
        print("\n".join(pa_deposit_benchmark(args.pa_n, polling_n=args.polling_n)[:2]))
        return
    if bool(args.small_db) != bool(args.large_db):
        parser.error("--small-db and --large-db go together")
    if args.from_results:
        results = [json.loads(pathlib.Path(name).read_text(encoding="utf-8"))[0] for name in args.from_results]
        seconds = sum(result["seconds"] for result in results)
        if len(results) == 2:
            print("\n".join(side_by_side_lines(*results)))
            write_readme_side_by_side(*results, args.runs, seconds)
        else:
            write_readme(results[0], args.runs, seconds)
        return
    if args.small_db:
        results = [measure_database(args.small_db, args), measure_database(args.large_db, args)]
        print("\n".join(side_by_side_lines(*results)))
        if args.write_readme:
            write_readme_side_by_side(*results, args.runs, time.monotonic() - started)
    else:
        results = [measure_database(os.environ["FI_TEST_DB"], args)]
        if args.write_readme:
            write_readme(results[0], args.runs, time.monotonic() - started)
    if args.save_results:
        pathlib.Path(args.save_results).write_text(json.dumps(results, indent=1, default=list), encoding="utf-8")
    if not all(result["follow_ups_ok"] for result in results):
        print(f"FAILED: a signed PDF or a draft invoice came more than {FOLLOW_UP_LIMIT:.0f} s after the answer")
        sys.exit(1)


if __name__ == "__main__":
    main()
