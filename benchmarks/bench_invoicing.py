#!/usr/bin/env python3
"""Benchmark: invoicing N signed interventions vs N confirmed sale orders, in one run.

Our path: N signed interventions (2 technicians x 1.25 h = 2.5 h over two timesheets, 0.5 h of
travel, three parts), N/5 customers, invoiced one invoice per intervention in batches of
--batch like the scheduled action (``_fi_invoice_isolated``: locks, checks, one create per
batch, timesheet linking, pre-billing checks).

Core path: N confirmed sale orders with the same five lines delivered (the same timesheet-based
labour product delivered by two timesheets of 1.25 h, travel, three parts), invoiced by
``sale.order._create_invoices(grouped=True)`` in the same batches (with timesheet linking).

Both run in the same database and transaction, which is rolled back at the end (nothing is
kept; the database needs field_intervention_invoice installed). Usage (see readme/USAGE.md):

    python benchmarks/bench_invoicing.py \\
        --addons-path=/opt/odoo/18.0/addons,/work/main -d DB -n 1000

or, inside ``odoo-bin shell -d DB``: ``exec(open(path).read()); run(env, 1000); env.cr.rollback()``
"""

import argparse
import cProfile
import json
import logging
import sys
import time
from datetime import datetime, timedelta

_logger = logging.getLogger("bench_invoicing")


def _setup_common(env, n):
    """Products, technicians, customers, project: shared by both paths (not measured)."""
    from odoo import Command

    company = env.company
    uom_hour = env.ref("uom.product_uom_hour")
    Product = env["product.product"]
    labour = Product.create(
        {
            "name": "Bench labour",
            "type": "service",
            "list_price": 60.0,
            "uom_id": uom_hour.id,
            "uom_po_id": uom_hour.id,
            "invoice_policy": "delivery",
            "service_type": "timesheet",
        }
    )
    travel = Product.create(
        {
            "name": "Bench travel",
            "type": "service",
            "list_price": 40.0,
            "uom_id": uom_hour.id,
            "uom_po_id": uom_hour.id,
            "invoice_policy": "delivery",
        }
    )
    parts = Product.create(
        [
            {"name": f"Bench part {i}", "type": "consu", "list_price": 10.0 * i, "invoice_policy": "delivery"}
            for i in (1, 2, 3)
        ]
    )
    technicians = env["res.users"].create(
        [
            {
                "name": f"Bench tech {i}",
                "login": f"bench_tech_{i}_{time.time_ns()}",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "groups_id": [Command.link(env.ref("field_intervention.group_field_intervention_technician").id)],
            }
            for i in (1, 2)
        ]
    )
    env["hr.employee"].create(
        [{"name": user.name, "user_id": user.id, "company_id": company.id} for user in technicians]
    )
    customers = env["res.partner"].create(
        [{"name": f"Bench customer {i}", "is_company": True} for i in range(max(n // 5, 1))]
    )
    project = env["project.project"].create(
        {
            "name": "Bench field service",
            "is_field_service": True,
            "allow_timesheets": True,
            "labour_product_id": labour.id,
            "travel_product_id": travel.id,
            "intervention_invoice_policy": "manual",
            "company_id": company.id,
        }
    )
    return {
        "labour": labour,
        "travel": travel,
        "parts": parts,
        "technicians": technicians,
        "customers": customers,
        "project": project,
    }


def _setup_interventions(env, data, n):
    from odoo import Command

    tasks = env["project.task"].create(
        [
            {
                "name": f"Bench mission {customer.name}",
                "project_id": data["project"].id,
                "partner_id": customer.id,
                "user_ids": [Command.set(data["technicians"].ids)],
            }
            for customer in data["customers"]
        ]
    )
    start = datetime(2026, 3, 2, 7, 0)
    vals_list = []
    for index in range(n):
        day = start + timedelta(days=index % 20)
        vals_list.append(
            {
                "task_id": tasks[index % len(tasks)].id,
                "technician_ids": [Command.set(data["technicians"].ids)],
                "planned_date": day,
                "travel_duration": 0.5,
                "work_description": "Bench work",
                "time_ids": [
                    Command.create({"date_start": day, "date_end": day + timedelta(minutes=45)}),
                    Command.create({"date_start": day + timedelta(hours=1), "date_end": day + timedelta(minutes=90)}),
                ],
                "part_ids": [Command.create({"product_id": part.id, "quantity": 1.0}) for part in data["parts"]],
            }
        )
    interventions = env["field.intervention"].create(vals_list)
    # the signature flow is not what is measured: the evidence (what the customer signed, which
    # the invoicing compares with what it bills) is recorded directly, no image nor PDF
    signatures = env["field.intervention.signature"].create(
        [
            {
                "intervention_id": rec.id,
                "status": "signed",
                "signer_name": "Bench signer",
                "signer_role": "device",
                "consent_text": "Bench",
                "content_canonical": rec._fi_get_canonical_content(),
            }
            for rec in interventions
        ]
    )
    env.flush_all()
    env.cr.execute(
        """UPDATE field_intervention fi
              SET state = 'signed', signed_date = now() at time zone 'UTC', invoice_status = 'to_invoice',
                  signature_id = s.id
             FROM field_intervention_signature s
            WHERE s.intervention_id = fi.id AND s.id IN %s""",
        [tuple(signatures.ids)],
    )
    env.invalidate_all()
    return interventions


def _setup_orders(env, data, n):
    from odoo import Command

    customers = data["customers"]
    lines = [(data["labour"], 2.5), (data["travel"], 0.5)] + [(part, 1.0) for part in data["parts"]]
    orders = env["sale.order"].create(
        [
            {
                "partner_id": customers[index % len(customers)].id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": qty}) for product, qty in lines
                ],
            }
            for index in range(n)
        ]
    )
    orders.action_confirm()
    # like for like: the labour is delivered by two timesheets of 1.25 h, as on the interventions
    employees = data["technicians"].employee_ids
    labour_lines = orders.order_line.filtered(lambda line: line.product_id == data["labour"])
    env["account.analytic.line"].create(
        [
            {
                "name": "Bench work",
                "project_id": data["project"].id,
                "employee_id": employee.id,
                "unit_amount": 1.25,
                "so_line": line.id,
            }
            for line in labour_lines
            for employee in employees
        ]
    )
    for line in orders.order_line - labour_lines:
        line.qty_delivered = line.product_uom_qty
    env.flush_all()
    env.invalidate_all()
    return orders


class _Meter:
    """Accumulates wall time, SQL queries and created invoices of one path over its batches."""

    def __init__(self, label, profiler=None):
        self.label = label
        self.records = self.seconds = self.queries = 0
        self.moves = None
        self.profiler = profiler

    def measure(self, env, records, invoice_batch):
        queries_before = env.cr.sql_log_count
        started = time.perf_counter()
        if self.profiler:
            self.profiler.enable()
        moves = invoice_batch(records)
        env.flush_all()
        if self.profiler:
            self.profiler.disable()
        self.seconds += time.perf_counter() - started
        self.queries += env.cr.sql_log_count - queries_before
        self.records += len(records)
        self.moves = moves if self.moves is None else self.moves | moves

    def report(self):
        per_second = self.records / self.seconds if self.seconds else 0.0
        result = {
            "label": self.label,
            "records": self.records,
            "invoices": len(self.moves or []),
            "seconds": self.seconds,
            "per_second": per_second,
            "queries": self.queries,
            "queries_per_record": self.queries / self.records if self.records else 0.0,
            "total": sum(self.moves.mapped("amount_total")) if self.moves else 0.0,
        }
        print(
            f"{self.label:<38} {result['records']:>6} records {result['invoices']:>6} invoices "
            f"{self.seconds:8.2f} s {per_second:7.2f} rec/s {result['queries_per_record']:6.1f} queries/rec "
            f"total {result['total']:.2f}"
        )
        return result


def _invoice_interventions(batch):
    moves, errors = batch._fi_invoice_isolated()
    if errors:
        raise RuntimeError(f"benchmark interventions failed: {list(errors.values())[:3]}")
    return moves


def _invoice_orders(batch):
    return batch._create_invoices(grouped=True)


def run(env, n=200, batch_size=200, warmup=10, profile=None):
    """Run the benchmark in env's transaction (the caller rolls it back); return the results.

    The batches of both paths are interleaved (ours, core, core, ours, ours...) so that both
    see the same machine load and cache state; each path's time is the sum of its batches.
    With ``profile`` (a file path), both paths run under cProfile and the stats are dumped
    there for ours and to ``<profile>.core`` for core (``python -m pstats``).
    """
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
    data = _setup_common(env, n + warmup)
    print(f"setting up {n} interventions and {n} sale orders (+{warmup} of each to warm up)...")
    interventions = _setup_interventions(env, data, n + warmup)
    orders = _setup_orders(env, data, n + warmup)
    _Meter("warm-up").measure(env, interventions[:warmup], _invoice_interventions)
    _Meter("warm-up").measure(env, orders[:warmup], _invoice_orders)
    profilers = (cProfile.Profile(), cProfile.Profile()) if profile else (None, None)
    ours = _Meter("field_intervention_invoice", profiler=profilers[0])
    core = _Meter("sale.order._create_invoices(grouped=True)", profiler=profilers[1])
    interventions, orders = interventions[warmup:], orders[warmup:]
    for index, offset in enumerate(range(0, n, batch_size)):
        steps = [
            (ours, interventions[offset : offset + batch_size], _invoice_interventions),
            (core, orders[offset : offset + batch_size], _invoice_orders),
        ]
        for meter, records, invoice_batch in steps if index % 2 == 0 else reversed(steps):
            env.invalidate_all()
            meter.measure(env, records, invoice_batch)
    if profile:
        profilers[0].dump_stats(profile)
        profilers[1].dump_stats(f"{profile}.core")
    ours, core = ours.report(), core.report()
    ratio = ours["per_second"] / core["per_second"] if core["per_second"] else 0.0
    print(
        f"N={n} batch={batch_size}: throughput ratio (ours / core) = {ratio:.2f}; "
        f"queries per record: ours {ours['queries_per_record']:.1f}, core {core['queries_per_record']:.1f}"
    )
    return {"ours": ours, "core": core, "ratio": ratio}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-n", type=int, default=200, help="number of interventions and of sale orders")
    parser.add_argument("--batch", type=int, default=200, help="records per batch (as the cron)")
    parser.add_argument("--addons-path", default="/opt/odoo/18.0/addons,/work/main")
    parser.add_argument("--db_host", default="127.0.0.1")
    parser.add_argument("--db_user", default="odoo")
    parser.add_argument("--profile", metavar="FILE", help="profile both paths with cProfile: FILE (ours) and FILE.core")
    parser.add_argument("--odoo-path", default="/opt/odoo/18.0", help="Odoo source (if odoo is not importable)")
    parser.add_argument("--json", action="store_true", help="also print the results as one line: RESULT {json}")
    args = parser.parse_args()

    try:
        import odoo
    except ImportError:
        sys.path.insert(0, args.odoo_path)
        import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(
        [
            f"--addons-path={args.addons_path}",
            f"--db_host={args.db_host}",
            f"--db_user={args.db_user}",
            "--log-level=warn",
        ]
    )
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        results = run(env, n=args.n, batch_size=args.batch, profile=args.profile)
        cr.rollback()
    if args.json:
        print("RESULT " + json.dumps({"n": args.n, **results}))


if __name__ == "__main__":
    main()
