#!/usr/bin/env python3
"""Benchmark: the platform polling of a day's statuses, through l10n_fr_pa_flow's scheduled action
(``_cron_poll_lifecycle``) against the PA simulator (real HTTP on loopback).

A day: N posted invoices deposited (not measured: see bench_pa_deposit.py), each of which then
gets three lifecycle statuses on the platform ("200 Déposée" at its deposit, "204 Prise en
charge" and "205 Approuvée" sent by the buyer through the simulator's control API). The measure
is the polling that reads them: one page of 100 flows per run of the scheduled action, each flow
downloaded (its CDAR), parsed, matched to its invoice and recorded, run until a page is not full.
Same for N/10 first (``--flat``): the time and queries per status must not grow with N nor with the
database. No core twin (Odoo Community has no platform connector).

Time is wall time in this process (the simulator runs in its own process); queries are counted on
every cursor of this process. Everything runs in one transaction, rolled back at the end (the
database needs l10n_fr_pa_flow installed; nothing is kept). Usage:

    python benchmarks/bench_pa_polling.py --addons-path=/opt/odoo/18.0/addons,$PWD -d DB -n 400 [--json]
"""

import argparse
import json
import pathlib
import sys
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_pa_deposit import (
    Meter,
    add_odoo_arguments,
    configure_pa,
    due_count,
    odoo_env_and_simulator,
    run_deposit_cron,
    setup_invoices,
)

BUYER_STATUSES = ("204", "205")  # after "200 Déposée", which the platform emits at the deposit
PAGE = 100  # flows per run of the scheduled action (l10n_fr_pa_flow's _poll_company)


def emit(url, number, code):
    request = urllib.request.Request(
        f"{url}/_sim/lifecycle",
        data=json.dumps({"invoice": number, "code": code, "webhook": False}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=60) as response:
        response.read()


def deposit_all(env, moves):
    """Post and deposit ``moves`` (not measured)."""
    moves.action_post()
    runs = 0
    while due_count(env, moves) and runs < len(moves) + 10:
        run_deposit_cron(env)
        runs += 1
    env.flush_all()


def poll_all(env, meter=None):
    """Run the polling scheduled action until a page is not full; the statuses it read."""
    Status = env["l10n_fr_pa.status"]
    before = Status.search_count([])
    while True:
        env.invalidate_all()
        start = Status.search_count([])
        if meter:
            with meter:
                env["l10n_fr_pa.flow"]._cron_poll_lifecycle()
                env.flush_all()
        else:
            env["l10n_fr_pa.flow"]._cron_poll_lifecycle()
            env.flush_all()
        if Status.search_count([]) - start < PAGE:
            break
    return Status.search_count([]) - before


def one_day(env, url, moves, label):
    """Deposit ``moves``, have the platform emit their buyer's statuses, then measure the polling."""
    deposit_all(env, moves)
    for number in moves.mapped("name"):
        for code in BUYER_STATUSES:
            emit(url, number, code)
    meter = Meter(label)
    meter.records = poll_all(env, meter)
    matched = env["l10n_fr_pa.status"].search_count([("move_id", "in", moves.ids), ("error", "=", False)])
    expected = len(moves) * (1 + len(BUYER_STATUSES))
    rate = meter.records / meter.seconds if meter.seconds else 0.0
    per = meter.queries / meter.records if meter.records else 0.0
    print(
        f"{label:<44} {meter.records:>6} statuses {meter.seconds:8.2f} s {rate:8.2f} st/s {per:7.1f} queries/status"
        f" ({matched} of {expected} matched to their invoice)",
        flush=True,
    )
    if matched != expected:
        print(f"WARNING: {matched} statuses matched to their invoice, {expected} expected", flush=True)
    return {"n": len(moves), "statuses": meter.records, "seconds": meter.seconds, "per_second": rate,
            "queries_per_record": per, "ms_per_record": 1000 * meter.seconds / max(meter.records, 1),
            "matched": matched, "expected": expected}  # fmt: skip


def run(env, url, n=400, warmup=10, flat=True, syntax="CII"):
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
    small_n = max(n // 10, 1) if flat else 0
    print(f"setting up {n} invoices{f' and {small_n}' if flat else ''} (+{warmup} to warm up)...", flush=True)
    moves = setup_invoices(env, n + small_n + warmup)
    configure_pa(env, url, syntax)
    env.company.sudo().l10n_fr_pa_poll_cursor = False  # a new platform (the simulator): read all its flows
    # the polling starts from where the company's cursor is: the platform's older flows are read first
    warm, small, large = moves[:warmup], moves[warmup : warmup + small_n], moves[warmup + small_n :]
    deposit_all(env, warm)
    poll_all(env)
    results = {}
    if flat:
        results["small"] = one_day(env, url, small, f"poll statuses of N={small_n} invoices")
    results["large"] = one_day(env, url, large, f"poll statuses of N={n} invoices")
    if flat:
        q_small, q_large = results["small"]["queries_per_record"], results["large"]["queries_per_record"]
        print(f"queries per status: {q_small:.2f} at N={small_n}, {q_large:.2f} at N={n} "
              f"(x{q_large / q_small if q_small else 0:.2f})", flush=True)  # fmt: skip
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-n", type=int, default=400, help="invoices of the day (3 statuses each)")
    parser.add_argument("--no-flat", action="store_true", help="do not run N/10 first")
    add_odoo_arguments(parser)
    parser.add_argument("--json", action="store_true", help="also print the results as one line: RESULT {json}")
    args = parser.parse_args()
    started = time.monotonic()
    with odoo_env_and_simulator(args, "fi-bench-poll-") as (env, url):
        results = run(env, url, n=args.n, flat=not args.no_flat)
    print(f"({time.monotonic() - started:.0f} s in all)", flush=True)
    if args.json:
        print("RESULT " + json.dumps(results))


if __name__ == "__main__":
    main()
