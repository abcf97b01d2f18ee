"""The official `openai` Python client against Switchyard's Gemini adapter, backed by
the mock Gemini upstream (tests/src/mock_upstream/gemini.rs)."""

from __future__ import annotations

import json

import openai
import pytest

from conftest import MOCK_KEY, Model, openai_client

# Public models and the mock's Gemini model (its behaviour) for each, an invalid key,
# and an OpenAI embedding model beside them.
MODELS = (
    Model("gem", "gemini-echo", "gemini"),
    Model("gem-tools", "gemini-tools", "gemini"),
    Model("gem-thinking", "gemini-thinking", "gemini"),
    Model("gem-429", "gemini-429", "gemini"),
    Model("gem-404", "gemini-404", "gemini"),
    Model("gem-embed", "gemini-embedding-001", "gemini"),
    Model("gem-badkey", "gemini-echo", "gemini", api_key="AIza-not-the-right-key"),
    Model("gpt-embed", "mock-embed"),
)

LOOKUP_TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Looks something up",
        "parameters": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": False,
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        },
    },
}


@pytest.fixture(scope="module")
def gem(gateway_for) -> openai.OpenAI:
    return openai_client(gateway_for(*MODELS))


def test_plain_completion(gem: openai.OpenAI, upstream) -> None:
    resp = gem.chat.completions.create(
        model="gem",
        messages=[{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hello, Gemini!"}],
        temperature=0.3,
    )
    assert resp.choices[0].message.content == "echo: Hello, Gemini!"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens
    (sent,) = [r for r in upstream.requests() if ":generateContent" in r["path"]]
    assert sent["path"] == "/v1beta/models/gemini-echo:generateContent"
    assert sent["headers"]["x-goog-api-key"] == MOCK_KEY
    assert sent["body"]["systemInstruction"] == {"parts": [{"text": "Be terse."}]}


def test_stream_with_usage(gem: openai.OpenAI) -> None:
    chunks = list(
        gem.chat.completions.create(
            model="gem",
            messages=[{"role": "user", "content": "Tell me a short story please"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == "echo: Tell me a short story please"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 7
    assert len({c.id for c in chunks}) == 1


def test_thinking_reaches_the_client_as_reasoning_content(gem: openai.OpenAI) -> None:
    resp = gem.chat.completions.create(
        model="gem-thinking", messages=[{"role": "user", "content": "think"}], reasoning_effort="low"
    )
    message = resp.choices[0].message
    assert message.content == "echo: think"
    assert getattr(message, "reasoning_content", None) == "Considering what was asked."
    assert resp.usage.completion_tokens_details.reasoning_tokens == 5


def test_multi_turn_tool_round_trip_keeps_the_thought_signature(gem: openai.OpenAI, upstream) -> None:
    messages: list = [{"role": "user", "content": "find cats"}]
    first = gem.chat.completions.create(model="gem-tools", messages=messages, tools=[LOOKUP_TOOL])
    assert first.choices[0].finish_reason == "tool_calls"
    (call,) = first.choices[0].message.tool_calls
    assert call.function.name == "lookup"
    assert json.loads(call.function.arguments) == {"query": "find cats"}

    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"cats": 3})})
    second = gem.chat.completions.create(model="gem-tools", messages=messages, tools=[LOOKUP_TOOL])
    assert second.choices[0].message.content == 'the tool said lookup={"cats":3}'

    sent = [r for r in upstream.requests() if ":generateContent" in r["path"]][-1]
    model_turn = sent["body"]["contents"][1]
    assert model_turn["role"] == "model"
    assert "thoughtSignature" in model_turn["parts"][0], "the signature went back to Gemini"
    assert sent["body"]["contents"][2]["parts"][0]["functionResponse"]["name"] == "lookup"


def test_streamed_tool_call(gem: openai.OpenAI) -> None:
    chunks = list(
        gem.chat.completions.create(
            model="gem-tools", messages=[{"role": "user", "content": "cats"}], tools=[LOOKUP_TOOL], stream=True
        )
    )
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert len(deltas) == 1
    assert deltas[0].function.name == "lookup"
    assert json.loads(deltas[0].function.arguments) == {"query": "cats"}


def test_embeddings_for_gemini_and_openai_models(gem: openai.OpenAI) -> None:
    resp = gem.embeddings.create(model="gem-embed", input=["hello world", "goodbye"], dimensions=4)
    assert [d.index for d in resp.data] == [0, 1]
    assert all(len(d.embedding) == 4 for d in resp.data)
    assert all(isinstance(x, float) for x in resp.data[0].embedding)
    assert resp.data[0].embedding != resp.data[1].embedding

    floats = gem.embeddings.create(model="gem-embed", input="hello world", encoding_format="float")
    assert floats.data[0].embedding[:4] == pytest.approx(resp.data[0].embedding, rel=1e-6)

    other = gem.embeddings.create(model="gpt-embed", input="hello world")
    assert len(other.data[0].embedding) == 8


def test_invalid_key_is_an_authentication_error(gem: openai.OpenAI) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        gem.chat.completions.create(model="gem-badkey", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == 401
    assert "API key not valid" in caught.value.message


def test_quota_is_a_rate_limit_error_with_retry_after(gem: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        gem.chat.completions.create(model="gem-429", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.response.headers.get("retry-after") == "37"


def test_unknown_upstream_model_is_not_found(gem: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        gem.chat.completions.create(model="gem-404", messages=[{"role": "user", "content": "hi"}])


def test_plain_http_image_url_is_a_bad_request(gem: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        gem.chat.completions.create(
            model="gem",
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "http://example.com/cat.png"}}],
                }
            ],
        )
    assert "https" in caught.value.message
