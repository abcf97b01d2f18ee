"""The official `openai` client against Switchyard's Coze adapter (mock Coze v3 upstream).

Non-streamed answers aggregated by the gateway from Coze's stream, streamed answers,
multi-turn history reaching `additional_messages`, a local-plugin tool call continued
through `submit_tool_outputs`, and a failed chat raising an exception.
"""

from __future__ import annotations

import openai
import pytest

from conftest import MOCK_KEY, Model, openai_client

# Public models and the mock's Coze bot (its behaviour) for each.
MODELS = (
    Model("coze-echo", "bot-echo", "coze"),
    Model("coze-tools", "bot-tools", "coze"),
    Model("coze-failed", "bot-failed", "coze"),
)


@pytest.fixture(scope="module")
def coze_client(gateway_for) -> openai.OpenAI:
    return openai_client(gateway_for(*MODELS))


def coze_requests(upstream) -> list[dict]:
    return [r for r in upstream.requests() if r["path"].startswith("/v3/chat")]


def test_plain_completion_is_aggregated_without_polling(coze_client: openai.OpenAI, upstream) -> None:
    resp = coze_client.chat.completions.create(
        model="coze-echo", messages=[{"role": "user", "content": "Hello, Coze!"}]
    )
    assert resp.object == "chat.completion"
    assert resp.choices[0].message.content == "echo: Hello, Coze!"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None and resp.usage.completion_tokens > 0

    (sent,) = coze_requests(upstream)
    assert sent["path"] == "/v3/chat"
    assert sent["body"]["bot_id"] == "bot-echo"
    assert sent["body"]["stream"] is True
    assert sent["headers"]["authorization"] == f"Bearer {MOCK_KEY}"


def test_stream(coze_client: openai.OpenAI) -> None:
    stream = coze_client.chat.completions.create(
        model="coze-echo",
        messages=[{"role": "user", "content": "Stream to me"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == "echo: Stream to me", "answer deltas only: no repeated text, no follow-up suggestions"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


def test_multi_turn_history_reaches_additional_messages(coze_client: openai.OpenAI, upstream) -> None:
    resp = coze_client.chat.completions.create(
        model="coze-echo",
        user="user-7",
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "My name is Ada."},
            {"role": "assistant", "content": "Hello Ada."},
            {"role": "user", "content": "What is my name?"},
        ],
    )
    assert resp.choices[0].message.content == "echo: What is my name?"
    (sent,) = coze_requests(upstream)
    assert sent["body"]["user_id"] == "user-7"
    assert [(m["role"], m["type"], m["content"]) for m in sent["body"]["additional_messages"]] == [
        ("user", "question", "You are terse.\n\nMy name is Ada."),
        ("assistant", "answer", "Hello Ada."),
        ("user", "question", "What is my name?"),
    ]


def test_tool_call_round_trip_through_submit_tool_outputs(coze_client: openai.OpenAI, upstream) -> None:
    messages: list = [{"role": "user", "content": "What is on my schedule?"}]
    first = coze_client.chat.completions.create(model="coze-tools", messages=messages)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.function.name == "get_schedule"
    assert call.function.arguments == "{}"

    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "Two interviews"})
    upstream.clear()
    second = coze_client.chat.completions.create(model="coze-tools", messages=messages)
    assert second.choices[0].message.content == "The tool returned: Two interviews"
    assert second.choices[0].finish_reason == "stop"

    (sent,) = coze_requests(upstream)
    assert sent["path"].startswith("/v3/chat/submit_tool_outputs?conversation_id=")
    assert "&chat_id=" in sent["path"]
    assert sent["body"] == {
        "tool_outputs": [{"tool_call_id": "7400000000000000011", "output": "Two interviews"}],
        "stream": True,
    }


def test_failed_chat_raises(coze_client: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        coze_client.chat.completions.create(model="coze-failed", messages=[{"role": "user", "content": "x"}])
    assert "event interval error" in caught.value.message

    with pytest.raises(openai.APIError) as caught:
        for _ in coze_client.chat.completions.create(
            model="coze-failed", messages=[{"role": "user", "content": "x"}], stream=True
        ):
            pass
    assert "5000" in str(caught.value)
