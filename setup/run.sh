#!/usr/bin/env bash
# First README command: install what is missing, build the demo database, serve it.
#   setup/run.sh            -> http://127.0.0.1:8069 (Ctrl-C to stop)
# Environment: ODOO_SOURCE (folder or archive URL of Odoo 18.0), FI_HOME, FI_DEMO_DB,
# FI_HTTP_PORT, FI_SMTP_PORT, FI_PA_PORT, FI_UPDATE=1 to update the addons of an existing demo database.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DB=${FI_DEMO_DB:-field_intervention_demo}
HTTP_PORT=${FI_HTTP_PORT:-8069}
SMTP_PORT=${FI_SMTP_PORT:-2525}
PA_PORT=${FI_PA_PORT:-8090}
MAILDIR=$FI_HOME/mail

fi_ensure_all

# Mails really leave Odoo: a local sink on loopback keeps them in a Maildir.
if ! (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null; then
    fi_log "starting the SMTP sink on 127.0.0.1:$SMTP_PORT (mails kept in $MAILDIR)"
    nohup "$FI_VENV/bin/python" "$FI_ROOT/setup/smtp_sink.py" --port "$SMTP_PORT" --maildir "$MAILDIR" \
        > "$FI_HOME/smtp_sink.log" 2>&1 &
    echo $! > "$FI_HOME/smtp_sink.pid"
fi

if ! fi_db_exists "$DB"; then
    fi_log "creating the demo database $DB (French company, technicians, missions, demo data)"
    fi_create_french_db "$DB" "$FI_HOME/$DB-install.log" || fi_die "installation failed, see $FI_HOME/$DB-install.log"
    fi_odoo -d "$DB" -i "$FI_ADDONS" --load-language=fr_FR --stop-after-init \
        --max-cron-threads=0 --http-port="$(fi_free_port)" --logfile="$FI_HOME/$DB-install.log" \
        || fi_die "installation failed, see $FI_HOME/$DB-install.log"
    # once, when the database is created: the demo company's last twelve months (six on paper,
    # then with the suite), dated from today, labelled as demo data (setup/history.py)
    fi_log "generating the demo's history (twelve months of interventions, invoices, platform statuses)"
    # (a failed run writes nothing; the generator does nothing where the history already is)
    HISTORY=("$FI_VENV/bin/python" "$FI_ROOT/setup/history.py" -d "$DB" --profile demo --odoo-path "$ODOO_DIR"
        --db_host "$FI_DB_HOST" --db_port "$FI_DB_PORT" --db_user "$FI_DB_USER")
    "${HISTORY[@]}" > "$FI_HOME/$DB-history.log" 2>&1 \
        || fi_die "the demo's history failed, see $FI_HOME/$DB-history.log; $DB is installed without it:" \
            "run ${HISTORY[*]} (or drop $DB) before running setup/run.sh again"
    tail -n 1 "$FI_HOME/$DB-history.log" >&2
elif [ "${FI_UPDATE:-0}" = 1 ]; then
    fi_log "updating the addons in $DB"
    fi_odoo -d "$DB" -u "$FI_ADDONS" --stop-after-init --max-cron-threads=0 \
        --http-port="$(fi_free_port)" --logfile="$FI_HOME/$DB-update.log" \
        || fi_die "update failed, see $FI_HOME/$DB-update.log"
fi

fi_set_base_url "$DB" "http://127.0.0.1:$HTTP_PORT"
fi_set_pa_urls "$DB" "$PA_PORT"

# Invoices leave through an approved platform (PA): a simulator of the AFNOR Flow Service API on
# loopback (client demo/demo), whose lifecycle webhooks reach the served database's main company.
if ! (exec 3<>"/dev/tcp/127.0.0.1/$PA_PORT") 2>/dev/null; then
    COMPANY_ID=$(psql -h "$FI_DB_HOST" -p "$FI_DB_PORT" -U "$FI_DB_USER" -d "$DB" -tAc \
        "SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'main_company'")
    fi_log "starting the PA simulator on 127.0.0.1:$PA_PORT (log: $FI_HOME/pa_simulator.log)"
    nohup "$FI_VENV/bin/python" "$FI_ROOT/setup/pa_simulator.py" --host 127.0.0.1 --port "$PA_PORT" \
        --client-id demo --client-secret demo --webhook-secret demo \
        --webhook-url "http://127.0.0.1:$HTTP_PORT/l10n_fr_pa_flow/webhook/${COMPANY_ID:-1}" \
        > "$FI_HOME/pa_simulator.log" 2>&1 &
    echo $! > "$FI_HOME/pa_simulator.pid"
    # the demo's "200 Déposée" comes back at once by webhook, not at the next polling
    for __ in 1 2 3 4 5 6 7 8 9 10; do
        curl -fsS -X POST "http://127.0.0.1:$PA_PORT/_sim/config" -d '{"webhookOnDeposit": true}' \
            > /dev/null 2>&1 && break
        sleep 0.5
    done
fi

cat <<TXT

  Field Intervention demo: http://127.0.0.1:$HTTP_PORT  (database $DB)
    Technician (phone view, "Mes interventions"):  tech1 / tech1
    Billing clerk (Accounting):                   billing / billing
    Portal customer ("Mes interventions"):        client / client
    Administrator / dispatcher:                   admin / admin
  Mails sent by Odoo land in $MAILDIR (Maildir; list: $MAILDIR/index.log)
  Approved platform (PA) simulator: http://127.0.0.1:$PA_PORT  (client demo / demo; flows: /_sim/flows)

TXT
fi_odoo -d "$DB" --db-filter="^$DB\$" --http-interface=127.0.0.1 --http-port="$HTTP_PORT" \
    --gevent-port="$((HTTP_PORT + 3))" --smtp=127.0.0.1 --smtp-port="$SMTP_PORT"
