"""Mails someone waits for leave within seconds, on a server started as setup/run.sh starts the
demo: the threaded server with Odoo's default cron threads and its mail queue as installed
("Mail: Email Queue Manager", once an hour). The test never runs the mail queue nor sends a
mail itself: it acts over HTTP as the technician and the customer, and watches the SMTP sink.

Runs last: this server's cron threads run every scheduled action of the e2e database that is due.
"""

import hashlib
import re
import time

import pytest

from .clients import WebSession, attachments, poll, signature_png
from .conftest import start_server
from .world import PASSWORD

LEAVE_WITHIN = 10  # seconds between the content of a mail existing and the mail in the sink
CRONS_DUE = """
    SELECT count(*) FROM ir_cron
     WHERE active
       AND (nextcall <= (now() AT TIME ZONE 'UTC')
            OR id IN (SELECT cron_id FROM ir_cron_trigger WHERE call_at <= (now() AT TIME ZONE 'UTC')))
"""

CRONS_RUNNING = """
    SELECT count(*) - (SELECT count(*) FROM (SELECT id FROM ir_cron WHERE active FOR SHARE SKIP LOCKED) free)
      FROM ir_cron WHERE active
"""


@pytest.fixture(scope="module")
def run_sh_server(world, smtp_sink, pg, tmp_path_factory):
    """A server on the e2e database started as setup/run.sh starts it: threaded (no --workers),
    Odoo's default cron threads (no --max-cron-threads), mails to the SMTP sink. The other e2e
    servers run no scheduled action: this one runs them all, as the demo does."""
    server = start_server(
        world.server.database,
        tmp_path_factory.mktemp("run_sh"),
        smtp_sink.port,
        "run-sh",
        workers=0,
        cron_threads=None,
    )
    try:
        # the actions due at start (every one, on a database just copied) run first: the mail
        # queue runs among them; the mails of the test must not ride on that run
        poll(lambda: crons_idle(pg), 300, "the scheduled actions due at the server's start to run")
        server.mark = server.log_mark()
        yield server
        # what the test started (the invoicing of its signatures) ends before the server does:
        # the threaded server closes the database connections of a job still running
        poll(lambda: crons_idle(pg), 300, "the scheduled actions the test started to end")
    finally:
        server.stop()
    assert server.log_problems(since=server.mark) == []


def crons_idle(pg):
    """No scheduled action is due nor running (a running job holds its row's lock)."""
    with pg.cursor() as cr:
        cr.execute(CRONS_DUE)
        if cr.fetchone()[0]:
            return False
        cr.execute(CRONS_RUNNING)
        return cr.fetchone()[0] == 0  # autocommit: the share locks end with the statement


def mail_to(sink, name, rcpt, after):
    """The mail about intervention ``name`` to ``rcpt`` received after ``after`` (monotonic)."""
    for mail in sink.received():
        if mail["at"] >= after and rcpt in mail["rcpt"] and name in str(mail["message"]["Subject"] or ""):
            return mail
    return None


def wait_mail(sink, name, rcpt, after, what):
    return poll(lambda: mail_to(sink, name, rcpt, after), LEAVE_WITHIN + 20, what, interval=0.1)


def signed_pdf_hash(pg, intervention_id):
    with pg.cursor() as cr:
        cr.execute(
            """SELECT s.pdf_hash FROM field_intervention i
                 JOIN field_intervention_signature s ON s.id = i.signature_id
                WHERE i.id = %s AND s.pdf_attachment_id IS NOT NULL""",
            [intervention_id],
        )
        row = cr.fetchone()
        return row and row[0]


def test_signature_request_then_signed_report_leave_within_10_s(world, run_sh_server, smtp_sink, pg, erp):
    [task] = world.create_missions([(world.cust_a, world.tech_a)], name="Fuite chaudière")
    [intervention_id] = world.create_done_interventions([task], world.tech_a)
    name = erp("field.intervention", "read", [intervention_id], ["name"])[0]["name"]

    # the technician, on the customer's site, sends the signature request
    tech = WebSession(run_sh_server.url, run_sh_server.database)
    tech.authenticate(world.tech_a_login, PASSWORD)
    action = tech.call_button("field.intervention", "action_fi_send_for_signature", [intervention_id])
    request_id = tech.call_kw(action["res_model"], "create", [{}], {"context": action["context"]})
    tech.call_button(action["res_model"], "action_send", [request_id], action["context"])
    sent = time.monotonic()
    request = wait_mail(smtp_sink, name, "contact@boulangerie.test", sent, "the signature request")
    request_delay = request["at"] - sent
    print(f"\nsignature request in the sink {request_delay:.1f} s after Send")
    assert request_delay <= LEAVE_WITHIN

    # the customer signs from the link of the mail
    link = world.portal_link(request["message"])
    token = re.search(r"access_token=([\w-]+)", link).group(1)
    customer = WebSession(run_sh_server.url, run_sh_server.database, user_agent="Mozilla/5.0 (customer phone)")
    assert customer.get(link).status_code == 200
    signing = time.monotonic()
    result = customer.call(
        f"/my/interventions/{intervention_id}/sign",
        {"access_token": token, "name": "Jeanne Martin", "signature": signature_png(7), "email": ""},
    )
    assert "error" not in result, result
    pdf_hash = poll(lambda: signed_pdf_hash(pg, intervention_id), 120, "the signed PDF", interval=0.1)
    pdf_ready = time.monotonic()
    for rcpt, what in (("contact@boulangerie.test", "customer"), ("billing@chauffage.test", "billing")):
        mail = wait_mail(smtp_sink, name, rcpt, signing, f"the signed report to {what}")
        delay = max(mail["at"] - pdf_ready, 0)
        print(f"signed report to {what} in the sink {delay:.1f} s after the signed PDF exists")
        assert delay <= LEAVE_WITHIN
        [(filename, pdf)] = attachments(mail["message"])
        assert filename.endswith("signed.pdf") and hashlib.sha256(pdf).hexdigest() == pdf_hash
