# Shared shell helpers for the Makefile's scripts. Sourced, not executed.
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="$REPO_ROOT/.local"
PYTHON="${PYTHON:-python3}"
# The checkout's own emulator always wins over any installed copy.
export PYTHONPATH="$REPO_ROOT/gocardless_emulator/src${PYTHONPATH:+:$PYTHONPATH}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf '\033[33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Load the connection settings of the private PostgreSQL cluster, when setup made one.
load_pg_env() {
    if [ -f "$LOCAL_DIR/pg.env" ]; then
        # shellcheck disable=SC1091
        . "$LOCAL_DIR/pg.env"
    fi
}

pg_ready() {
    "$PYTHON" - <<'PY' >/dev/null 2>&1
import psycopg2
psycopg2.connect(dbname="postgres", connect_timeout=3).close()
PY
}

# Odoo's own addons folders (odoo/addons and the community addons beside it) plus this repo.
odoo_addons_path() {
    "$PYTHON" - "$REPO_ROOT" <<'PY'
import os, sys
import odoo
root = os.path.dirname(os.path.abspath(odoo.__file__))
paths = [os.path.join(root, "addons"), os.path.join(os.path.dirname(root), "addons")]
paths = [p for p in paths if os.path.isdir(p)]
paths.append(sys.argv[1])
print(",".join(paths))
PY
}

# A throwaway database <prefix>_<timestamp>_<pid> and its filestore in .local, both dropped
# when the script exits (also after a failure or Ctrl-C). Sets db, data_dir and addons_path.
throwaway_database() {
    db="$1_$(date +%Y%m%d%H%M%S)_$$"
    data_dir="$LOCAL_DIR/data-$db"
    addons_path=$(odoo_addons_path)
    trap drop_throwaway_database EXIT
    trap 'exit 130' INT TERM
}

drop_throwaway_database() {
    rm -rf "$data_dir"
    dropdb --if-exists "$db" >/dev/null 2>&1 || warn "could not drop the database $db"
}

# Install gocardless_sync without demo data in the throwaway database; stops the script when
# the installation fails.
install_addon() {
    "$PYTHON" -m odoo --addons-path="$addons_path" --data-dir="$data_dir" -d "$db" \
        -i gocardless_sync --without-demo=all --stop-after-init --log-level=warn --no-http \
        --max-cron-threads=0 || die "installing gocardless_sync failed (log above)."
}
