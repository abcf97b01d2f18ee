"""Client keys and the request log with the real binary: the first start's default
key, the `switchyard keys` commands against a running gateway, and a SIGTERM under
load that loses no log row of an answered request."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import openai
import pytest

from conftest import MOCK_KEY, Process, binary, clean_env, start_gateway

AUTH_ON = "[auth]\nenable_client_auth = true\n"


def models(mock_url: str) -> str:
    return f"""
[[models]]
name = "gpt-test"
adapter = "openai"
upstream_model = "mock-echo"
base_url = "{mock_url}/v1"
api_key = "{MOCK_KEY}"

[[models]]
name = "gpt-slow"
adapter = "openai"
upstream_model = "mock-slow"
base_url = "{mock_url}/v1"
api_key = "{MOCK_KEY}"
"""


def chat(url: str, key: str, model: str = "gpt-test") -> str:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=30)
    answer = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    return answer.choices[0].message.content or ""


def refused(url: str, key: str) -> None:
    """Raises unless the gateway answers 401 to `key`."""
    try:
        chat(url, key)
    except openai.AuthenticationError:
        return
    raise AssertionError("the key is still accepted")


def keys_cli(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary("switchyard")), "--config", str(workdir / "config.toml"), "keys", *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=workdir,
        timeout=60,
    )


def eventually(check, timeout: float = 5.0):
    """Retries `check` until it stops raising (key changes from another process are
    picked up within a second)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_first_start_prints_one_default_key_that_the_openai_client_can_use(mock_upstream: Process, tmp_path: Path):
    gateway = start_gateway(tmp_path, models(mock_upstream.url), AUTH_ON)
    try:
        printed = "".join(gateway.early_lines)
        secrets = [word for word in printed.split() if word.startswith("sy-")]
        assert len(secrets) == 1, printed
        assert chat(gateway.url, secrets[0]) == "echo: hi"
        with pytest.raises(openai.AuthenticationError):
            chat(gateway.url, "sy-wrong")
    finally:
        gateway.stop()
    again = start_gateway(tmp_path, models(mock_upstream.url), AUTH_ON)
    try:
        assert not any("sy-" in line for line in again.early_lines), "the key is printed only once"
        assert chat(again.url, secrets[0]) == "echo: hi", "the key survives a restart"
    finally:
        again.stop()


def test_the_keys_command_manages_keys_of_a_running_gateway(mock_upstream: Process, tmp_path: Path):
    gateway = start_gateway(tmp_path, models(mock_upstream.url), AUTH_ON)
    try:
        created = keys_cli(tmp_path, "create", "--name", "from-cli", "--models", "gpt-test", "--rpm", "60", "--json")
        assert created.returncode == 0, created.stderr
        key = json.loads(created.stdout)
        assert key["name"] == "from-cli" and key["models"] == ["gpt-test"]
        assert key["limits"]["requests_per_minute"] == 60
        secret = key["secret"]
        assert eventually(lambda: chat(gateway.url, secret)) == "echo: hi"
        with pytest.raises(openai.PermissionDeniedError):
            chat(gateway.url, secret, "gpt-slow")

        listed = keys_cli(tmp_path, "list")
        assert listed.returncode == 0, listed.stderr
        assert key["id"] in listed.stdout and secret not in listed.stdout

        rotated = keys_cli(tmp_path, "rotate", key["id"], "--json")
        assert rotated.returncode == 0, rotated.stderr
        new_secret = json.loads(rotated.stdout)["secret"]

        eventually(lambda: refused(gateway.url, secret))
        assert chat(gateway.url, new_secret) == "echo: hi"

        revoked = keys_cli(tmp_path, "revoke", key["id"])
        assert revoked.returncode == 0, revoked.stderr

        eventually(lambda: refused(gateway.url, new_secret))
        missing = keys_cli(tmp_path, "revoke", "key_nope")
        assert missing.returncode != 0 and "key_nope" in missing.stderr
        bad_model = keys_cli(tmp_path, "create", "--name", "x", "--models", "gpt-none")
        assert bad_model.returncode != 0 and "gpt-none" in bad_model.stderr
    finally:
        gateway.stop()


def test_sigterm_under_load_loses_no_log_row_of_an_answered_request(mock_upstream: Process, tmp_path: Path):
    gateway = start_gateway(tmp_path, models(mock_upstream.url))
    answered: list[str] = []
    failed: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(model: str) -> None:
        client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="sk-any", max_retries=0, timeout=10)
        while not stop.is_set():
            try:
                client.chat.completions.create(model=model, messages=[{"role": "user", "content": "x"}])
                with lock:
                    answered.append(model)
            except Exception as err:  # refused once the gateway stops listening
                with lock:
                    failed.append(type(err).__name__)
                return

    threads = [threading.Thread(target=worker, args=("gpt-slow" if i % 2 else "gpt-test",)) for i in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    gateway.proc.terminate()
    assert gateway.proc.wait(timeout=20) == 0
    stop.set()
    for thread in threads:
        thread.join(timeout=20)
    gateway.stop()

    assert len(answered) > 8, f"load was running: {len(answered)} answered"
    db = sqlite3.connect(tmp_path / "data" / "switchyard.db")
    logged_ok = db.execute("SELECT COUNT(*) FROM request_log WHERE status = 200").fetchone()[0]
    slow_ok = db.execute("SELECT COUNT(*) FROM request_log WHERE status = 200 AND model = 'gpt-slow'").fetchone()[0]
    db.close()
    assert logged_ok == len(answered), f"{logged_ok} rows for {len(answered)} answers ({failed})"
    assert slow_ok == answered.count("gpt-slow")
