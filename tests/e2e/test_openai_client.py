"""The official `openai` Python client against Switchyard, backed by the mock upstream."""

from __future__ import annotations

import json

import openai
import pytest

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
}


def test_plain_completion(client: openai.OpenAI, upstream) -> None:
    resp = client.chat.completions.create(
        model="gpt-test",
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hello, gateway!"},
        ],
    )
    assert resp.object == "chat.completion"
    assert resp.choices[0].message.role == "assistant"
    assert resp.choices[0].message.content == "echo: Hello, gateway!"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.model == "mock-echo", "the model that answered, as the upstream named it"
    assert resp.usage is not None
    assert resp.usage.prompt_tokens > 0 and resp.usage.completion_tokens > 0
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens

    (sent,) = [r for r in upstream.requests() if r["path"].startswith("/v1/chat/completions")]
    assert sent["body"]["model"] == "mock-echo", "the upstream gets the configured upstream model"
    assert sent["headers"]["authorization"] == "Bearer sk-mock-upstream", "the gateway's key, not the client's"


def test_stream_with_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "Tell me a story"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks, "the stream has chunks"
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == "echo: Tell me a story"
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["stop"]

    last = chunks[-1]
    assert last.choices == [], "the usage chunk has no choices"
    assert last.usage is not None
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens > 0
    assert all(c.usage is None for c in chunks[:-1]), "only the last chunk carries usage"
    assert len({c.id for c in chunks}) == 1, "one id for the whole stream"


def test_stream_without_usage(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="gpt-test",
            messages=[{"role": "user", "content": "Short one"}],
            stream=True,
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: Short one"
    assert all(c.choices for c in chunks), "no usage chunk unless asked for"
    assert all(c.usage is None for c in chunks)


def test_tool_call_round_trip(client: openai.OpenAI) -> None:
    messages: list[dict] = [{"role": "user", "content": "What is the weather like in Boston today?"}]
    first = client.chat.completions.create(model="gpt-tools", messages=messages, tools=[WEATHER_TOOL], tool_choice="auto")
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls, "the model asks for a tool"
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.function.name == "get_current_weather"
    assert json.loads(call.function.arguments)["location"] == "Boston, MA"

    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "72 degrees and sunny"})
    second = client.chat.completions.create(model="gpt-tools", messages=messages, tools=[WEATHER_TOOL])
    assert second.choices[0].finish_reason == "stop"
    assert "72 degrees and sunny" in (second.choices[0].message.content or "")


def test_streamed_tool_calls(client: openai.OpenAI) -> None:
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in client.chat.completions.create(
        model="gpt-tools",
        messages=[{"role": "user", "content": "Weather in Edinburgh and the AAPL price?"}],
        tools=[WEATHER_TOOL],
        stream=True,
    ):
        if not chunk.choices:
            continue
        for delta in chunk.choices[0].delta.tool_calls or []:
            call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            call["id"] += delta.id or ""
            if delta.function:
                call["name"] += delta.function.name or ""
                call["arguments"] += delta.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    assert [calls[i]["name"] for i in sorted(calls)] == ["get_current_weather", "get_stock_price"]
    assert json.loads(calls[0]["arguments"]) == {"city": "Edinburgh", "country": "GB", "units": "c"}


def test_upstream_404_is_not_found_with_the_upstream_message(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-404", messages=[{"role": "user", "content": "hi"}])
    err = info.value
    assert err.status_code == 404
    assert isinstance(err.body, dict)
    assert err.body["message"] == "The model `gpt-4.1-nano-wrong` does not exist or you do not have access to it."
    assert err.code == "model_not_found"


def test_upstream_400_is_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-400", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    err = info.value
    assert err.status_code == 400
    assert isinstance(err.body, dict)
    assert "max_completion_tokens" in err.body["message"]
    assert err.param == "max_tokens"
    assert err.code == "unsupported_parameter"


def test_unknown_model_is_not_found(client: openai.OpenAI, upstream) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    err = info.value
    assert err.code == "model_not_found"
    assert isinstance(err.body, dict)
    assert "no-such-model" in err.body["message"]
    assert upstream.requests() == [], "an unknown model never reaches an upstream"


def test_embeddings(client: openai.OpenAI, upstream) -> None:
    resp = client.embeddings.create(model="text-embed", input=["hello world", "goodbye"])
    assert resp.object == "list"
    assert [d.index for d in resp.data] == [0, 1]
    for item in resp.data:
        assert len(item.embedding) == 8
        assert all(isinstance(x, float) for x in item.embedding)
    assert resp.data[0].embedding != resp.data[1].embedding
    assert resp.usage.prompt_tokens > 0
    (sent,) = [r for r in upstream.requests() if r["path"].startswith("/v1/embeddings")]
    assert sent["body"]["model"] == "mock-embed"
    assert sent["body"]["input"] == ["hello world", "goodbye"]


def test_models_list(client: openai.OpenAI) -> None:
    ids = sorted(m.id for m in client.models.list())
    assert ids == sorted(["gpt-test", "gpt-tools", "gpt-400", "gpt-404", "text-embed"])
