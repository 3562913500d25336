#!/usr/bin/env bash
# `make test`: a fresh database with gocardless_sync installed, every test of the addon
# (pytest-odoo, HttpCase included), of the emulator and of two Odoo servers on one database
# (tests_multi) in one pytest run, then the databases are dropped.
# Extra pytest arguments: make test ARGS="-k sync -x"
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_pg_env
cd "$REPO_ROOT"

throwaway_database gcs_test

say "Creating database $db and installing gocardless_sync (about a minute)"
install_addon

# tests_multi runs Odoo servers on copies of the fresh database: the template is copied now,
# before pytest connects to $db (CREATE DATABASE ... TEMPLATE needs a database nobody uses).
multi_template="${db}_multi"
drop_multi_databases() {
    local name
    for name in $(psql -d postgres -Atc "SELECT datname FROM pg_database
            WHERE datname = '$multi_template' OR starts_with(datname, '${multi_template}_')"); do
        dropdb --if-exists --force "$name" >/dev/null 2>&1 || warn "could not drop the database $name"
    done
}
trap 'drop_multi_databases; drop_throwaway_database' EXIT
createdb -T "$db" "$multi_template" || die "copying $db for tests_multi failed."
if [ -d "$data_dir/filestore/$db" ]; then
    cp -a "$data_dir/filestore/$db" "$data_dir/filestore/$multi_template"
fi
export GCS_MULTI_TEMPLATE="$multi_template" GCS_MULTI_TEMPLATE_DATA_DIR="$data_dir"

# ARGS is split like a shell command line, so that quoted -k expressions work
eval "extra_args=(${ARGS:-})"

say "Running the tests"
# -p no:cacheprovider: nothing written into the checkout; --odoo-http: run HttpCase tests too.
"$PYTHON" -m pytest -p no:cacheprovider -o addopts="" --rootdir="$REPO_ROOT" \
    --odoo-database="$db" --odoo-addons-path="$addons_path" --odoo-http \
    --odoo-log-level=warn --odoo-extra="data-dir=$data_dir" --odoo-extra="max-cron-threads=0" --odoo-extra="limit-memory-hard=0" \
    -r fEsxX gocardless_sync/tests gocardless_emulator/tests tests_multi "${extra_args[@]}"
