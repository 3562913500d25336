#!/usr/bin/env bash
# `make pot`: regenerate gocardless_sync/i18n/gocardless_sync.pot (the translation template)
# from a throwaway database with the addon installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_pg_env
cd "$REPO_ROOT"

db="gcs_pot_$(date +%Y%m%d%H%M%S)_$$"
data_dir="$LOCAL_DIR/data-$db"
addons_path=$(odoo_addons_path)
cleanup() { rm -rf "$data_dir"; dropdb --if-exists "$db" >/dev/null 2>&1 || true; }
trap cleanup EXIT

say "Installing gocardless_sync in $db"
"$PYTHON" -m odoo --addons-path="$addons_path" --data-dir="$data_dir" -d "$db" \
    -i gocardless_sync --without-demo=all --stop-after-init --log-level=warn --no-http
mkdir -p gocardless_sync/i18n
"$PYTHON" -m odoo --addons-path="$addons_path" --data-dir="$data_dir" -d "$db" \
    --i18n-export=gocardless_sync/i18n/gocardless_sync.pot --modules=gocardless_sync \
    --stop-after-init --log-level=warn --no-http
say "gocardless_sync/i18n/gocardless_sync.pot: $(grep -c '^msgid' gocardless_sync/i18n/gocardless_sync.pot) messages"
