"""Claude Code itself (`claude -p`, from tests/agents) against Switchyard's Messages
API, offline: every request it makes goes to the gateway on loopback or to a dead
proxy on loopback, and the gateway's upstreams are the mock.

Claude Code runs on a Claude model by pass-through (the mock Messages API) and on an
OpenAI-platform model by translation (the mock chat API), where the model calls
Claude Code's own `Glob` tool and answers with what the tool found."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, Model, Process, Upstream, clean_env

CLAUDE = REPO / "tests" / "agents" / "node_modules" / ".bin" / "claude"
# Nothing listens here: a request that tries to leave the machine fails at once.
DEAD_PROXY = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def gateway(gateway_for) -> Process:
    return gateway_for(
        Model("claude-sonnet-4-5", "claude-echo", "anthropic"),
        Model("agent", "mock-agent"),
    )


def claude(gateway: Process, workdir: Path, model: str, prompt: str) -> dict:
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    env = clean_env() | {
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": gateway.url,
        "ANTHROPIC_API_KEY": "sk-client-test",
        "ANTHROPIC_MODEL": model,
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": model,
        "ANTHROPIC_DEFAULT_SONNET_MODEL": model,
        "ANTHROPIC_DEFAULT_OPUS_MODEL": model,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "HTTP_PROXY": DEAD_PROXY,
        "HTTPS_PROXY": DEAD_PROXY,
        "NO_PROXY": "127.0.0.1,localhost",
    }
    run = subprocess.run(
        [str(CLAUDE), "-p", prompt, "--output-format", "json", "--allowedTools", "Glob"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, f"stdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    return json.loads(run.stdout)


def test_a_plain_answer_on_a_claude_model(gateway: Process, upstream: Upstream, tmp_path: Path) -> None:
    result = claude(gateway, tmp_path, "claude-sonnet-4-5", "Say hello")
    assert result["is_error"] is False, result
    assert result["result"].startswith("echo: "), result
    assert "Say hello" in result["result"], result
    sent = [r for r in upstream.requests() if r["path"] == "/v1/messages"]
    assert sent and all(r["body"]["model"] == "claude-echo" for r in sent)
    assert all(r["body"].get("stream") is True for r in sent), "Claude Code streams"


def test_a_tool_round_trip_on_an_openai_model(gateway: Process, upstream: Upstream, tmp_path: Path) -> None:
    (tmp_path / "NOTES-7f3a.md").write_text("notes\n")
    result = claude(gateway, tmp_path, "agent", "Which markdown files are here?")
    assert result["is_error"] is False, result
    assert "NOTES-7f3a.md" in result["result"], result
    chats = [r for r in upstream.requests() if r["path"] == "/v1/chat/completions"]
    assert any(m["role"] == "tool" for r in chats for m in r["body"]["messages"]), "the tool result went back"
