"""Operations, as an operator sees them: logs that never contain a secret, and a
/metrics page that a real Prometheus parser reads and whose counters move."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import MOCK_KEY, Process, binary, clean_env

# A planted secret: the upstream key of one model. The mock upstream rejects it and a
# second model's upstream echoes the key it was sent (`mock-echo-key`).
PLANTED = "sk-planted-0f1e2d3c4b5a69788796a5b4"


@pytest.fixture(scope="module")
def ops_gateway(mock_upstream: Process, tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("ops")
    (workdir / "plugins").mkdir()
    log_file = workdir / "logs" / "switchyard.log"
    config = workdir / "config.toml"
    config.write_text(
        f"""[server]
host = "127.0.0.1"
port = 0
# Everything at trace except the compiler, whose trace output is enormous.
log_level = "trace,cranelift_codegen=info,cranelift_frontend=info,cranelift_control=info,wasmtime_cranelift=info,wasmtime=info,regalloc2=info,wasmtime_environ=info"
log_format = "json"
log_file = "{log_file}"

[storage]
database_url = "sqlite://{workdir / 'switchyard.db'}"

[auth]
enable_client_auth = false

[plugins]
dir = "{workdir / 'plugins'}"

[[models]]
name = "ops-ok"
adapter = "openai"
upstream_model = "mock-echo"
base_url = "{mock_upstream.url}/v1"
api_key = "{MOCK_KEY}"

[[models]]
name = "ops-planted"
adapter = "openai"
upstream_model = "mock-echo"
base_url = "{mock_upstream.url}/v1"
api_key = "{PLANTED}"

[[models]]
name = "ops-echo-key"
adapter = "openai"
upstream_model = "mock-echo-key"
base_url = "{mock_upstream.url}/v1"
api_key = "{MOCK_KEY}"

[[models]]
name = "ops-unreachable"
adapter = "openai"
upstream_model = "x"
base_url = "http://127.0.0.1:9/v1?key={PLANTED}"
api_key = "{PLANTED}"
"""
    )
    env = clean_env()
    env.pop("RUST_LOG", None)  # the config's trace level applies
    proc = Process(
        [str(binary("switchyard")), "--config", str(config)],
        "switchyard listening on ",
        workdir / "stderr.log",
        env,
    )
    proc.log_path = log_file
    yield proc
    proc.stop()


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as err:
        err.read()
        return err.code


def test_a_planted_secret_reaches_no_log_line(ops_gateway: Process):
    client = openai.OpenAI(base_url=f"{ops_gateway.url}/v1", api_key=PLANTED, max_retries=0, timeout=30)
    failures = {
        "ops-planted": openai.AuthenticationError,  # upstream rejects the planted key
        "ops-echo-key": openai.AuthenticationError,  # upstream echoes the key it got
        "ops-unreachable": openai.InternalServerError,  # connection refused, key in the URL
        "no-such-model": openai.NotFoundError,
    }
    for model, error in failures.items():
        with pytest.raises(error) as raised:
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
        assert PLANTED not in str(raised.value), f"{model}: the client saw the secret"
    # Streams fail too, and credentials arrive in every header and query form.
    with pytest.raises(openai.APIStatusError):
        client.chat.completions.create(model="ops-planted", stream=True, messages=[{"role": "user", "content": "x"}])
    base = ops_gateway.url
    headers = {"content-type": "application/json", "x-api-key": PLANTED, "api-key": PLANTED, "x-request-id": "ops-trace-1"}
    assert post(f"{base}/v1/chat/completions?key={PLANTED}", b'{"model": ', headers) == 400
    assert post(f"{base}/v1/chat/completions?api_key={PLANTED}", b'{"model":"ops-ok","messages":[{"role":"user","content":"hi"}]}', headers) == 200

    time.sleep(0.5)  # the file writer flushes off the request path
    stderr = Path(ops_gateway.log).read_text(errors="replace")
    files = list(Path(ops_gateway.log_path).parent.glob("switchyard.log*"))
    assert files, "a log file was written"
    file_text = "".join(f.read_text(errors="replace") for f in files)
    for name, text in (("stderr", stderr), ("log file", file_text)):
        lines = text.splitlines()
        assert any("ops-trace-1" in line for line in lines), f"{name}: requests are logged with their id"
        for secret in (PLANTED, MOCK_KEY):
            leaked = [line for line in lines if secret in line]
            assert not leaked, f"{name}: secret in {len(leaked)} line(s), e.g. {leaked[0][:300]}"
    # JSON logs are one object per line.
    for line in stderr.splitlines():
        if line.startswith("{"):
            json.loads(line)


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        assert response.headers["content-type"].startswith("text/plain")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def find(samples, name: str, **labels) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and labels.items() <= dict(ls).items())


def test_metrics_parse_and_counters_move(gateway: Process, client: openai.OpenAI):
    before = scrape(gateway.url)
    for _ in range(2):
        client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}])
    stream = client.chat.completions.create(
        model="gpt-test", stream=True, messages=[{"role": "user", "content": "hi"}]
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    after = scrape(gateway.url)

    requests = dict(name="switchyard_requests_total", route="/v1/chat/completions", model="gpt-test", status="200")
    assert find(after, **requests) - find(before, **requests) == 3
    tokens = dict(name="switchyard_tokens_total", model="gpt-test", direction="completion")
    assert find(after, **tokens) > find(before, **tokens)
    assert find(after, "switchyard_request_duration_seconds_count", model="gpt-test") >= 3
    assert find(after, "switchyard_time_to_first_token_seconds_count", platform="openai") >= 1
    assert find(after, "switchyard_adapter_sessions_capacity") > 0
