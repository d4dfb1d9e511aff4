"""The demo's generated history (setup/history.py --profile demo, run by setup/run.sh when it
builds the demo database): run on a copy of the test database (built as the demo is), it tells
the seed's story on the dashboards' own models, and what it makes keeps the suite's invariants."""

import json
import os
import pathlib
import subprocess
import time
from datetime import date

import pytest

from .conftest import ROOT
from .test_demo_setup import lib_sh, psql

IMAGES = ROOT / "docs" / "images"
ODOO_DIR = os.environ.get("ODOO_DIR", "/opt/odoo/18.0")

SHELL = r"""
import json
from datetime import date
company = env.ref("base.main_company")
kpi = env["field.intervention.invoice.kpi"].search_read(
    [("dimension", "=", "all"), ("company_id", "=", company.id)],
    ["month", "lead_time_median", "lead_time_mean", "signed_count", "invoiced_count"],
)
cash = env["field.intervention.cash.kpi"].search_read(
    [("dimension", "=", "all"), ("company_id", "=", company.id)],
    ["month", "invoice_count", "cashed_count", "sign_to_deposit_median", "deposit_to_acceptance_median",
     "sign_to_cash_median"],
)
print("JSON:" + json.dumps({"kpi": kpi, "cash": cash}, default=str))
"""


def months_ago(today, back):
    year, month = today.year, today.month - back
    while month <= 0:
        month, year = month + 12, year - 1
    return date(year, month, 1).isoformat()


def generated_copy(tmp_path_factory, suffix, *history_args, timeout=600):
    """A copy of FI_TEST_DB (database and file store) with setup/history.py run on it: (the
    copy's name, its Odoo data dir, the generator's completed process). Shared by the demo's and
    the large profile's tests."""
    source = os.environ.get("FI_TEST_DB")
    if not source:
        pytest.fail("FI_TEST_DB is not set: run the repo-level tests through setup/test.sh")
    target = f"{source}_{suffix}"
    data_dir = tmp_path_factory.mktemp(f"{suffix}_data")
    pg_bin = max(pathlib.Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name))
    lib_sh("fi_drop_db", target)
    lib_sh("fi_copy_db_into", str(pg_bin), os.environ.get("FI_DB_PORT", "5432"), source, target, str(data_dir))
    result = subprocess.run(
        [os.path.join(os.environ.get("FI_VENV", ""), "bin", "python"), str(ROOT / "setup" / "history.py"),
         "-d", target, *history_args, "--odoo-path", ODOO_DIR, "--data-dir", str(data_dir)],
        capture_output=True, text=True, check=False, timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return target, data_dir, result


@pytest.fixture(scope="module")
def history_db(tmp_path_factory):
    target, data_dir, result = generated_copy(tmp_path_factory, "history", "--profile", "demo")
    python = os.path.join(os.environ.get("FI_VENV", ""), "bin", "python")
    shell = subprocess.run(
        [python, f"{ODOO_DIR}/odoo-bin", "shell", "-d", target, "--no-http", f"--data-dir={data_dir}",
         f"--addons-path={ODOO_DIR}/addons,{ROOT}", f"--db_host={os.environ.get('FI_DB_HOST', '127.0.0.1')}",
         f"--db_port={os.environ.get('FI_DB_PORT', '5432')}", f"--db_user={os.environ.get('FI_DB_USER', 'odoo')}",
         "--log-level=warn"],
        input=SHELL, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    line = next((x for x in shell.stdout.splitlines() if x.startswith("JSON:")), None)
    assert line, shell.stdout + shell.stderr
    yield {"db": target, "data_dir": data_dir, "summary": result.stdout, "dashboards": json.loads(line[5:])}
    lib_sh("fi_drop_db", target)


def test_history_runs_fast_and_says_what_it_made(history_db):
    summary = history_db["summary"]
    assert "history (demo):" in summary, summary
    seconds = int(summary.rsplit(";", 1)[1].split()[0])
    assert seconds < 600, summary  # about a minute on an idle machine (3 to 4 under a shared load)
    made = int(history_db["summary"].split("history (demo): ")[1].split()[0])
    assert 200 <= made <= 500, summary


def test_lead_time_falls_from_thirty_days_to_zero(history_db):
    today = date.today()
    rows = {row["month"]: row for row in history_db["dashboards"]["kpi"]}
    paper = [rows[months_ago(today, back)] for back in range(12, 7, -1)]  # the paper months (not the last)
    suite = [rows[months_ago(today, back)] for back in range(5, 0, -1)]  # the full months with the suite
    for row in paper:
        assert 20 <= row["lead_time_median"] <= 40, row
        assert row["invoiced_count"] >= 5, row
    for row in suite:
        assert row["lead_time_median"] <= 1, row
        assert row["lead_time_mean"] <= 1.5, row
        assert row["invoiced_count"] >= 5, row


def test_to_cash_dashboard_has_deposits_approvals_collections(history_db):
    today = date.today()
    rows = {row["month"]: row for row in history_db["dashboards"]["cash"]}
    for back in range(12, 2, -1):  # the months whose invoices have had time to be paid
        row = rows[months_ago(today, back)]
        assert row["invoice_count"] >= 5 and row["cashed_count"] >= 3, row
        assert row["deposit_to_acceptance_median"] is not None and row["deposit_to_acceptance_median"] > 0, row
    assert rows[months_ago(today, 10)]["sign_to_deposit_median"] >= 20
    assert rows[months_ago(today, 3)]["sign_to_deposit_median"] <= 1
    # the cash the suite freed: signature to collection about 30 days shorter
    assert rows[months_ago(today, 10)]["sign_to_cash_median"] - rows[months_ago(today, 4)]["sign_to_cash_median"] > 20


def none(db, sql):
    """The test's check: the query counts no offending row."""
    return psql(db, f"SELECT count(*) FROM ({sql}) offending") == "0"


def test_history_keeps_the_invariants(history_db):
    db = history_db["db"]
    project = "(SELECT id FROM project_project WHERE name->>'en_US' = 'Historique de démonstration (données générées)')"
    mine = f"SELECT fi.* FROM field_intervention fi WHERE fi.project_id = {project}"
    assert int(psql(db, f"SELECT count(*) FROM ({mine}) fi")) >= 200
    # intervention numbers unique in the whole database
    assert none(db, "SELECT name FROM field_intervention GROUP BY name HAVING count(*) > 1")
    # signed ones: evidence with its content hash, signed PDF with its hash, no job left
    assert none(
        db,
        f"""{mine} AND fi.state = 'signed' AND NOT EXISTS (
              SELECT 1 FROM field_intervention_signature s
               WHERE s.id = fi.signature_id AND s.status = 'signed' AND length(s.content_hash) = 64
                 AND length(s.pdf_hash) = 64 AND s.pdf_attachment_id IS NOT NULL)""",
    )
    assert none(db, f"{mine} AND fi.sign_pending_job")
    assert none(db, f"{mine} AND fi.state NOT IN ('signed', 'disputed')")
    assert not none(db, f"{mine} AND fi.state = 'disputed'")
    assert none(db, f"{mine} AND fi.state = 'disputed' AND fi.invoice_id IS NOT NULL")
    # their invoices: posted, numbered in sequence, balanced, dated on or after the signature
    moves = f"SELECT m.* FROM account_move m WHERE m.id IN (SELECT invoice_id FROM ({mine}) fi)"
    assert int(psql(db, f"SELECT count(*) FROM ({moves}) m")) >= 150
    assert none(db, f"{moves} AND (m.state != 'posted' OR m.name IN ('/', '') OR NOT m.sequence_number >= 1)")
    assert none(db, "SELECT 1 FROM account_move WHERE state = 'posted' GROUP BY journal_id, name HAVING count(*) > 1")
    assert none(
        db,
        f"""{moves} AND (SELECT round(sum(l.debit) - sum(l.credit), 2) FROM account_move_line l
                         WHERE l.move_id = m.id) != 0""",
    )
    assert none(
        db,
        f"""{mine} AND fi.invoice_id IS NOT NULL
               AND (SELECT invoice_date FROM account_move WHERE id = fi.invoice_id) < fi.signed_date::date""",
    )
    # numbers follow the invoice dates within their journal and sequence
    assert none(
        db,
        f"""SELECT * FROM (
              SELECT invoice_date, lag(invoice_date) OVER (PARTITION BY journal_id, sequence_prefix
                                                           ORDER BY sequence_number) AS previous
                FROM account_move WHERE state = 'posted' AND move_type = 'out_invoice'
                 AND journal_id IN (SELECT journal_id FROM ({moves}) m)) s
             WHERE invoice_date < previous""",
    )
    # a collected invoice is paid; the platform's history is coherent, nothing left to send
    assert none(db, f"{moves} AND m.l10n_fr_pa_cash_date IS NOT NULL AND m.payment_state NOT IN ('paid', 'in_payment')")
    assert none(db, f"{moves} AND m.l10n_fr_pa_acceptance_date < m.l10n_fr_pa_deposit_date")
    assert none(db, f"SELECT 1 FROM l10n_fr_pa_flow WHERE state = 'queued' AND move_id IN (SELECT id FROM ({moves}) m)")


def test_kpi_dashboard_picture(history_db, tmp_path):
    """The README's picture of the manager's billing dashboard on the demo's history (Chromium,
    desktop size): the median lead time by month, from ~30 days on paper to ~0 with the suite.
    Written to docs/images/kpi-dashboard.png."""
    from .e2e.cdp import Browser
    from .odoo_server import OdooServer

    db = history_db["db"]
    psql(
        db, "UPDATE res_partner SET lang = 'fr_FR' WHERE id = (SELECT partner_id FROM res_users WHERE login = 'admin')"
    )
    # the administrator's first visit would ask odoo.com to enrich the company (no network here)
    psql(db, "UPDATE res_company SET iap_enrich_auto_done = TRUE")
    server = OdooServer(db, tmp_path, workers=0, extra_args=[f"--data-dir={history_db['data_dir']}"])
    server.start()
    browser = Browser().start()
    try:
        page = browser.new_page()
        page.send("Emulation.setDeviceMetricsOverride", width=1280, height=720, deviceScaleFactor=1, mobile=False)
        page.goto(f"{server.url}/web/login")
        page.evaluate(
            "document.querySelector('input[name=login]').value = 'admin';"
            "document.querySelector('input[name=password]').value = 'admin';"
            "document.querySelector('form.oe_login_form').submit(); true"
        )
        page.wait_for("location.pathname.startsWith('/odoo')", timeout=90, what="the back office after the login")
        page.goto(f"{server.url}/odoo/action-field_intervention_invoice.field_intervention_invoice_kpi_action")
        page.wait_for("document.querySelector('.o_graph_renderer canvas')", timeout=90, what="the dashboard's graph")
        time.sleep(1.5)  # the chart's animation
        labels = page.evaluate(
            "[...document.querySelectorAll('.o_graph_renderer, .o_control_panel')].map(e => e.innerText).join(' ')"
        )
        assert "Délai" in labels or "Tableau" in labels, labels
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(IMAGES / "kpi-dashboard.png")
        page.close()
    finally:
        browser.stop()
        server.stop()
    assert server.log_problems() == []
