#!/usr/bin/env bash
# Second README command: the one truth of CI (.ci/run calls it).
#   setup/test.sh                      -> static checks, the addons' Odoo tests (tours
#                                         included) on a fresh database, the time-sensitive ones
#                                         again at simulated clocks, then the repo-level pytest
#   setup/test.sh field_intervention   -> only that addon's Odoo tests (faster, for development)
# Fails on any failed/errored/skipped test and on any WARNING/ERROR line of the Odoo log that
# setup/log-allowlist.txt does not explain. Ends with one line "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

fi_ensure_all || exit 1

ADDONS=${*:-}
ADDONS=${ADDONS// /,}
RUN_PYTEST=1
if [ -n "$ADDONS" ]; then RUN_PYTEST=0; else ADDONS=$FI_ADDONS; fi
TAGS=$(echo "$ADDONS" | sed 's/\([^,]*\)/\/\1/g')
OUT=$FI_ROOT/var/test
mkdir -p "$OUT"
PASSED=0
FAILED=0
count() { # count PASSED FAILED from a "passed failed" file
    local p f
    read -r p f < "$1" || { p=0; f=1; }
    PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
}
check() { # one static check = one test
    local name=$1; shift
    if "$@" > "$OUT/$name.log" 2>&1; then
        PASSED=$((PASSED + 1)); fi_log "$name: ok"
    else
        FAILED=$((FAILED + 1)); fi_log "$name: FAILED"; cat "$OUT/$name.log"
    fi
}

# 1. Static checks (as OCA's 18.0 template: ruff, pylint-odoo mandatory checks).
IFS=, read -r -a ADDON_DIRS <<< "$ADDONS"
cd "$FI_ROOT" || exit 1
check ruff "$FI_VENV/bin/ruff" check --no-fix "${ADDON_DIRS[@]}" tests setup
check ruff-format "$FI_VENV/bin/ruff" format --check "${ADDON_DIRS[@]}" tests setup
check pylint-odoo "$FI_VENV/bin/pylint" --rcfile=.pylintrc-mandatory "${ADDON_DIRS[@]}"

# 2. Odoo tests: fresh database, install with --test-enable (at_install and post_install, tours).
DB=fi_test_$(date +%Y%m%d%H%M%S)_$$
trap 'fi_drop_db "$DB"' EXIT
LOG=$OUT/odoo.log
: > "$LOG"
start=$(date +%s)
# The same French company as the demo (fi_create_french_db). The database default stays English:
# the tests assert messages in the default language; French is loaded (every fr.po of ours must
# load cleanly when the addons are installed) without becoming the default.
fi_create_french_db "$DB" "$LOG" || { echo "0 passed, 1 failed"; exit 1; }
fi_log "installing $ADDONS with tests on a fresh database $DB (log: $LOG)"
fi_odoo -d "$DB" -i "$ADDONS" --test-enable --test-tags="$TAGS" --load-language=fr_FR --stop-after-init \
    --http-interface=127.0.0.1 --http-port="$(fi_free_port)" --gevent-port="$(fi_free_port)" \
    --max-cron-threads=0 --logfile="$LOG"
fi_log "Odoo tests took $(( $(date +%s) - start )) s"
"$FI_VENV/bin/python" setup/check_odoo_log.py "$LOG" --allowlist setup/log-allowlist.txt --counts "$OUT/odoo.counts"
count "$OUT/odoo.counts"

# 3. Tests at any hour: the time-sensitive classes again, on copies of this database, at simulated
#    clocks around midnight in Paris, month and year ends and daylight-saving changes, Odoo's and
#    PostgreSQL's clocks moved together (setup/clock_runs.sh; before the repo-level tests, which
#    write into the database).
if [ "$RUN_PYTEST" = 1 ]; then
    start=$(date +%s)
    setup/clock_runs.sh "$DB"
    fi_log "clock runs took $(( $(date +%s) - start )) s"
    count "$OUT/clock.counts"
fi

# 4. Repo-level tests (repository checks, smoke test against a real server on that database).
if [ "$RUN_PYTEST" = 1 ]; then
    FI_TEST_DB=$DB ODOO_DIR=$ODOO_DIR FI_VENV=$FI_VENV FI_DB_HOST=$FI_DB_HOST FI_DB_PORT=$FI_DB_PORT \
    FI_DB_USER=$FI_DB_USER "$FI_VENV/bin/python" -m pytest -p no:cacheprovider -q tests \
        --junitxml="$OUT/pytest.xml"
    "$FI_VENV/bin/python" - "$OUT/pytest.xml" > "$OUT/pytest.counts" <<'PY'
import sys
import xml.etree.ElementTree as ET
try:
    suites = ET.parse(sys.argv[1]).getroot().iter("testsuite")
    run = failed = 0
    for suite in suites:
        run += int(suite.get("tests", 0))
        failed += sum(int(suite.get(key, 0)) for key in ("failures", "errors", "skipped"))
    print(run - failed, failed if run else 1)
except (OSError, ET.ParseError):
    print(0, 1)
PY
    count "$OUT/pytest.counts"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ] && [ "$PASSED" -gt 0 ]
