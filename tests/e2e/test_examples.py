"""The example adapters of `examples/`, built outside the gateway, dropped into the plugin
folder of the real `switchyard` binary and called with the official `openai` client:

- `template` (examples/adapter-template) and `js-openai` (examples/js-adapter, built with
  componentize-js) against the OpenAI-compatible `mock-upstream`;
- `js-openai` against a bare OpenAI-compatible platform, here, that sends no `id`,
  `object` or `created`: the ones the component fills in come from a live clock;
- `py-openai` (examples/python-adapter, built with componentize-py, when it is
  installed) the same way, in a gateway of its own;
- `ollama` (examples/ollama) against a strict mock of Ollama's native `/api/chat`, here;
- every checker fixture of the Rust examples replayed through the gateway: the mock
  checks the request the adapter built and answers the recorded upstream answer;
- hot reload: an adapter dropped into a running gateway's folder serves without a
  restart, a broken replacement leaves the last good version serving.

The `.wasm` files are built beforehand by `bash examples/build.sh` (as
`tests/run_tests.sh` does) into `target/examples/wasm/`; it skips `py-openai.wasm` when
componentize-py is missing, and so do its tests here.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openai
import pytest

from conftest import MOCK_KEY, REPO, Process, start_gateway

WASM_DIR = REPO / "target" / "examples" / "wasm"
FIXTURE_DIRS = {
    "template": REPO / "examples" / "adapter-template" / "fixtures",
    "ollama": REPO / "examples" / "ollama" / "fixtures",
}
# Compiling the JS engine (12 MB of wasm) takes tens of seconds on a busy 2-core machine.
LOAD_TIMEOUT_S = 240.0
# Seconds between two calls whose `created` (whole seconds) must differ.
CLOCK_GAP_S = 1.1
PROXY_KEY = "sk-ollama-proxy"


def built(name: str) -> Path:
    path = WASM_DIR / f"{name}.wasm"
    if not path.is_file():
        pytest.fail(f"{path} is missing: build the example adapters first with `bash examples/build.sh`")
    return path


def built_python() -> Path:
    """py-openai.wasm, or a skip: examples/build.sh builds it only where componentize-py is."""
    path = WASM_DIR / "py-openai.wasm"
    if not path.is_file():
        pytest.skip(
            f"{path} is missing: examples/build.sh skips the Python adapter without componentize-py "
            "(pip install componentize-py==0.25.1)"
        )
    return path


def install(source: Path, plugins: Path, name: str) -> None:
    """Copies under a temporary name, then renames: the watcher never sees half a file."""
    tmp = plugins / f".{name}.wasm.tmp"
    shutil.copyfile(source, tmp)
    os.replace(tmp, plugins / f"{name}.wasm")


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def wait_for(what: str, check, timeout: float = LOAD_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)


def adapter_status(gateway: Process, name: str) -> dict | None:
    _, health = get_json(f"{gateway.url}/health")
    return next((a for a in health["adapters"] if a["name"] == name), None)


def wait_loaded(gateway: Process, names: list[str]) -> None:
    wait_for("readiness", lambda: get_json(f"{gateway.url}/health/ready")[0] == 200)
    for name in names:
        status = wait_for(f"adapter `{name}` on /health", lambda n=name: adapter_status(gateway, n))
        assert status["source"] == "file" and status["last_error"] is None, status


def post(url: str, body: dict) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


# === the strict Ollama mock and the fixture replayer ===

OLLAMA_FIELDS = {"model", "messages", "tools", "format", "options", "stream", "keep_alive", "think"}
MESSAGE_FIELDS = {"role", "content", "images", "tool_calls", "tool_name", "thinking"}
OPTION_TYPES = {"temperature": (int, float), "top_p": (int, float), "seed": int, "num_predict": int, "stop": list}


def ollama_problems(body) -> list[str]:
    """What Ollama's `/api/chat` would refuse or misread in `body` (plus what this
    adapter must always send: an explicit `stream`, since Ollama streams by default)."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    problems = [f"unknown field `{k}`" for k in body if k not in OLLAMA_FIELDS]
    if not isinstance(body.get("model"), str) or not body["model"]:
        problems.append("`model` must be a non-empty string")
    if not isinstance(body.get("stream"), bool):
        problems.append("`stream` must be sent as a boolean (Ollama streams by default)")
    for key, kinds in OPTION_TYPES.items():
        value = body.get("options", {}).get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
            problems.append(f"options.{key} has the wrong type")
    for i, m in enumerate(body.get("messages") if isinstance(body.get("messages"), list) else [None]):
        if not isinstance(m, dict):
            problems.append(f"messages[{i}] is not an object")
            continue
        problems += [f"messages[{i}]: unknown field `{k}`" for k in m if k not in MESSAGE_FIELDS]
        if m.get("role") not in {"system", "user", "assistant", "tool"}:
            problems.append(f"messages[{i}].role is {m.get('role')!r}")
        if not isinstance(m.get("content"), str):
            problems.append(f"messages[{i}].content must be a string")
        for image in m.get("images", []):
            try:
                base64.b64decode(image, validate=True)
            except ValueError:
                problems.append(f"messages[{i}]: an image is not bare base64")
        for call in m.get("tool_calls", []):
            if not isinstance(call.get("function", {}).get("arguments"), dict):
                problems.append(f"messages[{i}]: tool call arguments must be an object")
    return problems


def words(text: str) -> int:
    return len(text.split())


def ollama_answer(body: dict) -> tuple[str, list[dict]]:
    """The mock model: answers a tool result, calls the first tool, or echoes."""
    messages = body["messages"]
    last = messages[-1]
    if last["role"] == "tool":
        return f"The tool {last.get('tool_name', '?')} said: {last['content']}", []
    if body.get("tools"):
        name = body["tools"][0]["function"]["name"]
        return "", [{"function": {"name": name, "arguments": {"city": "Tokyo"}}}]
    images = sum(len(m.get("images", [])) for m in messages)
    user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    return f"echo: {user}" + (f" [{images} image(s)]" if images else ""), []


class MockHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "MockServer"

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.requests.append({"path": self.path, "headers": headers, "body": body})
        if self.path.startswith("/fx/"):
            self.replay(headers, body)
        elif self.path == "/bare/v1/chat/completions":
            self.bare(body)
        elif self.path == "/api/chat":
            self.ollama(body)
        else:
            self.send(404, {"content-type": "text/plain"}, b"404 page not found")

    # --- Ollama ---

    def ollama(self, body) -> None:
        problems = ollama_problems(body)
        if problems:
            return self.send_json(400, {"error": "; ".join(problems)})
        if body["model"] == "missing":
            return self.send_json(404, {"error": f"model '{body['model']}' not found"})
        text, calls = ollama_answer(body)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".123456789Z"
        base = {"model": body["model"], "created_at": stamp}
        counts = {
            "total_duration": 1000,
            "prompt_eval_count": sum(words(m["content"]) for m in body["messages"]) + 1,
            "eval_count": max(words(text), 1),
        }
        final = {**base, "done_reason": "stop", "done": True, **counts}
        if not body["stream"]:
            message = {"role": "assistant", "content": text, **({"tool_calls": calls} if calls else {})}
            return self.send_json(200, {**base, "message": message, **final})
        lines = [
            {**base, "message": {"role": "assistant", "content": piece}, "done": False}
            for piece in re.findall(r"\S+\s*", text)
        ]
        if calls:
            lines.append({**base, "message": {"role": "assistant", "content": "", "tool_calls": calls}, "done": False})
        lines.append({**final, "message": {"role": "assistant", "content": ""}})
        self.send_chunked(200, "application/x-ndjson", [json.dumps(line) + "\n" for line in lines])

    # --- a bare OpenAI-compatible platform ---

    def bare(self, body) -> None:
        """Chat completions without `id`, `object` or `created` (some small servers send
        none): whatever the client gets there, the adapter made."""
        user = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
        text = f"echo: {user}"
        usage = {"prompt_tokens": words(user) + 1, "completion_tokens": words(text), "total_tokens": 0}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if not body.get("stream"):
            message = {"role": "assistant", "content": text}
            return self.send_json(200, {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}], "usage": usage})
        deltas = [{"role": "assistant", "content": piece} for piece in re.findall(r"\S+\s*", text)]
        chunks = [{"choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
        chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({"choices": [], "usage": usage})
        events = [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]
        self.send_chunked(200, "text/event-stream", events)

    # --- fixture replay ---

    def replay(self, headers: dict[str, str], body) -> None:
        _, _, adapter, stem, rest = self.path.split("/", 4)
        key = f"{adapter}/{stem}"
        fixture_path = FIXTURE_DIRS[adapter] / f"{stem}.json"
        fixture = json.loads(fixture_path.read_text())
        problems = self.server.problems.setdefault(key, [])
        expected = fixture.get("upstream_request")
        if expected:
            if expected.get("method", "POST") != self.command:
                problems.append(f"method {self.command}, expected {expected['method']}")
            if "path_and_query" in expected and "/" + rest != expected["path_and_query"]:
                problems.append(f"path /{rest}, expected {expected['path_and_query']}")
            for name, value in (expected.get("headers") or {}).items():
                if headers.get(name.lower()) != value:
                    problems.append(f"header {name}: {headers.get(name.lower())!r}, expected {value!r}")
            if "body" in expected:
                problems += [f"upstream body {p}" for p in mismatches(expected["body"], body)]
        if "upstream_response" in fixture:
            answer = fixture["upstream_response"]
            data = answer["body_text"].encode() if "body_text" in answer else json.dumps(answer.get("body")).encode()
            self.send(answer.get("status", 200), answer.get("headers") or {"content-type": "application/json"}, data)
        elif "upstream_stream" in fixture:
            stream = fixture["upstream_stream"]
            if "transcript_file" in stream:
                transcript = (fixture_path.parent / stream["transcript_file"]).read_text()
            else:
                transcript = stream["transcript"]
            # Three uneven pieces: events split across reads, as on a real network.
            cuts = [0, len(transcript) // 3, len(transcript) // 3 + 7, len(transcript)]
            pieces = [transcript[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]
            content_type = (stream.get("headers") or {}).get("content-type", "text/event-stream")
            self.send_chunked(stream.get("status", 200), content_type, pieces)
        else:
            problems.append("the fixture has no upstream answer, but the adapter sent a request")
            self.send_json(500, {"error": "unexpected request"})

    # --- writing ---

    def send(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status: int, body: dict) -> None:
        self.send(status, {"content-type": "application/json; charset=utf-8"}, json.dumps(body).encode())

    def send_chunked(self, status: int, content_type: str, pieces: list[str]) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for piece in pieces:
            data = piece.encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


class MockServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), MockHandler)
        self.requests: list[dict] = []
        self.problems: dict[str, list[str]] = {}
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


def mismatches(expected, actual, path: str = "$") -> list[str]:
    """Differences from `expected`, where the string "$any" matches any value and
    objects must have exactly the expected keys."""
    if expected == "$any":
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        out = [f"{path}.{k}: missing" for k in expected if k not in actual]
        out += [f"{path}.{k}: unexpected ({actual[k]!r})" for k in actual if k not in expected]
        for k in expected.keys() & actual.keys():
            out += mismatches(expected[k], actual[k], f"{path}.{k}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r}"]
        return [m for i, (e, a) in enumerate(zip(expected, actual)) for m in mismatches(e, a, f"{path}[{i}]")]
    numbers = (int, float)
    same_kind = isinstance(expected, bool) == isinstance(actual, bool) and (
        type(expected) is type(actual) or (isinstance(expected, numbers) and isinstance(actual, numbers))
    )
    return [] if same_kind and expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


# === the gateway with the three examples installed ===

FIXTURES = sorted((adapter, path.stem) for adapter, folder in FIXTURE_DIRS.items() for path in folder.glob("*.json"))


def toml_options(options: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in options.items()) + " }"


def model_toml(name: str, adapter: str, upstream: str, base_url: str, key: str | None = None, options=None) -> str:
    lines = [
        "[[models]]",
        f"name = {json.dumps(name)}",
        f"adapter = {json.dumps(adapter)}",
        f"upstream_model = {json.dumps(upstream)}",
        f"base_url = {json.dumps(base_url)}",
    ]
    if key:
        lines.append(f"api_key = {json.dumps(key)}")
    if options:
        lines.append(f"options = {toml_options(options)}")
    return "\n" + "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def mock() -> MockServer:
    server = MockServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def examples_gateway(mock: MockServer, mock_upstream: Process, tmp_path_factory: pytest.TempPathFactory):
    wasm = {name: built(name) for name in ("template", "ollama", "js-openai")}
    workdir = tmp_path_factory.mktemp("examples")
    plugins = workdir / "plugins"
    plugins.mkdir()
    for name, path in wasm.items():
        install(path, plugins, name)
    models = model_toml("tpl", "template", "mock-echo", f"{mock_upstream.url}/v1", MOCK_KEY)
    models += model_toml("js", "js-openai", "mock-echo", f"{mock_upstream.url}/v1", MOCK_KEY)
    models += model_toml("js-404", "js-openai", "mock-404", f"{mock_upstream.url}/v1", MOCK_KEY)
    models += model_toml("js-bare", "js-openai", "bare-model", f"{mock.url}/bare/v1", "sk-bare")
    models += model_toml("llama", "ollama", "llama3.2", mock.url, "sk-never-sent")
    models += model_toml("llama-missing", "ollama", "missing", mock.url)
    models += model_toml("llama-proxied", "ollama", "llama3.2", mock.url, PROXY_KEY, {"auth": "bearer"})
    for adapter, stem in FIXTURES:
        context = json.loads((FIXTURE_DIRS[adapter] / f"{stem}.json").read_text()).get("context", {})
        upstream = context.get("upstream_model") or context.get("public_model") or "fixture-model"
        models += model_toml(
            f"fx-{adapter}-{stem}", adapter, upstream, f"{mock.url}/fx/{adapter}/{stem}", "sk-fixture",
            context.get("options"),
        )
    proc = start_gateway(workdir, models)
    try:
        wait_loaded(proc, list(wasm))
    except BaseException:
        proc.stop()
        raise
    yield proc
    proc.stop()


@pytest.fixture()
def client(examples_gateway: Process) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{examples_gateway.url}/v1", api_key="sk-client", max_retries=0, timeout=60)


def ollama_requests(mock: MockServer) -> list[dict]:
    return [r for r in mock.requests if r["path"] == "/api/chat"]


# === the fixtures, through the real gateway ===


def sse_events(data: bytes) -> list[dict | str]:
    out: list[dict | str] = []
    for block in data.decode().split("\n\n"):
        payload = "\n".join(line[5:].lstrip() for line in block.splitlines() if line.startswith("data:"))
        if payload:
            out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


@pytest.mark.parametrize("adapter,stem", FIXTURES, ids=[f"{a}/{s}" for a, s in FIXTURES])
def test_fixture_replays_through_the_gateway(examples_gateway: Process, mock: MockServer, adapter: str, stem: str):
    fixture = json.loads((FIXTURE_DIRS[adapter] / f"{stem}.json").read_text())
    request = {**fixture["request"], "model": f"fx-{adapter}-{stem}"}
    before = len(mock.requests)
    status, headers, body = post(f"{examples_gateway.url}/v1/chat/completions", request)
    reached = [r for r in mock.requests[before:] if r["path"].startswith(f"/fx/{adapter}/{stem}/")]
    assert mock.problems.get(f"{adapter}/{stem}", []) == [], "the request the adapter built"

    error = fixture.get("request_error") or fixture.get("expect_error")
    if fixture.get("request_error"):
        assert reached == [], "a refused request never reaches the platform"
    if error:
        payload = json.loads(body)["error"]
        assert status == error["status"], payload
        for field, key in (("type", "type"), ("code", "code"), ("param", "param")):
            if field in error:
                assert payload[key] == error[field], payload
        assert error.get("message_contains", "") in payload["message"]
        if "retry_after" in error:
            assert headers.get("retry-after") == str(error["retry_after"])
        return

    assert status == 200, body
    if "expect_chunks" in fixture:
        events = sse_events(body)
        assert events[-1] == "[DONE]", events[-1]
        assert mismatches(fixture["expect_chunks"], events[:-1]) == []
        ids = {chunk["id"] for chunk in events[:-1]}
        assert len(ids) == 1, f"one id per stream: {ids}"
    else:
        assert mismatches(fixture["expect"]["body"], json.loads(body)) == []


# === the openai client against each example ===


def check_chat_and_streams(client: openai.OpenAI, model: str, echo_prefix: str) -> None:
    resp = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hello, adapter!"}])
    assert resp.object == "chat.completion"
    assert resp.choices[0].message.content == f"{echo_prefix}Hello, adapter!"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.prompt_tokens > 0 and resp.usage.completion_tokens > 0

    chunks = list(
        client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "Tell me a story"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == f"{echo_prefix}Tell me a story"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0, "the usage chunk comes last"
    assert all(c.usage is None for c in chunks[:-1])
    assert len({c.id for c in chunks}) == 1

    chunks = list(
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Short"}], stream=True)
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == f"{echo_prefix}Short"
    assert all(c.choices and c.usage is None for c in chunks), "no usage chunk unless asked for"


def test_template_adapter_answers_the_openai_client(client: openai.OpenAI):
    check_chat_and_streams(client, "tpl", "echo: ")
    # The template's platform takes text and images (and tools): audio is refused.
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="tpl",
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is said?"},
                        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
                    ],
                }
            ],
        )
    assert info.value.param == "messages[0].content[1]"


def test_js_adapter_answers_the_openai_client(client: openai.OpenAI):
    check_chat_and_streams(client, "js", "echo: ")
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="js-404", messages=[{"role": "user", "content": "hi"}])
    assert info.value.code == "model_not_found", "a thrown api-error record keeps its fields"


def check_live_clock(client: openai.OpenAI, model: str) -> None:
    """The `id` and `created` an adapter fills in for a platform that sends none come
    from the host's clock and randomness at the time of the call, not from the snapshot
    the component was built from (componentize-js with `--disable clocks random` answers
    its build time, forever)."""
    first = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "one"}])
    time.sleep(CLOCK_GAP_S)
    second = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "two"}])
    now = time.time()
    assert first.choices[0].message.content == "echo: one" and first.object == "chat.completion"
    assert second.created - first.created >= 1, f"created did not move: {first.created}, {second.created}"
    assert abs(second.created - now) <= 5, f"created {second.created} is not now ({now:.0f})"
    assert first.id.startswith("chatcmpl-") and first.id != second.id

    chunks = list(client.chat.completions.create(model=model, messages=[{"role": "user", "content": "go on"}], stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: go on"
    assert len({c.id for c in chunks}) == 1 and chunks[0].id not in (first.id, second.id), "one new id per stream"
    assert {c.created for c in chunks} == {chunks[0].created} and abs(chunks[0].created - time.time()) <= 5


def test_js_adapter_stamps_answers_with_a_live_clock(client: openai.OpenAI):
    check_live_clock(client, "js-bare")


def test_ollama_adapter_answers_the_openai_client(client: openai.OpenAI, mock: MockServer):
    del mock.requests[:]
    check_chat_and_streams(client, "llama", "echo: ")
    sent = ollama_requests(mock)
    assert [r["body"]["stream"] for r in sent] == [False, True, True]
    assert all(r["body"]["model"] == "llama3.2" for r in sent)
    assert all("authorization" not in r["headers"] for r in sent), "credential placement none: the key stays home"

    resp = client.chat.completions.create(
        model="llama",
        messages=[{"role": "user", "content": "Count"}],
        temperature=0.25,
        max_tokens=9,
        seed=7,
        stop=["END"],
    )
    assert resp.choices[0].message.content == "echo: Count"
    assert ollama_requests(mock)[-1]["body"]["options"] == {
        "temperature": 0.25,
        "num_predict": 9,
        "seed": 7,
        "stop": ["END"],
    }


def test_ollama_tool_round_trip_and_images(client: openai.OpenAI, mock: MockServer):
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather in a given city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
    messages: list[dict] = [{"role": "user", "content": "What is the weather in Tokyo?"}]
    first = client.chat.completions.create(model="llama", messages=messages, tools=[tool])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Tokyo"}
    assert call.id.startswith("call_")

    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "11 degrees celsius"})
    second = client.chat.completions.create(model="llama", messages=messages, tools=[tool])
    assert second.choices[0].message.content == "The tool get_weather said: 11 degrees celsius"
    history = ollama_requests(mock)[-1]["body"]["messages"]
    assert history[1]["tool_calls"] == [{"function": {"name": "get_weather", "arguments": {"city": "Tokyo"}}}]
    assert history[2] == {"role": "tool", "content": "11 degrees celsius", "tool_name": "get_weather"}

    streamed = [
        c
        for c in client.chat.completions.create(model="llama", messages=messages[:1], tools=[tool], stream=True)
        if c.choices
    ]
    deltas = [d for c in streamed for d in (c.choices[0].delta.tool_calls or [])]
    assert [(d.index, d.function.name, json.loads(d.function.arguments)) for d in deltas] == [
        (0, "get_weather", {"city": "Tokyo"})
    ]
    assert streamed[-1].choices[0].finish_reason == "tool_calls"

    pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    resp = client.chat.completions.create(
        model="llama",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{pixel}"}},
                ],
            }
        ],
    )
    assert resp.choices[0].message.content == "echo: What is this? [1 image(s)]"
    assert ollama_requests(mock)[-1]["body"]["messages"][0]["images"] == [pixel]


def test_ollama_errors_and_bearer_option(client: openai.OpenAI, mock: MockServer):
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="llama-missing", messages=[{"role": "user", "content": "hi"}])
    assert info.value.code == "model_not_found"
    assert isinstance(info.value.body, dict) and info.value.body["message"] == "model 'missing' not found"

    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="llama",
            messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}],
        )
    assert info.value.param == "messages[0].content[0]"

    client.chat.completions.create(model="llama-proxied", messages=[{"role": "user", "content": "hi"}])
    assert ollama_requests(mock)[-1]["headers"].get("authorization") == f"Bearer {PROXY_KEY}"


# === the Python adapter (componentize-py), in a gateway of its own ===


@pytest.fixture(scope="module")
def python_client(mock: MockServer, mock_upstream: Process, tmp_path_factory: pytest.TempPathFactory):
    wasm = built_python()
    workdir = tmp_path_factory.mktemp("python-example")
    (workdir / "plugins").mkdir()
    install(wasm, workdir / "plugins", "py-openai")
    models = model_toml("py", "py-openai", "mock-echo", f"{mock_upstream.url}/v1", MOCK_KEY)
    models += model_toml("py-404", "py-openai", "mock-404", f"{mock_upstream.url}/v1", MOCK_KEY)
    models += model_toml("py-bare", "py-openai", "bare-model", f"{mock.url}/bare/v1", "sk-bare")
    proc = start_gateway(workdir, models)
    try:
        started = time.monotonic()
        wait_loaded(proc, ["py-openai"])
        print(f"py-openai.wasm loaded in {time.monotonic() - started:.1f}s")
    except BaseException:
        proc.stop()
        raise
    yield openai.OpenAI(base_url=f"{proc.url}/v1", api_key="sk-client", max_retries=0, timeout=60)
    proc.stop()


def test_python_adapter_answers_the_openai_client(python_client: openai.OpenAI):
    resp = python_client.chat.completions.create(model="py", messages=[{"role": "user", "content": "Hello, Python!"}])
    assert resp.choices[0].message.content == "echo: Hello, Python!" and resp.choices[0].finish_reason == "stop"
    assert resp.usage.prompt_tokens > 0 and resp.usage.completion_tokens > 0

    chunks = list(
        python_client.chat.completions.create(
            model="py",
            messages=[{"role": "user", "content": "Tell me a story"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: Tell me a story"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0, "the usage chunk comes last"
    assert len({c.id for c in chunks}) == 1

    with pytest.raises(openai.NotFoundError) as info:
        python_client.chat.completions.create(model="py-404", messages=[{"role": "user", "content": "hi"}])
    assert info.value.code == "model_not_found", "a raised Err(ApiError) keeps its fields"


def test_python_adapter_stamps_answers_with_a_live_clock(python_client: openai.OpenAI):
    check_live_clock(python_client, "py-bare")


# === hot reload ===


def chat_status(gateway: Process, model: str) -> tuple[int, dict]:
    status, _, body = post(f"{gateway.url}/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": "hi"}]})
    return status, json.loads(body)


def test_a_dropped_in_adapter_serves_without_a_restart(mock_upstream: Process, tmp_path: Path):
    template = built("template")
    gateway = start_gateway(tmp_path, model_toml("late", "template", "mock-echo", f"{mock_upstream.url}/v1", MOCK_KEY))
    try:
        wait_for("readiness", lambda: get_json(f"{gateway.url}/health/ready")[0] == 200)
        status, body = chat_status(gateway, "late")
        assert status == 503 and body["error"]["code"] == "adapter_unavailable", body

        started = time.monotonic()
        install(template, tmp_path / "plugins", "template")
        loaded = wait_for("the dropped-in adapter", lambda: adapter_status(gateway, "template"), timeout=60)
        assert loaded["source"] == "file" and loaded["last_error"] is None
        print(f"template.wasm picked up after {time.monotonic() - started:.2f}s")
        status, body = chat_status(gateway, "late")
        assert status == 200 and body["choices"][0]["message"]["content"] == "echo: hi", body

        # A broken replacement is refused; the last good version keeps serving.
        broken = tmp_path / "broken.wasm.src"
        broken.write_bytes(b"\0asm not really")
        install(broken, tmp_path / "plugins", "template")
        failed = wait_for("the load error on /health", lambda: (adapter_status(gateway, "template") or {}).get("last_error"), timeout=60)
        assert "template.wasm" in failed and "not a valid WebAssembly component" in failed, failed
        status, body = chat_status(gateway, "late")
        assert status == 200 and body["choices"][0]["message"]["content"] == "echo: hi"

        # Removing the file removes the adapter (there is no built-in `template`).
        (tmp_path / "plugins" / "template.wasm").unlink()
        wait_for("the adapter to go", lambda: adapter_status(gateway, "template") is None, timeout=60)
        assert chat_status(gateway, "late")[0] == 503
    finally:
        gateway.stop()


def test_vendored_contracts_match_the_gateways():
    """Each example builds against its own copy of a contract version in `wit/`; a
    drifted copy would build adapters for a contract this gateway does not implement.
    The Python adapter targets 0.2; Ollama and the JavaScript adapter stay on 0.1,
    which still loads. (The template builds on plugins/kit, which carries the
    contract.)"""
    for example, version in (("python-adapter", "0.2"), ("ollama", "0.1"), ("js-adapter", "0.1")):
        contract = sorted((REPO / "wit" / version).glob("*.wit"))
        assert [w.name for w in contract] == ["types.wit", "world.wit"], contract
        for wit in contract:
            copy = REPO / "examples" / example / "wit" / wit.name
            assert copy.read_text() == wit.read_text(), f"{copy} differs from wit/{version}/{wit.name}"
