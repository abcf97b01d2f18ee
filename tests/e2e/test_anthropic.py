"""The official `openai` Python client against Switchyard's Anthropic adapter, backed by
the mock Messages API (tests/src/mock_upstream/anthropic.rs)."""

from __future__ import annotations

import json

import openai
import pytest

from conftest import MOCK_KEY, Model, Upstream, openai_client

# Public models and the mock's Anthropic behaviour for each.
MODELS = tuple(
    Model(name, upstream, "anthropic")
    for name, upstream in [
        ("claude-test", "claude-echo"),
        ("claude-tools", "claude-tools"),
        ("claude-tools-split", "claude-tools-split"),
        ("claude-text-tool", "claude-text-tool"),
        ("claude-midstream", "claude-midstream-error"),
        ("claude-400", "claude-400"),
        ("claude-401", "claude-401"),
        ("claude-404", "claude-404"),
        ("claude-429", "claude-429"),
        ("claude-529", "claude-529"),
    ]
)

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Lookup the weather for a given city in either celsius or fahrenheit",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "units": {"type": "string", "enum": ["c", "f"]},
            },
            "required": ["location", "units"],
        },
    },
}


@pytest.fixture(scope="module")
def claude(gateway_for) -> openai.OpenAI:
    return openai_client(gateway_for(*MODELS))


def test_plain_completion(claude: openai.OpenAI, upstream: Upstream) -> None:
    resp = claude.chat.completions.create(
        model="claude-test",
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hello, Claude!"},
        ],
    )
    assert resp.object == "chat.completion"
    assert resp.choices[0].message.content == "echo: Hello, Claude!"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens > 0

    (sent,) = [r for r in upstream.requests() if r["path"] == "/v1/messages"]
    assert sent["headers"]["x-api-key"] == MOCK_KEY
    assert sent["headers"]["anthropic-version"] == "2023-06-01"
    assert sent["body"]["system"] == [{"type": "text", "text": "You are terse."}]
    assert sent["body"]["max_tokens"] > 0


def test_stream_with_usage(claude: openai.OpenAI) -> None:
    chunks = list(
        claude.chat.completions.create(
            model="claude-test",
            messages=[{"role": "user", "content": "Tell me a story"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == "echo: Tell me a story"
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["stop"]
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])
    assert len({c.id for c in chunks}) == 1


def assemble(stream) -> tuple[str, list[dict], str | None]:
    """Accumulates a streamed answer the way client code does."""
    content, calls, finish = "", {}, None
    for chunk in stream:
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        content += choice.delta.content or ""
        for call in choice.delta.tool_calls or []:
            slot = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
            if call.id:
                assert not slot["id"], "id only in the first delta of a call"
                slot["id"] = call.id
            if call.function and call.function.name:
                assert not slot["name"], "name only in the first delta of a call"
                slot["name"] = call.function.name
            if call.function and call.function.arguments:
                slot["arguments"] += call.function.arguments
        finish = choice.finish_reason or finish
    return content, [calls[i] for i in sorted(calls)], finish


@pytest.mark.parametrize("streamed_model", ["claude-tools", "claude-tools-split"])
def test_tool_call_round_trip(claude: openai.OpenAI, streamed_model: str) -> None:
    messages = [{"role": "user", "content": "What is the weather in SF?"}]
    resp = claude.chat.completions.create(model="claude-tools", messages=messages, tools=[WEATHER_TOOL])
    assert resp.choices[0].finish_reason == "tool_calls"
    (call,) = resp.choices[0].message.tool_calls
    assert call.function.name == "get_weather"
    args = json.loads(call.function.arguments)
    assert args == {"location": "San Francisco, CA", "units": "f"}

    content, streamed_calls, finish = assemble(
        claude.chat.completions.create(model=streamed_model, messages=messages, tools=[WEATHER_TOOL], stream=True)
    )
    assert finish == "tool_calls"
    assert [(c["name"], json.loads(c["arguments"])) for c in streamed_calls] == [(call.function.name, args)], (
        "the assembled streamed call equals the non-streamed one"
    )
    assert streamed_calls[0]["id"].startswith("toolu_")

    follow_up = claude.chat.completions.create(
        model="claude-tools",
        messages=messages
        + [
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump(exclude_none=True)]},
            {"role": "tool", "tool_call_id": call.id, "content": '{"temperature": "68F"}'},
        ],
        tools=[WEATHER_TOOL],
    )
    assert follow_up.choices[0].message.content == 'The tool returned: {"temperature": "68F"}'
    assert follow_up.choices[0].finish_reason == "stop"


def test_text_then_tool_keeps_tool_index_zero(claude: openai.OpenAI) -> None:
    content, calls, finish = assemble(
        claude.chat.completions.create(
            model="claude-text-tool",
            messages=[{"role": "user", "content": "Weather in Paris?"}],
            tools=[WEATHER_TOOL],
            stream=True,
        )
    )
    assert content == "I'll check the current weather in Paris for you."
    assert len(calls) == 1 and json.loads(calls[0]["arguments"]) == {"location": "Paris"}
    assert finish == "tool_calls"


def test_midstream_error_raises(claude: openai.OpenAI) -> None:
    stream = claude.chat.completions.create(
        model="claude-midstream", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    received = ""
    with pytest.raises(openai.APIError, match="Overloaded"):
        for chunk in stream:
            if chunk.choices:
                received += chunk.choices[0].delta.content or ""
    assert received == "Partial answer"


@pytest.mark.parametrize(
    ("model", "exception", "status"),
    [
        ("claude-400", openai.BadRequestError, 400),
        ("claude-401", openai.AuthenticationError, 401),
        ("claude-404", openai.NotFoundError, 404),
        ("claude-429", openai.RateLimitError, 429),
        ("claude-529", openai.InternalServerError, 503),
    ],
)
def test_errors_become_the_right_exception(claude: openai.OpenAI, model: str, exception, status: int) -> None:
    with pytest.raises(exception) as info:
        claude.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}])
    assert info.value.status_code == status
    if status == 429:
        assert info.value.response.headers.get("retry-after") == "7"


def test_n_above_one_is_a_bad_request(claude: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="`n`"):
        claude.chat.completions.create(model="claude-test", messages=[{"role": "user", "content": "Hi"}], n=2)
