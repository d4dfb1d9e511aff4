"""Regressions: probes that once revealed bugs of the addons, kept so that they stay fixed.

field_intervention_sign/controllers/portal.py, portal_intervention_sign(): any internal user
who can *read* an intervention (a billing clerk, a dispatcher) signs it as the customer
through the portal route, without token; the evidence records the role "portal_user".
Expected: only the customer signs in the portal (a portal user of the customer's commercial
entity, or the holder of the access token); internal users use the device flow."""

from .clients import WebSession, signature_png
from .world import PASSWORD


def test_billing_user_cannot_sign_as_the_customer_in_the_portal(world, erp, server):
    (intervention,) = world.create_done_interventions([world.task_a], world.tech_a)
    billing = WebSession(server.url, server.database)
    billing.login_form(world.billing_login, PASSWORD)
    answer = billing.call(
        f"/my/interventions/{intervention}/sign", {"name": "Béa Compta", "signature": signature_png(3)}
    )
    state = erp("field.intervention", "read", [intervention], ["state"])[0]["state"]
    assert "error" in answer and state == "done", (answer, state)


def test_identical_concurrent_submissions_log_no_error(world, erp, server, log_start):
    """field_intervention_sign, _fi_lock_for_signature(): under concurrent identical
    submissions its SELECT ... FOR UPDATE meets a serialization failure; Odoo retries the
    request (the designed path), and nothing is logged as an error."""
    import re
    from concurrent.futures import ThreadPoolExecutor

    (intervention,) = world.create_done_interventions([world.task_a], world.tech_a)
    url = erp("field.intervention", "get_portal_url", [intervention])
    token = re.search(r"access_token=([\w-]+)", url).group(1)
    params = {"access_token": token, "name": "Même Signataire", "signature": signature_png(5)}

    def submit(_index):
        return WebSession(server.url, server.database).call(f"/my/interventions/{intervention}/sign", params)

    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(submit, range(5), timeout=240))
    assert [a for a in answers if "error" in a] == []
    assert server.log_problems(since=log_start) == []


def test_smtp_down_then_back(world, erp, pg, smtp_sink, server):
    """The signed-report mails that met no SMTP server (core leaves them in exception for good)
    are sent again by the mail queue once the server is back: none lost (issue 6, section 4)."""
    from .test_4_faults import done_with_token, sign

    intervention, token = done_with_token(world, erp)
    name = erp("field.intervention", "read", [intervention], ["name"])[0]["name"]
    smtp_sink.stop()
    try:
        answer = sign(server.url, server.database, intervention, token, seed=11)
        assert "error" not in answer, answer
        world.run_sign_jobs()  # the signed PDF and its mails, right after the answer
        world.flush_mail_queue()  # the mail server is down: nothing can leave
    finally:
        smtp_sink.start()
    assert not smtp_sink.find(f"signed intervention report {name}")
    mails = erp(
        "mail.mail", "search_read", [("model", "=", "field.intervention"), ("res_id", "=", intervention)],
        fields=["state", "failure_reason"],
    )  # fmt: skip
    assert mails and {m["state"] for m in mails} <= {"exception", "outgoing"}, mails
    # the mail server is back: the signed report reaches the customer, nothing lost
    smtp_sink.wait_for(f"signed intervention report {name}", timeout=90, flush=world.flush_mail_queue)
    smtp_sink.wait_for(f"Signed intervention report {name}", timeout=30, flush=world.flush_mail_queue)
