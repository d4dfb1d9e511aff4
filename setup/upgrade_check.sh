#!/usr/bin/env bash
# An existing database upgrades to this tree: what its company and customers held stays.
#   setup/upgrade_check.sh REV   -> installs the suite (with its demo data) as it was at git revision
#                                   REV on a new French database, gives the company values a user
#                                   would have changed, upgrades the database with this tree's addons
#                                   (-u of those of REV: Odoo installs the new dependencies) and
#                                   checks that the values moved to their new fields, that the old
#                                   columns are gone and that the upgrade logged no WARNING/ERROR.
# Example: setup/upgrade_check.sh 90eade0   (the last revision before l10n_fr_invoice)
# Slow (two installations): not part of setup/test.sh.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

REV=${1:?usage: setup/upgrade_check.sh REV}
fi_ensure_all || exit 1
OLD_TREE=$(mktemp -d)
DB=fi_upgrade_$(date +%Y%m%d%H%M%S)_$$
OUT=$FI_ROOT/var/upgrade
mkdir -p "$OUT"
cleanup() { fi_drop_db "$DB"; rm -rf "$OLD_TREE"; }
trap cleanup EXIT
sql() { psql -h "$FI_DB_HOST" -p "$FI_DB_PORT" -U "$FI_DB_USER" -d "$DB" -qtA -v ON_ERROR_STOP=1 -c "$1"; }

git -C "$FI_ROOT" archive "$REV" | tar -x -C "$OLD_TREE" || fi_die "cannot export revision $REV"
OLD_ADDONS=$(grep -o '^FI_ADDONS="[^"]*"' "$OLD_TREE/setup/lib.sh" | cut -d'"' -f2)
fi_log "installing $OLD_ADDONS as of $REV on $DB (log: $OUT/old.log)"
fi_create_french_db "$DB" "$OUT/old.log" || fi_die "cannot create $DB"
"$FI_VENV/bin/python" "$ODOO_DIR/odoo-bin" --addons-path="$ODOO_DIR/addons,$OLD_TREE" \
    --db_host="$FI_DB_HOST" --db_port="$FI_DB_PORT" --db_user="$FI_DB_USER" -d "$DB" -i "$OLD_ADDONS" \
    --load-language=fr_FR --stop-after-init --max-cron-threads=0 --http-port="$(fi_free_port)" \
    --gevent-port="$(fi_free_port)" --logfile="$OUT/old.log" || fi_die "install of $REV failed"

# what a user changed before the upgrade (18.0.1.0.0 of field_intervention_invoice: fi_* fields)
sql "UPDATE res_company SET fi_vat_on_debits = true,
         fi_discount_note = '{\"en_US\": \"No discount\", \"fr_FR\": \"Pas d''escompte (conditions 2026)\"}'::jsonb
     WHERE id = (SELECT MIN(id) FROM res_company)" || fi_die "$REV has no fi_* company fields to migrate"
before=$(sql "SELECT fi_legal_form, fi_share_capital, fi_rcs_city, fi_invoice_mentions, fi_discount_note::text
              FROM res_company ORDER BY id")
directory_before=$(sql "SELECT id, peppol_endpoint FROM res_partner WHERE peppol_eas = '0225' ORDER BY id")

fi_log "upgrading $DB with this tree (log: $OUT/new.log)"
: > "$OUT/new.log"
fi_odoo -d "$DB" -u "$OLD_ADDONS" --stop-after-init --max-cron-threads=0 --http-port="$(fi_free_port)" \
    --gevent-port="$(fi_free_port)" --logfile="$OUT/new.log" || fi_die "upgrade failed (see $OUT/new.log)"

after=$(sql "SELECT l10n_fr_legal_form, l10n_fr_share_capital, l10n_fr_rcs_city, l10n_fr_invoice_mentions,
                    l10n_fr_discount_note::text FROM res_company ORDER BY id")
directory_after=$(sql "SELECT id, peppol_endpoint FROM res_partner WHERE peppol_eas = '0225' ORDER BY id")
old_columns=$(sql "SELECT string_agg(column_name, ', ') FROM information_schema.columns
                   WHERE table_name = 'res_company' AND column_name IN ('fi_legal_form', 'fi_share_capital',
                   'fi_rcs_city', 'fi_invoice_mentions', 'fi_discount_note', 'fi_late_penalty_note',
                   'fi_recovery_fee_note', 'fi_amount_in_words_fr', 'fi_vat_on_debits')")
new_addon=$(sql "SELECT state FROM ir_module_module WHERE name = 'l10n_fr_invoice'")
problems=$(grep -cE " (WARNING|ERROR|CRITICAL) " "$OUT/new.log")

failed=0
check() { if [ "$2" = "$3" ]; then fi_log "ok: $1"; else fi_log "FAILED: $1: expected [$3], got [$2]"; failed=1; fi; }
check "company legal identity and mentions kept (l10n_fr_*)" "$after" "$before"
check "French directory addresses (0225) kept" "$directory_after" "$directory_before"
check "l10n_fr_invoice installed by the upgrade" "$new_addon" "installed"
check "old fi_* columns dropped" "$old_columns" ""
check "WARNING/ERROR lines in the upgrade's log" "$problems" "0"
[ "$failed" = 0 ] && fi_log "upgrade from $REV: ok" || fi_log "upgrade from $REV: FAILED"
exit "$failed"
