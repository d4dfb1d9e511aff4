#!/usr/bin/env python3
"""Benchmark: depositing N posted invoices on an approved platform (the PA simulator, real HTTP on
loopback) through the connector's scheduled action, beside posting the same N invoices, in one run.

Posting: N draft customer invoices of French business customers (two lines, TVA 20 %) posted by
``action_post`` in batches of --batch, as billing does from the list.
Deposit: the connector's scheduled action (l10n_fr_pa_flow's deposit queue), run until the queue
is empty: each invoice's file is built (--syntax CII: the CII XML; Factur-X: the PDF with the XML,
rendered by wkhtmltopdf when the invoice was never printed), its sha256 computed, ``POST /v1/flows`` sent (OAuth2
token, multipart flowInfo + file), the acknowledgement stored. The simulator checks each request
as the OpenAPI defines it and reads the invoice back from the file.

Time is wall time in this process (the simulator runs in its own process); queries are counted on
every cursor of this process (``odoo.sql_db.sql_counter``). Both run in the same database and
transaction, rolled back at the end (the database needs l10n_fr_pa_flow installed; nothing is
kept). Usage:

    python benchmarks/bench_pa_deposit.py --addons-path=/opt/odoo/18.0/addons,$PWD -d DB -n 1000
"""

import argparse
import contextlib
import json
import pathlib
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
SELLER_SIREN = "732829320"


def _sql_count():
    from odoo import sql_db

    return sql_db.sql_counter


class Meter:
    """Wall time and SQL queries of one path, summed over its batches."""

    def __init__(self, label):
        self.label, self.seconds, self.queries, self.records = label, 0.0, 0, 0

    def __enter__(self):
        self._queries, self._started = _sql_count(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds += time.perf_counter() - self._started
        self.queries += _sql_count() - self._queries

    def report(self):
        rate = self.records / self.seconds if self.seconds else 0.0
        per = self.queries / self.records if self.records else 0.0
        print(
            f"{self.label:<44} {self.records:>6} invoices {self.seconds:8.2f} s {rate:8.2f} inv/s "
            f"{per:7.1f} queries/inv",
            flush=True,
        )
        return {"label": self.label, "records": self.records, "seconds": self.seconds, "per_second": rate,
                "queries_per_record": per}  # fmt: skip


def siren(body):
    """A valid SIREN (its Luhn check digit after the 8 digits of ``body``): the platform rejects
    invoices to companies that do not exist."""
    from stdnum import luhn

    return f"{body:08d}{luhn.calc_check_digit(f'{body:08d}')}"


def setup_invoices(env, n):
    """N draft invoices (not measured): French B2B customers with a SIREN, two lines each."""
    from odoo import Command

    company = env.company
    company.write({"company_registry": company.company_registry or SELLER_SIREN})
    france = env.ref("base.fr")
    tax = env["account.tax"].search(
        [("type_tax_use", "=", "sale"), ("amount", "=", 20.0), ("company_id", "=", company.id)], limit=1
    )
    product = env["product.product"].create({"name": "Bench maintenance", "type": "service", "list_price": 90.0,
                                            "taxes_id": [Command.set(tax.ids)]})  # fmt: skip
    customers = env["res.partner"].create(
        [
            {"name": f"Bench client {i} SAS", "is_company": True, "country_id": france.id, "zip": "69002",
             "city": "Lyon", "street": "3 rue de la République", "company_registry": siren(55210000 + i),
             "email": f"client{i}@bench.test", "invoice_edi_format": "facturx"}
            for i in range(max(n // 10, 1))
        ]
    )  # fmt: skip
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": customers[index % len(customers)].id,
                "invoice_date": "2026-11-30",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity": 1 + index % 3,
                            "price_unit": 90.0,
                            "tax_ids": [Command.set(tax.ids)],
                        }
                    ),
                    Command.create(
                        {"name": "Déplacement", "quantity": 1, "price_unit": 40.0, "tax_ids": [Command.set(tax.ids)]}
                    ),
                ],
            }
            for index in range(n)
        ]
    )
    env.flush_all()
    env.invalidate_all()
    return moves


def configure_pa(env, url, syntax):
    env.company.sudo().write(
        {
            "l10n_fr_pa_flow_syntax": syntax,
            "l10n_fr_pa_enabled": True,
            "l10n_fr_pa_base_url": url,
            "l10n_fr_pa_token_url": f"{url}/oauth/token",
            "l10n_fr_pa_client_id": "demo",
            "l10n_fr_pa_client_secret": "demo",
        }
    )


def invoice_flows(env, moves):
    return env["l10n_fr_pa.flow"].search([("move_id", "in", moves.ids), ("flow_type", "=", "CustomerInvoice")])


def due_count(env, moves):
    """Deposits of ``moves`` queued and due now (a failed attempt waits for its backoff)."""
    from odoo import fields

    return env["l10n_fr_pa.flow"].search_count(
        [("move_id", "in", moves.ids), ("state", "=", "queued"), ("next_try", "<=", fields.Datetime.now())]
    )


def run_deposit_cron(env):
    """One run of the deposit scheduled action's method (one batch, as ir.cron calls it)."""
    env["l10n_fr_pa.flow"]._cron_deposit()


def simulator_flows(url):
    with urllib.request.urlopen(f"{url}/_sim/flows", timeout=60) as response:
        return json.loads(response.read())["flows"]


def run(env, url, n=1000, batch=100, warmup=10, syntax="CII"):
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
    print(f"setting up {n} draft invoices (+{warmup} to warm up), deposited as {syntax}...", flush=True)
    moves = setup_invoices(env, n + warmup)
    warm, moves = moves[:warmup], moves[warmup:]
    configure_pa(env, url, syntax)
    warm.action_post()
    run_deposit_cron(env)
    posting, deposit = Meter("post (account.move.action_post)"), Meter("deposit on the PA (scheduled action)")
    for offset in range(0, n, batch):
        env.invalidate_all()
        with posting:
            moves[offset : offset + batch].action_post()
            env.flush_all()
        posting.records += len(moves[offset : offset + batch])
    env.invalidate_all()
    runs = 0
    while due_count(env, moves) and runs < n:
        env.invalidate_all()
        with deposit:
            run_deposit_cron(env)
            env.flush_all()
        runs += 1
    states = invoice_flows(env, moves).mapped("state")
    deposit.records = states.count("sent")
    if len(states) != n or deposit.records != n:
        print(f"WARNING: {len(states)} deposits queued for {n} invoices, {deposit.records} deposited", flush=True)
    flows = simulator_flows(url)
    numbers = set(moves.mapped("name"))
    accepted = [
        flow
        for flow in flows
        if flow["invoice"]
        and flow["invoice"]["number"] in numbers
        and flow["flow"]["acknowledgement"]["status"] == "Ok"
        and not flow.get("rejection")  # not "213 Rejetée" by the platform's checks
    ]
    results = posting.report(), deposit.report()
    print(
        f"N={n}: {len(accepted)} flows accepted by the PA simulator ({len(flows)} flows in all, "
        f"{runs} runs of the scheduled action); deposit throughput / posting throughput = "
        f"{results[1]['per_second'] / results[0]['per_second']:.2f}",
        flush=True,
    )
    return results


def add_odoo_arguments(parser):
    """The options of the database's Odoo (shared with bench_pa_polling.py)."""
    parser.add_argument("--addons-path", default=f"/opt/odoo/18.0/addons,{ROOT}")
    parser.add_argument("--db_host", default="127.0.0.1")
    parser.add_argument("--db_user", default="odoo")
    parser.add_argument("--odoo-path", default="/opt/odoo/18.0", help="Odoo source (if odoo is not importable)")


@contextlib.contextmanager
def odoo_env_and_simulator(args, prefix):
    """(superuser environment, the PA simulator's URL): one transaction, rolled back at the end,
    and a PA simulator on loopback, stopped at the end (shared with bench_pa_polling.py)."""
    sys.path.insert(0, str(ROOT))
    try:
        import odoo
    except ImportError:
        sys.path.insert(0, args.odoo_path)
        import odoo
    from odoo import SUPERUSER_ID, api

    from tests.pa_client import PaSimulator

    odoo.tools.config.parse_config(
        [f"--addons-path={args.addons_path}", f"--db_host={args.db_host}", f"--db_user={args.db_user}",
         "--log-level=warn"]
    )  # fmt: skip
    simulator = PaSimulator(pathlib.Path(tempfile.mkdtemp(prefix=prefix)))
    simulator.start()
    try:
        registry = odoo.modules.registry.Registry(args.database)
        with registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {}), simulator.url
            cr.rollback()
    finally:
        simulator.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-n", type=int, default=1000, help="number of invoices")
    parser.add_argument("--batch", type=int, default=100, help="invoices posted per action_post call")
    parser.add_argument(
        "--syntax",
        choices=("CII", "Factur-X"),
        default="CII",
        help="deposited format (Factur-X renders each invoice's PDF with wkhtmltopdf when it has none yet)",
    )
    add_odoo_arguments(parser)
    args = parser.parse_args()
    with odoo_env_and_simulator(args, "fi-bench-pa-") as (env, url):
        run(env, url, n=args.n, batch=args.batch, syntax=args.syntax)


if __name__ == "__main__":
    main()
