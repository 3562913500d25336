#!/usr/bin/env bash
# `make demo`: the local GoCardless emulator with a realistic demo account, a demo database
# (created once, then reused) with the addon, contacts and open invoices, and Odoo on
# http://localhost:8069. Ctrl-C stops everything it started.
# Settings: DEMO_DB (gocardless_demo), DEMO_PORT (8069), EMULATOR_PORT (4010).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_pg_env
cd "$REPO_ROOT"

db="${DEMO_DB:-gocardless_demo}"
odoo_port="${DEMO_PORT:-8069}"
emulator_port="${EMULATOR_PORT:-4010}"
token="demo-token"
secret="demo-webhook-secret"
data_dir="$LOCAL_DIR/demo-data"
addons_path=$(odoo_addons_path)
emulator_url="http://127.0.0.1:$emulator_port"

port_free() { "$PYTHON" -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null; }
port_free "$odoo_port" || die "port $odoo_port is taken (another Odoo?). Stop it or run: DEMO_PORT=8070 make demo"
port_free "$emulator_port" || die "port $emulator_port is taken. Stop that program or run: EMULATOR_PORT=4011 make demo"

pids=()
stop_all() {
    trap - INT TERM EXIT
    if [ ${#pids[@]} -gt 0 ]; then
        say "Stopping the demo"
        kill "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
    fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

say "Starting the GoCardless emulator on $emulator_url (demo account: 300 customers)"
"$PYTHON" -m gocardless_emulator --host 127.0.0.1 --port "$emulator_port" --seed demo \
    --token "$token" --webhook-url "http://127.0.0.1:$odoo_port/gocardless/webhook" \
    --webhook-secret "$secret" >"$LOCAL_DIR/emulator.log" 2>&1 &
pids+=($!)
emulator_up() {
    "$PYTHON" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
        "$emulator_url/__emulator__/state" >/dev/null 2>&1
}
for _ in $(seq 50); do emulator_up && break; sleep 0.2; done
emulator_up || die "the emulator did not start; see $LOCAL_DIR/emulator.log"

if psql -lqt | cut -d'|' -f1 | grep -qw "$db"; then
    say "Reusing the demo database $db (dropdb $db to start afresh)"
    update=(-u gocardless_sync)
else
    say "Creating the demo database $db (about a minute)"
    "$PYTHON" -m odoo --addons-path="$addons_path" --data-dir="$data_dir" -d "$db" \
        -i gocardless_sync --without-demo=all --stop-after-init --log-level=warn --no-http \
        --max-cron-threads=0 || die "installing gocardless_sync failed (log above)."
    "$PYTHON" scripts/demo_data.py --database "$db" --addons-path "$addons_path" \
        --api-url "$emulator_url" --token "$token" --secret "$secret" \
        || { dropdb --if-exists "$db"; die "loading the demo data failed (log above)."; }
    update=()
fi

cat <<MSG

  Odoo is starting on  http://localhost:$odoo_port   (database $db)
  Log in with          admin / admin
  Then open            Contacts > GoCardless > Overview, and click "Sync customers".
  GoCardless emulator  $emulator_url (token $token); Ctrl-C stops everything.

MSG
"$PYTHON" -m odoo --addons-path="$addons_path" --data-dir="$data_dir" -d "$db" \
    --db-filter="^$db\$" --http-port="$odoo_port" --http-interface=127.0.0.1 \
    --max-cron-threads=1 --log-level=info "${update[@]}" &
pids+=($!)
wait "${pids[-1]}"
