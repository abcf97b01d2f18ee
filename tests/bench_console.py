"""Seeds an SQLite database with many keys and log rows, starts the gateway on it and
times the admin API calls the console makes. Run through tests/bench-console.sh.

Rows go in with direct SQL (prepared statements in one transaction each), as the
gateway's writer would leave them: the log rows, and their traffic rollups summed the
way store/traffic.rs sums them (per minute and model, per hour and key; latency bins
1.25^i ms)."""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sqlite3
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

ADMIN = "sy-bench-admin-0123456789"
MODELS = ["gpt-4o-mini", "gpt-4o", "claude-sonnet", "gemini-flash", "embed-small"]
BINS = 64
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
DAY_MS = 86_400_000
WORDS = ["alpha", "batch", "crawler", "docs", "eval", "frontend", "gateway", "helpdesk", "ingest", "jobs"]


def bin_of(latency: float) -> int:
    if latency <= 1.0:
        return 0
    return min(BINS - 1, math.ceil(math.log(latency) / math.log(1.25)))


def config(work: Path) -> Path:
    models = "".join(
        f'[[models]]\nname = "{m}"\nadapter = "openai"\nbase_url = "http://127.0.0.1:9/v1"\napi_key = "x"\n' for m in MODELS
    )
    path = work / "config.toml"
    path.write_text(
        f"""[server]
host = "127.0.0.1"
port = 0
log_level = "warn"
[storage]
database_url = "sqlite://{work / 'db.sqlite'}"
[auth]
admin_key = "{ADMIN}"
[plugins]
dir = "{work / 'plugins'}"
hot_reload = false
{models}"""
    )
    return path


def seed(db: Path, keys: int, rows: int) -> tuple[list[str], list[str]]:
    rng = random.Random(22)
    now_ms = int(time.time() * 1000)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    started = time.monotonic()
    ids = [f"key_{i:032x}" for i in range(keys)]
    names = [f"{WORDS[i % len(WORDS)]}-service-{i}" for i in range(keys)]
    now_s = now_ms // 1000
    with conn:
        conn.executemany(
            "INSERT INTO client_keys (id, name, prefix, secret_hash, created_at, enabled, revoked_at, "
            "requests_per_minute) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    ids[i],
                    names[i],
                    f"sy-{i:07d}",
                    hashlib.sha256(f"secret-{i}".encode()).hexdigest(),
                    now_s - (keys - i) * 300,
                    0 if i % 50 == 0 else 1,
                    now_s - 10 if i % 97 == 0 else None,
                    600 if i % 3 == 0 else None,
                )
                for i in range(keys)
            ),
        )
        conn.execute("UPDATE meta SET value = value + 1 WHERE name = 'keys_version'")
    print(f"seeded {keys:,} keys in {time.monotonic() - started:.1f}s")

    # A few busy keys and a long tail, as real traffic has.
    busy = ids[:100]
    started = time.monotonic()
    by_model: dict[tuple[int, str], list] = {}
    by_key: dict[tuple[str, int], list] = {}

    def add(table: dict, key: tuple, status: int, latency: float, prompt: int, completion: int) -> None:
        entry = table.get(key)
        if entry is None:
            entry = table[key] = [0, 0, 0, 0, 0, 0.0, 0.0] + [0] * BINS
        entry[0] += 1
        entry[1] += status >= 400
        entry[2] += prompt
        entry[3] += completion
        entry[4] += prompt + completion
        entry[5] += latency
        entry[6] = max(entry[6], latency)
        entry[7 + bin_of(latency)] += 1

    def generate():
        for n in range(rows):
            at = now_ms - 7 * DAY_MS + (n * 7 * DAY_MS) // rows
            client = rng.choice(busy) if rng.random() < 0.5 else ids[rng.randrange(keys)]
            model = MODELS[rng.randrange(len(MODELS))]
            roll = rng.random()
            status = 500 if roll < 0.01 else 429 if roll < 0.03 else 200
            latency = rng.lognormvariate(6.0, 0.8)
            prompt, completion = (rng.randrange(10, 2000), rng.randrange(1, 800)) if status == 200 else (0, 0)
            add(by_model, (at // MINUTE_MS * MINUTE_MS, model), status, latency, prompt, completion)
            add(by_key, (client, at // HOUR_MS * HOUR_MS), status, latency, prompt, completion)
            yield (
                at,
                f"req-{n}",
                client,
                "/v1/chat/completions",
                model,
                "openai",
                "0.3.0",
                status,
                latency,
                latency * 0.9,
                prompt or None,
                completion or None,
                (prompt + completion) or None,
                n % 4 == 0,
                None if status == 200 else "rate_limit_error" if status == 429 else "server_error",
            )

    with conn:
        conn.executemany(
            "INSERT INTO request_log (at_ms, request_id, client_id, endpoint, model, platform, adapter_version, "
            "status, latency_ms, upstream_ms, prompt_tokens, completion_tokens, total_tokens, streamed, error_type) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            generate(),
        )
    values = "requests, errors, prompt_tokens, completion_tokens, total_tokens, latency_sum_ms, latency_max_ms, " + ", ".join(
        f"l{i}" for i in range(BINS)
    )
    marks = ", ".join("?" for _ in range(7 + BINS + 2))
    with conn:
        conn.executemany(
            f"INSERT INTO traffic_by_model (minute_ms, model, {values}) VALUES ({marks})",
            ((minute, model, *entry) for (minute, model), entry in by_model.items()),
        )
        conn.executemany(
            f"INSERT INTO traffic_by_key (hour_ms, client_id, {values}) VALUES ({marks})",
            ((hour, client, *entry) for (client, hour), entry in by_key.items()),
        )
    conn.execute("ANALYZE")
    conn.close()
    print(
        f"seeded {rows:,} log rows, {len(by_model):,} model-minute and {len(by_key):,} key-hour rollup rows "
        f"in {time.monotonic() - started:.1f}s"
    )
    return ids, busy


def start(binary: str, cfg: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([binary, "--config", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("switchyard listening on "):
            return proc, line.split()[-1]
    raise RuntimeError("the gateway did not start")


def timed(url: str, path: str, runs: int) -> tuple[float, float, dict]:
    samples = []
    body = {}
    for _ in range(runs):
        request = urllib.request.Request(url + path, headers={"authorization": f"Bearer {ADMIN}"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as resp:
            body = json.loads(resp.read())
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)], body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    cfg = config(args.work)
    subprocess.run([args.binary, "--config", str(cfg), "migrate"], check=True, stdout=subprocess.DEVNULL)
    ids, busy = seed(args.work / "db.sqlite", args.keys, args.rows)
    proc, url = start(args.binary, cfg)
    try:
        now = int(time.time())
        middle = ids[len(ids) // 2]
        cold = ids[len(ids) // 3 + 1]
        _, _, page = timed(url, "/admin/requests?order=desc&limit=50", 1)
        deep_log = page["next"]
        cases = [
            ("keys: first page (50)", "/admin/keys?limit=50"),
            ("keys: a page deep in the list", f"/admin/keys?limit=50&after={middle}"),
            ("keys: search, many matches", "/admin/keys?limit=50&search=gateway"),
            ("keys: search, one match", f"/admin/keys?limit=50&search=service-{len(ids) // 2 + 7}"),
            ("keys: search, no match", "/admin/keys?limit=50&search=nothing-like-this"),
            ("keys: disabled only", "/admin/keys?limit=50&status=disabled"),
            ("log: newest page (50)", "/admin/requests?order=desc&limit=50&since=0"),
            ("log: next page by cursor", f"/admin/requests?order=desc&limit=50&since=0&after={deep_log}"),
            ("log: one busy key", f"/admin/requests?order=desc&limit=50&since=0&client_id={busy[3]}"),
            ("log: one quiet key", f"/admin/requests?order=desc&limit=50&since=0&client_id={cold}"),
            ("log: one model", "/admin/requests?order=desc&limit=50&since=0&model=gpt-4o"),
            ("log: failures", "/admin/requests?order=desc&limit=50&since=0&status=error"),
            ("log: status 500, one day", f"/admin/requests?order=desc&limit=50&status=500&since={now - 86400}"),
            ("log: key + model + 3 days", f"/admin/requests?order=desc&limit=50&client_id={busy[5]}&model=gpt-4o&since={now - 3 * 86400}"),
            ("traffic: 24 h by model", "/admin/traffic?group_by=model"),
            ("traffic: 24 h by key", "/admin/traffic?group_by=key"),
            ("traffic: 7 days by model", f"/admin/traffic?group_by=model&since={now - 7 * 86400}"),
            ("traffic: one key, 7 days", f"/admin/traffic?client_id={busy[0]}&since={now - 7 * 86400}"),
        ]
        print(f"\n{'call':<34} {'median':>9} {'p95':>9}  rows")
        for label, path in cases:
            median, p95, body = timed(url, path, args.runs)
            rows = len(body.get("data", body.get("buckets", [])))
            flag = "" if p95 <= 200 else "  over 200 ms"
            print(f"{label:<34} {median:7.1f}ms {p95:7.1f}ms  {rows}{flag}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
