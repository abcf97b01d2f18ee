"""A new user's first minutes with the real binary: the seed's `.env` as its users
wrote it, a key from the CLI used at once, a too-large body posted with the standard
library's client, plain logs in a file, and workers starting together on a fresh
database."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import openai
import pytest

from conftest import MOCK_KEY, Process, binary, clean_env, start_gateway
from test_keys import AUTH_ON, chat, keys_cli, models

# The seed's `.env`. Only the upstream (the mock's URL, key and model) differs, and
# the port, picked free so that tests can run side by side.
SEED_ENV = """\
HOST=0.0.0.0
PORT=0
LOG_LEVEL=INFO
DATABASE_URL=sqlite+aiosqlite:///./data/proxy.db
ENABLE_CLIENT_AUTH=false
ALLOW_ANONYMOUS_ACCESS=true
TYPE=openai
API_KEY={api_key}
BASE_URL={base_url}
ACTUAL_NAME=mock-echo
MODEL_NAME=my-model
"""


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    """POSTs with urllib, as a script without dependencies would; (status, JSON)."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"content-type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


@pytest.fixture(scope="module")
def seed_gateway(mock_upstream: Process, tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("seed")
    (workdir / ".env").write_text(SEED_ENV.format(api_key=MOCK_KEY, base_url=f"{mock_upstream.url}/v1"))
    env = clean_env()
    del env["RUST_LOG"]  # LOG_LEVEL from the .env decides
    proc = Process([str(binary("switchyard"))], "switchyard listening on ", workdir / "switchyard.log", env)
    proc.url = proc.url.replace("0.0.0.0", "127.0.0.1")
    yield proc, workdir
    proc.stop()


def test_the_seed_env_gives_a_working_gateway_with_auth_off(seed_gateway):
    gateway, workdir = seed_gateway
    assert not any("sy-" in line for line in gateway.early_lines), "no key is made with auth off"
    body = json.dumps({"model": "my-model", "messages": [{"role": "user", "content": "hi"}]}).encode()
    status, answer = post(f"{gateway.url}/v1/chat/completions", body)
    assert status == 200, answer
    assert answer["choices"][0]["message"]["content"] == "echo: hi"
    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="anything", max_retries=0, timeout=30)
    assert "my-model" in [m.id for m in client.models.list()]
    assert (workdir / "data" / "proxy.db").is_file(), "the SQLAlchemy-style DATABASE_URL names ./data/proxy.db"


def test_logs_in_a_file_are_plain_text_at_the_seeds_level(seed_gateway):
    gateway, _ = seed_gateway
    log = gateway.tail()
    assert " INFO " in log, f"LOG_LEVEL=INFO gives info lines: {log}"
    assert "\x1b[" not in log, f"no colour codes when stderr is not a terminal: {log!r}"


@pytest.mark.parametrize("name,value", [("ENABLE_CLIENT_AUTH", "maybe"), ("PORT", "abc"), ("DATABASE_URL", "mysql://x/y")])
def test_a_value_that_cannot_be_parsed_stops_startup_naming_the_variable(tmp_path: Path, name: str, value: str):
    env = {**clean_env(), name: value}
    done = subprocess.run(
        [str(binary("switchyard"))], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    assert done.returncode != 0
    assert name in done.stderr, done.stderr


def test_a_key_made_by_the_cli_works_on_the_very_next_request(mock_upstream: Process, tmp_path: Path):
    gateway = start_gateway(tmp_path, models(mock_upstream.url), AUTH_ON)
    try:
        # Several in a row: one could be lucky and land after the ring's periodic refresh.
        for i in range(3):
            created = keys_cli(tmp_path, "create", "--name", f"cli-{i}", "--json")
            assert created.returncode == 0, created.stderr
            assert chat(gateway.url, json.loads(created.stdout)["secret"]) == "echo: hi"
    finally:
        gateway.stop()


@pytest.mark.parametrize("megabytes", [12, 40])
def test_a_too_large_body_gets_413_through_urllib(gateway: Process, megabytes: int):
    # 12 MB is the case; 40 MB is more than the kernel's socket buffers absorb
    # on loopback, where 12 MB alone can be lucky.
    content = b"x" * (megabytes * 1024 * 1024)
    body = b'{"model":"gpt-test","messages":[{"role":"user","content":"' + content + b'"}]}'
    status, answer = post(f"{gateway.url}/v1/chat/completions", body)
    assert status == 413, answer
    assert answer["error"]["code"] == "request_too_large"
    small = json.dumps({"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}).encode()
    assert post(f"{gateway.url}/v1/chat/completions", small)[0] == 200, "the gateway serves on"


def test_workers_starting_together_on_a_fresh_database_all_succeed(tmp_path: Path):
    workers = 8
    (tmp_path / "config.toml").write_text(
        f'[storage]\ndatabase_url = "sqlite://{tmp_path / "fresh" / "shared.db"}"\n'
    )
    command = [str(binary("switchyard")), "--config", str(tmp_path / "config.toml"), "keys"]
    procs = [
        subprocess.Popen(
            [*command, "create", "--name", f"worker-{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(),
            cwd=tmp_path,
        )
        for i in range(workers)
    ]
    failures = []
    for proc in procs:
        _, stderr = proc.communicate(timeout=60)
        if proc.returncode != 0:
            failures.append(stderr)
    assert not failures, failures
    listed = subprocess.run([*command, "list", "--json"], capture_output=True, text=True, env=clean_env(), cwd=tmp_path)
    assert len(json.loads(listed.stdout)) == workers, listed.stdout
