#!/usr/bin/env bash
# Tests at any hour: run the time-sensitive test classes at simulated clocks around the hard
# moments (23:55 on 31 December and 00:05 on 1 January in Paris, both daylight-saving changes),
# moving the clock of Odoo AND of PostgreSQL with libfaketime.
#
#   setup/clock_runs.sh [SOURCE_DB]
#
# A throwaway PostgreSQL cluster (initdb, a free loopback port, owned by the postgres system
# user when run as root) receives ONE installed database: a copy of SOURCE_DB (pg_dump |
# pg_restore, with its filestore), or, without SOURCE_DB, a database built there. Each clock
# gets its own copy of it (createdb -T), a PostgreSQL server and an Odoo started under
# libfaketime at the same offset, and runs the post_install tests of $FI_CLOCK_TAGS. Each log is
# judged by check_odoo_log.py (failed, errored, skipped tests, WARNING/ERROR lines).
# Prints "clock <moment>: N passed, N failed" per clock and writes the sum to var/test/clock.counts.
#   FI_CLOCKS="2027-03-28T01:58:30+01:00 ..."  other moments (ISO 8601 with the offset)
#   FI_CLOCK_TAGS=/addon:Class,...             other tests
set -uo pipefail
. "$(dirname "$0")/lib.sh"

SOURCE_DB=${1:-}
# The classes that stamp, compare or print dates with the real clock or PostgreSQL's (classes
# wholly under freeze_time with fixed dates are left out: they cannot see the clock move).
FI_CLOCK_TAGS=${FI_CLOCK_TAGS:-/l10n_fr_pa_flow:TestLifecycle,/l10n_fr_pa_flow:TestCollection,/field_intervention_pa,/field_intervention_mobile:TestApiSync,/field_intervention_mobile:TestApiDay,/field_intervention_invoice:TestInvoiceCron,/field_intervention_invoice:TestKpi,/field_intervention_sign:TestSignatureFlow,/field_intervention_maintenance:TestPlanning}
OUT=$FI_ROOT/var/test
mkdir -p "$OUT"
COUNTS=$OUT/clock.counts
echo "0 1" > "$COUNTS"  # until proven otherwise

fi_ensure_all || exit 1
cd "$FI_ROOT" || exit 1
step_start=$(date +%s)

# --- tools: libfaketime from the virtualenv (requirements.txt), PostgreSQL's server binaries
FAKETIME_LIB=$("$FI_VENV/bin/python" -c \
    'import libfaketime, os; print(os.path.join(libfaketime._get_lib_path(), "libfaketime.so.1"))') \
    || fi_die "libfaketime is not in $FI_VENV (requirements.txt)"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    fi_log "installing the PostgreSQL server binaries (initdb)"
    fi_as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive fi_as_root apt-get install -y -qq postgresql >/dev/null || fi_die "apt-get install postgresql failed"
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

# --- the throwaway cluster: initdb refuses root, so root runs it as the postgres system user
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fi-clock.XXXXXX")
chmod 755 "$WORK"
PG_PORT=$(fi_free_port)
PG_DATA=$WORK/pgdata
ODOO_DATA=$WORK/odoo-data
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cp "$FAKETIME_LIB" "$WORK/libfaketime.so.1"  # readable by the postgres user
[ "$(id -u)" = 0 ] && chown postgres: "$WORK"
pg_stop() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -w -m fast stop >/dev/null 2>&1; }
cleanup() { pg_stop; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
pg_start() { # pg_start [OFFSET_SECONDS]: the server's clock is the real one moved by OFFSET
    local preload=()
    [ -n "${1:-}" ] && preload=(LD_PRELOAD="$WORK/libfaketime.so.1" FAKETIME="$1" DONT_FAKE_MONOTONIC=1)
    as_pg env TZ=UTC "${preload[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$WORK/postgresql.log" -w -t 60 \
        -o "-p $PG_PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
        start >/dev/null || { cat "$WORK/postgresql.log"; fi_die "the throwaway PostgreSQL did not start"; }
}
as_pg env TZ=UTC "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync \
    > "$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log"; fi_die "initdb failed"; }
pg_start
PSQL=("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -v ON_ERROR_STOP=1 -qtA)
"${PSQL[@]}" -U postgres -d postgres -c "CREATE ROLE \"$FI_DB_USER\" LOGIN CREATEDB" || fi_die "cannot create role"

# --- the one installed database, copied per clock
TEMPLATE=fi_clock_template
copy_start=$(date +%s)
if [ -n "$SOURCE_DB" ]; then
    fi_log "clock runs: copying $SOURCE_DB into the throwaway cluster (port $PG_PORT)"
    fi_copy_db_into "$PG_BIN" "$PG_PORT" "$SOURCE_DB" "$TEMPLATE" "$ODOO_DATA"
else
    fi_log "clock runs: building an installed database in the throwaway cluster (port $PG_PORT)"
    (
        export FI_DB_HOST=127.0.0.1 FI_DB_PORT=$PG_PORT
        eval "$(declare -f fi_odoo | sed '1s/fi_odoo/fi_odoo_home/')"
        fi_odoo() { fi_odoo_home "$@" --data-dir="$ODOO_DATA"; }  # its filestore stays in $WORK
        fi_create_french_db "$TEMPLATE" "$OUT/clock-install.log" \
            && fi_odoo -d "$TEMPLATE" -i "$FI_ADDONS" --stop-after-init --max-cron-threads=0 \
                --http-port="$(fi_free_port)" --gevent-port="$(fi_free_port)" --logfile="$OUT/clock-install.log"
        # what the test command's database has after its tours: no clock pays for the assets
        fi_odoo shell -d "$TEMPLATE" --no-http --logfile="$OUT/clock-install.log" > /dev/null <<'PY'
env["ir.qweb"]._pregenerate_assets_bundles()
env.cr.commit()
PY
    ) || fi_die "cannot install the addons (log: $OUT/clock-install.log)"
fi
fi_log "clock runs: installed database ready in $(( $(date +%s) - copy_start )) s"
pg_stop

# --- the clocks
if [ -z "${FI_CLOCKS:-}" ]; then
    # From the current year on, so that they stay in the future of the database they run on.
    FI_CLOCKS=$("$FI_VENV/bin/python" - <<'PY'
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

paris = ZoneInfo("Europe/Paris")
year = date.today().year


def last_sunday(month):
    day = (date(year + 1, month + 1, 1) if month < 12 else date(year + 2, 1, 1)) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def at(day, hour, minute, second=0, fold=0):
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=paris, fold=fold).isoformat()


moments = [
    at(date(year, 12, 31), 23, 55),  # 23:55 in Paris, last day of the month and of the year
    at(date(year + 1, 1, 1), 0, 5),  # 00:05 in Paris on 1 January: still 31 December in UTC
    # Odoo loads for 15 to 45 s before its tests: the change happens while they run
    at(last_sunday(3), 1, 58, 30),  # 02:00 CET -> 03:00 CEST
    at(last_sunday(10), 2, 58, 30),  # 03:00 CEST -> 02:00 CET (the first 02:58:30, fold=0)
]
print(" ".join(moments))
PY
)
fi

PASSED=0
FAILED=0
index=0
for clock in $FI_CLOCKS; do
    index=$((index + 1))
    db=fi_clock_$index
    log=$OUT/clock-$index.log
    : > "$log"
    clock_start=$(date +%s)
    # one offset for both processes: PostgreSQL's NOW() and Odoo's clock agree, as on a real server
    target=$(date -d "$clock" +%s) || fi_die "FI_CLOCKS: cannot read $clock"
    offset=$(( target - $(date +%s) - 2 ))  # the server starts about 2 s before Odoo
    offset=$(printf '%+d' "$offset")
    pg_start "$offset"
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$FI_DB_USER" -T "$TEMPLATE" "$db" || fi_die "createdb -T failed"
    cp -al "$ODOO_DATA/filestore/$TEMPLATE" "$ODOO_DATA/filestore/$db"
    # LD_PRELOAD/FAKETIME reach Odoo and what it starts (wkhtmltopdf, Chromium); monotonic
    # clocks (timeouts) stay real.
    LD_PRELOAD=$WORK/libfaketime.so.1 FAKETIME=$offset DONT_FAKE_MONOTONIC=1 TZ=UTC \
        FI_DB_HOST=127.0.0.1 FI_DB_PORT=$PG_PORT fi_odoo -d "$db" --data-dir="$ODOO_DATA" \
        --test-enable --test-tags="$FI_CLOCK_TAGS" --stop-after-init --max-cron-threads=0 \
        --http-interface=127.0.0.1 --http-port="$(fi_free_port)" --gevent-port="$(fi_free_port)" \
        --logfile="$log"
    pg_stop
    "$FI_VENV/bin/python" setup/check_odoo_log.py "$log" --allowlist setup/log-allowlist.txt \
        --counts "$OUT/clock-$index.counts" > "$OUT/clock-$index.check" 2>&1
    read -r p f < "$OUT/clock-$index.counts" || { p=0; f=1; }
    PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
    window=$("$FI_VENV/bin/python" - "$log" <<'PY'
import re
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

stamps = []
with open(sys.argv[1], encoding="utf-8", errors="replace") as handle:
    for line in handle:
        if "Starting post tests" in line or "post-tests in" in line:
            moment = datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
            stamps.append(moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%d %H:%M:%S%z"))
print(" to ".join(stamps[:1] + stamps[-1:]) if len(stamps) > 1 else "?")
PY
)
    echo "clock $clock: $p passed, $f failed (tests ran $window in Paris, $(( $(date +%s) - clock_start )) s)"
    if [ "$f" != 0 ]; then
        cat "$OUT/clock-$index.check"
        grep -E "^(FAIL|ERROR):|^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|WARNING) " "$log" | head -n 20
    fi
done

echo "$PASSED $FAILED" > "$COUNTS"
fi_log "clock runs: $PASSED passed, $FAILED failed at $index clocks in $(( $(date +%s) - step_start )) s (logs: $OUT/clock-*.log)"
[ "$FAILED" = 0 ] && [ "$PASSED" -gt 0 ]
