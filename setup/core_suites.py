"""Compare the results of Odoo's own test suites on two databases (setup/core_suites.sh).

Reads two Odoo logs, "ours" (our addons installed) and "control" (the same core modules without
them), and gets each test's result from Odoo's test runner lines: ``Starting Class.method ...``
(odoo.tests.result logs it under the test's module), ``FAIL:``/``ERROR:`` records (a class whose
``setUpClass`` fails is reported by odoo.tests.suite as ``ERROR: setUpClass (module.Class)`` and
none of its tests start) and ``skipped Class.method : reason``.

Prints the per-suite test counts of both databases and the regressions: a test that fails, errors
or is skipped with ours and not in control, a test that ran in control and not with ours, a class
that cannot be set up with ours only. Exit 1 when a suite ran no test or not the same number on
both, or on a regression not declared in DECLARED.
"""

import argparse
import re
import sys
from collections import defaultdict

RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ "
    r"(?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>[\w.]+): (?P<msg>.*)$"
)
TEST_MODULE = re.compile(r"^odoo\.addons\.(?P<suite>\w+)\.tests\.[\w.]+$")
STARTING = re.compile(r"^Starting (?P<test>\w+\.\w+) \.\.\.\s*$")
SKIPPED = re.compile(r"^skipped (?P<test>\w+\.\w+) : ")
FAILED = re.compile(r"^(?P<flavour>FAIL|ERROR): (?:Subtest )?(?P<test>\w+\.\w+)")
CLASS_FAILED = re.compile(
    r"^ERROR: (?P<fixture>setUpClass|tearDownClass) \((?P<module>odoo\.addons\.[\w.]+)\.(?P<cls>\w+)\)"
)

# Outputs of core tests that our addons change on purpose: test id -> reason.
# (A test id is "suite: odoo.addons.<suite>.tests.<file>.<Class>.<method>".)
FRENCH_CII = (
    "the French CII (Factur-X) of a French invoice carries what the e-invoicing reform requires and "
    "core omits (l10n_fr_invoice/models/account_edi_xml_cii.py): billing framework BT-23 "
    "(BusinessProcessSpecifiedDocumentContextParameter, the first difference core's test meets), "
    "notes BAR/PMT/PMD/AAB, SIREN of seller and buyer (BT-30, BT-47), electronic addresses "
    "BT-34/BT-49 (scheme 0225), the invoice a credit note corrects (BT-25/26), the VAT in euros of "
    "a foreign-currency invoice (BT-6, BT-111); core's test compares the whole XML with its own file"
)
CII_FR_TESTS = (
    "l10n_account_edi_ubl_cii_tests: odoo.addons.l10n_account_edi_ubl_cii_tests.tests.test_xml_cii_fr.TestCIIFR"
)
DECLARED = {
    f"{CII_FR_TESTS}.{test}": FRENCH_CII
    for test in (
        "test_export_import_invoice",
        "test_export_import_refund",
        "test_export_tax_included",
        "test_export_with_fixed_taxes_case1",
        "test_export_with_fixed_taxes_case2",
        "test_export_with_fixed_taxes_case3",
        "test_facturx_has_no_negative_lines",
    )
}


def records(path):
    """Yield (level, logger, first line of the message) of each record of an Odoo log."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            match = RECORD.match(line.rstrip("\n"))
            if match:
                yield match["level"], match["logger"], match["msg"]


def suite_of(module_path):
    match = TEST_MODULE.match(module_path)
    return match["suite"] if match else None


def test_id(module_path, test):
    return f"{suite_of(module_path)}: {module_path}.{test}"


def results(path):
    """{"ran": set, "failed": {id: flavour}, "skipped": set} of the tests of a log."""
    ran, failed, skipped = set(), {}, set()
    for level, logger, message in records(path):
        if level == "INFO" and suite_of(logger):
            if match := STARTING.match(message):
                ran.add(test_id(logger, match["test"]))
            elif match := SKIPPED.match(message):
                skipped.add(test_id(logger, match["test"]))
        elif level == "ERROR":
            if (match := CLASS_FAILED.match(message)) and suite_of(match["module"]):
                failed[test_id(match["module"], f"{match['cls']}.{match['fixture']}")] = "ERROR"
            elif (match := FAILED.match(message)) and suite_of(logger):
                failed[test_id(logger, match["test"])] = match["flavour"]
    return {"ran": ran, "failed": failed, "skipped": skipped}


def per_suite(ids):
    counts = defaultdict(int)
    for test in ids:
        counts[test.split(":", 1)[0]] += 1
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("ours")
    parser.add_argument("control")
    parser.add_argument("--suites", nargs="+", required=True)
    args = parser.parse_args()
    ours, control = results(args.ours), results(args.control)

    ok = True
    ours_counts, control_counts = per_suite(ours["ran"]), per_suite(control["ran"])
    ours_failed, control_failed = per_suite(ours["failed"]), per_suite(control["failed"])
    print(f"{'suite':32} {'tests (ours)':>12} {'tests (control)':>15} {'failed (ours)':>13} {'failed (control)':>16}")
    for suite in args.suites:
        line = (
            f"{suite:32} {ours_counts[suite]:12} {control_counts[suite]:15} "
            f"{ours_failed[suite]:13} {control_failed[suite]:16}"
        )
        if not ours_counts[suite] or ours_counts[suite] != control_counts[suite]:
            ok = False
            line += "   <- not the same number of tests (or none)"
        print(line)

    regressions = {}
    for test, flavour in ours["failed"].items():
        if test not in control["failed"]:
            regressions[test] = flavour
    for test in ours["skipped"] - control["skipped"]:
        regressions.setdefault(test, "SKIPPED")
    for test in control["ran"] - ours["ran"]:
        regressions.setdefault(test, "NOT RUN")
    declared = {test: kind for test, kind in regressions.items() if test in DECLARED}
    undeclared = {test: kind for test, kind in regressions.items() if test not in DECLARED}
    for test, kind in sorted(declared.items()):
        print(f"declared   {kind:8} {test}: {DECLARED[test]}")
    for test, kind in sorted(undeclared.items()):
        print(f"REGRESSION {kind:8} {test}")
    fixed = sorted(set(control["failed"]) - set(ours["failed"]))
    for test in fixed:
        print(f"(fails in control only: {control['failed'][test]} {test})")
    print(
        f"{len(ours['ran'])} tests (ours), {len(control['ran'])} tests (control), "
        f"{len(undeclared)} regressions, {len(declared)} declared"
    )
    if undeclared:
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
