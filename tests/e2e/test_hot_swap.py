"""A hot swap serves the new version from the baseline compiler (Winch) while Cranelift
compiles in the background, then moves to the optimized code; requests keep being
answered throughout. Both compile in child processes, so the gateway's memory stays
where it was. Read from the gateway's own log, /health and /proc, never from timings."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

from conftest import REPO, Process, binary, clean_env
from test_first_minutes import chat, echo_model, free_port, write_config

GUESTS = Path(os.environ.get("SWITCHYARD_GUEST_TARGET_DIR", REPO / "target" / "wasm-guests"))
OPENAI_WASM = GUESTS / "wasm32-wasip2" / "release" / "plugin_openai.wasm"


def leb128(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def tagged(wasm: bytes, tag: str) -> bytes:
    """The component with a custom section appended: the same code, a new digest (so
    neither the registry nor the compile cache has seen it)."""
    name = b"switchyard-test-tag"
    body = leb128(len(name)) + name + tag.encode()
    return wasm + b"\x00" + leb128(len(body)) + body


def resident_mib(gateway: Process) -> float:
    for line in Path(f"/proc/{gateway.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def openai_status(gateway: Process) -> dict:
    with urllib.request.urlopen(f"{gateway.url}/health", timeout=10) as resp:
        return next(a for a in json.load(resp)["adapters"] if a["name"] == "openai")


def test_a_swapped_file_serves_at_once_then_runs_optimized_code(mock_upstream: Process, tmp_path: Path) -> None:
    config = write_config(tmp_path, free_port(), echo_model(mock_upstream.url), tmp_path / "cache")
    gateway = Process(
        [str(binary("switchyard")), "--config", str(config)],
        "switchyard listening on ",
        tmp_path / "gateway.log",
        clean_env() | {"RUST_LOG": "switchyard::plugins=info,warn"},
    )
    try:
        # A first start (the cache is empty) serves baseline code until its own
        # optimized build lands: wait for it, so the swap below starts from optimized.
        deadline = time.monotonic() + 300
        while openai_status(gateway)["tier"] != "optimized":
            assert time.monotonic() < deadline, openai_status(gateway)
            time.sleep(0.1)
        assert chat(gateway.url, "first-echo")[0] == 200
        before = resident_mib(gateway)
        staged = tmp_path / "plugins" / ".openai.wasm.part"
        staged.write_bytes(tagged(OPENAI_WASM.read_bytes(), str(time.time())))
        staged.rename(tmp_path / "plugins" / "openai.wasm")

        answered = []
        deadline = time.monotonic() + 90
        while (status := openai_status(gateway))["source"] != "file" or status["tier"] != "optimized":
            assert time.monotonic() < deadline, status
            answered.append(chat(gateway.url, "first-echo")[0])
        assert answered and set(answered) == {200}, answered

        log = gateway.tail()  # the log: only the plugin runtime speaks at info
        baseline = log.find('component loaded from file component=openai')
        optimized = log.find("optimized code now serving component=openai")
        assert baseline >= 0 and 'tier="baseline"' in log[baseline:optimized], log
        assert optimized > baseline, "the optimized code replaced the baseline build"
        assert chat(gateway.url, "first-echo")[0] == 200
        # Both compilers ran in children: compiled here, Winch and Cranelift left the
        # gateway about 28 MiB larger; the new version itself costs 1-2 MiB.
        children = "component compiled into the cache by a child process"
        assert gateway.log.read_text(errors="replace").count(children) == 2, gateway.tail()
        grown = resident_mib(gateway) - before
        assert grown < 12, f"the gateway grew by {grown:.1f} MiB across one swap"
        # Only the optimized code stays in the cache, for the next start.
        assert not list((tmp_path / "cache").glob("*.baseline.cwasm"))

        # A rollback to bytes seen before (the built-in's) loads their optimized code
        # from the cache at once: no baseline step, no child.
        staged.write_bytes(OPENAI_WASM.read_bytes())
        staged.rename(tmp_path / "plugins" / "openai.wasm")
        deadline = time.monotonic() + 60
        while (log := gateway.log.read_text(errors="replace")).count("component loaded from file component=openai") < 2:
            assert time.monotonic() < deadline, gateway.tail()
            time.sleep(0.05)
        rollback = log[log.rfind("component loaded from file component=openai") :]
        assert 'tier="optimized"' in rollback.splitlines()[0], rollback
        assert openai_status(gateway)["tier"] == "optimized"
        assert log.count(children) == 2, rollback
        assert chat(gateway.url, "first-echo")[0] == 200
    finally:
        gateway.stop()
