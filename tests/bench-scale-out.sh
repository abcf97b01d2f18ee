#!/usr/bin/env bash
# The scale-out benchmark (README, "Scaling out"): starts a throwaway Postgres cluster
# and redis-server on free loopback ports, then runs host/benches/scale_out.rs, which
# compares one gateway on Postgres + Redis with one on SQLite + in-memory limits in the
# same run. Everything it starts is stopped and removed at the end.
#
#   bash tests/bench-scale-out.sh                # BENCH_SECS=5 per phase
#   BENCH_SECS=2 bash tests/bench-scale-out.sh   # quick
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $pg_bin/initdb ]] || { echo "Postgres is not installed: apt-get install postgresql" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server is not installed: apt-get install redis-server" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d /tmp/switchyard-bench-scale-XXXXXX)
as_owner=()
if [[ $(id -u) == 0 ]]; then
    chown postgres:postgres "$work"
    as_owner=(runuser -u postgres --)
fi
pg_port=$(free_port)
redis_port=$(free_port)
cleanup() {
    "${as_owner[@]}" "$pg_bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
    [[ -n ${redis_pid:-} ]] && kill "$redis_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"${as_owner[@]}" "$pg_bin/initdb" -D "$work/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
"${as_owner[@]}" "$pg_bin/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w -t 60 \
    -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1" start >/dev/null
"$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qc "CREATE DATABASE bench"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
redis_pid=$!

export BENCH_POSTGRES_URL="postgres://postgres@127.0.0.1:$pg_port/bench"
export BENCH_REDIS_URL="redis://127.0.0.1:$redis_port/0"
echo "==> cargo bench -p switchyard --bench scale_out"
timeout $(( ${BENCH_SECS:-5} * 8 + 600 )) cargo bench -p switchyard --bench scale_out
