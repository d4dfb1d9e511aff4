#!/usr/bin/env bash
# Odoo's own test suites of the core modules we extend, with our addons installed and without them.
#   setup/core_suites.sh          -> two databases built one after the other from the same French
#                                    company (fi_create_french_db): "ours" (our six addons) and
#                                    "control" (the same core modules, none of ours); the same suites
#                                    run on both; prints the per-suite test counts of both and the
#                                    regressions (tests failing, erroring or not run with ours only).
#   setup/core_suites.sh --keep   -> keep both databases (default: dropped at the end)
#   setup/core_suites.sh --ours-only
#                                 -> re-run the "ours" side only and compare it with the control log
#                                    of a previous run (var/core_suites/control.log): for development
# Exit 0 when every suite ran the same number of tests (> 0) on both databases and there is no
# regression other than those declared in setup/core_suites.py (DECLARED, each with its reason).
# CPU-heavy (about 400 tests twice, and two installations; over an hour on a loaded 2-core machine):
# not part of setup/test.sh.
# Tests run on installed databases without -u, as `odoo-bin --test-enable` does on an existing
# database: the at_install tests of a core module run while only that module and its dependencies
# are loaded, on tables that hold our columns too; the post_install tests run with everything loaded.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

KEEP=0
OURS_ONLY=0
for arg in "$@"; do
    case "$arg" in
        --keep) KEEP=1 ;;
        --ours-only) OURS_ONLY=1 ;;
        *) fi_die "unknown option $arg (--keep, --ours-only)" ;;
    esac
done

fi_ensure_all || exit 1

SUITES="project hr_timesheet sale_timesheet account_edi_ubl_cii l10n_fr_account"
# Odoo keeps the UBL/CII import/export tests in a module of their own when it ships it.
EXTRA_MODULES=""
if [ -f "$ODOO_DIR/addons/l10n_account_edi_ubl_cii_tests/__manifest__.py" ]; then
    SUITES="$SUITES l10n_account_edi_ubl_cii_tests"
    EXTRA_MODULES=",l10n_account_edi_ubl_cii_tests"
fi
TAGS=$(for suite in $SUITES; do printf '/%s,' "$suite"; done)
# core account's Send tests (our platform is a sending method of Odoo's Send)
TAGS="$TAGS/account:TestAccountMoveSend,/account:TestAccountComposerPerformance"

OUT=$FI_ROOT/var/core_suites
mkdir -p "$OUT"
PREFIX=${FI_CORE_PREFIX:-fi_core_$(date +%Y%m%d%H%M%S)_$$}
DB_BASE=${PREFIX}_base
DB_OURS=${PREFIX}_ours
DB_CONTROL=${PREFIX}_control
cleanup() {
    fi_drop_db "$DB_BASE"
    [ "$KEEP" = 1 ] && return 0
    fi_drop_db "$DB_OURS"
    fi_drop_db "$DB_CONTROL"
}
trap cleanup EXIT

run_suites() { # run_suites DB LOG: the suites on an installed database, nothing installed or updated
    fi_log "running the suites on $1 (log: $2)"
    local start
    start=$(date +%s)
    fi_odoo -d "$1" --test-enable --test-tags="$TAGS" --stop-after-init --max-cron-threads=0 \
        --http-interface=127.0.0.1 --http-port="$(fi_free_port)" --gevent-port="$(fi_free_port)" \
        --logfile="$2"
    fi_log "suites on $1 took $(($(date +%s) - start)) s"
}

copy_base() { # copy_base DB: a copy of the French company's database (its filestore too)
    createdb -h "$FI_DB_HOST" -p "$FI_DB_PORT" -U "$FI_DB_USER" -T "$DB_BASE" "$1" || fi_die "cannot copy $DB_BASE"
    local filestore=$HOME/.local/share/Odoo/filestore
    [ -d "$filestore/$DB_BASE" ] && cp -a "$filestore/$DB_BASE" "$filestore/$1"
    return 0
}

# 0. one French company (as the demo and the tests: fi_create_french_db) for both databases
fi_log "building $DB_BASE (French company) in $OUT/base-install.log"
: > "$OUT/base-install.log"
fi_create_french_db "$DB_BASE" "$OUT/base-install.log" || fi_die "cannot create $DB_BASE"

# 1. ours: our six addons (and Odoo's UBL/CII test module)
fi_log "building $DB_OURS (our addons) in $OUT/ours-install.log"
: > "$OUT/ours-install.log"
copy_base "$DB_OURS"
fi_odoo -d "$DB_OURS" -i "$FI_ADDONS$EXTRA_MODULES" --load-language=fr_FR --stop-after-init \
    --max-cron-threads=0 --http-port="$(fi_free_port)" --logfile="$OUT/ours-install.log" \
    || fi_die "cannot install our addons in $DB_OURS"
# the control database gets every module installed here except ours (dependencies, auto_install);
# those of the French company's database are installed already (-i would initialize them again)
installed() { # installed DB: the installed modules, one a line
    psql -h "$FI_DB_HOST" -p "$FI_DB_PORT" -U "$FI_DB_USER" -d "$1" -tAc \
        "SELECT name FROM ir_module_module WHERE state = 'installed' ORDER BY name"
}
CORE_MODULES=$(installed "$DB_OURS" | grep -vxF -f <(installed "$DB_BASE") | grep -vxF -f <(tr , '\n' <<< "$FI_ADDONS") \
    | paste -sd,)
echo "$CORE_MODULES" > "$OUT/core_modules.txt"
: > "$OUT/ours.log"
run_suites "$DB_OURS" "$OUT/ours.log"
[ "$KEEP" = 1 ] || fi_drop_db "$DB_OURS"

# 2. control: the same French company and core modules, none of ours
if [ "$OURS_ONLY" = 0 ]; then
    fi_log "building $DB_CONTROL (core modules only) in $OUT/control-install.log"
    : > "$OUT/control-install.log"
    copy_base "$DB_CONTROL"
    fi_odoo -d "$DB_CONTROL" -i "$CORE_MODULES" --load-language=fr_FR --stop-after-init \
        --max-cron-threads=0 --http-port="$(fi_free_port)" --logfile="$OUT/control-install.log" \
        || fi_die "cannot install the core modules in $DB_CONTROL"
    : > "$OUT/control.log"
    run_suites "$DB_CONTROL" "$OUT/control.log"
    [ "$KEEP" = 1 ] || fi_drop_db "$DB_CONTROL"
fi
[ -s "$OUT/control.log" ] || fi_die "no control log $OUT/control.log (run once without --ours-only)"

# 3. per-suite counts and regressions
# shellcheck disable=SC2086
"$FI_VENV/bin/python" "$FI_ROOT/setup/core_suites.py" "$OUT/ours.log" "$OUT/control.log" --suites $SUITES account
