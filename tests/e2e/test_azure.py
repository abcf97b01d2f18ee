"""The official `openai` client against Switchyard's Azure OpenAI adapter (mock Azure upstream).

Both URL shapes (deployments + api-version with `api-key`, v1 with a bearer token),
streams whose Azure content-filter annotation chunks must not crash the client, a
completion cut by the filter, and a blocked prompt as an OpenAI error.
"""

from __future__ import annotations

import openai
import pytest

from conftest import MOCK_KEY, Model, openai_client

# Public models and the mock's Azure deployment (its behaviour) for each.
MODELS = (
    Model("az-chat", "azure-echo", "azure", options={"api-version": "2024-12-01-preview"}),
    Model("az-v1", "azure-echo", "azure", options={"api-style": "v1", "auth": "bearer"}),
    Model("az-filtered", "azure-filtered", "azure"),
    Model("az-blocked", "azure-blocked", "azure"),
    Model("az-embed", "text-embedding-3-small", "azure"),
)


@pytest.fixture(scope="module")
def azure_client(gateway_for) -> openai.OpenAI:
    return openai_client(gateway_for(*MODELS))


@pytest.mark.parametrize("model", ["az-chat", "az-v1"])
def test_plain_completion_on_both_url_shapes(azure_client: openai.OpenAI, upstream, model: str) -> None:
    resp = azure_client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Hello, Azure!"}]
    )
    assert resp.choices[0].message.content == "echo: Hello, Azure!"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None and resp.usage.prompt_tokens > 0

    (sent,) = [r for r in upstream.requests() if r["path"].startswith("/openai/")]
    if model == "az-chat":
        assert sent["path"] == "/openai/deployments/azure-echo/chat/completions?api-version=2024-12-01-preview"
        assert sent["headers"]["api-key"] == MOCK_KEY
        assert "authorization" not in sent["headers"]
    else:
        assert sent["path"] == "/openai/v1/chat/completions"
        assert sent["headers"]["authorization"] == f"Bearer {MOCK_KEY}"
        assert sent["body"]["model"] == "azure-echo"


@pytest.mark.parametrize("include_usage", [False, True])
def test_stream_with_filter_annotations_does_not_crash_the_client(
    azure_client: openai.OpenAI, include_usage: bool
) -> None:
    kwargs = {"stream_options": {"include_usage": True}} if include_usage else {}
    stream = azure_client.chat.completions.create(
        model="az-chat",
        messages=[{"role": "user", "content": "Tell me a story"}],
        stream=True,
        **kwargs,
    )
    content, finishes, usage = "", [], None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        if not chunk.choices:
            assert chunk.usage is not None, "only the usage chunk has no choices"
            continue
        # What naive clients do: index choices[0] and read its delta.
        delta = chunk.choices[0].delta
        content += delta.content or ""
        if chunk.choices[0].finish_reason:
            finishes.append(chunk.choices[0].finish_reason)
    assert content == "echo: Tell me a story"
    assert finishes == ["stop"]
    assert (usage is not None) == include_usage


def test_filtered_stream_ends_in_content_filter(azure_client: openai.OpenAI) -> None:
    stream = azure_client.chat.completions.create(
        model="az-filtered", messages=[{"role": "user", "content": "Sing"}], stream=True
    )
    chunks = list(stream)
    assert all(c.choices and c.choices[0].delta is not None for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hey Jude, better"
    assert chunks[-1].choices[0].finish_reason == "content_filter"

    resp = azure_client.chat.completions.create(model="az-filtered", messages=[{"role": "user", "content": "Sing"}])
    assert resp.choices[0].finish_reason == "content_filter"


def test_blocked_prompt_is_a_content_filter_error(azure_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        azure_client.chat.completions.create(model="az-blocked", messages=[{"role": "user", "content": "bad"}])
    err = caught.value
    assert err.status_code == 400
    assert err.code == "content_filter"
    assert "sexual" in err.message


def test_embeddings(azure_client: openai.OpenAI) -> None:
    resp = azure_client.embeddings.create(model="az-embed", input=["alpha", "beta"])
    assert len(resp.data) == 2
    assert len(resp.data[0].embedding) > 0
