"""The official `anthropic` Python SDK against Switchyard's `/v1/messages`: pass-through
to an Anthropic-platform model (the mock Messages API), and translation through the
`messages` dialect component to an OpenAI-platform model (the mock chat API)."""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request
from pathlib import Path

import anthropic
import pytest

from conftest import MOCK_KEY, REPO, Model, Process, Upstream, start_gateway

# Where host/build.rs builds the built-in components.
GUESTS = Path(os.environ.get("SWITCHYARD_GUEST_TARGET_DIR", REPO / "target" / "wasm-guests"))
MESSAGES_WASM = GUESTS / "wasm32-wasip2" / "release" / "plugin_messages.wasm"

MODELS = (
    Model("claude-pass", "claude-echo", "anthropic"),
    Model("claude-tools", "claude-tools", "anthropic"),
    Model("claude-thinking", "claude-thinking", "anthropic"),
    Model("claude-429", "claude-429", "anthropic"),
    Model("claude-529", "claude-529", "anthropic"),
    Model("claude-midstream", "claude-midstream-error", "anthropic"),
    Model("gpt-test", "mock-echo"),
    Model("gpt-tools", "mock-tools"),
    Model("gpt-429", "mock-429"),
    Model("gpt-midstream", "mock-midstream-error"),
    Model("gem", "gemini-echo", "gemini"),
    Model("gem-thinking", "gemini-thinking", "gemini"),
    Model("gem-tools", "gemini-tools", "gemini"),
    Model("coze-echo", "bot-echo", "coze"),
    Model("coze-tools", "bot-tools", "coze"),
    Model("az-chat", "azure-echo", "azure", options={"api-version": "2024-12-01-preview"}),
)

# Every platform reached by translation, by an echoing model of each.
TRANSLATED_ECHO = ["gpt-test", "gem", "coze-echo", "az-chat"]

WEATHER = {
    "name": "get_weather",
    "description": "Lookup the weather for a given city",
    "input_schema": {
        "type": "object",
        "properties": {"location": {"type": "string"}, "units": {"type": "string", "enum": ["c", "f"]}},
        "required": ["location", "units"],
    },
}


@pytest.fixture(scope="module")
def gateway(gateway_for) -> Process:
    return gateway_for(*MODELS)


@pytest.fixture(scope="module")
def claude(gateway: Process) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key="sk-client-test", max_retries=0, timeout=30)


def check_stream_shape(events: list) -> None:
    """The rules every Messages stream keeps, on every event the SDK parsed."""
    types = [e.type for e in events]
    assert types[0] == "message_start", types
    assert types[-1] == "message_stop", types
    assert types.count("message_start") == 1 and types.count("message_stop") == 1, types
    deltas = [e for e in events if e.type == "message_delta"]
    assert len(deltas) == 1 and deltas[0].delta.stop_reason, types
    assert types.index("message_delta") == len(types) - 2, types
    open_index = None
    next_index = 0
    for event in events:
        if event.type == "content_block_start":
            assert open_index is None, f"block {event.index} started inside block {open_index}"
            assert event.index == next_index, types
            open_index, next_index = event.index, next_index + 1
            if event.content_block.type == "text":
                pass
        elif event.type == "content_block_delta":
            assert event.index == open_index, types
        elif event.type == "content_block_stop":
            assert event.index == open_index, types
            open_index = None
    assert open_index is None


# --- pass-through (Anthropic platform) -------------------------------------------


def test_pass_through_keeps_the_clients_body_and_betas(claude: anthropic.Anthropic, upstream: Upstream) -> None:
    message = claude.messages.create(
        model="claude-pass",
        max_tokens=200,
        system=[{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": [{"type": "text", "text": "Hello, Claude!", "cache_control": {"type": "ephemeral"}}]}],
        metadata={"user_id": json.dumps({"session": "abc"})},
        extra_headers={"anthropic-beta": "context-management-2025-06-27,effort-2025-11-24", "anthropic-version": "2023-01-01"},
        extra_body={"context_management": {"edits": [{"type": "clear_thinking_20251015"}]}, "future_field": [1.5, "x"]},
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == "echo: Hello, Claude!"
    assert message.usage.input_tokens > 0

    (sent,) = [r for r in upstream.requests() if r["path"] == "/v1/messages"]
    assert sent["headers"]["x-api-key"] == MOCK_KEY
    assert sent["headers"]["anthropic-beta"] == "context-management-2025-06-27,effort-2025-11-24"
    assert sent["headers"]["anthropic-version"] == "2023-01-01", "the client's version, not the adapter's"
    body = sent["body"]
    assert body["model"] == "claude-echo"
    assert body["context_management"] == {"edits": [{"type": "clear_thinking_20251015"}]}
    assert body["future_field"] == [1.5, "x"]
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}


def test_pass_through_stream_with_thinking_keeps_signatures(claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(
        model="claude-thinking",
        max_tokens=2000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": "Think, then answer."}],
    ) as stream:
        events = list(stream)
        final = stream.get_final_message()
    check_stream_shape([e for e in events if e.type in {
        "message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"}])
    thinking = [b for b in final.content if b.type == "thinking"]
    assert thinking and thinking[0].signature, final.content
    assert any(b.type == "text" and b.text for b in final.content)
    assert final.usage.output_tokens > 0


def test_pass_through_tool_use_round_trip(claude: anthropic.Anthropic) -> None:
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    first = claude.messages.create(model="claude-tools", max_tokens=300, tools=[WEATHER], messages=messages)
    assert first.stop_reason == "tool_use"
    (call,) = [b for b in first.content if b.type == "tool_use"]
    assert isinstance(call.input, dict)
    messages += [
        {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "18C and sunny"}]},
    ]
    second = claude.messages.create(model="claude-tools", max_tokens=300, tools=[WEATHER], messages=messages)
    assert "18C and sunny" in second.content[0].text


def test_pass_through_errors_keep_anthropics_status_and_type(claude: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.RateLimitError) as limited:
        claude.messages.create(model="claude-429", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert limited.value.response.headers["retry-after"] == "7"
    assert limited.value.body["error"]["type"] == "rate_limit_error"
    with pytest.raises(anthropic.APIStatusError) as overloaded:
        claude.messages.create(model="claude-529", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert overloaded.value.status_code == 529
    assert overloaded.value.body["error"]["type"] == "overloaded_error"


def test_pass_through_mid_stream_error_ends_with_an_error_event(claude: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.APIStatusError) as failed:
        with claude.messages.stream(
            model="claude-midstream", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            for _ in stream:
                pass
    assert "overloaded" in str(failed.value).lower()


def test_count_tokens_is_the_platforms_own_count(claude: anthropic.Anthropic, upstream: Upstream) -> None:
    counted = claude.messages.count_tokens(model="claude-pass", messages=[{"role": "user", "content": "Hello there"}])
    assert counted.input_tokens > 0
    (sent,) = [r for r in upstream.requests() if r["path"] == "/v1/messages/count_tokens"]
    assert sent["body"]["model"] == "claude-echo"


# --- translation (OpenAI platform) -----------------------------------------------


def test_translated_plain_message(claude: anthropic.Anthropic, upstream: Upstream) -> None:
    message = claude.messages.create(
        model="gpt-test",
        max_tokens=100,
        system=[{"type": "text", "text": "billing: x"}, {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": "Hello, GPT!"}],
        extra_body={"context_management": {"edits": []}},
    )
    assert message.type == "message" and message.role == "assistant"
    assert message.id.startswith("msg_")
    assert message.model == "gpt-test"
    assert message.content[0].text == "echo: Hello, GPT!"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0

    (sent,) = [r for r in upstream.requests() if r["path"] == "/v1/chat/completions"]
    body = sent["body"]
    assert "context_management" not in body, "Claude-only fields never reach another platform"
    systems = [m["content"] for m in body["messages"] if m["role"] == "system"]
    assert systems == ["billing: x", "You are terse."], "system blocks stay separate and in order"


@pytest.mark.parametrize("model", TRANSLATED_ECHO)
def test_translated_whole_answer_on_every_platform(claude: anthropic.Anthropic, model: str) -> None:
    message = claude.messages.create(model=model, max_tokens=100, messages=[{"role": "user", "content": "Hello there"}])
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "echo: Hello there"
    assert message.stop_reason == "end_turn"
    assert message.model == model


@pytest.mark.parametrize("model", TRANSLATED_ECHO)
def test_translated_stream_keeps_every_rule(claude: anthropic.Anthropic, model: str) -> None:
    with claude.messages.stream(
        model=model, max_tokens=100, messages=[{"role": "user", "content": "Tell me a story"}]
    ) as stream:
        events = list(stream)
        final = stream.get_final_message()
    check_stream_shape([e for e in events if e.type != "text"])
    assert [b.type for b in final.content] == ["text"]
    assert final.content[0].text == "echo: Tell me a story"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


@pytest.mark.parametrize("streamed", [False, True])
def test_translated_reasoning_is_a_thinking_block_before_the_text(claude: anthropic.Anthropic, streamed: bool) -> None:
    ask = {"model": "gem-thinking", "max_tokens": 2000, "messages": [{"role": "user", "content": "think"}],
           "thinking": {"type": "enabled", "budget_tokens": 2048}}
    if streamed:
        with claude.messages.stream(**ask) as stream:
            events = list(stream)
            final = stream.get_final_message()
        check_stream_shape([e for e in events if e.type not in {"text", "thinking", "signature"}])
    else:
        final = claude.messages.create(**ask)
    assert [b.type for b in final.content] == ["thinking", "text"], final.content
    assert final.content[0].thinking == "Considering what was asked."
    assert final.content[1].text == "echo: think"


@pytest.mark.parametrize("model", ["gem-tools", "coze-tools"])
def test_translated_tool_calls_from_other_platforms(claude: anthropic.Anthropic, model: str) -> None:
    with claude.messages.stream(
        model=model, max_tokens=300, tools=[WEATHER, {**WEATHER, "name": "lookup"}, {**WEATHER, "name": "get_schedule"}],
        messages=[{"role": "user", "content": "Use a tool"}],
    ) as stream:
        events = list(stream)
        final = stream.get_final_message()
    check_stream_shape([e for e in events if e.type not in {"text", "input_json"}])
    assert final.stop_reason == "tool_use"
    calls = [b for b in final.content if b.type == "tool_use"]
    assert calls and all(isinstance(c.input, dict) for c in calls), final.content


@pytest.mark.parametrize("streamed", [False, True])
def test_translated_tool_round_trip(claude: anthropic.Anthropic, streamed: bool) -> None:
    messages = [{"role": "user", "content": "Weather in Paris?"}]

    def ask():
        if not streamed:
            return claude.messages.create(model="gpt-tools", max_tokens=300, tools=[WEATHER], messages=messages)
        with claude.messages.stream(model="gpt-tools", max_tokens=300, tools=[WEATHER], messages=messages) as stream:
            events = list(stream)
            check_stream_shape([e for e in events if e.type not in {"text", "input_json"}])
            return stream.get_final_message()

    first = ask()
    assert first.stop_reason == "tool_use"
    calls = [b for b in first.content if b.type == "tool_use"]
    # The mock's recorded answers: one call whole, two parallel calls streamed.
    expected = ["get_current_weather", "get_stock_price"] if streamed else ["get_current_weather"]
    assert [c.name for c in calls] == expected, first.content
    assert all(isinstance(c.input, dict) and c.input for c in calls)
    assert not any(b.type == "text" and not b.text for b in first.content), "no empty text block"
    messages += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": c.id, "content": "18C and sunny"} for c in calls
        ]},
    ]
    second = ask()
    assert "18C and sunny" in second.content[0].text


def test_translated_errors_are_anthropic_shaped(claude: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.RateLimitError) as limited:
        claude.messages.create(model="gpt-429", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert limited.value.body["error"]["type"] == "rate_limit_error"
    assert limited.value.response.headers.get("request-id")
    with pytest.raises(anthropic.NotFoundError) as unknown:
        claude.messages.create(model="no-such-model", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert unknown.value.body["error"]["type"] == "not_found_error"
    assert "no-such-model" in unknown.value.body["error"]["message"]
    with pytest.raises(anthropic.BadRequestError) as bad:
        claude.messages.create(model="gpt-test", max_tokens=10, messages="not a list")  # type: ignore[arg-type]
    assert bad.value.body["error"]["type"] == "invalid_request_error"


def test_translated_mid_stream_error_ends_with_an_error_event(claude: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.APIStatusError):
        with claude.messages.stream(
            model="gpt-midstream", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            for _ in stream:
                pass


def test_count_tokens_is_estimated_where_the_platform_has_no_count(claude: anthropic.Anthropic) -> None:
    short = claude.messages.count_tokens(model="gpt-test", messages=[{"role": "user", "content": "hi"}])
    long = claude.messages.count_tokens(model="gpt-test", messages=[{"role": "user", "content": "hi " * 400}])
    assert 0 < short.input_tokens < long.input_tokens


# --- the rest of the surface -------------------------------------------------------


def test_models_list_in_anthropics_shape(claude: anthropic.Anthropic) -> None:
    page = claude.models.list()
    ids = [m.id for m in page.data]
    assert "claude-pass" in ids and "gpt-test" in ids
    assert all(m.type == "model" for m in page.data)


def test_head_root_is_answered(gateway: Process) -> None:
    request = urllib.request.Request(f"{gateway.url}/", method="HEAD")
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200


def test_a_wrong_key_is_an_authentication_error(mock_upstream: Process, tmp_path) -> None:
    model = Model("claude-pass", "claude-echo", "anthropic").toml(mock_upstream.url)
    gateway = start_gateway(tmp_path, model, "[auth]\nenable_client_auth = true\n")
    try:
        client = anthropic.Anthropic(base_url=gateway.url, api_key="sk-wrong", max_retries=0, timeout=30)
        with pytest.raises(anthropic.AuthenticationError) as refused:
            client.messages.create(model="claude-pass", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
        assert refused.value.body["error"]["type"] == "authentication_error"
    finally:
        gateway.stop()


def health(gateway: Process) -> dict:
    with urllib.request.urlopen(f"{gateway.url}/health", timeout=10) as resp:
        return json.load(resp)


def test_the_dialect_is_a_component_that_hot_swaps(mock_upstream: Process, tmp_path) -> None:
    gateway = start_gateway(tmp_path, Model("gpt-test", "mock-echo").toml(mock_upstream.url))
    try:
        def dialect() -> dict:
            (found,) = [d for d in health(gateway)["dialects"] if d["name"] == "messages"]
            return found

        assert (dialect()["source"], dialect()["contract"]) == ("builtin", "0.2.0")
        assert sorted(d["name"] for d in health(gateway)["dialects"]) == ["messages", "responses"]
        assert "messages" not in [a["name"] for a in health(gateway)["adapters"]]

        shutil.copy(MESSAGES_WASM, tmp_path / "plugins" / "messages.wasm")
        deadline = time.monotonic() + 30
        while dialect()["source"] != "file":
            assert time.monotonic() < deadline, health(gateway)
            time.sleep(0.2)
        client = anthropic.Anthropic(base_url=gateway.url, api_key="sk-client-test", max_retries=0, timeout=30)
        reply = client.messages.create(model="gpt-test", max_tokens=20, messages=[{"role": "user", "content": "swapped"}])
        assert reply.content[0].text == "echo: swapped"

        (tmp_path / "plugins" / "messages.wasm").write_bytes(b"not a component")
        while not dialect()["last_error"]:
            assert time.monotonic() < deadline + 30, health(gateway)
            time.sleep(0.2)
        again = client.messages.create(model="gpt-test", max_tokens=20, messages=[{"role": "user", "content": "still"}])
        assert again.content[0].text == "echo: still", "the last good version keeps serving"
    finally:
        gateway.stop()


def test_claude_codes_session_id_is_on_the_request_log(mock_upstream: Process, tmp_path) -> None:
    from servers import rows

    models = Model("claude-pass", "claude-echo", "anthropic").toml(mock_upstream.url) + Model(
        "gpt-test", "mock-echo"
    ).toml(mock_upstream.url)
    gateway = start_gateway(tmp_path, models)
    try:
        client = anthropic.Anthropic(base_url=gateway.url, api_key="sk-client-test", max_retries=0, timeout=30)
        for model in ["claude-pass", "gpt-test"]:
            client.messages.create(
                model=model, max_tokens=20, messages=[{"role": "user", "content": "hi"}],
                extra_headers={"x-claude-code-session-id": "5f2c-session"},
            )
    finally:
        gateway.stop()  # the request log is written before the process exits
    logged = rows(gateway.database_url, "SELECT endpoint, model, status, session_id FROM request_log ORDER BY id")
    assert logged == [
        ("/v1/messages", "claude-pass", "200", "5f2c-session"),
        ("/v1/messages", "gpt-test", "200", "5f2c-session"),
    ]


# A 1x1 PNG.
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="


def test_images_reach_every_platform_in_its_own_terms(claude: anthropic.Anthropic, upstream: Upstream) -> None:
    content = [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PIXEL}},
        {"type": "text", "text": "What is in this image?"},
    ]
    for model in ["claude-pass", "gpt-test"]:
        reply = claude.messages.create(model=model, max_tokens=50, messages=[{"role": "user", "content": content}])
        assert reply.content[0].text == "echo: What is in this image?"
    (native,) = [r for r in upstream.requests() if r["path"] == "/v1/messages"]
    assert native["body"]["messages"][0]["content"][0] == content[0], "pass-through keeps the block"
    (chat,) = [r for r in upstream.requests() if r["path"] == "/v1/chat/completions"]
    parts = chat["body"]["messages"][-1]["content"]
    assert {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXEL}"}} in parts, parts
