"""Faults: the PostgreSQL connection killed in the middle of the signed PDF's rendering,
wkhtmltopdf unavailable after a signature, the SMTP server down then back.

A dedicated server (2 workers) runs with a wkhtmltopdf stub first in its PATH; a control file
tells the stub to work, to fail, or to hold the rendering until the test releases it (the
moment the job's transaction is open, the commit not done). The signature's scheduled action
runs on that server when the test says so (no cron thread)."""

import os
import re
import stat
import threading

import pytest

from .clients import WebSession, XmlRpc, attachments, poll, signature_png
from .conftest import start_server

STUB = """#!/bin/sh
case "$1" in --version) exec /usr/bin/wkhtmltopdf --version ;; esac
MODE=$(cat "{mode}" 2>/dev/null)
if [ "$MODE" = fail ]; then echo "wkhtmltopdf stub: unavailable" >&2; exit 1; fi
if [ "$MODE" = hold ]; then
    i=0
    while [ ! -e "{release}" ] && [ $i -lt 900 ]; do sleep 0.1; i=$((i + 1)); done
fi
exec /usr/bin/wkhtmltopdf "$@"
"""


class Stub:
    def __init__(self, directory):
        self.directory = directory
        self.mode_file = directory / "mode"
        self.release_file = directory / "release"
        script = directory / "wkhtmltopdf"
        script.write_text(STUB.format(mode=self.mode_file, release=self.release_file))
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        self.set("ok")

    def set(self, mode):
        self.release_file.unlink(missing_ok=True)
        self.mode_file.write_text(mode)

    def release(self):
        self.release_file.write_text("go")


@pytest.fixture(scope="module")
def faulty(world, server, smtp_sink, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("faults")
    stub = Stub(workdir)
    env = dict(os.environ, PATH=f"{workdir}:{os.environ['PATH']}")
    odoo = start_server(server.database, workdir, smtp_sink.port, "faults", env=env)
    yield odoo, stub
    odoo.stop()


def done_with_token(world, erp):
    (intervention,) = world.create_done_interventions([world.task_b], world.tech_a)
    url = erp("field.intervention", "get_portal_url", [intervention])
    return intervention, re.search(r"access_token=([\w-]+)", url).group(1)


def sign(url, database, intervention, token, name="Paul Directeur", seed=4):
    web = WebSession(url, database)
    return web.call(
        f"/my/interventions/{intervention}/sign",
        {"access_token": token, "name": name, "signature": signature_png(seed)},
        timeout=240,
    )


def evidence(erp, pg, intervention):
    record = erp("field.intervention", "read", [intervention], ["state", "signed_pdf_id", "sign_pdf_pending"])[0]
    with pg.cursor() as cr:
        cr.execute("SELECT count(*) FROM field_intervention_signature WHERE intervention_id = %s", [intervention])
        (signatures,) = cr.fetchone()
        cr.execute(
            "SELECT count(*) FROM account_move_line WHERE intervention_id = %s AND fi_invoice_claim", [intervention]
        )
        (claims,) = cr.fetchone()
    return record, signatures, claims


def run_sign_jobs_on(odoo, world):
    """Run the signature's scheduled action on ``odoo`` (the server with the wkhtmltopdf stub),
    as its cron thread does right after an answer."""
    faulty_erp = XmlRpc(odoo.url, odoo.database, world.erp.login, world.erp.key)
    cron = world.cron_id("field_intervention_sign.ir_cron_fi_sign_retry")
    return faulty_erp("ir.cron", "method_direct_trigger", [cron])


def test_connection_killed_mid_signed_pdf_then_retry(world, erp, pg, faulty):
    """The customer's answer does not wait for wkhtmltopdf; the transaction of the scheduled
    action that renders the signed PDF is killed in the middle: the signature stays, its jobs
    stay queued, and the next run makes one signed PDF."""
    odoo, stub = faulty
    intervention, token = done_with_token(world, erp)
    stub.set("hold")
    log_start = odoo.log_mark()
    answer = sign(odoo.url, odoo.database, intervention, token)  # wkhtmltopdf holds: not called
    assert "error" not in answer, answer
    record, signatures, claims = evidence(erp, pg, intervention)
    assert (record["state"], signatures, claims) == ("signed", 1, 0)
    assert not record["signed_pdf_id"] and record["sign_pdf_pending"]
    assert odoo.log_problems(since=log_start) == []

    result = {}
    thread = threading.Thread(target=lambda: result.update(r=_safe(run_sign_jobs_on, odoo, world)), daemon=True)
    thread.start()

    def job_backend():
        # the job's transaction, open while wkhtmltopdf holds (not a request between two queries)
        with pg.cursor() as cr:
            cr.execute(
                """SELECT pid FROM pg_stat_activity
                    WHERE datname = current_database() AND application_name LIKE 'fi-e2e-faults-%%'
                      AND state = 'idle in transaction' AND state_change < now() - interval '2 seconds'"""
            )
            rows = cr.fetchall()
        return rows[0][0] if len(rows) == 1 else None

    pid = poll(job_backend, 120, "the scheduled action's transaction waiting for the PDF")
    with pg.cursor() as cr:
        cr.execute("SELECT pg_terminate_backend(%s)", [pid])
    stub.release()
    thread.join(240)
    assert not thread.is_alive()
    assert "http_error" in result["r"], result
    record, signatures, claims = evidence(erp, pg, intervention)
    assert (record["state"], signatures, claims) == ("signed", 1, 0), "the signature was lost"
    assert not record["signed_pdf_id"] and record["sign_pdf_pending"], "the job was lost"
    problems = odoo.log_problems(since=log_start)
    assert problems, "the killed connection should have been logged"
    assert all(re.search(r"terminat|connection|closed", p) for p in problems), problems

    stub.set("ok")
    log_start = odoo.log_mark()
    run_sign_jobs_on(odoo, world)
    world.run_invoicing()
    record, signatures, claims = evidence(erp, pg, intervention)
    assert (record["state"], signatures, claims) == ("signed", 1, 1)
    assert record["signed_pdf_id"] and not record["sign_pdf_pending"]
    with pg.cursor() as cr:
        cr.execute(
            """SELECT count(*) FROM ir_attachment
                WHERE res_model = 'field.intervention' AND res_id = %s AND mimetype = 'application/pdf'""",
            [intervention],
        )
        assert cr.fetchone()[0] == 1, "one signed PDF"
    assert odoo.log_problems(since=log_start) == []


def _safe(function, *args):
    try:
        return function(*args)
    except Exception as error:  # noqa: BLE001 - the answer of a killed request is what we look at
        return {"http_error": repr(error)}


SIGN_JOB_FAILED = re.compile(
    r"WARNING odoo\.addons\.field_intervention_sign\.models\.field_intervention_sign_job_mixin: Signature job "
    r"_fi_generate_signed_pdf failed for intervention \d+: .*",
    re.DOTALL,
)
WKHTMLTOPDF_FAILED = re.compile(r"(WARNING|ERROR) odoo\.addons\.base\.models\.ir_actions_report: .*stub.*", re.DOTALL)


def test_wkhtmltopdf_unavailable_then_retry_cron(world, erp, pg, faulty, smtp_sink, server):
    odoo, stub = faulty
    intervention, token = done_with_token(world, erp)
    name = erp("field.intervention", "read", [intervention], ["name"])[0]["name"]
    stub.set("fail")
    log_start = odoo.log_mark()
    answer = sign(odoo.url, odoo.database, intervention, token, seed=6)
    assert "error" not in answer, answer
    run_sign_jobs_on(odoo, world)  # right after the answer: the signed PDF fails
    world.run_invoicing()  # the invoice is made while the signed PDF is still missing
    record, signatures, claims = evidence(erp, pg, intervention)
    assert record["state"] == "signed" and signatures == 1 and claims == 1
    assert not record["signed_pdf_id"] and record["sign_pdf_pending"]
    problems = odoo.log_problems(since=log_start)
    assert any(SIGN_JOB_FAILED.fullmatch(p.strip()) for p in problems), problems
    assert [p for p in problems if not (SIGN_JOB_FAILED.fullmatch(p.strip()) or WKHTMLTOPDF_FAILED.match(p))] == []

    # later: wkhtmltopdf is back, the retry is due (its delay is moved to now), the cron runs
    stub.set("ok")
    main_start = server.log_mark()
    with pg.cursor() as cr:
        cr.execute(
            "UPDATE field_intervention SET sign_job_next_try = now() at time zone 'utc' - interval '1 minute' "
            "WHERE id = %s",
            [intervention],
        )
    world.run_cron("field_intervention_sign.ir_cron_fi_sign_retry")
    record, signatures, claims = evidence(erp, pg, intervention)
    assert record["signed_pdf_id"] and not record["sign_pdf_pending"] and signatures == 1
    invoice = erp("field.intervention", "read", [intervention], ["invoice_id"])[0]["invoice_id"][0]
    on_invoice = erp("ir.attachment", "search_count", [("res_model", "=", "account.move"), ("res_id", "=", invoice)])
    assert on_invoice == 1, "the signed PDF produced later is attached to the invoice"
    mail = smtp_sink.wait_for(f"signed intervention report {name}", flush=world.flush_mail_queue)[-1]
    assert [n for n, __ in attachments(mail["message"]) if n.endswith("signed.pdf")]
    assert server.log_problems(since=main_start) == []
