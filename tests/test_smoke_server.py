"""A real Odoo server with the suite: web-client login, interventions served."""

from .odoo_server import JsonRpcSession


def test_login_over_json_rpc_and_read_interventions(odoo_server):
    session = JsonRpcSession(odoo_server.url)
    info = session.authenticate(odoo_server.database, "admin", "admin")
    assert info["uid"], "admin could not log in"
    installed = session.call_kw(
        "ir.module.module",
        "search_read",
        [[("name", "like", "field_intervention"), ("state", "=", "installed")]],
        {"fields": ["name"]},
    )
    assert {m["name"] for m in installed} == {
        "field_intervention",
        "field_intervention_sign",
        "field_intervention_invoice",
        "field_intervention_mobile",
        "field_intervention_pa",
        "field_intervention_maintenance",
        "field_intervention_maintenance_invoice",
    }
    count = session.call_kw("field.intervention", "search_count", [[]])
    assert count >= 0


def test_server_log_is_clean(odoo_server):
    JsonRpcSession(odoo_server.url).authenticate(odoo_server.database, "admin", "admin")
    assert odoo_server.log_problems() == []


def test_wrong_password_is_refused(odoo_server):
    mark = odoo_server.log_mark()
    session = JsonRpcSession(odoo_server.url)
    try:
        session.authenticate(odoo_server.database, "admin", "not-the-password")
    except RuntimeError as error:
        assert "Access Denied" in str(error)
    else:
        raise AssertionError("a wrong password opened a session")
    # core warns of every refused login (what an intrusion detector reads): that line only
    assert odoo_server.log_problems(since=mark) == ["WARNING odoo.http: Access Denied"]
