"""Judge an Odoo test log the way CI must.

Fails (exit 1) on: a WARNING/ERROR/CRITICAL record not matched by the allow-list,
a skipped test (Odoo skips every browser tour silently when websocket-client or
Chromium is missing), a failed or errored test, or no test summary at all.
Prints ``odoo: N tests, N failed, N errors, N skipped``; writes ``passed failed``
to --counts.
"""

import argparse
import re
import sys

RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ "
    r"(?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>[\w.]+): (?P<msg>.*)$"
)
SUMMARY = re.compile(
    r"^(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<run>\d+) tests "
    r"when loading database"
)
BAD_LEVELS = {"WARNING", "ERROR", "CRITICAL"}


def read_allowlist(path):
    """Each non-comment line: ``logger-regex<TAB>message-regex`` (full match, re.S)."""
    entries = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            logger, _tab, message = line.partition("\t")
            entries.append((re.compile(logger), re.compile(message.strip(), re.DOTALL)))
    return entries


def records(path, since=0):
    """Yield (level, logger, message) from byte offset ``since``, continuation lines folded in."""
    current = None
    with open(path, encoding="utf-8", errors="replace") as handle:
        handle.seek(since)
        for line in handle:
            match = RECORD.match(line.rstrip("\n"))
            if match:
                if current:
                    yield tuple(current)
                current = [match["level"], match["logger"], match["msg"]]
            elif current:
                current[2] += "\n" + line.rstrip("\n")
    if current:
        yield tuple(current)


def is_problem(level, logger, message, allowlist):
    """A WARNING/ERROR/CRITICAL record that no allow-list entry explains."""
    return level in BAD_LEVELS and not any(
        lre.fullmatch(logger) and mre.fullmatch(message.strip()) for lre, mre in allowlist
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("log")
    parser.add_argument("--allowlist", required=True)
    parser.add_argument("--counts")
    args = parser.parse_args()
    allowlist = read_allowlist(args.allowlist)

    problems, skipped, summary = [], [], None
    for level, logger, message in records(args.log):
        first_line = message.split("\n", 1)[0]
        if level == "INFO" and first_line.startswith("skipped "):
            skipped.append(first_line)
        if logger == "odoo.tests.result" and SUMMARY.match(first_line):
            summary = SUMMARY.match(first_line)
        if is_problem(level, logger, message, allowlist):
            problems.append(f"{level} {logger}: {message[:2000]}")

    run = int(summary["run"]) if summary else 0
    failed = int(summary["failed"]) + int(summary["errors"]) if summary else 0
    print(
        f"odoo: {run} tests, {summary['failed'] if summary else '?'} failed, "
        f"{summary['errors'] if summary else '?'} errors, {len(skipped)} skipped"
    )
    for line in skipped:
        print(f"  SKIPPED (a skipped test or tour is a failure): {line}")
    for line in problems:
        print(f"  LOG {line}")
    if not summary:
        print("  no test summary in the log: Odoo did not finish its tests")
    if args.counts:
        with open(args.counts, "w", encoding="utf-8") as handle:
            bad = failed + len(skipped) + (0 if summary else 1)
            handle.write(f"{run - failed - len(skipped)} {bad}\n")
    ok = summary and not failed and not skipped and not problems and run > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
