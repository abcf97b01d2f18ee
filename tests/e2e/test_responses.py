"""The official `openai` Python SDK's Responses API (`responses.create`, `.stream`,
`.retrieve`, `.delete`, `.input_items`) against Switchyard's `/v1/responses`:
pass-through to an OpenAI-platform model (the mock Responses API), translation through
the `responses` dialect component to Anthropic and Gemini models, and stored responses
continued with `previous_response_id` on every platform, per key."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import openai
import pytest

from conftest import Model, Process, Upstream, binary, clean_env, openai_client, start_gateway
from servers import rows

MODELS = (
    Model("gpt-resp", "mock-echo"),
    Model("gpt-resp-tools", "mock-tools"),
    Model("gpt-resp-cut", "mock-cut"),
    Model("gpt-resp-failed", "mock-failed"),
    Model("gpt-resp-429", "mock-429"),
    Model("claude-resp", "claude-echo", "anthropic"),
    Model("claude-resp-tools", "claude-tools", "anthropic"),
    Model("claude-resp-thinking", "claude-thinking", "anthropic"),
    Model("claude-resp-midstream", "claude-midstream-error", "anthropic"),
    Model("claude-resp-429", "claude-429", "anthropic"),
    Model("gem-resp", "gemini-echo", "gemini"),
    Model("gem-resp-tools", "gemini-tools", "gemini"),
    Model("claude-resp-search", "claude-search", "anthropic"),
    Model("gem-resp-search", "gemini-search", "gemini"),
)

TRANSLATED = ["claude-resp", "gem-resp"]
EVERY_PLATFORM = ["gpt-resp", *TRANSLATED]

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Lookup the weather for a given city",
    "parameters": {
        "type": "object",
        "properties": {"location": {"type": "string"}, "units": {"type": "string", "enum": ["c", "f"]}},
        "required": ["location", "units"],
    },
}

TERMINAL = {"response.completed", "response.incomplete", "response.failed"}


@pytest.fixture(scope="module")
def gateway(gateway_for) -> Process:
    return gateway_for(*MODELS)


@pytest.fixture(scope="module")
def client(gateway: Process) -> openai.OpenAI:
    return openai_client(gateway)


def check_events(events: list[dict]) -> dict:
    """The rules every Responses stream keeps; returns the terminal event's response.

    Numbered from 0 without gaps; `response.created` then `response.in_progress`
    first; exactly one terminal event, last; output items added in index order, each
    done once (unless a failure cut it short), every delta inside an open item; the
    final output is the done items."""
    types = [e["type"] for e in events]
    assert types[:2] == ["response.created", "response.in_progress"], types
    assert [e["sequence_number"] for e in events] == list(range(len(events))), types
    assert types[-1] in TERMINAL, types
    assert sum(t in TERMINAL for t in types) == 1, types
    open_items: dict[int, str] = {}
    done: list[dict] = []
    next_index = 0
    for event in events[2:-1]:
        kind = event["type"]
        if kind == "response.output_item.added":
            assert event["output_index"] == next_index, types
            next_index += 1
            open_items[event["output_index"]] = event["item"]["id"]
        elif kind == "response.output_item.done":
            assert open_items.pop(event["output_index"]) == event["item"]["id"], types
            done.append(event["item"])
        elif "item_id" in event:
            assert open_items.get(event["output_index"]) == event["item_id"], (kind, types)
    final = events[-1]["response"]
    if types[-1] != "response.failed":  # a failure may cut an item short
        assert not open_items, f"items never done: {open_items}"
        assert [i["id"] for i in final["output"]] == [i["id"] for i in done], types
        text_deltas = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
        text_done = "".join(
            part.get("text", "")
            for item in done
            if item["type"] == "message"
            for part in item["content"]
        )
        assert text_deltas == text_done
    return final


def stream_events(client: openai.OpenAI, **kwargs) -> list[dict]:
    return [event.model_dump() for event in client.responses.create(stream=True, **kwargs)]


def raw_events(gateway: Process, body: dict) -> list[dict]:
    """The SSE events of a streamed call, read without the SDK (it raises on failures)."""
    request = urllib.request.Request(
        f"{gateway.url}/v1/responses",
        data=json.dumps(body | {"stream": True}).encode(),
        headers={"content-type": "application/json", "authorization": "Bearer sk-client-test"},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        text = resp.read().decode()
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        event = json.loads(lines["data"])
        assert lines["event"] == event["type"]
        events.append(event)
    return events


@pytest.mark.parametrize("model", EVERY_PLATFORM)
def test_plain_answer_on_every_platform(client: openai.OpenAI, model: str) -> None:
    response = client.responses.create(model=model, input="hello there", instructions="Be brief.")
    assert response.output_text == "echo: hello there"
    assert response.status == "completed"
    assert response.id.startswith("resp_")
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


@pytest.mark.parametrize("model", EVERY_PLATFORM)
def test_streams_keep_every_rule(client: openai.OpenAI, model: str) -> None:
    final = check_events(stream_events(client, model=model, input=[{"role": "user", "content": "stream me"}]))
    assert final["status"] == "completed"
    assert final["usage"]["output_tokens"] > 0
    with client.responses.stream(model=model, input="stream me") as stream:
        assert stream.get_final_response().output_text == "echo: stream me"


def test_pass_through_keeps_the_clients_body(client: openai.OpenAI, upstream: Upstream) -> None:
    client.responses.create(
        model="gpt-resp",
        input="hi",
        include=["reasoning.encrypted_content"],
        store=False,
        extra_body={"prompt_cache_key": "thread-1", "x_future_field": {"kept": True}},
    )
    (sent,) = [r for r in upstream.requests() if r["path"] == "/v1/responses"]
    assert sent["body"]["model"] == "mock-echo"
    assert sent["body"]["x_future_field"] == {"kept": True}
    assert sent["body"]["prompt_cache_key"] == "thread-1"
    assert sent["body"]["include"] == ["reasoning.encrypted_content"]
    assert "stream_options" not in sent["body"]
    assert sent["headers"]["authorization"] == "Bearer sk-mock-upstream"


def test_pass_through_usage_counts_cached_and_reasoning_tokens(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-resp", input="hi")
    assert response.usage.input_tokens_details.cached_tokens == 4
    assert response.usage.output_tokens_details.reasoning_tokens == 3


@pytest.mark.parametrize(
    ("model", "code"), [("gpt-resp-cut", "server_error"), ("claude-resp-midstream", "server_is_overloaded")]
)
def test_a_failure_after_the_stream_started_ends_with_response_failed(gateway: Process, model: str, code: str) -> None:
    events = raw_events(gateway, {"model": model, "input": "hi"})
    final = check_events(events)
    assert final["status"] == "failed"
    assert final["error"]["code"] == code, "the code Codex decides to retry or stop on"
    assert final["error"]["message"]


def test_the_platforms_own_failure_event_passes_through(gateway: Process) -> None:
    final = check_events(raw_events(gateway, {"model": "gpt-resp-failed", "input": "hi"}))
    assert final["error"]["code"] == "server_error"


@pytest.mark.parametrize("model", ["gpt-resp-429", "claude-resp-429"])
def test_errors_before_the_stream_are_openai_shaped(client: openai.OpenAI, model: str) -> None:
    with pytest.raises(openai.RateLimitError) as raised:
        client.responses.create(model=model, input="hi")
    assert raised.value.status_code == 429
    assert raised.value.response.headers["retry-after"] == "7"
    assert raised.value.body["message"]


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize("model", ["gpt-resp-tools", "claude-resp-tools", "gem-resp-tools"])
def test_function_call_round_trip(client: openai.OpenAI, model: str, streamed: bool) -> None:
    ask = {"model": model, "input": [{"role": "user", "content": "Weather in Paris?"}], "tools": [WEATHER]}
    if streamed:
        first = check_events(stream_events(client, **ask))
    else:
        first = client.responses.create(**ask).model_dump()
    calls = [item for item in first["output"] if item["type"] == "function_call"]
    assert len(calls) == 1, first["output"]
    call = calls[0]
    assert call["name"] == "get_weather"
    assert json.loads(call["arguments"])
    assert call["call_id"]
    second = client.responses.create(
        model=model,
        tools=[WEATHER],
        input=[
            *ask["input"],
            *[item for item in first["output"] if item["type"] != "reasoning" or model == "gpt-resp-tools"],
            {"type": "function_call_output", "call_id": call["call_id"], "output": "18 degrees and sunny"},
        ],
    )
    assert "18 degrees and sunny" in second.output_text


@pytest.mark.parametrize("streamed", [False, True])
def test_reasoning_comes_back_as_a_summary_before_the_message(client: openai.OpenAI, streamed: bool) -> None:
    ask = {"model": "claude-resp-thinking", "input": "think first", "reasoning": {"effort": "low", "summary": "auto"}}
    if streamed:
        events = stream_events(client, **ask)
        response = check_events(events)
        assert any(e["type"] == "response.reasoning_summary_text.delta" for e in events)
    else:
        response = client.responses.create(**ask).model_dump()
    kinds = [item["type"] for item in response["output"]]
    assert kinds[0] == "reasoning" and "message" in kinds, kinds
    assert response["output"][0]["summary"][0]["text"]


PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="


def test_images_reach_a_translated_platform(client: openai.OpenAI, upstream: Upstream) -> None:
    client.responses.create(
        model="claude-resp",
        input=[{
            "role": "user",
            "content": [
                {"type": "input_text", "text": "what is this?"},
                {"type": "input_image", "image_url": f"data:image/png;base64,{PIXEL}"},
            ],
        }],
    )
    (sent,) = [r for r in upstream.requests() if r["path"].startswith("/v1/messages")]
    blocks = sent["body"]["messages"][-1]["content"]
    image = [b for b in blocks if b["type"] == "image"][0]
    assert image["source"] == {"type": "base64", "media_type": "image/png", "data": PIXEL}


@pytest.mark.parametrize("model", ["claude-resp", "gem-resp", "gpt-resp"])
def test_previous_response_id_chains_three_turns(client: openai.OpenAI, upstream: Upstream, model: str) -> None:
    first = client.responses.create(model=model, input="one", instructions="Be brief.")
    second = client.responses.create(model=model, input="two", previous_response_id=first.id)
    third = client.responses.create(model=model, input="three", previous_response_id=second.id)
    assert third.output_text == "echo: three"
    sent = upstream.requests()[-1]["raw"]
    # Every earlier turn reached the platform, in order, as its own wire format says it.
    positions = [sent.find(text) for text in ["one", "echo: one", "two", "echo: two", "three"]]
    assert -1 not in positions and positions == sorted(positions), sent
    assert sent.count("Be brief.") == 0, "instructions are not carried over"
    assert client.responses.retrieve(third.id).previous_response_id in (second.id, None)


def test_a_stored_stream_can_be_continued_at_once(client: openai.OpenAI) -> None:
    for model in ["claude-resp", "gpt-resp"]:
        final = check_events(stream_events(client, model=model, input="first"))
        # The terminal event went out after the response was stored.
        follow = client.responses.create(model=model, input="second", previous_response_id=final["id"])
        assert follow.output_text == "echo: second"


def test_retrieve_input_items_and_delete(client: openai.OpenAI) -> None:
    response = client.responses.create(model="claude-resp", input=[
        {"role": "developer", "content": "Answer in French."},
        {"role": "user", "content": "bonjour"},
    ])
    again = client.responses.retrieve(response.id)
    assert again.id == response.id and again.output_text == response.output_text
    items = client.responses.input_items.list(response.id, order="asc")
    assert [item.role for item in items.data] == ["developer", "user"]
    assert all(item.id for item in items.data)
    newest_first = client.responses.input_items.list(response.id)
    assert [item.role for item in newest_first.data] == ["user", "developer"]
    client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model="claude-resp", input="more", previous_response_id=response.id)
    assert raised.value.body["code"] == "previous_response_not_found"
    assert raised.value.body["param"] == "previous_response_id"


def test_store_false_keeps_nothing(client: openai.OpenAI) -> None:
    response = client.responses.create(model="claude-resp", input="forget me", store=False)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)


def test_unknown_ids_are_clear_errors(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.responses.retrieve("resp_nope")
    assert "resp_nope" in raised.value.body["message"]
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model="gpt-resp", input="x", previous_response_id="resp_nope")
    assert "resp_nope" in raised.value.body["message"]


def test_hosted_tools_are_left_out_and_said_so(client: openai.OpenAI, upstream: Upstream) -> None:
    # Gemini cannot search beside function tools: the functions win.
    raw = client.responses.with_raw_response.create(
        model="gem-resp", input="search the web", tools=[{"type": "web_search"}, {"type": "image_generation"}, WEATHER]
    )
    assert raw.headers["x-switchyard-dropped-tools"] == "web_search,image_generation"
    assert raw.parse().output_text == "echo: search the web"
    (sent,) = [r for r in upstream.requests() if "generateContent" in r["path"]]
    assert [d["name"] for t in sent["body"]["tools"] for d in t.get("functionDeclarations", [])] == ["get_weather"]
    assert not any("google_search" in t or "googleSearch" in t for t in sent["body"]["tools"])


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize(
    ("model", "text"),
    [
        ("claude-resp-search", "Switchyard is a self-hosted LLM gateway that serves OpenAI clients on any platform."),
        ("gem-resp-search", "Switchyard is a self-hosted LLM gateway \u2014 it serves OpenAI clients on any platform."),
    ],
)
def test_web_search_runs_on_the_platforms_own_search(
    client: openai.OpenAI, upstream: Upstream, model: str, text: str, streamed: bool
) -> None:
    ask = {"model": model, "input": "What is Switchyard?", "tools": [{"type": "web_search"}]}
    if streamed:
        response = check_events(stream_events(client, **ask))
        headers = {}
    else:
        raw = client.responses.with_raw_response.create(**ask)
        headers, response = raw.headers, raw.parse().model_dump()
    assert "x-switchyard-dropped-tools" not in headers
    (message,) = [item for item in response["output"] if item["type"] == "message"]
    part = message["content"][0]
    assert part["text"] == text
    citations = [a for a in part["annotations"] if a["type"] == "url_citation"]
    assert citations and all(a["url"].startswith("https://") for a in citations)
    assert all(0 <= a["start_index"] < a["end_index"] <= len(text) for a in citations)
    assert not [item for item in response["output"] if item["type"] == "function_call"], "a search is no tool call"


def test_bad_input_is_a_400_naming_the_field(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model="claude-resp", input=[{"role": "user", "content": 7}])
    assert "input[0]" in raised.value.body["message"]
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="no-such-model", input="hi")


def keys_create(workdir: Path, name: str) -> str:
    run = subprocess.run(
        [str(binary("switchyard")), "--config", str(workdir / "config.toml"), "keys", "create", "--name", name, "--quiet"],
        capture_output=True, text=True, env=clean_env(), cwd=workdir, timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_stored_responses_belong_to_their_key(mock_upstream: Process, tmp_path) -> None:
    models = Model("claude-resp", "claude-echo", "anthropic").toml(mock_upstream.url)
    gateway = start_gateway(tmp_path, models, "[auth]\nenable_client_auth = true\n")
    try:
        alice, bob = (
            openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=keys_create(tmp_path, name), max_retries=0)
            for name in ["alice", "bob"]
        )
        response = alice.responses.create(model="claude-resp", input="mine", extra_headers={"session-id": "s-42"})
        assert alice.responses.retrieve(response.id).id == response.id
        with pytest.raises(openai.NotFoundError):
            bob.responses.retrieve(response.id)
        with pytest.raises(openai.NotFoundError):
            bob.responses.delete(response.id)
        with pytest.raises(openai.BadRequestError):
            bob.responses.create(model="claude-resp", input="yours?", previous_response_id=response.id)
        assert alice.responses.create(
            model="claude-resp", input="still mine", previous_response_id=response.id
        ).output_text == "echo: still mine"
    finally:
        gateway.stop()
    logged = rows(
        gateway.database_url,
        "SELECT endpoint, status, session_id FROM request_log WHERE endpoint = '/v1/responses' ORDER BY id",
    )
    assert logged[0] == ("/v1/responses", "200", "s-42")


@pytest.mark.parametrize("model", ["gpt-resp-tools", "claude-resp-tools"])
def test_the_agents_sdk_runs_a_function_tool(gateway: Process, model: str) -> None:
    agents = pytest.importorskip("agents")
    # Its traces would go to OpenAI; a test sends traffic only to loopback.
    agents.set_tracing_disabled(True)
    calls: list[dict] = []

    @agents.function_tool
    def get_weather(location: str = "", units: str = "c", city: str = "") -> str:
        """Lookup the weather for a given city."""
        calls.append({"location": location, "units": units, "city": city})
        return "18 degrees and sunny"

    client = openai.AsyncOpenAI(base_url=f"{gateway.url}/v1", api_key="sk-client-test", max_retries=0)
    agent = agents.Agent(
        name="weather",
        instructions="Answer with the weather.",
        tools=[get_weather],
        model=agents.OpenAIResponsesModel(model=model, openai_client=client),
    )
    result = agents.Runner.run_sync(agent, "Weather in Paris?")
    assert len(calls) == 1, "the model's call reached the Python function"
    assert "18 degrees and sunny" in result.final_output
