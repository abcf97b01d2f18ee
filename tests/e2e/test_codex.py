"""Codex itself (`codex exec`, from tests/agents) against Switchyard's Responses API,
offline: its only provider is the gateway on loopback, every other request it could
make is switched off in its config or goes to a dead proxy on loopback, and the
gateway's upstreams are the mock.

Codex runs on an OpenAI-platform model by pass-through (the mock Responses API) and on
an Anthropic-platform model by translation (the mock Messages API): a plain answer,
and a round trip through its own `exec_command` tool, which it runs in a read-only
sandbox and whose output the model then quotes."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO, Model, Process, Upstream, clean_env, start_gateway
from servers import rows

CODEX = REPO / "tests" / "agents" / "node_modules" / ".bin" / "codex"
# Nothing listens here: a request that tries to leave the machine fails at once.
DEAD_PROXY = "http://127.0.0.1:9"

# A provider named after the gateway; everything that could reach another host is off.
CONFIG = """\
model_provider = "switchyard"
model = "{model}"
check_for_update_on_startup = false
web_search = "disabled"

[model_providers.switchyard]
name = "Switchyard"
base_url = "{url}/v1"
wire_api = "responses"
env_key = "SWITCHYARD_API_KEY"
stream_max_retries = 0
request_max_retries = 0
stream_idle_timeout_ms = 30000

[features]
plugins = false

[analytics]
enabled = false

[feedback]
enabled = false

[otel]
exporter = "none"
metrics_exporter = "none"
trace_exporter = "none"

[history]
persistence = "none"
"""

MODELS = (
    Model("codex-native", "mock-agent"),
    Model("codex-native-echo", "mock-echo"),
    Model("codex-claude", "claude-agent", "anthropic"),
    Model("codex-claude-echo", "claude-echo", "anthropic"),
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("codex-gateway")


@pytest.fixture(scope="module")
def gateway(mock_upstream: Process, workdir: Path):
    models = "".join(model.toml(mock_upstream.url) for model in MODELS)
    proc = start_gateway(workdir, models)
    yield proc
    proc.stop()


def codex(gateway: Process, tmp: Path, model: str, prompt: str) -> str:
    """Runs `codex exec` once and returns its last message."""
    home = tmp / "home"
    (home / ".codex").mkdir(parents=True)
    (home / ".codex" / "config.toml").write_text(CONFIG.format(model=model, url=gateway.url))
    workspace = tmp / "workspace"
    workspace.mkdir()
    (workspace / "NOTES.md").write_text("# notes\n")
    last = tmp / "last.txt"
    env = {
        key: value for key, value in clean_env().items() if not key.lower().endswith("_proxy")
    } | {
        "HOME": str(home),
        "CODEX_HOME": str(home / ".codex"),
        "SWITCHYARD_API_KEY": "sk-client-test",
        "HTTP_PROXY": DEAD_PROXY,
        "HTTPS_PROXY": DEAD_PROXY,
        "ALL_PROXY": DEAD_PROXY,
        "http_proxy": DEAD_PROXY,
        "https_proxy": DEAD_PROXY,
        "all_proxy": DEAD_PROXY,
        # Without it Codex sends even loopback requests through the proxy.
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    run = subprocess.run(
        [
            str(CODEX), "exec", "--skip-git-repo-check", "--sandbox", "read-only", "--ephemeral",
            "--output-last-message", str(last), prompt,
        ],
        cwd=workspace,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, f"stdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    return last.read_text().strip()


@pytest.mark.parametrize("model", ["codex-native-echo", "codex-claude-echo"])
def test_codex_answers_through_the_gateway(gateway: Process, tmp_path: Path, model: str) -> None:
    answer = codex(gateway, tmp_path, model, "Say hello")
    # Codex sends its environment as a user message before the prompt; a platform that
    # merges consecutive user turns (Anthropic) echoes both.
    assert answer.startswith("echo: ") and answer.endswith("Say hello"), answer


@pytest.mark.parametrize("model", ["codex-native", "codex-claude"])
def test_codex_runs_its_tool_and_the_model_reads_the_output(
    gateway: Process, upstream: Upstream, tmp_path: Path, model: str
) -> None:
    answer = codex(gateway, tmp_path, model, "What files are here?")
    assert answer.startswith("The tool returned:"), answer
    assert "NOTES.md" in answer, "the model quotes what Codex's `ls` printed"
    requests = [r for r in upstream.requests() if r["method"] == "POST"]
    assert len(requests) == 2, [r["path"] for r in requests]
    assert "NOTES.md" in requests[1]["raw"], "the tool's output went back upstream"


def test_codex_sessions_are_on_the_request_log(gateway: Process, workdir: Path, tmp_path: Path) -> None:
    codex(gateway, tmp_path, "codex-claude-echo", "Remember this session")
    for _ in range(50):
        sessions = rows(
            gateway.database_url,
            "SELECT session_id FROM request_log WHERE endpoint = '/v1/responses' AND session_id IS NOT NULL",
        )
        if sessions:
            break
        time.sleep(0.1)  # the request log is written in batches
    assert sessions and all(len(session) >= 16 for (session,) in sessions), sessions
