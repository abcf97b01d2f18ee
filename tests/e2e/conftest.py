"""Starts the mock upstream and the real `switchyard` binary for the Python tests.

Both binaries are built beforehand (`tests/run_tests.sh` runs
`cargo build -p switchyard -p e2e --bins`); they are found in `$CARGO_TARGET_DIR/debug`
or `<repo>/target/debug`.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import openai
import pytest

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 60.0
MOCK_KEY = "sk-mock-upstream"

# Public model name -> the mock upstream's behaviour (see tests/src/mock_upstream/chat.rs).
MODELS = {
    "gpt-test": "mock-echo",
    "gpt-tools": "mock-tools",
    "gpt-400": "mock-400",
    "gpt-404": "mock-404",
    "text-embed": "mock-embed",
}

# Variables the gateway reads on top of its config file; a developer's shell may set
# them (HOST in particular), and they would silently change what is tested.
GATEWAY_ENV_OVERRIDES = (
    "HOST",
    "PORT",
    "LOG_LEVEL",
    "DATABASE_URL",
    "TYPE",
    "API_KEY",
    "BASE_URL",
    "ACTUAL_NAME",
    "MODEL_NAME",
    "ADMIN_KEY",
    "ENABLE_CLIENT_AUTH",
    "ALLOW_ANONYMOUS_ACCESS",
)


def binary(name: str) -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    if not target.is_absolute():
        target = REPO / target
    path = target / "debug" / name
    if not path.is_file():
        pytest.exit(
            f"{path} is missing: build it first with `cargo build -p switchyard -p e2e --bins`",
            returncode=2,
        )
    return path


class Process:
    """A child process whose first stdout line announces the URL it listens on."""

    def __init__(self, args: list[str], prefix: str, log: Path, env: dict[str, str]):
        self.log_file = open(log, "wb")
        self.log = log
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log_file,
            env=env,
            cwd=log.parent,
        )
        # Lines printed before the ready line (the first start prints a client key).
        self.early_lines: list[str] = []
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._drain, args=(lines,), daemon=True).start()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise RuntimeError(f"{args[0]} printed no ready line in {READY_TIMEOUT_S}s; log: {self.tail()}")
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{args[0]} exited with {self.proc.returncode}; log: {self.tail()}")
                continue
            if line.startswith(prefix):
                self.url = line[len(prefix):].strip()
                return
            self.early_lines.append(line)

    def _drain(self, lines: queue.Queue[str]) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            lines.put(raw.decode("utf-8", "replace"))

    def tail(self) -> str:
        self.log_file.flush()
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHYARD_") and k not in GATEWAY_ENV_OVERRIDES}
    env.setdefault("RUST_LOG", "warn")
    return env


NO_AUTH = "[auth]\nenable_client_auth = false\n"

# Compiled adapters shared by the test gateways (keyed by content and engine settings,
# so sharing is safe): each start then loads machine code instead of compiling.
SHARED_ADAPTER_CACHE = Path(os.environ.get("TMPDIR", "/tmp")) / "switchyard-e2e-adapter-cache"


def start_gateway(workdir: Path, models_toml: str, settings_toml: str = NO_AUTH) -> Process:
    """Writes a gateway config serving `models_toml` ([[models]] tables) under
    `workdir`, with its own plugin folder and database, and starts the binary.
    `settings_toml` adds sections; by default client keys are not required."""
    (workdir / "plugins").mkdir(exist_ok=True)
    (workdir / "data").mkdir(exist_ok=True)
    config = workdir / "config.toml"
    config.write_text(
        f"""[server]
host = "127.0.0.1"
port = 0
log_level = "warn"

[storage]
database_url = "sqlite://{workdir / 'data' / 'switchyard.db'}"

{settings_toml}
[plugins]
dir = "{workdir / 'plugins'}"
cache_dir = "{SHARED_ADAPTER_CACHE}"
{models_toml}"""
    )
    return Process(
        [str(binary("switchyard")), "--config", str(config)],
        "switchyard listening on ",
        workdir / "switchyard.log",
        clean_env(),
    )


@pytest.fixture(scope="session")
def mock_upstream(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("mock")
    proc = Process([str(binary("mock-upstream"))], "mock-upstream listening on ", workdir / "mock.log", clean_env())
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def gateway(mock_upstream: Process, tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("gateway")
    models = "".join(
        f"""
[[models]]
name = "{name}"
adapter = "openai"
upstream_model = "{upstream}"
base_url = "{mock_upstream.url}/v1"
api_key = "{MOCK_KEY}"
"""
        for name, upstream in MODELS.items()
    )
    proc = start_gateway(workdir, models)
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def client(gateway: Process) -> openai.OpenAI:
    # No retries: a test must see the first answer, not a retried one.
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="sk-client-test", max_retries=0, timeout=30)


class Upstream:
    """What the mock upstream recorded."""

    def __init__(self, url: str):
        self.url = url

    def requests(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.url}/__mock/requests", timeout=10) as resp:
            return json.load(resp)

    def clear(self) -> None:
        req = urllib.request.Request(f"{self.url}/__mock/requests", method="DELETE")
        with urllib.request.urlopen(req, timeout=10):
            pass


@pytest.fixture()
def upstream(mock_upstream: Process) -> Upstream:
    recorded = Upstream(mock_upstream.url)
    recorded.clear()
    return recorded
