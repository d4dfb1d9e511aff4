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
"""

import argparse
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

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


def run(args):
    template = os.environ["FI_TEST_DB"]
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
        return measure_all(server, world, args)
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


def invoicing_benchmark(n):
    script = ROOT / "benchmarks" / "bench_invoicing.py"
    template = os.environ["FI_TEST_DB"]
    database = f"{template[:40]}_benchinv"
    maintained_copy(template, database)
    try:
        odoo = os.environ["ODOO_DIR"]
        command = [
            os.path.join(os.environ["FI_VENV"], "bin", "python"), str(script),
            f"--addons-path={odoo}/addons,{ROOT}", "-d", database, "-n", str(n),
            f"--db_host={os.environ.get('FI_DB_HOST', '127.0.0.1')}",
            f"--db_user={os.environ.get('FI_DB_USER', 'odoo')}",
            f"--odoo-path={odoo}",
        ]  # fmt: skip
        # Twice on the same copy: the demo database is small, and PostgreSQL plans the checks of
        # the invoice lines' foreign keys for a table that size while the run adds tens of
        # thousands of rows; the second run meets tables the size the first one left (its rows
        # are rolled back, not its effect on the statistics), closer to a database in production.
        outputs = []
        for label in ("first run, fresh copy of the database", "second run, same database"):
            result = subprocess.run(command, capture_output=True, text=True, timeout=3600, check=False, cwd=ROOT)
            outputs.append(f"# {label}\n" + (result.stdout + result.stderr).strip()[-4000:])
        return "\n".join(outputs)
    finally:
        drop_database(database)


def pa_deposit_benchmark(n, syntax="CII"):
    """benchmarks/bench_pa_deposit.py on a copy of FI_TEST_DB (l10n_fr_pa_flow installed there first)."""
    script = ROOT / "benchmarks" / "bench_pa_deposit.py"
    if not (ROOT / "l10n_fr_pa_flow").is_dir():
        return "l10n_fr_pa_flow is not there yet."
    template = os.environ["FI_TEST_DB"]
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
        command = [python, str(script), *connection, "-d", database, "-n", str(n), "--syntax", syntax,
                   f"--odoo-path={odoo}"]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=7200, check=False, cwd=ROOT)
        lines = (result.stdout + result.stderr).strip().splitlines()
        return "\n".join(line for line in lines if " WARNING " not in line)[-4000:]
    finally:
        drop_database(database)


INVOICING_README_NOTE = [
    "N interventions vs N confirmed sale orders (the timesheet-based labour product on both sides),",
    "invoiced in batches of 200, run twice on the same copy: first on the small demo database as copied,",
    "where PostgreSQL plans the invoice lines' foreign-key checks as sequential scans while the run adds",
    "tens of thousands of rows; then with the table sizes the first run left (its rows are rolled back),",
    "as a database in production has.",
]


def write_readme(rows, invoicing, runs, seconds, pa_deposit="not run", follow_ups=()):
    lines = [
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
        f"Last run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {seconds:.0f} s, on the 2-core development",
        "machine shared with other jobs (absolute times are noisy there; ratios and query counts are the point).",
        "",
        "| user action | ms | queries | core equivalent | ms | queries | time ratio | query ratio |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for label, ot, oq, core_label, ct, cq in rows:
        ratios = f"{ot / ct:.2f} | {oq / max(cq, 1):.2f}"
        lines.append(f"| {label} | {ot:.0f} | {oq:.0f} | {core_label} | {ct:.0f} | {cq:.0f} | {ratios} |")
    lines += [
        "",
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
    if follow_ups:
        lines += [
            "Its output in this run (2 cron threads, the server's default):",
            "",
            "```",
            *follow_ups,
            "```",
        ]
    lines += [
        "",
        "## Batch invoicing (benchmarks/bench_invoicing.py, run by run.py)",
        "",
        *INVOICING_README_NOTE,
        "",
        "```",
        invoicing,
        "```",
        "",
        *PA_README_SECTION,
        "```",
        pa_deposit,
        "```",
        "",
    ]
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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--invoicing-n", type=int, default=200)
    parser.add_argument("--pa-n", type=int, default=1000, help="invoices deposited on the PA simulator (0: skip)")
    parser.add_argument("--pa-only", action="store_true", help="only the deposit on the PA simulator")
    parser.add_argument("--write-readme", action="store_true")
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
        print(pa_deposit_benchmark(args.pa_n))
        return
    bench = run(args)
    rows = bench.rows
    invoicing = invoicing_benchmark(args.invoicing_n) if args.invoicing_n else "not run"
    print(invoicing)
    pa_deposit = pa_deposit_benchmark(args.pa_n) if args.pa_n else "not run"
    print(pa_deposit)
    if args.write_readme:
        follow_ups = getattr(getattr(bench, "follow_ups", None), "lines", ())
        write_readme(rows, invoicing, args.runs, time.monotonic() - started, pa_deposit, follow_ups)
    if not getattr(bench, "follow_ups_within_limit", True):
        print(f"FAILED: a signed PDF or a draft invoice came more than {FOLLOW_UP_LIMIT:.0f} s after the answer")
        sys.exit(1)


if __name__ == "__main__":
    main()
