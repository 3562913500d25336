#!/usr/bin/env bash
# `make test`: a fresh database with gocardless_sync installed, every test of the addon
# (pytest-odoo, HttpCase included) and of the emulator in one pytest run, then the
# database is dropped. Extra pytest arguments: make test ARGS="-k sync -x"
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_pg_env
cd "$REPO_ROOT"

throwaway_database gcs_test

say "Creating database $db and installing gocardless_sync (about a minute)"
install_addon

# ARGS is split like a shell command line, so that quoted -k expressions work
eval "extra_args=(${ARGS:-})"

say "Running the tests"
# -p no:cacheprovider: nothing written into the checkout; --odoo-http: run HttpCase tests too.
"$PYTHON" -m pytest -p no:cacheprovider -o addopts="" --rootdir="$REPO_ROOT" \
    --odoo-database="$db" --odoo-addons-path="$addons_path" --odoo-http \
    --odoo-log-level=warn --odoo-extra="data-dir=$data_dir" --odoo-extra="max-cron-threads=0" --odoo-extra="limit-memory-hard=0" \
    -r fEsxX gocardless_sync/tests gocardless_emulator/tests "${extra_args[@]}"
