//! OpenAI wire pieces shared by the mock's routes: recorded fixtures, error bodies,
//! usage objects and the SSE response writer.

use std::convert::Infallible;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};

/// Recorded 400 (`unsupported_parameter`), with `_status`, `_headers` and `body`.
pub const ERROR_400: &str =
    include_str!("../../fixtures/openai/openai-error-400-unsupported-param.json");
/// Recorded-shape 401 (`invalid_api_key`).
pub const ERROR_401: &str = include_str!("../../fixtures/openai/openai-error-401.json");
/// Recorded 404 (`model_not_found`).
pub const ERROR_404: &str =
    include_str!("../../fixtures/openai/openai-error-404-model-not-found.json");
/// Recorded 429 (`rate_limit_exceeded`).
pub const ERROR_429: &str = include_str!("../../fixtures/openai/openai-error-429.json");
/// Recorded non-stream tool call answer.
pub const TOOLS_RESPONSE: &str = include_str!("../../fixtures/openai/openai-tools.response.json");
/// Recorded parallel tool call stream.
pub const TOOLS_STREAM: &str =
    include_str!("../../fixtures/openai/openai-stream-parallel-tools.sse");
/// Synthetic stream that fails after some content.
pub const MIDSTREAM_ERROR_STREAM: &str =
    include_str!("../../fixtures/openai/openai-stream-error-midstream.sse");

/// The message OpenAI sends with a 500 (same text as the mid-stream error fixture).
pub const SERVER_ERROR_MESSAGE: &str =
    "The server had an error while processing your request. Sorry about that!";

/// Pause between two SSE events, so the gateway sees the stream arrive in pieces.
const EVENT_GAP: Duration = Duration::from_millis(2);

/// Seconds since the epoch, for `created`.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A JSON response with a status.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// An OpenAI error body `{"error":{"message","type","param","code"}}`.
pub fn error_body(message: &str, kind: &str, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

/// An OpenAI error response.
pub fn error_response(
    status: StatusCode,
    message: &str,
    kind: &str,
    code: Option<&str>,
) -> Response {
    json_response(status, &error_body(message, kind, code))
}

/// Answers with a recorded error fixture: its `_status`, its `_headers` and its `body`.
/// `retry_after` replaces the recorded `retry-after` header when given.
pub fn fixture_error(fixture: &str, retry_after: Option<u32>) -> Response {
    let Ok(recorded) = serde_json::from_str::<Value>(fixture) else {
        return broken_fixture("error fixture is not JSON");
    };
    let status = recorded
        .get("_status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = recorded.get("body").cloned().unwrap_or(Value::Null);
    let mut response = json_response(status, &body);
    let headers = response.headers_mut();
    if let Some(recorded_headers) = recorded.get("_headers").and_then(Value::as_object) {
        for (name, value) in recorded_headers {
            let name = name.to_ascii_lowercase();
            if name == "content-type" {
                continue;
            }
            let (Ok(name), Some(Ok(value))) = (
                header::HeaderName::try_from(name),
                value.as_str().map(HeaderValue::from_str),
            ) else {
                continue;
            };
            headers.insert(name, value);
        }
    }
    if let Some(seconds) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// A 500 that says the mock itself is broken (never the gateway).
pub fn broken_fixture(what: &str) -> Response {
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!("mock-upstream: {what}"),
        "mock_error",
        None,
    )
}

/// The `data:` payloads of a recorded SSE transcript, `[DONE]` excluded, parsed as JSON.
pub fn sse_fixture_events(fixture: &str) -> Option<Vec<Value>> {
    fixture
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).ok())
        .collect()
}

/// Chat usage in the shape of the 2025 recordings.
pub fn chat_usage(prompt_tokens: u64, completion_tokens: u64) -> Value {
    json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0
        }
    })
}

/// A `text/event-stream` response sending each payload as `data: <payload>\n\n`, with
/// `data: [DONE]` at the end when `done` is true.
pub fn sse_response(payloads: Vec<String>, done: bool) -> Response {
    let mut events: Vec<Bytes> = payloads
        .into_iter()
        .map(|p| Bytes::from(format!("data: {p}\n\n")))
        .collect();
    if done {
        events.push(Bytes::from_static(b"data: [DONE]\n\n"));
    }
    let stream = futures_util::stream::iter(events).then(|event| async move {
        tokio::time::sleep(EVENT_GAP).await;
        Ok::<_, Infallible>(event)
    });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    response
}

/// `GET /v1/models`: the mock's models, in OpenAI's list shape.
pub fn model_list() -> Response {
    let models = [
        "mock-echo",
        "mock-tools",
        "mock-slow",
        "mock-midstream-error",
        "mock-embed",
    ];
    let data: Vec<Value> = models
        .iter()
        .map(
            |id| json!({"id": id, "object": "model", "created": 1_700_000_000, "owned_by": "mock"}),
        )
        .collect();
    json_response(StatusCode::OK, &json!({"object": "list", "data": data}))
}
