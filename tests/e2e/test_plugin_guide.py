"""The plugin guide's quick start (docs/plugin-guide.md), run as written.

Every `sh` and `python` block of the "Quick start" section runs in order in one shell,
in a fresh folder, with the real `switchyard` binary on PATH: `plugin new`, `cargo
test`, `build.sh`, `plugin check`, a gateway on its default settings (client keys
required), `keys create`, curl and the official `openai` client with a tool, then a
rebuild the running gateway swaps in. The one block that says where the platform is
gets the mock platform's address instead; nothing else is changed, so a step that
stops working in the guide fails here.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

from conftest import MOCK_KEY, REPO, Process, binary, clean_env

GUIDE = REPO / "docs" / "plugin-guide.md"
PLATFORM_BLOCK = "export PLATFORM_URL="


def quick_start_blocks() -> list[tuple[str, str]]:
    """The (language, code) of each fenced block of the quick start, in order."""
    text = GUIDE.read_text()
    start = text.index("## Quick start")
    end = text.index("\n## ", start + 1)
    return re.findall(r"```(sh|python)\n(.*?)```", text[start:end], flags=re.S)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def script(mock_url: str, port: int) -> str:
    lines = ["set -euo pipefail"]
    platform_blocks = 0
    for language, code in quick_start_blocks():
        if code.startswith(PLATFORM_BLOCK):
            platform_blocks += 1
            code = (
                f"export PLATFORM_URL={mock_url}/v1\n"
                "export PLATFORM_MODEL=mock-tools\n"
                f"export ACME_API_KEY={MOCK_KEY}\n"
                f"export PORT={port}\n"
            )
        if language == "python":
            code = f"python3 - <<'PYTHON'\n{code}PYTHON\n"
        lines.append(code)
    assert platform_blocks == 1, "the guide's platform block moved: update this test"
    return "\n".join(lines)


def test_the_quick_start_runs_as_written(mock_upstream: Process, tmp_path: Path) -> None:
    env = clean_env()
    # Under `cargo llvm-cov` a compiler wrapper instruments the workspace's crates, the
    # kit among them, which cannot be built for wasm32 that way: the adapter is built as
    # an author would build it. (The gateway still writes its coverage profile.)
    for name in list(env):
        if name == "RUSTC_WRAPPER" or name.startswith("__CARGO_LLVM_COV"):
            del env[name]
    tools = os.pathsep.join([str(binary("switchyard").parent), str(Path(sys.executable).parent)])
    env["PATH"] = f"{tools}{os.pathsep}{env['PATH']}"
    # The examples' target dir: the kit's dependencies are compiled there already.
    env["CARGO_TARGET_DIR"] = str(REPO / "target" / "examples")
    env["RUST_LOG"] = "warn"
    port = free_port()
    proc = subprocess.Popen(
        ["bash", "-c", script(mock_upstream.url, port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=300)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    log = tmp_path / "acme-dev" / "gateway.log"
    context = output + (f"\n--- gateway.log ---\n{log.read_text()}" if log.exists() else "")
    assert proc.returncode == 0, context

    assert "9 passed, 0 failed" in output, "plugin check passes the template's fixtures\n" + context
    assert '"name":"acme","version":"0.1.0"' in output, "the new adapter is on /health\n" + context
    assert '"object":"chat.completion"' in output, "the plain call answers with the key\n" + context
    assert "data: [DONE]" in output, "the streamed call ends properly\n" + context
    assert "tool_calls get_current_weather {'location':" in output, "the SDK sees the tool call\n" + context
    assert "{0: ('get_current_weather', {'city': 'Edinburgh'" in output, (
        "the streamed tool calls are joined by index\n" + context
    )
    assert "1: ('get_stock_price', {'ticker': 'AAPL'" in output, context
    assert "invalid_api_key" not in output and "missing_api_key" not in output, context
