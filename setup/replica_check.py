#!/usr/bin/env python3
"""The requests of setup/replica_check.sh (which starts the PostgreSQL primary and standby and
passes their ports and logs): two Odoo processes, a read-only replica, one shared file store.

Each read-only route is requested and judged by the statements PostgreSQL logged meanwhile
(``log_statement = all`` on both servers): those of the route's tables must be in the standby's
log and not in the primary's. The writes (a portal signature, a phone sync) must be in the
primary's log, and what they wrote is read back through the other Odoo process (from the
standby, once streamed; the delay is printed). Exit status 1 on any failed check.
"""

import argparse
import datetime
import hashlib
import os
import pathlib
import sys
import time
import uuid

import psycopg2

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.clients import SmtpSink, WebSession, poll, signature_png
from tests.e2e.world import PASSWORD, World
from tests.odoo_server import OdooServer

APP = "/field_intervention/app"
FAILURES = []


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def check(condition, what):
    print(f"  [{'ok' if condition else 'FAILED'}] {what}", flush=True)
    if not condition:
        FAILURES.append(what)


class PgLog:
    """New statements of a PostgreSQL log since the last mark."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.offset = self.path.stat().st_size

    def mark(self):
        self.offset = self.path.stat().st_size

    def since_mark(self):
        with self.path.open("rb") as log:
            log.seek(self.offset)
            return log.read().decode(errors="replace")


def statements(text, needle):
    return sum(1 for line in text.splitlines() if "statement:" in line and needle in line)


class Check:
    def __init__(self, args):
        self.args = args
        self.primary_log = PgLog(args.primary_log)
        self.standby_log = PgLog(args.standby_log)

    def served_by(self, what, request, needle, where="standby"):
        """Run ``request`` and tell which server ran its statements on ``needle`` (a table)."""
        time.sleep(0.3)  # statements of earlier requests are written
        self.primary_log.mark()
        self.standby_log.mark()
        result = request()
        time.sleep(0.5)
        on_primary = statements(self.primary_log.since_mark(), needle)
        on_standby = statements(self.standby_log.since_mark(), needle)
        expected = on_standby > 0 and on_primary == 0 if where == "standby" else on_primary > 0 and on_standby == 0
        check(expected, f"{what}: statements on {needle}: primary {on_primary}, standby {on_standby}")
        return result

    def servers(self):
        common = [
            "--db_replica_host=127.0.0.1",
            f"--db_replica_port={self.args.standby_port}",
            f"--data-dir={self.args.data_dir}",
            "--limit-time-real=300",
            f"--smtp-port={self.sink.port}",
            "--smtp=127.0.0.1",
        ]
        servers = []
        for name in ("odoo-a", "odoo-b"):
            # wkhtmltopdf (Qt) warns without a private runtime directory
            runtime = pathlib.Path(self.args.workdir) / f"xdg-{name}"
            runtime.mkdir(mode=0o700, exist_ok=True)
            env = dict(os.environ, ODOO_PGAPPNAME=f"{name}-{{pid}}", XDG_RUNTIME_DIR=str(runtime))
            servers.append(
                OdooServer(self.args.database, self.args.workdir, workers=2, extra_args=common, env=env, name=name)
            )
        return servers

    def run(self):
        self.sink = SmtpSink()
        self.sink.start()
        self.a, self.b = self.servers()
        try:
            for server in (self.a, self.b):
                server.start()
                print(f"{server.logfile.stem}: {server.url} (2 workers, replica 127.0.0.1:{self.args.standby_port})")
            self.scenario()
        finally:
            for server in (self.a, self.b):
                server.stop()
            self.sink.stop()
        for server in (self.a, self.b):
            problems = server.log_problems()
            check(not problems, f"{server.logfile.stem}'s log has no WARNING/ERROR ({problems[:3]})")
        print(f"{len(FAILURES)} failed check(s)")
        return 1 if FAILURES else 0

    def primary(self, query, params=()):
        connection = psycopg2.connect(
            host="127.0.0.1", port=self.args.primary_port, user="odoo", dbname=self.args.database
        )
        try:
            with connection, connection.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchall()
        finally:
            connection.close()

    def links(self, intervention_id):
        for message in self.sink.received():
            try:
                link = self.world.portal_link(message["message"])
            except AssertionError:
                continue
            if link.startswith(f"/my/interventions/{intervention_id}?"):
                yield link

    def scenario(self):
        self.world = world = World.build(self.a, self.sink, None)
        erp = world.erp
        # the company's links and the report's assets on process A
        portal_login = f"portal.{world.tag}"
        portal = erp(
            "res.users",
            "create",
            {
                "name": "Paul Martin",
                "login": portal_login,
                "password": PASSWORD,
                "groups_id": [(6, 0, [erp.ref("base.group_portal")])],
            },
        )
        portal_partner = erp("res.users", "read", [portal], ["partner_id"])[0]["partner_id"][0]
        erp("res.partner", "write", [portal_partner], {"parent_id": world.cust_a})
        done_a, _done_b = world.create_done_interventions([world.task_a, world.task_a], world.tech_a)
        draft = erp(
            "field.intervention",
            "create",
            {
                "task_id": world.task_b,
                "technician_ids": [(6, 0, [world.tech_a])],
                "planned_date": utcnow().strftime("%Y-%m-%d %H:%M:%S"),
            },
        )
        # the customer's link, as the technician sends it (mail to the sink)
        sender = WebSession(self.a.url, self.a.database)
        sender.authenticate(world.tech_a_login, PASSWORD)
        wizard = sender.call_kw("field.intervention.sign.request", "create", [{"intervention_id": done_a}])
        sender.call_button("field.intervention.sign.request", "action_send", [wizard])
        world.flush_mail_queue()
        link = poll(lambda: next(self.links(done_a), None), 60, "the mail with the customer's link")
        token = link.split("access_token=")[1].split("&")[0]
        print(f"data: technician {world.tech_a_login}, portal user {portal_login}, interventions {done_a}, {draft}")

        print("reads (read-only routes):")
        # one session store (the shared --data-dir): logged in on A, served by B
        portal_web = WebSession(self.a.url, self.a.database)
        # (not the login form: its first /web/session/get_session_info of a user, a core read-only
        # route, creates the user's res.users.settings: Odoo retries it on the primary, with a WARNING)
        portal_web.authenticate(portal_login, PASSWORD)
        portal_web.url = self.b.url
        listing = self.served_by(
            "B: /my/interventions (portal user logged in on A)",
            lambda: portal_web.get("/my/interventions"),
            '"field_intervention"',
        )
        check(listing.status_code == 200 and f"/my/interventions/{done_a}" in listing.text, "the list shows the report")
        visitor = WebSession(self.b.url, self.b.database)
        report = self.served_by(
            "B: the report (HTML) by the customer's link",
            lambda: visitor.get(f"/my/interventions/{done_a}?access_token={token}&report_type=html"),
            '"field_intervention"',
        )
        check(report.status_code == 200, f"the report answered {report.status_code}")
        tech = {name: WebSession(server.url, server.database) for name, server in (("A", self.a), ("B", self.b))}
        for name, web in tech.items():
            web.authenticate(world.tech_a_login, PASSWORD)
            day = self.served_by(
                f"{name}: the phone's day download",
                lambda web=web: web.call(f"{APP}/api/day", {"days": 3, "owner": web.uid}),
                '"field_intervention"',
            )
            check(draft in [entry["id"] for entry in day["interventions"]], "the day lists today's intervention")

        print("writes (primary) read back through the other process:")
        signed = self.served_by(
            "A: the customer signs in the portal",
            lambda: WebSession(self.a.url, self.a.database).call(
                f"/my/interventions/{done_a}/sign",
                {"access_token": token, "name": "Jeanne Martin", "signature": signature_png()},
            ),
            '"field_intervention_signature"',
            where="primary",
        )
        check(bool(signed and signed.get("force_refresh")), f"the signature was accepted ({signed})")
        verify_token, pdf_hash = self.primary(
            "SELECT verify_token, pdf_hash FROM field_intervention_signature WHERE intervention_id = %s", [done_a]
        )[0]
        started = time.monotonic()
        while True:  # the standby replays the primary's WAL a moment later
            pdf = visitor.get(f"/my/interventions/{done_a}/signed_pdf?access_token={token}")
            if pdf.status_code == 200 or time.monotonic() - started > 10:
                break
            time.sleep(0.05)
        print(f"  signed PDF visible on B after {time.monotonic() - started:.2f} s")
        pdf = self.served_by(
            "B: the signed PDF (file written by A, in the shared file store)",
            lambda: visitor.get(f"/my/interventions/{done_a}/signed_pdf?access_token={token}"),
            '"field_intervention_signature"',
        )
        check(
            pdf.status_code == 200 and hashlib.sha256(pdf.content).hexdigest() == pdf_hash,
            "B serves the very bytes signed on A",
        )
        page = self.served_by(
            "B: the verification page of the QR code",
            lambda: visitor.get(f"/fi/verify/{verify_token}"),
            "verify_token",
        )
        check(page.status_code == 200, f"the verification page answered {page.status_code}")

        at = utcnow() - datetime.timedelta(minutes=5)
        op = {
            "key": str(uuid.uuid4()),
            "intervention_id": draft,
            "type": "start",
            "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "payload": {},
            "owner": tech["B"].uid,
        }
        answer = self.served_by(
            "B: a phone sync (start)",
            lambda: tech["B"].call(
                f"{APP}/api/sync", {"device_id": "replica-check", "owner": tech["B"].uid, "ops": [op]}
            ),
            '"field_intervention_mobile_op"',
            where="primary",
        )
        statuses = [r["status"] for r in answer["results"]]
        check(statuses == ["ok"], f"the sync applied the operation ({statuses})")
        started = time.monotonic()
        while True:
            day = tech["A"].call(f"{APP}/api/day", {"days": 3, "owner": tech["A"].uid})
            state = next(e["state"] for e in day["interventions"] if e["id"] == draft)
            if state == "in_progress" or time.monotonic() - started > 10:
                break
            time.sleep(0.05)
        lag = time.monotonic() - started
        check(state == "in_progress", f"A's day download (standby) shows the sync after {lag:.2f} s")

        print("connections of the Odoo processes:")
        for label, port in (("primary", self.args.primary_port), ("standby", self.args.standby_port)):
            connection = psycopg2.connect(host="127.0.0.1", port=port, user="odoo", dbname=self.args.database)
            with connection, connection.cursor() as cr:
                cr.execute(
                    "SELECT split_part(application_name, '-', 2), count(*) FROM pg_stat_activity"
                    " WHERE application_name LIKE 'odoo-%%' GROUP BY 1 ORDER BY 1"
                )
                print(f"  {label}: {dict(cr.fetchall()) or 'none'}")
            connection.close()
        for server in (self.a, self.b):
            retried = [m.splitlines()[0] for _lvl, _lg, m in server.log_records() if "retrying with a read/write" in m]
            check(not retried, f"{server.logfile.stem}: no read-only route retried on the primary {retried}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("database", "workdir", "data-dir", "primary-log", "standby-log"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--primary-port", type=int, required=True)
    parser.add_argument("--standby-port", type=int, required=True)
    return Check(parser.parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
