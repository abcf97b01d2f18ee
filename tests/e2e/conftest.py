"""Starts the mock upstream and the real `switchyard` binary for the Python tests.

Both binaries are built beforehand (`tests/run_tests.sh` runs
`cargo build --workspace --bins --tests`); they are found in `$CARGO_TARGET_DIR/debug`
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
from dataclasses import dataclass, field
from pathlib import Path

import openai
import pytest

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 60.0
MOCK_KEY = "sk-mock-upstream"


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
        # A gateway's database (set by `start_gateway`), for tests that check what it stored.
        self.database_url = ""
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


def start_gateway(
    workdir: Path,
    models_toml: str,
    settings_toml: str = NO_AUTH,
    database_url: str | None = None,
    storage_toml: str = "",
) -> Process:
    """Writes a gateway config serving `models_toml` ([[models]] tables) under
    `workdir`, with its own plugin folder and database, and starts the binary.
    `settings_toml` adds sections; by default client keys are not required.
    `database_url` names a database to share with other gateways; `storage_toml` adds
    `[storage]` settings (`redis_url`, ...)."""
    (workdir / "plugins").mkdir(exist_ok=True)
    (workdir / "data").mkdir(exist_ok=True)
    default_database = f"sqlite://{workdir / 'data' / 'switchyard.db'}"
    if database_url is None and os.environ.get("SWITCHYARD_TEST_DATABASE") == "postgres":
        # The Postgres run of the matrix: every gateway on a fresh Postgres database.
        from servers import postgres

        database_url = postgres().new_database()
    config = workdir / "config.toml"
    config.write_text(
        f"""[server]
host = "127.0.0.1"
port = 0
log_level = "warn"

[storage]
database_url = "{database_url or default_database}"
{storage_toml}

{settings_toml}
[plugins]
dir = "{workdir / 'plugins'}"
cache_dir = "{SHARED_ADAPTER_CACHE}"
# Shared: each gateway waits for the optimized code, so the first fills the cache.
serve_baseline_at_start = false
{models_toml}"""
    )
    process = Process(
        [str(binary("switchyard")), "--config", str(config)],
        "switchyard listening on ",
        workdir / "switchyard.log",
        clean_env(),
    )
    process.database_url = database_url or default_database
    return process


@pytest.fixture(scope="session")
def mock_upstream(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("mock")
    proc = Process([str(binary("mock-upstream"))], "mock-upstream listening on ", workdir / "mock.log", clean_env())
    yield proc
    proc.stop()


@dataclass(frozen=True)
class Model:
    """One `[[models]]` table served from the mock upstream: the public name, the
    upstream model that picks the mock's behaviour (see tests/src/mock_upstream), and
    the adapter."""

    name: str
    upstream: str
    adapter: str = "openai"
    api_key: str = MOCK_KEY
    options: dict[str, str] = field(default_factory=dict)

    def toml(self, mock_url: str) -> str:
        # The OpenAI adapter's base URL includes the API version; the others' is the host.
        base_url = f"{mock_url}/v1" if self.adapter == "openai" else mock_url
        options = ", ".join(f'"{k}" = "{v}"' for k, v in self.options.items())
        return f"""
[[models]]
name = "{self.name}"
adapter = "{self.adapter}"
upstream_model = "{self.upstream}"
base_url = "{base_url}"
api_key = "{self.api_key}"
""" + (f"options = {{ {options} }}\n" if options else "")


def openai_client(gateway: Process) -> openai.OpenAI:
    """The official client for a gateway; no retries, so a test sees the first answer."""
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="sk-client-test", max_retries=0, timeout=30)


@pytest.fixture(scope="session")
def gateway_for(mock_upstream: Process, tmp_path_factory: pytest.TempPathFactory):
    """A factory: `gateway_for(Model(...), ...)` is a gateway serving those models from
    the mock upstream, started on first use and shared by every later call with the
    same models; all are stopped at the end of the session."""
    started: dict[str, Process] = {}

    def start(*models: Model) -> Process:
        toml = "".join(model.toml(mock_upstream.url) for model in models)
        if toml not in started:
            workdir = tmp_path_factory.mktemp(f"gateway-{models[0].adapter}")
            started[toml] = start_gateway(workdir, toml)
        return started[toml]

    yield start
    for proc in started.values():
        proc.stop()


# The OpenAI models most tests use (see tests/src/mock_upstream/chat.rs).
OPENAI_MODELS = (
    Model("gpt-test", "mock-echo"),
    Model("gpt-tools", "mock-tools"),
    Model("gpt-400", "mock-400"),
    Model("gpt-404", "mock-404"),
    Model("text-embed", "mock-embed"),
)


@pytest.fixture(scope="session")
def gateway(gateway_for) -> Process:
    return gateway_for(*OPENAI_MODELS)


@pytest.fixture(scope="session")
def client(gateway: Process) -> openai.OpenAI:
    return openai_client(gateway)


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
