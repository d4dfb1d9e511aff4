#!/usr/bin/env python3
"""Load test of the phone sync: N technicians (default 200) each syncing about once a minute
against one Odoo with 4 workers, then a ramp of the rate until the server saturates.

Not part of the test command (minutes long). Usage (FI_TEST_DB: a database with the suite
installed; it is copied, never changed):

    FI_TEST_DB=fi_demo ODOO_DIR=/opt/odoo/18.0 FI_VENV=... \\
        $FI_VENV/bin/python benchmarks/load_sync.py [--technicians 200] [--duration 180] \\
        [--ramp 2,4,8,16] [--step 60] [--workers 4]

What a phone does when it comes back online (the app's sync.js): it sends its queue of
operations (``/field_intervention/app/api/sync``, here one text change with a new key each
time, the server re-checking everything and storing the operation) then downloads its day
again (``/field_intervention/app/api/day``). Each simulated phone waits an exponential think
time between two syncs (mean 60 s at the base rate: the arrivals of the 200 phones make a
Poisson process of 200 syncs a minute), in one asyncio loop over raw HTTP/1.1 connections
(one connection per request, as a phone on a mobile network).

The database copy gets the technicians through XML-RPC in batches (users, employees, missions,
two interventions each, planned today); their password is hashed once and its hash copied to the
others in SQL (600,000 PBKDF2 rounds per user would take minutes and is no part of the load).
Each phone logs in once and starts its first intervention before the measure.

Printed per phase: the rate asked, the syncs done, throughput, p50/p95/max latency of the sync
request, of the day download and of the whole cycle, the error rate (HTTP or JSON-RPC errors,
operations not ``ok``, timeouts), the load average, the median server time and query count per
request (from Odoo's log); then the saturation point: the rates at which the p95 of a request
(sync or day) is over 1 s or the errors are over 1 % (the ramp goes up from the base rate, or
down when the base rate saturates already), and the cores the run had.
"""

import argparse
import asyncio
import json
import os
import pathlib
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.clients import XmlRpc
from tests.e2e.conftest import copy_database, drop_database, pg_connect
from tests.e2e.world import TECH_GROUP, make_api_key
from tests.odoo_server import OdooServer

APP = "/field_intervention/app/api"
PASSWORD = "load-Passw0rd!"
TIMEOUT = 30
P95_LIMIT = 1.0
ERROR_LIMIT = 0.01
# the line Odoo logs per request: "POST <path> HTTP/1.1" <status> - <queries> <sql s> <other s>
REQUEST_LINE = re.compile(r'"POST (\S+) HTTP/1\.1" \d+ - (\d+) ([\d.]+) ([\d.]+)')
SESSION_COOKIE = re.compile(rb"^set-cookie:\s*session_id=([^;\r\n]*)", re.IGNORECASE | re.MULTILINE)


def utc_string(moment, fmt="%Y-%m-%dT%H:%M:%SZ"):
    return moment.strftime(fmt)


def now_utc():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def cpu_model():
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    models = re.findall(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return models[0].strip() if models else "unknown"


# ----------------------------------------------------------------------
# A minimal HTTP/1.1 JSON-RPC client on asyncio streams
# ----------------------------------------------------------------------
class RpcFailure(Exception):
    pass


def dechunk(body):
    out, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if not size:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out


class Phone:
    """One technician's phone: its session cookie and its JSON-RPC calls."""

    def __init__(self, port, login, uid=None):
        self.port, self.login, self.uid = port, login, uid
        self.cookie = None
        self.intervention_id = None

    async def call(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\nUser-Agent: fi-load-sync (Android 14) Mobile\r\n"
        )
        if self.cookie:
            head += f"Cookie: session_id={self.cookie}\r\n"
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(head.encode() + b"\r\n" + body)
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
        headers, _, payload = raw.partition(b"\r\n\r\n")
        status = int(headers.split(b" ", 2)[1]) if headers else 0
        if b"transfer-encoding: chunked" in headers.lower():
            payload = dechunk(payload)
        cookie = SESSION_COOKIE.search(headers)
        if cookie:
            self.cookie = cookie.group(1).decode()
        if status != 200:
            raise RpcFailure(f"HTTP {status}")
        answer = json.loads(payload)
        if "error" in answer:
            raise RpcFailure((answer["error"].get("data") or {}).get("name") or answer["error"].get("message"))
        return answer.get("result")

    async def authenticate(self, database):
        result = await self.call(
            "/web/session/authenticate", {"db": database, "login": self.login, "password": PASSWORD}
        )
        self.uid = result["uid"]

    def op(self, op_type, **payload):
        return {
            "key": str(uuid.uuid4()),
            "intervention_id": self.intervention_id,
            "type": op_type,
            "at": utc_string(now_utc() - timedelta(seconds=5)),
            "owner": self.uid,
            "payload": payload,
        }

    async def sync(self, ops):
        answer = await self.call(f"{APP}/sync", {"device_id": f"load-{self.login}", "owner": self.uid, "ops": ops})
        statuses = [result["status"] for result in answer["results"]]
        if statuses != ["ok"] * len(ops):
            raise RpcFailure(f"operations {statuses}")

    async def day(self):
        day = await self.call(f"{APP}/day", {"days": 3, "owner": self.uid})
        if not day["interventions"]:
            raise RpcFailure("empty day")
        return day


# ----------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------
def create_technicians(server, count):
    """``count`` technicians, each with a mission and two interventions planned today."""
    key = make_api_key(server, "admin", "admin", "load test")
    erp = XmlRpc(server.url, server.database, "admin", key)
    tag = uuid.uuid4().hex[:6]
    groups = [erp.ref("base.group_user"), erp.ref(TECH_GROUP)]
    users = erp(
        "res.users",
        "create",
        [
            {"name": f"Tech {tag} {n:03d}", "login": f"load.{tag}.{n:03d}", "tz": "Europe/Paris",
             "groups_id": [(6, 0, groups)]}
            for n in range(count)
        ],
    )  # fmt: skip
    erp("res.users", "write", users[:1], {"password": PASSWORD})
    connection = pg_connect(server.database)
    with connection.cursor() as cr:
        cr.execute(
            "UPDATE res_users SET password = (SELECT password FROM res_users WHERE id = %s) WHERE id = ANY(%s)",
            [users[0], users],
        )
    connection.close()
    erp("hr.employee", "create", [{"name": f"Tech {tag} {n:03d}", "user_id": uid} for n, uid in enumerate(users)])
    customer = erp(
        "res.partner",
        "create",
        {"name": f"Client charge {tag}", "is_company": True, "street": "1 rue du Test", "zip": "69001",
         "city": "Lyon", "country_id": erp.ref("base.fr")},
    )  # fmt: skip
    project = erp(
        "project.project",
        "create",
        {"name": f"Charge {tag}", "is_field_service": True, "allow_timesheets": True,
         "checklist_template_ids": [(0, 0, {"name": "Pression contrôlée", "sequence": 1})]},
    )  # fmt: skip
    tasks = erp(
        "project.task",
        "create",
        [
            {"name": f"Mission {n:03d}", "project_id": project, "partner_id": customer, "user_ids": [(6, 0, [uid])]}
            for n, uid in enumerate(users)
        ],
    )
    planned = utc_string(now_utc(), "%Y-%m-%d %H:%M:%S")
    vals = [
        {"task_id": task, "technician_ids": [(6, 0, [uid])], "planned_date": planned}
        for task, uid in zip(tasks, users, strict=True)
        for _copy in range(2)
    ]
    interventions = []
    for start in range(0, len(vals), 100):
        interventions += erp("field.intervention", "create", vals[start : start + 100])
    logins = erp("res.users", "read", users, ["login"])
    by_user = dict(zip(users, interventions[::2], strict=True))
    return [(row["login"], row["id"], by_user[row["id"]]) for row in logins]


# ----------------------------------------------------------------------
# The load
# ----------------------------------------------------------------------
class Phase:
    def __init__(self, name, rate_per_minute, seconds):
        self.name, self.rate, self.seconds = name, rate_per_minute, seconds
        self.sync, self.day, self.cycle = [], [], []
        self.errors = []
        self.done = 0
        self.elapsed = 0.0
        self.load = None
        self.server = {}  # path -> [(queries, server seconds)] read from Odoo's log

    def error_rate(self):
        attempts = self.done + len(self.errors)
        return len(self.errors) / attempts if attempts else 0.0

    def saturated(self):
        """A request's p95 over the limit, or too many errors."""
        p95 = max(percentile(self.sync, 0.95), percentile(self.day, 0.95))
        return not p95 <= P95_LIMIT or self.error_rate() > ERROR_LIMIT

    def read_server_log(self, server, mark):
        with server.logfile.open("rb") as log:
            log.seek(mark)
            text = log.read().decode(errors="replace")
        for path, queries, sql, other in REQUEST_LINE.findall(text):
            self.server.setdefault(path.rsplit("/", 1)[-1], []).append((int(queries), float(sql) + float(other)))

    def server_row(self):
        parts = []
        for name in ("sync", "day"):
            rows = self.server.get(name) or [(0, float("nan"))]
            queries = statistics.median(row[0] for row in rows)
            seconds = statistics.median(row[1] for row in rows)
            parts.append(f"{name} {seconds * 1000:.0f} ms {queries:.0f} queries")
        return "       server side (median per request, Odoo's log): " + ", ".join(parts)

    def row(self):
        def ms(values, fraction):
            return f"{percentile(values, fraction) * 1000:7.0f}"

        return (
            f"{self.name:<6} {self.rate:7.0f}/min {self.seconds:5.0f} s {self.done:6d} syncs "
            f"{self.done / self.elapsed if self.elapsed else 0:6.2f}/s | sync p50 {ms(self.sync, 0.5)} "
            f"p95 {ms(self.sync, 0.95)} max {ms(self.sync, 1)} | day p50 {ms(self.day, 0.5)} "
            f"p95 {ms(self.day, 0.95)} max {ms(self.day, 1)} | cycle p95 {ms(self.cycle, 0.95)} ms | "
            f"errors {len(self.errors)} ({self.error_rate():.1%}) | load {self.load}"
        )


async def run_phase(phones, phase, server):
    """Every phone syncs after an exponential think time (mean: 60 s x N / rate) until the end."""
    mean_think = 60.0 * len(phones) / phase.rate
    mark = server.log_mark()
    start = time.monotonic()
    end = start + phase.seconds

    async def phone_loop(phone):
        while True:
            think = random.expovariate(1.0 / mean_think)
            if time.monotonic() + think >= end:
                return
            await asyncio.sleep(think)
            t0 = time.monotonic()
            try:
                await asyncio.wait_for(phone.sync([phone.op("set_text", work_description=f"Relevé {t0:.3f}")]), TIMEOUT)
                t1 = time.monotonic()
                await asyncio.wait_for(phone.day(), TIMEOUT)
                t2 = time.monotonic()
            except (RpcFailure, OSError, asyncio.TimeoutError, ValueError, KeyError) as error:
                phase.errors.append(f"{type(error).__name__}: {error}")
                continue
            phase.sync.append(t1 - t0)
            phase.day.append(t2 - t1)
            phase.cycle.append(t2 - t0)
            phase.done += 1

    await asyncio.gather(*(phone_loop(phone) for phone in phones))
    await asyncio.sleep(max(0.0, end - time.monotonic()))  # the window of the arrivals
    phase.elapsed = time.monotonic() - start
    phase.load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    phase.read_server_log(server, mark)
    return phase


async def prepare_phones(server, technicians):
    phones = [Phone(server.port, login, uid) for login, uid, _intervention in technicians]
    for phone, (_login, _uid, intervention) in zip(phones, technicians, strict=True):
        phone.intervention_id = intervention
    semaphore = asyncio.Semaphore(4)

    async def ready(phone):
        async with semaphore:
            await phone.authenticate(server.database)
            await phone.sync([phone.op("start")])
            await phone.day()

    started = time.monotonic()
    await asyncio.gather(*(ready(phone) for phone in phones))
    print(f"{len(phones)} phones logged in and started their job in {time.monotonic() - started:.0f} s", flush=True)
    return phones


async def load(server, technicians, args):
    phones = await prepare_phones(server, technicians)
    base = len(phones) * args.per_minute
    results = []

    async def measure(phase):
        print(f"phase {phase.name}: {phase.rate:.0f} syncs/min for {phase.seconds:.0f} s ...", flush=True)
        results.append(await run_phase(phones, phase, server))
        print(phase.row(), flush=True)
        print(phase.server_row(), flush=True)
        return phase.saturated()

    if await measure(Phase("base", base, args.duration)):
        # saturated at the base rate already: down until a rate holds
        for factor in args.ramp_down:
            if not await measure(Phase(f"x{factor:g}", base * factor, args.step)):
                break
    else:
        for factor in args.ramp:
            if await measure(Phase(f"x{factor:g}", base * factor, args.step)):
                break
    return results


def report(results, args):
    print()
    print(f"machine: {os.cpu_count()} cores ({cpu_model()}), shared; Odoo --workers={args.workers}, no cron thread")
    for phase in results:
        print(phase.row())
        print(phase.server_row())
        if phase.errors:
            kinds = statistics.multimode(phase.errors)
            print(f"       most frequent error: {kinds[0]}")
    good = [phase.rate for phase in results if not phase.saturated()]
    bad = [phase.rate for phase in results if phase.saturated()]
    print(
        f"saturation (a request's p95 > {P95_LIMIT:.0f} s or errors > {ERROR_LIMIT:.0%}): "
        + (f"from {min(bad):.0f} syncs/min" if bad else "not reached")
        + (f"; highest rate under it: {max(good):.0f} syncs/min" if good else "; no rate measured under it")
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--technicians", type=int, default=200)
    parser.add_argument("--per-minute", type=float, default=1.0, help="syncs per technician per minute (base)")
    parser.add_argument("--duration", type=float, default=180, help="seconds at the base rate")
    parser.add_argument("--ramp", default="2,4,8,16", help="factors of the base rate, up, one step each")
    parser.add_argument(
        "--ramp-down", default="0.5,0.25,0.125", help="factors of the base rate when it saturates already"
    )
    parser.add_argument("--step", type=float, default=60, help="seconds per ramp step")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the database copy")
    args = parser.parse_args()
    args.ramp = [float(factor) for factor in args.ramp.split(",") if factor]
    args.ramp_down = [float(factor) for factor in args.ramp_down.split(",") if factor]
    template = os.environ.get("FI_TEST_DB")
    if not template:
        parser.error("FI_TEST_DB is not set")
    database = f"{template[:40]}_load"
    copy_database(template, database)
    workdir = tempfile.mkdtemp(prefix="fi-load-")
    env = dict(os.environ, ODOO_PGAPPNAME="fi-load-{pid}", XDG_RUNTIME_DIR=workdir)
    server = OdooServer(database, workdir, workers=args.workers, extra_args=["--limit-time-real=300"], env=env)
    try:
        server.start()
        print(f"Odoo on {server.url}, {args.workers} workers, database {database}", flush=True)
        started = time.monotonic()
        technicians = create_technicians(server, args.technicians)
        print(f"{len(technicians)} technicians created in {time.monotonic() - started:.0f} s", flush=True)
        results = asyncio.run(load(server, technicians, args))
        report(results, args)
        problems = server.log_problems()
        print(f"server log: {len(problems)} WARNING/ERROR line(s)" + (f", first: {problems[0]}" if problems else ""))
    finally:
        server.stop()
        if not args.keep:
            drop_database(database)
        subprocess.run(["rm", "-rf", workdir], check=False)


if __name__ == "__main__":
    main()
