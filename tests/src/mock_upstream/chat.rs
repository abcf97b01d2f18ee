//! `POST /v1/chat/completions` on the mock. The body's `model` picks the behaviour:
//!
//! | model | answer |
//! |---|---|
//! | `mock-echo` (and any other name) | `echo: <last user message text>` |
//! | `mock-tools` | the recorded tool call; after a `tool` message, text quoting the tool result |
//! | `mock-agent` | a coding agent's model: calls the client's `Glob` tool for `*.md`; after the result, text quoting it |
//! | `mock-400` / `mock-404` / `mock-429` / `mock-500` | the recorded error (429 with `retry-after: 7`) |
//! | `mock-midstream-error` | streamed: some content, then `data: {"error":…}` and no `[DONE]` |
//! | `mock-slow` | like `mock-echo`, after [`SLOW_DELAY`] |
//! | `mock-flaky` | every other request (the 1st, 3rd, ...) a 500, the others like `mock-echo` |
//! | `mock-hang` | never answers; counts the requests whose caller went away |
//! | `mock-stall-stream` | streamed: a role chunk and `Hi`, then silence forever |
//! | `mock-drop-stream` | streamed: a role chunk and `Hi`, then the connection breaks |
//!
//! A `-split` or `-bytewise` suffix on any of these cuts the stream into pieces of
//! pseudo-random length or single bytes ([`wire::Pacing`]): `mock-tools-split`.
//!
//! Streams follow the recordings: role chunk, content chunks, finish chunk, then the
//! usage chunk (`choices: []`) only when `stream_options.include_usage` is true, in
//! which case every other chunk carries `"usage": null`; then `data: [DONE]`.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::MOCK_API_KEY;
use super::MockState;
use super::wire::{self, Pacing};

/// How long `mock-slow` waits before answering.
pub const SLOW_DELAY: Duration = Duration::from_millis(300);

/// Seconds the `mock-429` answer asks the client to wait.
pub const RETRY_AFTER_SECS: u32 = 7;

/// What one chat request asked for, as far as the mock cares.
pub(super) struct Ask<'a> {
    pub(super) model: &'a str,
    pub(super) stream: bool,
    pub(super) include_usage: bool,
    pub(super) id: String,
}

/// Answers one chat completion request; a `-split` or `-bytewise` suffix on the
/// model cuts its stream into other writes ([`Pacing`]).
pub async fn completions(state: &MockState, body: &Value) -> Response {
    let (model, pacing) = Pacing::from_suffix(
        body.get("model")
            .and_then(Value::as_str)
            .unwrap_or("mock-echo"),
    );
    let ask = Ask {
        model,
        stream: body.get("stream").and_then(Value::as_bool).unwrap_or(false),
        include_usage: body
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        id: format!("chatcmpl-mock{:06}", state.next_id()),
    };
    let response = answer(state, &ask, body).await;
    if ask.stream {
        wire::repaced(response, pacing).await
    } else {
        response
    }
}

async fn answer(state: &MockState, ask: &Ask<'_>, body: &Value) -> Response {
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    match ask.model {
        // Some upstreams echo the key they were sent; the gateway must not pass it on.
        "mock-echo-key" => wire::error_response(
            StatusCode::UNAUTHORIZED,
            &format!(
                "Incorrect API key provided: {MOCK_API_KEY}. Authorization: Bearer {MOCK_API_KEY}"
            ),
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        "mock-400" => wire::fixture_error(wire::ERROR_400, None),
        "mock-404" => wire::fixture_error(wire::ERROR_404, None),
        "mock-429" => wire::fixture_error(wire::ERROR_429, Some(RETRY_AFTER_SECS)),
        "mock-500" => wire::error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            wire::SERVER_ERROR_MESSAGE,
            "server_error",
            None,
        ),
        "mock-midstream-error" if ask.stream => midstream_error(ask),
        "mock-midstream-error" => wire::error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            wire::SERVER_ERROR_MESSAGE,
            "server_error",
            None,
        ),
        "mock-tools" => tools(ask, messages),
        "mock-agent" => super::agent::answer(ask, body, messages),
        "mock-flaky" if state.flaky_fails() => wire::error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            wire::SERVER_ERROR_MESSAGE,
            "server_error",
            None,
        ),
        "mock-hang" => {
            /// Counts the request as cancelled when its handler is dropped unfinished.
            struct Abandoned(MockState);
            impl Drop for Abandoned {
                fn drop(&mut self) {
                    self.0.count_cancelled();
                }
            }
            let _abandoned = Abandoned(state.clone());
            tokio::time::sleep(Duration::from_secs(3600)).await;
            echo(ask, messages)
        }
        "mock-stall-stream" | "mock-drop-stream" if ask.stream => broken_stream(ask),
        "mock-slow" => {
            tokio::time::sleep(SLOW_DELAY).await;
            echo(ask, messages)
        }
        _ => echo(ask, messages),
    }
}

fn echo(ask: &Ask<'_>, messages: &[Value]) -> Response {
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .map(message_text)
        .unwrap_or_default();
    text_answer(ask, messages, &format!("echo: {last_user}"))
}

fn tools(ask: &Ask<'_>, messages: &[Value]) -> Response {
    let last = messages.last();
    if last.and_then(|m| m.get("role")).and_then(Value::as_str) == Some("tool") {
        let result = last.map(message_text).unwrap_or_default();
        return text_answer(ask, messages, &format!("The tool returned: {result}"));
    }
    if ask.stream {
        tool_stream(ask)
    } else {
        tool_response(ask)
    }
}

/// The recorded tool call answer with this call's id, model and time.
fn tool_response(ask: &Ask<'_>) -> Response {
    let Ok(mut body) = serde_json::from_str::<Value>(wire::TOOLS_RESPONSE) else {
        return wire::broken_fixture("tools response fixture is not JSON");
    };
    if let Some(object) = body.as_object_mut() {
        object.insert("id".into(), json!(ask.id));
        object.insert("model".into(), json!(ask.model));
        object.insert("created".into(), json!(wire::now_secs()));
    }
    wire::json_response(StatusCode::OK, &body)
}

/// The recorded parallel tool call stream. The first tool is renamed to
/// `get_current_weather`, the name the non-stream recording and the tests use.
fn tool_stream(ask: &Ask<'_>) -> Response {
    let renamed = wire::TOOLS_STREAM.replace("GetWeatherArgs", "get_current_weather");
    let Some(events) = wire::sse_fixture_events(&renamed) else {
        return wire::broken_fixture("tool stream fixture has a bad event");
    };
    let created = wire::now_secs();
    let payloads = events
        .into_iter()
        .filter_map(|mut chunk| {
            let is_usage_chunk = chunk.get("usage").is_some_and(|u| !u.is_null());
            if is_usage_chunk && !ask.include_usage {
                return None;
            }
            let object = chunk.as_object_mut()?;
            object.insert("id".into(), json!(ask.id));
            object.insert("model".into(), json!(ask.model));
            object.insert("created".into(), json!(created));
            if ask.include_usage && !is_usage_chunk {
                object.insert("usage".into(), Value::Null);
            }
            Some(chunk.to_string())
        })
        .collect();
    wire::sse_response(payloads, true)
}

/// Some content, then the recorded error event; the stream ends without `[DONE]`.
fn midstream_error(ask: &Ask<'_>) -> Response {
    let Some(events) = wire::sse_fixture_events(wire::MIDSTREAM_ERROR_STREAM) else {
        return wire::broken_fixture("mid-stream error fixture has a bad event");
    };
    let Some(error) = events.iter().find(|e| e.get("error").is_some()) else {
        return wire::broken_fixture("mid-stream error fixture has no error event");
    };
    let chunks = Chunks::new(ask);
    let payloads = vec![
        chunks.role(),
        chunks.content("Partial"),
        chunks.content(" answer"),
        error.to_string(),
    ];
    wire::sse_response(payloads, false)
}

/// A role chunk and `Hi`, then silence (`mock-stall-stream`) or a broken connection
/// (`mock-drop-stream`).
fn broken_stream(ask: &Ask<'_>) -> Response {
    let chunks = Chunks::new(ask);
    let head = format!(
        "data: {}\n\ndata: {}\n\n",
        chunks.role(),
        chunks.content("Hi")
    );
    let drop_it = ask.model == "mock-drop-stream";
    let first =
        futures_util::stream::once(
            async move { Ok::<_, std::io::Error>(bytes::Bytes::from(head)) },
        );
    let tail = futures_util::stream::once(async move {
        if drop_it {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err(std::io::Error::other(
                "mock-drop-stream breaks the connection",
            ))
        } else {
            std::future::pending().await
        }
    });
    let body = axum::body::Body::from_stream(futures_util::StreamExt::chain(first, tail));
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(body)
        .unwrap_or_else(|_| wire::broken_fixture("stream response"))
}

/// A plain text answer, as JSON or as a stream, with usage derived from the words.
pub(super) fn text_answer(ask: &Ask<'_>, messages: &[Value], text: &str) -> Response {
    let prompt_tokens = messages
        .iter()
        .map(|m| 3 + word_count(&message_text(m)))
        .sum::<u64>()
        + 3;
    let completion_tokens = word_count(text).max(1);
    let mut usage = wire::chat_usage(prompt_tokens, completion_tokens);
    if ask.model == "mock-cached" {
        // A long cached prefix and a reasoning model: 1,000 of the prompt tokens were
        // read from the cache, and 200 reasoning tokens count in the completion.
        usage = wire::chat_usage(prompt_tokens + 1000, completion_tokens + 200);
        usage["prompt_tokens_details"]["cached_tokens"] = json!(1000);
        usage["completion_tokens_details"]["reasoning_tokens"] = json!(200);
    }
    if !ask.stream {
        let body = json!({
            "id": ask.id,
            "object": "chat.completion",
            "created": wire::now_secs(),
            "model": ask.model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": null, "annotations": []},
                "finish_reason": "stop"
            }],
            "usage": usage,
            "service_tier": "default",
            "system_fingerprint": null
        });
        return wire::json_response(StatusCode::OK, &body);
    }
    let chunks = Chunks::new(ask);
    let mut payloads = vec![chunks.role()];
    payloads.extend(text.split_inclusive(' ').map(|piece| chunks.content(piece)));
    payloads.push(chunks.finish("stop"));
    if ask.include_usage {
        payloads.push(chunks.usage(&usage));
    }
    wire::sse_response(payloads, true)
}

/// Builds `chat.completion.chunk` payloads with the fields of the 2025 recordings.
struct Chunks {
    base: Map<String, Value>,
    include_usage: bool,
}

impl Chunks {
    fn new(ask: &Ask<'_>) -> Self {
        let base = json!({
            "id": ask.id,
            "object": "chat.completion.chunk",
            "created": wire::now_secs(),
            "model": ask.model,
            "service_tier": "default",
            "system_fingerprint": null
        });
        Self {
            base: base.as_object().cloned().unwrap_or_default(),
            include_usage: ask.include_usage,
        }
    }

    fn chunk(&self, choices: Value, usage: Option<&Value>) -> String {
        let mut chunk = self.base.clone();
        chunk.insert("choices".into(), choices);
        match usage {
            Some(usage) => {
                chunk.insert("usage".into(), usage.clone());
            }
            None if self.include_usage => {
                chunk.insert("usage".into(), Value::Null);
            }
            None => {}
        }
        chunk.insert("obfuscation".into(), json!("mK"));
        Value::Object(chunk).to_string()
    }

    fn role(&self) -> String {
        self.chunk(
            json!([{"index": 0, "delta": {"role": "assistant", "content": "", "refusal": null}, "finish_reason": null}]),
            None,
        )
    }

    fn content(&self, text: &str) -> String {
        self.chunk(
            json!([{"index": 0, "delta": {"content": text}, "finish_reason": null}]),
            None,
        )
    }

    fn finish(&self, reason: &str) -> String {
        self.chunk(
            json!([{"index": 0, "delta": {}, "finish_reason": reason}]),
            None,
        )
    }

    fn usage(&self, usage: &Value) -> String {
        self.chunk(json!([]), Some(usage))
    }
}

/// The text of a message: a string `content`, or its text parts joined by spaces.
pub(super) fn message_text(message: &Value) -> String {
    match message.get("content") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

fn word_count(text: &str) -> u64 {
    u64::try_from(text.split_whitespace().count()).unwrap_or(u64::MAX)
}
