#!/usr/bin/env bash
# `make bench`: the performance scenarios of DESIGN.md on a throwaway database (created,
# installed, dropped), printed as a table of seconds, SQL queries and ratios to a baseline
# measured in the same run. BENCH_SIZE=1000 make bench for a quick run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_pg_env
cd "$REPO_ROOT"

db="gcs_bench_$(date +%Y%m%d%H%M%S)_$$"
data_dir="$LOCAL_DIR/data-$db"
addons_path=$(odoo_addons_path)
cleanup() {
    rm -rf "$data_dir"
    dropdb --if-exists "$db" >/dev/null 2>&1 || warn "could not drop the bench database $db"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "Creating database $db and installing gocardless_sync"
"$PYTHON" -m odoo --addons-path="$addons_path" --data-dir="$data_dir" -d "$db" \
    -i gocardless_sync --without-demo=all --stop-after-init --log-level=warn --no-http \
    --max-cron-threads=0 || die "installing gocardless_sync failed (log above)."

say "Running the benchmarks (N = ${BENCH_SIZE:-10000}; a few minutes)"
"$PYTHON" bench/run.py --database "$db" --addons-path "$addons_path" --size "${BENCH_SIZE:-10000}"
