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
    let mut text: String = payloads
        .into_iter()
        .map(|p| format!("data: {p}\n\n"))
        .collect();
    if done {
        text.push_str("data: [DONE]\n\n");
    }
    paced_sse(&text, Pacing::Events, "text/event-stream; charset=utf-8")
}

/// How a mock stream's bytes are cut into writes, so the gateway's SSE reader meets
/// every kind of split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pacing {
    /// One event (up to and including its blank line) per write.
    Events,
    /// One byte per write.
    Bytewise,
    /// Pieces of pseudo-random length from a fixed seed: the same cuts on every run,
    /// through blank lines, JSON and multi-byte UTF-8 alike.
    Split,
}

impl Pacing {
    /// Reads the pacing from a `-bytewise` or `-split` suffix on a model, deployment
    /// or bot name, and returns the name without it.
    pub fn from_suffix(name: &str) -> (&str, Self) {
        if let Some(base) = name.strip_suffix("-bytewise") {
            (base, Self::Bytewise)
        } else if let Some(base) = name.strip_suffix("-split") {
            (base, Self::Split)
        } else {
            (name, Self::Events)
        }
    }
}

/// The writes `pacing` cuts `text` into; concatenated they are `text`, byte for byte.
pub fn paced_writes(text: &str, pacing: Pacing) -> Vec<Bytes> {
    let bytes = text.as_bytes();
    match pacing {
        Pacing::Events => text
            .split_inclusive("\n\n")
            .map(|event| Bytes::copy_from_slice(event.as_bytes()))
            .collect(),
        Pacing::Bytewise => bytes.chunks(1).map(Bytes::copy_from_slice).collect(),
        Pacing::Split => {
            // A fixed xorshift32 sequence; pieces of 1 to 29 bytes. The seed is chosen
            // so that the recorded Azure, Coze and Gemini streams get cuts between the
            // two LFs of a blank line, inside CRLFs and inside multi-byte characters
            // (checked by the tests below).
            let (mut pieces, mut start, mut state) = (Vec::new(), 0usize, 27_u32);
            while start < bytes.len() {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let len = 1 + usize::try_from(state % 29).unwrap_or(0);
                let end = (start + len).min(bytes.len());
                pieces.push(Bytes::copy_from_slice(&bytes[start..end]));
                start = end;
            }
            pieces
        }
    }
}

/// A `text/event-stream` response (with the given content type) writing `text` in
/// the pieces [`paced_writes`] cuts; a short pause before each write, none when
/// bytewise.
pub fn paced_sse(text: &str, pacing: Pacing, content_type: &'static str) -> Response {
    let gap = if pacing == Pacing::Bytewise {
        Duration::ZERO
    } else {
        EVENT_GAP
    };
    let stream =
        futures_util::stream::iter(paced_writes(text, pacing)).then(move |piece| async move {
            if !gap.is_zero() {
                tokio::time::sleep(gap).await;
            }
            Ok::<_, Infallible>(piece)
        });
    let mut response = Response::new(Body::from_stream(stream));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// `response` with its body written again in the pieces `pacing` cuts (status and
/// headers kept); as it is for [`Pacing::Events`]. The body is read whole first, so
/// this is only for streams that end.
pub async fn repaced(response: Response, pacing: Pacing) -> Response {
    if pacing == Pacing::Events {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return broken_fixture("a stream to re-cut could not be read");
    };
    let text = String::from_utf8_lossy(&bytes);
    let mut paced = paced_sse(&text, pacing, "text/event-stream");
    *paced.status_mut() = parts.status;
    *paced.headers_mut() = parts.headers;
    paced
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

#[cfg(test)]
mod tests {
    use super::{Pacing, paced_writes};

    const AZURE: &str = include_str!("../../fixtures/azure/azure-stream-content-filter-async.sse");
    const COZE: &str = include_str!("../../fixtures/coze/coze-v3-stream.sse");
    const COZE_TOOLS: &str = include_str!("../../fixtures/coze/coze-v3-stream-requires-action.sse");
    const GEMINI_CRLF: &str = include_str!("../../fixtures/gemini/gemini-stream.sse");

    /// The byte offsets where one write ends and the next begins.
    fn cuts(text: &str, pacing: Pacing) -> Vec<usize> {
        let writes = paced_writes(text, pacing);
        let joined: Vec<u8> = writes.iter().flat_map(|w| w.iter().copied()).collect();
        assert_eq!(
            joined,
            text.as_bytes(),
            "the writes are the text, byte for byte"
        );
        assert!(writes.iter().all(|w| !w.is_empty()), "no empty write");
        let mut offset = 0;
        let mut cuts: Vec<usize> = writes
            .iter()
            .map(|w| {
                offset += w.len();
                offset
            })
            .collect();
        cuts.pop();
        cuts
    }

    /// Whether a cut falls between the two bytes of `pair`.
    fn cuts_between(text: &str, cuts: &[usize], pair: [u8; 2]) -> bool {
        let bytes = text.as_bytes();
        cuts.iter()
            .any(|&c| bytes.get(c - 1) == Some(&pair[0]) && bytes.get(c) == Some(&pair[1]))
    }

    #[test]
    fn split_cuts_blank_lines_crlf_and_utf8_the_same_way_every_time() {
        for text in [AZURE, COZE, COZE_TOOLS] {
            let first = cuts(text, Pacing::Split);
            assert!(first.len() > 20, "many writes: {}", first.len());
            assert!(
                cuts_between(text, &first, *b"\n\n"),
                "a cut between two LFs"
            );
            assert_eq!(first, cuts(text, Pacing::Split), "deterministic");
        }
        let coze_cuts = cuts(COZE, Pacing::Split);
        assert!(
            coze_cuts.iter().any(|&c| !COZE.is_char_boundary(c)),
            "a cut inside a multi-byte character"
        );
        let crlf_cuts = cuts(GEMINI_CRLF, Pacing::Split);
        assert!(
            cuts_between(GEMINI_CRLF, &crlf_cuts, *b"\r\n"),
            "a cut inside CRLF"
        );
        assert!(
            cuts_between(GEMINI_CRLF, &crlf_cuts, *b"\n\r"),
            "a cut between two CRLFs"
        );
    }

    #[test]
    fn bytewise_is_one_byte_per_write_and_events_end_at_blank_lines() {
        assert_eq!(cuts(COZE, Pacing::Bytewise).len(), COZE.len() - 1);
        let writes = paced_writes(COZE, Pacing::Events);
        assert!(writes.iter().all(|w| w.ends_with(b"\n\n")));
        assert_eq!(writes.len(), COZE.matches("\n\n").count());
    }

    #[tokio::test]
    async fn repaced_streams_keep_status_headers_and_bytes_in_other_writes() {
        let response = super::sse_response(vec![r#"{"a":"Zürich"}"#.into()], true);
        let text = "data: {\"a\":\"Zürich\"}\n\ndata: [DONE]\n\n";
        let paced = super::repaced(response, Pacing::Bytewise).await;
        assert_eq!(paced.status(), 200);
        assert_eq!(
            paced.headers()["content-type"],
            "text/event-stream; charset=utf-8",
            "the original content type stays"
        );
        let writes: Vec<_> =
            futures_util::StreamExt::collect(paced.into_body().into_data_stream()).await;
        let writes: Vec<_> = writes.into_iter().map(|w| w.expect("a write")).collect();
        assert_eq!(writes.len(), text.len(), "one byte per write");
        assert_eq!(writes.concat(), text.as_bytes(), "the same bytes");
    }

    #[test]
    fn suffixes_pick_the_pacing() {
        assert_eq!(
            Pacing::from_suffix("bot-echo-split"),
            ("bot-echo", Pacing::Split)
        );
        assert_eq!(
            Pacing::from_suffix("azure-echo-bytewise"),
            ("azure-echo", Pacing::Bytewise)
        );
        assert_eq!(
            Pacing::from_suffix("azure-echo"),
            ("azure-echo", Pacing::Events)
        );
    }
}
