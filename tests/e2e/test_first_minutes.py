"""The first minutes with the real binary: /health tells the truth while adapters load,
metrics count from process start, models that cannot work are not offered, a first
start serves from baseline code while the optimized code compiles, and a restart loads
the optimized code from the cache instead of compiling it again."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import openai
import pytest

from conftest import MOCK_KEY, Process, binary, clean_env, start_gateway


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def chat(url: str, model: str) -> tuple[int, dict]:
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]}).encode()
    req = urllib.request.Request(
        f"{url}/v1/chat/completions", data=body, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def messages(url: str, model: str) -> int:
    """The status of an Anthropic Messages call (the `messages` dialect translates it)."""
    body = json.dumps({"model": model, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}).encode()
    req = urllib.request.Request(
        f"{url}/v1/messages",
        data=body,
        headers={"content-type": "application/json", "anthropic-version": "2023-06-01"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert json.load(resp)["type"] == "message"
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def write_config(workdir: Path, port: int, models: str, cache: Path) -> Path:
    (workdir / "plugins").mkdir(exist_ok=True)
    config = workdir / "config.toml"
    config.write_text(
        f"""[server]
host = "127.0.0.1"
port = {port}
log_level = "warn"

[storage]
database_url = "sqlite://{workdir / 'data' / 'switchyard.db'}"

[auth]
enable_client_auth = false

[plugins]
dir = "{workdir / 'plugins'}"
cache_dir = "{cache}"
{models}"""
    )
    return config


def echo_model(mock_url: str) -> str:
    return f"""
[[models]]
name = "first-echo"
adapter = "openai"
upstream_model = "mock-echo"
base_url = "{mock_url}/v1"
api_key = "{MOCK_KEY}"
"""


def test_health_is_503_while_loading_and_the_first_200_means_models_answer(
    mock_upstream: Process, tmp_path: Path
):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # A cache of its own, empty: this start compiles (baseline code first), so there is
    # a loading phase to see.
    config = write_config(tmp_path, port, echo_model(mock_upstream.url), tmp_path / "cold-cache")
    log = open(tmp_path / "gateway.log", "wb")
    proc = subprocess.Popen(
        [str(binary("switchyard")), "--config", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
        env=clean_env(),
        cwd=tmp_path,
    )
    try:
        statuses: list[int] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, body = get(f"{url}/health")
            except OSError:
                time.sleep(0.01)  # not listening yet
                continue
            statuses.append(status)
            if status == 200:
                # The very first 200 is a promise: a model call now succeeds.
                code, answer = chat(url, "first-echo")
                assert code == 200, f"a model call right after /health said 200 failed: {code} {answer}"
                assert answer["choices"][0]["message"]["content"] == "echo: hi"
                break
            assert status == 503, f"/health answers 503 or 200, not {status}"
            assert json.loads(body)["status"] == "loading", body
            # While loading, a model call is a clear 503, never a 200 with nothing.
            code, answer = chat(url, "first-echo")
            assert code in (200, 503), (code, answer)
            time.sleep(0.02)
        assert statuses and statuses[-1] == 200, f"/health never became 200: {statuses[-5:]}"
        assert 503 in statuses, "a cold start compiles adapters: /health must have said 503 first"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_the_first_scrape_counts_every_request_since_start(mock_upstream: Process, tmp_path: Path):
    gateway = start_gateway(tmp_path, echo_model(mock_upstream.url))
    try:
        client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="unused", max_retries=0)
        for i in range(10):
            client.chat.completions.create(model="first-echo", messages=[{"role": "user", "content": str(i)}])
        status, text = get(f"{gateway.url}/metrics")
        assert status == 200
        counted = sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.decode().splitlines()
            if line.startswith("switchyard_requests_total{")
            and 'model="first-echo"' in line
            and 'status="200"' in line
        )
        assert counted == 10, f"the first scrape must show all ten requests, shows {counted}"
    finally:
        gateway.stop()


def test_a_model_without_its_key_is_not_offered_and_says_which_variable(
    mock_upstream: Process, tmp_path: Path
):
    variable = "SWITCHYARD_TEST_KEY_NOBODY_SETS"
    models = echo_model(mock_upstream.url) + f"""
[[models]]
name = "keyless"
adapter = "openai"
upstream_model = "mock-echo"
base_url = "{mock_upstream.url}/v1"
api_key_env = "{variable}"
"""
    gateway = start_gateway(tmp_path, models)
    try:
        client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="unused", max_retries=0)
        listed = [m.id for m in client.models.list()]
        assert listed == ["first-echo"], f"only a model that can work is listed: {listed}"
        with pytest.raises(openai.APIStatusError) as caught:
            client.chat.completions.create(model="keyless", messages=[{"role": "user", "content": "hi"}])
        assert caught.value.status_code == 503
        error = caught.value.body
        assert error["code"] == "model_not_configured", error
        assert variable in error["message"], error
        assert gateway.proc.poll() is None
        assert "no model can be served" not in gateway.tail(), "one model can be served"
    finally:
        gateway.stop()


def tiers(url: str) -> dict[str, str]:
    """Each built-in component's compiler tier, as /health shows it."""
    status, body = get(f"{url}/health")
    assert status == 200, body
    health = json.loads(body)
    return {c["name"]: c["tier"] for c in health["adapters"] + health["dialects"] if c["source"] == "builtin"}


def test_a_first_start_serves_at_once_and_a_restart_loads_optimized_code_from_the_cache(
    mock_upstream: Process, tmp_path: Path
):
    cache = tmp_path / "cache"
    timings = []
    logs = []
    for start in ("first", "restart"):
        port = free_port()
        config = write_config(tmp_path, port, echo_model(mock_upstream.url), cache)
        started = time.monotonic()
        proc = Process(
            [str(binary("switchyard")), "--config", str(config)],
            "switchyard listening on ",
            tmp_path / "gateway.log",
            {**clean_env(), "RUST_LOG": "info"},
        )
        timings.append(time.monotonic() - started)
        try:
            first_tiers = tiers(proc.url)
            code, answer = chat(proc.url, "first-echo")
            assert code == 200, answer
            assert messages(proc.url, "first-echo") == 200
            if start == "first":
                # Ready before any optimized code exists: baseline code serves while a
                # child process compiles (it takes seconds; /health answered at once).
                # Only what requests can reach waits for it: the one adapter the
                # models route to and the dialects. The other four adapters arrive
                # with the optimized code.
                assert first_tiers == {"openai": "baseline", "messages": "baseline", "responses": "baseline"}, first_tiers
                deadline = time.monotonic() + 300
                while len(now := tiers(proc.url)) < 7 or set(now.values()) != {"optimized"}:
                    assert time.monotonic() < deadline, now
                    assert chat(proc.url, "first-echo")[0] == 200
                    time.sleep(0.1)
            else:
                # Five adapters and the messages and responses dialects.
                assert len(first_tiers) == 7, first_tiers
                assert set(first_tiers.values()) == {"optimized"}, first_tiers
            assert chat(proc.url, "first-echo")[0] == 200
            assert messages(proc.url, "first-echo") == 200
        finally:
            proc.stop()
            logs.append(proc.log.read_text(errors="replace"))
    # The first start had a child process compile (so the compiler's memory left with
    # it) and then moved to its code; the restart found everything in the cache and
    # started none.
    child = "compiled into the cache by a child process"
    moved = "built-in components now run optimized code"
    assert child in logs[0] and moved in logs[0], logs[0][-2000:]
    assert child not in logs[1] and moved not in logs[1], logs[1][-2000:]
    entries = sorted(p.name for p in cache.iterdir())
    assert len(entries) == 7 and all(e.endswith(".cwasm") for e in entries), entries
    # Printed, not asserted: timings belong to benchmarks, not tests.
    print(f"start to ready: first {timings[0]:.3f} s, restart {timings[1]:.3f} s")


def test_a_gateway_told_to_wait_reports_ready_with_optimized_code(mock_upstream: Process, tmp_path: Path):
    config = write_config(tmp_path, free_port(), echo_model(mock_upstream.url), tmp_path / "cache")
    config.write_text(config.read_text().replace("[plugins]\n", "[plugins]\nserve_baseline_at_start = false\n"))
    proc = Process(
        [str(binary("switchyard")), "--config", str(config)],
        "switchyard listening on ",
        tmp_path / "gateway.log",
        clean_env(),
    )
    try:
        assert set(tiers(proc.url).values()) == {"optimized"}, tiers(proc.url)
        assert chat(proc.url, "first-echo")[0] == 200
    finally:
        proc.stop()
