#!/usr/bin/env bash
# `make pot`: regenerate gocardless_sync/i18n/gocardless_sync.pot (the translation template)
# from a throwaway database with the addon installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_pg_env
cd "$REPO_ROOT"

throwaway_database gcs_pot

say "Installing gocardless_sync in $db"
install_addon
mkdir -p gocardless_sync/i18n
"$PYTHON" -m odoo --addons-path="$addons_path" --data-dir="$data_dir" -d "$db" \
    --i18n-export=gocardless_sync/i18n/gocardless_sync.pot --modules=gocardless_sync \
    --stop-after-init --log-level=warn --no-http
say "gocardless_sync/i18n/gocardless_sync.pot: $(grep -c '^msgid' gocardless_sync/i18n/gocardless_sync.pot) messages"
