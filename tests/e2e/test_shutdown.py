"""Graceful shutdown with the real binary: in-flight streams get
`routing.shutdown_grace_secs` to finish, and the process exits within that bound even
when an upstream never ends its stream."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import openai

from conftest import MOCK_KEY, NO_AUTH, Process, start_gateway


def test_sigterm_waits_for_in_flight_streams_only_as_long_as_the_grace_period(mock_upstream: Process, tmp_path: Path):
    models = f"""
[[models]]
name = "stall"
adapter = "openai"
upstream_model = "mock-stall-stream"
base_url = "{mock_upstream.url}/v1"
api_key = "{MOCK_KEY}"
"""
    settings = NO_AUTH + "[routing]\nshutdown_grace_secs = 1\n"
    gateway = start_gateway(tmp_path, models, settings)
    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="sk-any", max_retries=0, timeout=30)
    received: list[str] = []
    first_chunk = threading.Event()

    def read_stream() -> None:
        try:
            stream = client.chat.completions.create(
                model="stall", stream=True, messages=[{"role": "user", "content": "x"}]
            )
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    received.append(chunk.choices[0].delta.content)
                    first_chunk.set()
        except Exception:
            pass  # the connection is closed when the grace period ends

    reader = threading.Thread(target=read_stream)
    reader.start()
    assert first_chunk.wait(timeout=15), "the stream started"
    started = time.monotonic()
    gateway.proc.terminate()
    code = gateway.proc.wait(timeout=15)
    elapsed = time.monotonic() - started
    reader.join(timeout=15)
    gateway.stop()
    assert code == 0
    assert 0.9 <= elapsed < 6.0, f"exited {elapsed:.2f}s after SIGTERM with a 1 s grace period"
    assert received == ["Hi"]
