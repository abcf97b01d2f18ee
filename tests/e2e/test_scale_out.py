"""Two gateway processes behind one Redis, sharing one database (Postgres, and
SQLite for a single machine), behave as one gateway: a key made on one works on the other at once, a limit of 10 requests a
minute admits exactly 10 wherever they land, concurrency holds across both, a
revocation reaches the other process within a second; with Redis gone the configured
policy decides, and with Redis back limits are shared again without a restart.

Redis and Postgres are real servers started on free loopback ports (`servers.py`)."""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import openai
import pytest

from conftest import Model, Process, start_gateway
from servers import Redis, postgres, rows

ADMIN_KEY = "admin-scale-out-test"
AUTH = f'[auth]\nenable_client_auth = true\nadmin_key = "{ADMIN_KEY}"\n'
MODELS = (Model("gpt-test", "mock-echo"), Model("gpt-slow", "mock-slow"))


@pytest.fixture()
def redis(tmp_path: Path):
    server = Redis(tmp_path)
    yield server
    server.stop()


@pytest.fixture(params=["postgres", "sqlite"])
def database(request, tmp_path: Path) -> str:
    """The database both processes share: a fresh Postgres database, or one SQLite file."""
    if request.param == "postgres":
        return postgres().new_database()
    return f"sqlite://{tmp_path / 'shared.db'}"


def pair(mock_upstream: Process, tmp_path: Path, redis: Redis, database: str, policy: str = "open") -> list[Process]:
    """Two gateways on one database and one Redis."""
    models = "".join(model.toml(mock_upstream.url) for model in MODELS)
    storage = f'redis_url = "{redis.url}"\nredis_failure = "{policy}"\n'
    gateways = []
    for name in ["a", "b"]:
        workdir = tmp_path / name
        workdir.mkdir()
        gateways.append(start_gateway(workdir, models, AUTH, database_url=database, storage_toml=storage))
    return gateways


def admin(gateway: Process, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{gateway.url}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"authorization": f"Bearer {ADMIN_KEY}", "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        text = resp.read()
    return json.loads(text) if text else {}


def status(gateway: Process, secret: str, model: str = "gpt-test") -> int:
    request = urllib.request.Request(
        f"{gateway.url}/v1/chat/completions",
        data=json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]}).encode(),
        headers={"authorization": f"Bearer {secret}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def new_key(gateway: Process, **limits) -> tuple[str, str]:
    created = admin(gateway, "POST", "/admin/keys", {"name": "scale", "limits": limits})
    return created["id"], created["secret"]


def metric(gateway: Process, name: str) -> float:
    with urllib.request.urlopen(f"{gateway.url}/metrics", timeout=10) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} is not exported")


def stop_all(gateways: list[Process]) -> None:
    for gateway in gateways:
        gateway.stop()


def test_a_key_made_on_one_process_works_on_the_other_at_once(mock_upstream, tmp_path, redis, database) -> None:
    a, b = gateways = pair(mock_upstream, tmp_path, redis, database)
    try:
        _, secret = new_key(a)
        assert status(b, secret) == 200
    finally:
        stop_all(gateways)


def test_a_rate_limit_admits_exactly_its_number_across_processes(mock_upstream, tmp_path, redis, database) -> None:
    a, b = gateways = pair(mock_upstream, tmp_path, redis, database)
    try:
        _, secret = new_key(a, requests_per_minute=10)
        answers = [status(gateway, secret) for _ in range(15) for gateway in (a, b)]
        assert answers.count(200) == 10, answers
        assert answers.count(429) == 20, answers
    finally:
        stop_all(gateways)


def test_concurrency_holds_across_processes(mock_upstream, tmp_path, redis, database) -> None:
    a, b = gateways = pair(mock_upstream, tmp_path, redis, database)
    try:
        _, secret = new_key(a, max_concurrent=2)
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda g=g: results.append(status(g, secret, "gpt-slow"))) for g in (a, b)
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.15)  # both are upstream now (mock-slow answers after 300 ms)
        assert status(a, secret) == 429 and status(b, secret) == 429
        for thread in threads:
            thread.join()
        assert results == [200, 200]
        assert status(b, secret) == 200, "the slots came back when the answers ended"
    finally:
        stop_all(gateways)


def test_a_revocation_reaches_the_other_process_within_a_second(mock_upstream, tmp_path, redis, database) -> None:
    a, b = gateways = pair(mock_upstream, tmp_path, redis, database)
    try:
        key_id, secret = new_key(a)
        assert status(b, secret) == 200
        admin(a, "DELETE", f"/admin/keys/{key_id}")
        revoked_at = time.monotonic()
        while status(b, secret) != 401:
            assert time.monotonic() - revoked_at < 1.0, "still accepted on the other process"
            time.sleep(0.02)
    finally:
        stop_all(gateways)


def test_without_redis_the_open_policy_limits_locally_and_recovers(mock_upstream, tmp_path, redis, database) -> None:
    a, b = gateways = pair(mock_upstream, tmp_path, redis, database)
    try:
        assert status(a, new_key(a)[1]) == 200
        assert metric(a, "switchyard_redis_up") == 1
        redis.stop()
        _, secret = new_key(a, requests_per_minute=3)
        # Each process enforces the whole limit alone while Redis is away.
        assert [status(a, secret) for _ in range(4)] == [200, 200, 200, 429]
        assert [status(b, secret) for _ in range(4)] == [200, 200, 200, 429]
        assert metric(a, "switchyard_redis_up") == 0
        assert metric(a, "switchyard_redis_failures_total") >= 1
        redis.start()
        time.sleep(1.0)  # a probe pings Redis every 250 ms during an outage
        _, shared = new_key(a, requests_per_minute=3)
        answers = [status(gateway, shared) for _ in range(3) for gateway in (a, b)]
        assert answers.count(200) == 3, answers
        assert metric(a, "switchyard_redis_up") == 1
    finally:
        stop_all(gateways)
    assert "Redis is unreachable" in (tmp_path / "a" / "switchyard.log").read_text()


def test_without_redis_the_closed_policy_refuses_with_503(mock_upstream, tmp_path, redis, database) -> None:
    a, b = gateways = pair(mock_upstream, tmp_path, redis, database, policy="closed")
    try:
        _, limited = new_key(a, requests_per_minute=100)
        _, unlimited = new_key(a)
        redis.stop()
        client = openai.OpenAI(base_url=f"{b.url}/v1", api_key=limited, max_retries=0)
        with pytest.raises(openai.InternalServerError) as raised:
            client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}])
        assert raised.value.status_code == 503
        assert raised.value.body["code"] == "limits_unavailable"
        assert raised.value.response.headers["retry-after"] == "1"
        assert status(b, unlimited) == 200, "a key without limits needs no Redis"
        redis.start()
        time.sleep(1.0)
        assert status(b, limited) == 200
    finally:
        stop_all(gateways)


def test_request_logs_of_both_processes_land_in_the_shared_database(mock_upstream, tmp_path, redis, database) -> None:
    a, b = gateways = pair(mock_upstream, tmp_path, redis, database)
    try:
        _, secret = new_key(a)
        for gateway in (a, b, a):
            assert status(gateway, secret) == 200
    finally:
        stop_all(gateways)
    logged = rows(
        database, "SELECT count(*) FROM request_log WHERE endpoint = '/v1/chat/completions' AND status = 200"
    )
    assert logged == [("3",)]


def test_a_killed_process_loses_no_answered_admin_write(mock_upstream, tmp_path, redis, database) -> None:
    a, b = gateways = pair(mock_upstream, tmp_path, redis, database)
    answered: list[str] = []

    def burst() -> None:
        for n in range(400):
            try:
                answered.append(admin(a, "POST", "/admin/keys", {"name": f"burst-{n}"})["id"])
            except (urllib.error.URLError, ConnectionError, OSError):
                return

    try:
        writer = threading.Thread(target=burst)
        writer.start()
        time.sleep(0.5)
        a.proc.send_signal(signal.SIGKILL)
        writer.join(timeout=30)
        assert 0 < len(answered) < 400, "the kill landed during the burst"
        # Keys are listed a page at a time; the burst made fewer than a page of 1,000.
        listed = {key["id"] for key in admin(b, "GET", "/admin/keys?limit=1000")["data"]}
        assert set(answered) <= listed, f"{len(set(answered) - listed)} answered writes were lost"
    finally:
        stop_all(gateways)
