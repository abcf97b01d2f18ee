#!/usr/bin/env bash
# The console's benchmark (README, "Console"): a gateway on an SQLite database seeded
# with 100,000 keys and 1,000,000 request-log rows (and their traffic rollups), and
# the latency of what the console's pages ask the admin API for: the key list, a key
# search, log pages filtered by key, model, outcome and time, and the overview's
# traffic series. The issue's target: key list and log search within 200 ms.
#
#   bash tests/bench-console.sh                      # 100,000 keys, 1,000,000 rows
#   BENCH_KEYS=10000 BENCH_ROWS=100000 bash tests/bench-console.sh   # quick
#
# Needs the debug (or BENCH_PROFILE=release) binary built:
# `cargo build -p switchyard --bin switchyard`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

target=${CARGO_TARGET_DIR:-target}
binary="$target/${BENCH_PROFILE:-debug}/switchyard"
[[ -x $binary ]] || { echo "$binary is missing: cargo build -p switchyard --bin switchyard" >&2; exit 1; }

work=$(mktemp -d /tmp/switchyard-bench-console-XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 tests/bench_console.py --binary "$binary" --work "$work" \
    --keys "${BENCH_KEYS:-100000}" --rows "${BENCH_ROWS:-1000000}" --runs "${BENCH_RUNS:-20}"
