# shellcheck shell=bash
# Shared by setup/run.sh and setup/test.sh: make this machine able to run the suite.
# Every step checks before it acts, so re-running costs seconds.

FI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FI_HOME=${FI_HOME:-$HOME/.local/share/field-intervention}
FI_VENV=${FI_VENV:-$FI_HOME/venv-18.0}
FI_DB_HOST=${FI_DB_HOST:-127.0.0.1}
FI_DB_PORT=${FI_DB_PORT:-5432}
FI_DB_USER=${FI_DB_USER:-odoo}
FI_ADDONS="l10n_fr_invoice,field_intervention,field_intervention_sign,field_intervention_invoice,field_intervention_mobile,l10n_fr_pa_flow,field_intervention_pa,field_intervention_maintenance,field_intervention_maintenance_invoice"
ODOO_NIGHTLY_URL=https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz
FI_SYSTEM_PACKAGES=(libldap2-dev libsasl2-dev libpq-dev postgresql-client wkhtmltopdf chromium
                    fonts-dejavu-core python3-venv curl)

fi_log() { printf '\033[1m[field-intervention]\033[0m %s\n' "$*" >&2; }
fi_die() { fi_log "ERROR: $*"; exit 1; }

fi_as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

fi_ensure_system_packages() {
    local missing=() pkg
    for pkg in "${FI_SYSTEM_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    fi_log "installing system packages: ${missing[*]}"
    fi_as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive fi_as_root apt-get install -y -qq "${missing[@]}" >/dev/null \
        || fi_die "apt-get install ${missing[*]} failed"
}

fi_ensure_postgres() {
    pg_isready -q -h "$FI_DB_HOST" -p "$FI_DB_PORT" && return 0
    fi_log "starting PostgreSQL"
    fi_as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -n 1)" main start \
        || fi_die "PostgreSQL is not running on $FI_DB_HOST:$FI_DB_PORT"
}

fi_psql_admin() {
    # Trust auth on loopback as 'postgres' first, else the local postgres system account.
    psql -h "$FI_DB_HOST" -p "$FI_DB_PORT" -U postgres -tAq "$@" 2>/dev/null \
        || fi_as_root runuser -u postgres -- psql -p "$FI_DB_PORT" -tAq "$@"
}

fi_ensure_db_role() {
    # Odoo refuses to run as the 'postgres' superuser: it gets a role of its own.
    psql -h "$FI_DB_HOST" -p "$FI_DB_PORT" -U "$FI_DB_USER" -d postgres -tAc 'select 1' >/dev/null 2>&1 && return 0
    fi_log "creating database role $FI_DB_USER"
    fi_psql_admin -c "CREATE ROLE \"$FI_DB_USER\" LOGIN CREATEDB" || fi_die "cannot create role $FI_DB_USER"
}

fi_ensure_odoo_source() {
    # ODOO_SOURCE: a folder holding odoo-bin, or an archive URL; default /opt/odoo/18.0, else nightly.
    local source=${ODOO_SOURCE:-}
    if [ -z "$source" ]; then
        if [ -f /opt/odoo/18.0/odoo-bin ]; then source=/opt/odoo/18.0; else source=$ODOO_NIGHTLY_URL; fi
    fi
    case "$source" in
        http://*|https://*|file://*)
            ODOO_DIR=$FI_HOME/odoo-18.0
            if [ ! -f "$ODOO_DIR/odoo-bin" ]; then
                fi_log "downloading Odoo 18.0 from $source"
                mkdir -p "$ODOO_DIR"
                curl -fsSL "$source" | tar -xz --strip-components=1 -C "$ODOO_DIR" \
                    || fi_die "cannot download or unpack $source"
            fi ;;
        *) ODOO_DIR=$(cd "$source" 2>/dev/null && pwd) || fi_die "ODOO_SOURCE=$source does not exist" ;;
    esac
    [ -f "$ODOO_DIR/odoo-bin" ] || fi_die "no odoo-bin in $ODOO_DIR"
    grep -q "version_info = (18, 0" "$ODOO_DIR/odoo/release.py" || fi_die "$ODOO_DIR is not Odoo 18.0"
    export ODOO_DIR
}

fi_ensure_venv() {
    local stamp=$FI_VENV/.fi-requirements.sha256 wanted
    [ -x "$FI_VENV/bin/python" ] || { fi_log "creating virtualenv $FI_VENV"; python3 -m venv "$FI_VENV"; }
    wanted=$(cat "$ODOO_DIR/requirements.txt" "$FI_ROOT/requirements.txt" "$FI_ROOT/setup/constraints.txt" \
             | sha256sum | cut -d' ' -f1)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && return 0
    fi_log "installing Python requirements (Odoo 18.0 and the suite)"
    # cbor2 5.4.2 only builds with setuptools<81: the constraint also reaches pip's build environments.
    PIP_CONSTRAINT=$FI_ROOT/setup/constraints.txt "$FI_VENV/bin/pip" install -q --disable-pip-version-check \
        -r "$ODOO_DIR/requirements.txt" -r "$FI_ROOT/requirements.txt" || fi_die "pip install failed"
    echo "$wanted" > "$stamp"
}

fi_ensure_all() {
    fi_ensure_system_packages
    fi_ensure_postgres
    fi_ensure_db_role
    fi_ensure_odoo_source
    fi_ensure_venv
}

fi_odoo() {
    # wkhtmltopdf (Qt) warns on every PDF when the session has no runtime dir, as under CI or cron.
    if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
        export XDG_RUNTIME_DIR=$FI_HOME/runtime
        mkdir -p -m 700 "$XDG_RUNTIME_DIR"
    fi
    local command=()
    [ "${1:-}" = shell ] && { command=(shell); shift; }  # a subcommand comes before the options
    "$FI_VENV/bin/python" "$ODOO_DIR/odoo-bin" "${command[@]}" --addons-path="$ODOO_DIR/addons,$FI_ROOT" \
        --db_host="$FI_DB_HOST" --db_port="$FI_DB_PORT" --db_user="$FI_DB_USER" "$@"
}

fi_free_port() {
    "$FI_VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

fi_db_exists() {
    [ "$(psql -h "$FI_DB_HOST" -p "$FI_DB_PORT" -U "$FI_DB_USER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]
}

fi_create_french_db() {
    # fi_create_french_db DB LOGFILE: a new database whose company is French before accounting
    # is installed, so that Odoo itself sets it up as a French company does: euros, the French
    # chart of accounts (l10n_fr_account) with its taxes, TVA 20 % as the default sales tax.
    # The demo (run.sh) and the tests (test.sh) start from the same database.
    local db=$1 log=$2
    fi_odoo -d "$db" -i base --stop-after-init --http-port="$(fi_free_port)" --max-cron-threads=0 \
        --logfile="$log" || return 1
    fi_odoo shell -d "$db" --no-http --logfile="$log" > /dev/null <<'PY' || return 1
euro = env.ref("base.EUR")
euro.active = True
env.ref("base.main_company").write({"country_id": env.ref("base.fr").id, "currency_id": euro.id})
env.cr.commit()
PY
    # French is loaded before accounting, so that the apps installed from here on (units of
    # measure, the chart's taxes and tax groups...) get their French terms; the database default
    # language stays English (a base installed in French would make French the default).
    fi_odoo -d "$db" -i l10n_fr_account --load-language=fr_FR --stop-after-init --http-port="$(fi_free_port)" \
        --max-cron-threads=0 --logfile="$log"
}

fi_set_base_url() {
    # fi_set_base_url DB URL: links in mails and QR codes point to the URL the database is served at
    # (Odoo keeps the one of the port used while the database was built).
    # (psql substitutes :'url' as a quoted literal in the commands it reads, not in -c)
    echo "UPDATE ir_config_parameter SET value = :'url' WHERE key = 'web.base.url';" \
        | psql -h "$FI_DB_HOST" -p "$FI_DB_PORT" -U "$FI_DB_USER" -d "$1" -qtA -v ON_ERROR_STOP=1 -v url="$2" \
        > /dev/null
}

fi_set_pa_urls() {
    # fi_set_pa_urls DB PORT: the demo company's approved platform is the PA simulator that
    # setup/run.sh starts on 127.0.0.1:PORT (its demo data say 8090). Only a platform on loopback
    # is moved: a company connected to a real platform keeps its addresses.
    echo "UPDATE res_company
             SET l10n_fr_pa_base_url = 'http://127.0.0.1:' || :'port',
                 l10n_fr_pa_token_url = 'http://127.0.0.1:' || :'port' || '/oauth/token'
           WHERE id = (SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'main_company')
             AND l10n_fr_pa_base_url LIKE 'http://127.0.0.1:%';" \
        | psql -h "$FI_DB_HOST" -p "$FI_DB_PORT" -U "$FI_DB_USER" -d "$1" -qtA -v ON_ERROR_STOP=1 -v port="$2" \
        > /dev/null
}

fi_drop_db() {
    dropdb -h "$FI_DB_HOST" -p "$FI_DB_PORT" -U "$FI_DB_USER" --if-exists "$1" >/dev/null 2>&1
    rm -rf "$HOME/.local/share/Odoo/filestore/$1"
}

# fi_copy_db_into PG_BIN PORT SOURCE TARGET DATA_DIR: copy the installed database SOURCE (of the
# suite's PostgreSQL) and its filestore into TARGET of the throwaway cluster on 127.0.0.1:PORT,
# whose Odoo runs with --data-dir=DATA_DIR (the clock runs, the replica check).
fi_copy_db_into() {
    local pg_bin=$1 port=$2 source=$3 target=$4 data_dir=$5
    "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U "$FI_DB_USER" -T template0 "$target" || fi_die "createdb failed"
    "$pg_bin/pg_dump" -h "$FI_DB_HOST" -p "$FI_DB_PORT" -U "$FI_DB_USER" -Fc -Z0 "$source" \
        | "$pg_bin/pg_restore" -h 127.0.0.1 -p "$port" -U "$FI_DB_USER" --no-owner -d "$target" \
        || fi_die "cannot copy $source"
    mkdir -p "$data_dir/filestore"
    cp -a "$HOME/.local/share/Odoo/filestore/$source" "$data_dir/filestore/$target" 2>/dev/null \
        || mkdir -p "$data_dir/filestore/$target"
}
