#!/usr/bin/env bash
# Several machines on one: two Odoo processes (2 workers each, on two loopback ports) over one
# PostgreSQL primary and its streaming standby, with one shared file store (--data-dir).
#
#   setup/replica_check.sh SOURCE_DB
#
# SOURCE_DB: a database with the suite installed (it is copied, never changed). The script
# starts a throwaway PostgreSQL primary (initdb, a free loopback port, as the postgres system user
# when run as root: the server of FI_DB_HOST gives our role no REPLICATION right), copies SOURCE_DB
# and its filestore into it, makes a hot standby with `pg_basebackup -R` on another free port,
# then runs setup/replica_check.py: both Odoo processes get --db_replica_host/--db_replica_port
# (the standby), the read-only routes are requested and the statements of each request are found
# in the standby's log and not in the primary's; the writes (a portal signature, a phone sync)
# land on the primary and are read back through the other Odoo process. Everything it started is
# stopped (PostgreSQL by the pid file of its data directory, Odoo by process group) and removed.
# Out of CI: it takes a few minutes. See README.rst, "Running on several machines".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

SOURCE_DB=${1:-}
[ -n "$SOURCE_DB" ] || fi_die "usage: setup/replica_check.sh SOURCE_DB"
fi_ensure_all || exit 1
cd "$FI_ROOT" || exit 1
fi_db_exists "$SOURCE_DB" || fi_die "no database $SOURCE_DB on $FI_DB_HOST:$FI_DB_PORT"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "${PG_BIN:-}/initdb" ] || fi_die "PostgreSQL's server binaries (initdb, pg_basebackup) are missing"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fi-replica.XXXXXX")
chmod 755 "$WORK"
PRIMARY=$WORK/primary
STANDBY=$WORK/standby
ODOO_DATA=$WORK/odoo-data  # the shared file store (on several machines: NFS, CephFS...)
PRIMARY_PORT=$(fi_free_port)
STANDBY_PORT=$(fi_free_port)
DB=fi_replica
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres: "$WORK"
pg_stop() { [ -f "$1/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$1" -w -m fast stop >/dev/null 2>&1; }
cleanup() { pg_stop "$STANDBY"; pg_stop "$PRIMARY"; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
pg_start() { # pg_start DATADIR PORT LOG
    as_pg "$PG_BIN/pg_ctl" -D "$1" -l "$3" -w -t 60 \
        -o "-p $2 -k $WORK -c listen_addresses=127.0.0.1" start >/dev/null \
        || { cat "$3"; fi_die "PostgreSQL did not start on port $2"; }
}

fi_log "replica check: primary on 127.0.0.1:$PRIMARY_PORT"
as_pg env TZ=UTC "$PG_BIN/initdb" -D "$PRIMARY" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync \
    > "$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log"; fi_die "initdb failed"; }
# a test machine's settings (no fsync); streaming replication is on by default (wal_level replica,
# max_wal_senders 10, and initdb's pg_hba.conf lets loopback replicate)
cat >> "$PRIMARY/postgresql.conf" <<'CONF'
fsync = off
synchronous_commit = off
hot_standby = on
log_line_prefix = '%m [%p] %a '
CONF
pg_start "$PRIMARY" "$PRIMARY_PORT" "$WORK/primary.log"
PSQL=("$PG_BIN/psql" -h 127.0.0.1 -p "$PRIMARY_PORT" -v ON_ERROR_STOP=1 -qtA)
"${PSQL[@]}" -U postgres -d postgres -c "CREATE ROLE \"$FI_DB_USER\" LOGIN CREATEDB" || fi_die "cannot create role"

fi_log "replica check: copying $SOURCE_DB (database and filestore)"
fi_copy_db_into "$PG_BIN" "$PRIMARY_PORT" "$SOURCE_DB" "$DB" "$ODOO_DATA"
# every statement in both logs from now on: the check tells which server ran each request
"${PSQL[@]}" -U postgres -d postgres -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" \
    > /dev/null || fi_die "cannot set log_statement"

fi_log "replica check: standby (pg_basebackup -R) on 127.0.0.1:$STANDBY_PORT"
as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$STANDBY" -R -X stream -c fast \
    > "$WORK/basebackup.log" 2>&1 || { cat "$WORK/basebackup.log"; fi_die "pg_basebackup failed"; }
pg_start "$STANDBY" "$STANDBY_PORT" "$WORK/standby.log"
[ "$("$PG_BIN/psql" -h 127.0.0.1 -p "$STANDBY_PORT" -U postgres -d postgres -qtAc 'SELECT pg_is_in_recovery()')" = t ] \
    || fi_die "the standby is not in recovery"

FI_DB_HOST=127.0.0.1 FI_DB_PORT=$PRIMARY_PORT ODOO_DIR=$ODOO_DIR FI_VENV=$FI_VENV \
    "$FI_VENV/bin/python" setup/replica_check.py --database "$DB" --workdir "$WORK" --data-dir "$ODOO_DATA" \
    --primary-port "$PRIMARY_PORT" --standby-port "$STANDBY_PORT" \
    --primary-log "$WORK/primary.log" --standby-log "$WORK/standby.log"
status=$?
[ $status = 0 ] && fi_log "replica check: OK" || fi_log "replica check: FAILED (status $status)"
exit $status
