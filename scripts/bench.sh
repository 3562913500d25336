#!/usr/bin/env bash
# `make bench`: the performance scenarios (docs/benchmarks.md) on a throwaway database (created,
# installed, dropped), printed as a table of seconds, SQL queries and ratios to a baseline
# measured in the same run. BENCH_SIZE=1000 make bench for a quick run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_pg_env
cd "$REPO_ROOT"

throwaway_database gcs_bench

say "Creating database $db and installing gocardless_sync"
install_addon

say "Running the benchmarks (N = ${BENCH_SIZE:-10000}; a few minutes)"
"$PYTHON" bench/run.py --database "$db" --addons-path "$addons_path" --size "${BENCH_SIZE:-10000}"
