#!/usr/bin/env bash
# The benchmark suite (README, "Benchmarks"): builds the release binary, then runs
# host/benches/suite against a fast mock upstream on loopback. nginx and LiteLLM are
# measured as baselines when installed (BENCH_NGINX / BENCH_LITELLM = path or `off`);
# without them those rows say "skipped". Every phase lasts BENCH_SECS (default 5) and
# the whole run is bounded, here and by a watchdog inside the suite.
#
#   bash tests/bench.sh                  # ~1 minute
#   BENCH_SECS=2 bash tests/bench.sh     # quick
#   BENCH_MILLION=1 bash tests/bench.sh  # instead: RSS after 100,000 and 1,000,000 requests (minutes)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

secs=${BENCH_SECS:-5}
export BENCH_SECS=$secs

# 1,000 concurrent streams hold a few thousand sockets across client, mock and gateway.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "==> cargo build --release -p switchyard"
cargo build --release -p switchyard
export SWITCHYARD_BIN=${SWITCHYARD_BIN:-$PWD/target/release/switchyard}

if [[ -z ${BENCH_NGINX:-} ]]; then
    BENCH_NGINX=$(command -v nginx || { [[ -x /usr/sbin/nginx ]] && echo /usr/sbin/nginx; } || echo off)
    export BENCH_NGINX
fi
if [[ -z ${BENCH_LITELLM:-} ]]; then
    BENCH_LITELLM=$(command -v litellm || echo off)
    export BENCH_LITELLM
fi
echo "==> baselines: nginx=${BENCH_NGINX} litellm=${BENCH_LITELLM}"

# Build first (untimed: a cold build takes minutes), then run under a hard limit.
echo "==> cargo bench -p switchyard --bench suite --no-run"
cargo bench -p switchyard --bench suite --no-run
limit=$((secs * 20 + 300))
if [[ ${BENCH_MILLION:-} == 1 ]]; then limit=1900; fi
echo "==> suite (${secs}s per phase, stops within ${limit}s)"
timeout --kill-after=10 "$limit" cargo bench -p switchyard --bench suite
