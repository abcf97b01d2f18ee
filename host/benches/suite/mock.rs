//! The fast mock upstream: OpenAI chat (JSON and SSE) at `/v1/chat/completions` and
//! Anthropic Messages (JSON and SSE) at `/v1/messages`, answering from constants.
//! Streams send `events` content deltas `gap` apart, so that many streams are open
//! at once.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::common::{RESPONSE, spawn_server};

/// An Anthropic Messages answer (non-streamed).
const ANTHROPIC_RESPONSE: &str = r#"{"id":"msg_01bench","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"Hello, Hola, Bonjour, Hallo, Ciao"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":21,"output_tokens":12}}"#;
const ANTHROPIC_UNAUTHORIZED: &str =
    r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#;

const OPENAI_ROLE: &str = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1755133856,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n";
const OPENAI_DELTA: &str = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1755133856,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}]}\n\n";
const OPENAI_END: &str = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1755133856,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

const ANTHROPIC_START: &str = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01bench\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-haiku-4-5\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":21,\"output_tokens\":1}}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
const ANTHROPIC_DELTA: &str = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n";
const ANTHROPIC_END: &str = "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":12}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

/// How streamed answers are paced.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Content deltas per stream.
    pub events: usize,
    /// Pause before each content delta.
    pub gap: Duration,
}

/// Starts the mock on its own single-threaded runtime; returns its address.
pub fn start(pace: Pace) -> SocketAddr {
    spawn_server(1, move |listener| {
        Box::pin(async move {
            let app = Router::new()
                .route(
                    "/v1/chat/completions",
                    post(move |body: Bytes| async move { openai(&body, pace) }),
                )
                .route(
                    "/v1/messages",
                    post(move |headers: HeaderMap, body: Bytes| async move {
                        anthropic(&headers, &body, pace)
                    }),
                );
            axum::serve(listener, app).await.unwrap();
        })
    })
}

fn wants_stream(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("stream").and_then(|s| s.as_bool()))
        .unwrap_or(false)
}

fn json(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn openai(body: &[u8], pace: Pace) -> Response {
    if wants_stream(body) {
        sse(OPENAI_ROLE, OPENAI_DELTA, OPENAI_END, pace)
    } else {
        json(RESPONSE)
    }
}

fn anthropic(headers: &HeaderMap, body: &[u8], pace: Pace) -> Response {
    if !headers.contains_key("x-api-key") {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/json")],
            ANTHROPIC_UNAUTHORIZED,
        )
            .into_response();
    }
    if wants_stream(body) {
        sse(ANTHROPIC_START, ANTHROPIC_DELTA, ANTHROPIC_END, pace)
    } else {
        json(ANTHROPIC_RESPONSE)
    }
}

/// `start`, then `pace.events` times `delta` (each after `pace.gap`), then `end`.
fn sse(start: &'static str, delta: &'static str, end: &'static str, pace: Pace) -> Response {
    let total = pace.events + 2;
    let events = futures_util::stream::unfold(0usize, move |i| async move {
        if i >= total {
            return None;
        }
        let text = if i == 0 {
            start
        } else if i + 1 == total {
            end
        } else {
            if !pace.gap.is_zero() {
                tokio::time::sleep(pace.gap).await;
            }
            delta
        };
        Some((
            Ok::<_, Infallible>(Bytes::from_static(text.as_bytes())),
            i + 1,
        ))
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(events),
    )
        .into_response()
}
