# ruff: noqa: F821 (``env`` is odoo-bin shell's)
"""The query plans of the reads that must stay flat as the database grows: the phone's day
download of the heaviest technician, the portal list of the heaviest customer, the KPI and the
to-cash dashboards. Each query the ORM sends is captured, then run again under ``EXPLAIN
(ANALYZE, BUFFERS)``; the plans that take more than 5 ms or scan a table sequentially are
printed. Nothing is kept (the portal user it needs is rolled back). Usage (a copy of a large
database: it runs the queries twice):

    odoo-bin shell -d DB --no-http < benchmarks/explain_plans.py

Where a plan scans sequentially a table that grows with the database (not the small tables of
the access rules), an index is missing, unless the query aggregates the whole table. The
dashboards read materialized views (a few rows a month, computed every 10 minutes): scanning
those is expected.
"""

import re
import time

from odoo.sql_db import Cursor

SLOW_MS = 5.0
captured = []
execute = Cursor.execute


def spy(self, query, params=None, log_exceptions=True):
    code, args = (query.code, query.params) if hasattr(query, "code") else (query, params)
    captured.append(self._obj.mogrify(code, args).decode())
    return execute(self, query, params, log_exceptions)


def explain(label, function):
    captured.clear()
    env.invalidate_all()
    Cursor.execute = spy
    started = time.perf_counter()
    try:
        function()
    finally:
        Cursor.execute = execute
    print(f"\n===== {label}: {len(captured)} queries, {1000 * (time.perf_counter() - started):.0f} ms")
    for query in captured:
        if not query.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        env.cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + query)
        plan = "\n".join(row[0] for row in env.cr.fetchall())
        ms = float(re.search(r"Execution Time: ([\d.]+)", plan).group(1))
        scans = re.findall(r"Seq Scan on (\w+)", plan)
        if ms > SLOW_MS or scans:
            print(f"--- {ms:.1f} ms, sequential scans: {', '.join(scans) or 'none'}\n{query[:800]}\n{plan}")


env.cr.execute(
    "SELECT user_id FROM field_intervention_res_users_rel GROUP BY user_id ORDER BY COUNT(*) DESC, user_id LIMIT 1"
)
technician = env.cr.fetchone()[0]
env.cr.execute(
    """SELECT p.commercial_partner_id FROM field_intervention fi JOIN res_partner p ON p.id = fi.partner_id
        WHERE fi.state IN ('done', 'signed', 'disputed')
     GROUP BY p.commercial_partner_id ORDER BY COUNT(*) DESC, p.commercial_partner_id LIMIT 1"""
)
customer = env.cr.fetchone()[0]
Intervention = env["field.intervention"]
explain("day download", lambda: Intervention.with_user(technician)._fi_mobile_day(3))
contact = env["res.partner"].create({"name": "Plans portal", "parent_id": customer})
portal = env["res.users"].create(
    {
        "name": "Plans portal",
        "login": f"plans.portal.{time.time_ns()}",
        "partner_id": contact.id,
        "groups_id": [(6, 0, [env.ref("base.group_portal").id])],
    }
)


def portal_list():
    """What /my/interventions reads (field_intervention_sign's portal controller)."""
    contacts = env["res.partner"].sudo().with_context(active_test=False)._search([("id", "child_of", customer)])
    domain = [("partner_id", "in", contacts), ("state", "in", ("done", "signed", "disputed"))]
    interventions = Intervention.with_user(portal)
    interventions.search_count(domain)
    interventions.search_fetch(
        domain, ["name", "intervention_date", "site_id", "state"], order="intervention_date desc, id desc", limit=20
    )


explain("portal list", portal_list)
explain(
    "KPI dashboard (graph)",
    lambda: env["field.intervention.invoice.kpi"].web_read_group(
        [("dimension", "=", "all")], ["__count", "lead_time_median:avg"], ["month:month"], lazy=False
    ),
)
explain(
    "to-cash dashboard (list)",
    lambda: env["field.intervention.cash.kpi"].web_search_read(
        [("dimension", "=", "all")], {"month": {}, "invoice_count": {}, "sign_to_cash_median": {}}, limit=80
    ),
)
env.cr.rollback()
