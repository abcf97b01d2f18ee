//! Upstream answers that are not what they claim to be, for every platform of the mock:
//! a success status around an error or an HTML page, a whole JSON answer where a stream
//! was asked for, a stream that stops before the platform's last event, a redirect, and
//! (Gemini) fewer embeddings than inputs.
//!
//! The upstream model name picks the mode, after the platform's usual prefix (`mock-`
//! for OpenAI, `azure-` for Azure deployments, `claude-` for Anthropic, `gemini-` for
//! Gemini, `bot-` for Coze bot ids): `mock-ok-error`, `azure-cut-stream`,
//! `gemini-short-embeddings`, ... These modes are answered before the platform's own
//! checks (credential, body rules), which the other modes of the mock cover.
//!
//! | mode | answer |
//! |---|---|
//! | `ok-error` | HTTP 200, `application/json`, the platform's own error object carrying [`OK_ERROR_MESSAGE`] (OpenAI and Azure `{"error":{…}}`, Anthropic `{"type":"error",…}`, Gemini `{"error":{"code","message","status"}}`, Coze `{"code":4100,"msg":…}`) |
//! | `ok-html` | HTTP 200, `text/html`, a proxy's maintenance page |
//! | `whole-json` | HTTP 200, `application/json`, a whole completion in the platform's format with [`WHOLE_TEXT`], even when a stream was asked for (not Coze: its streamed chat never answers that way) |
//! | `cut-stream` | a stream in the platform's framing carrying [`CUT_TEXT`], then a clean end before the platform's terminal event (OpenAI/Azure `data: [DONE]`, Anthropic `message_stop`, Gemini a `finishReason`, Coze `conversation.chat.completed` and `done`) |
//! | `redirect` | HTTP 302 with a `location` on this server ([`REDIRECT_PREFIX`] + the path), whose requests are recorded like any other |
//! | `short-embeddings` | Gemini `batchEmbedContents`: HTTP 200 with one vector fewer than inputs |

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::{anthropic, azure, coze, gemini, wire};

/// The message inside every `ok-error` body.
pub const OK_ERROR_MESSAGE: &str = "Quota exhausted for this project (sent with HTTP 200)";
/// The text of every `whole-json` answer.
pub const WHOLE_TEXT: &str = "A whole answer where a stream was expected";
/// The pieces of text a `cut-stream` sends before it stops.
pub const CUT_PIECES: [&str; 2] = ["Partial", " answer"];
/// `CUT_PIECES` joined.
pub const CUT_TEXT: &str = "Partial answer";
/// Where a `redirect` points: this prefix followed by the requested path.
pub const REDIRECT_PREFIX: &str = "/moved-elsewhere";

/// The platforms of the mock, as the gateway's adapters reach them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// OpenAI (`/v1/chat/completions`, `/v1/embeddings`).
    OpenAi,
    /// Azure OpenAI (`/openai/...`).
    Azure,
    /// Anthropic (`/v1/messages`).
    Anthropic,
    /// Gemini (`/v1beta/models/{model}:method`).
    Gemini,
    /// Coze (`/v3/chat`).
    Coze,
}

impl Platform {
    /// The prefix of this platform's upstream model names in the mock.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::OpenAi => "mock-",
            Self::Azure => "azure-",
            Self::Anthropic => "claude-",
            Self::Gemini => "gemini-",
            Self::Coze => "bot-",
        }
    }
}

/// What the mock needs to know of one request to answer it dishonestly.
struct Ask<'a> {
    platform: Platform,
    mode: &'a str,
    stream: bool,
    embeddings: bool,
    path: &'a str,
}

/// The answer for a request whose upstream model names one of the modes above, or
/// `None` to let the platform's module answer.
pub fn answer(uri: &Uri, body: &Result<Value, String>) -> Option<Response> {
    let body = body.as_ref().ok()?;
    let ask = identify(uri, body)?;
    Some(match ask.mode {
        "ok-error" => ok_error(ask.platform),
        "ok-html" => ok_html(),
        "whole-json" => whole(ask.platform)?,
        "cut-stream" if ask.stream => cut_stream(ask.platform),
        "redirect" => redirect(ask.path),
        "short-embeddings" if ask.platform == Platform::Gemini && ask.embeddings => {
            short_embeddings(body)
        }
        _ => return None,
    })
}

/// The platform, the mode named by the upstream model and the kind of call.
fn identify<'a>(uri: &'a Uri, body: &'a Value) -> Option<Ask<'a>> {
    let path = uri.path();
    let field = |name: &str| body.get(name).and_then(Value::as_str);
    let streamed = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let (platform, name, stream, embeddings) = if anthropic::matches(uri) {
        (Platform::Anthropic, field("model")?, streamed, false)
    } else if gemini::matches(uri) {
        let (model, method) = path.strip_prefix("/v1beta/models/")?.split_once(':')?;
        let embeddings = method.contains("mbed");
        (
            Platform::Gemini,
            model,
            method == "streamGenerateContent",
            embeddings,
        )
    } else if azure::matches(uri) {
        let deployment = match path.strip_prefix("/openai/deployments/") {
            Some(rest) => rest.split_once('/')?.0,
            None => field("model")?,
        };
        let embeddings = path.ends_with("/embeddings");
        (Platform::Azure, deployment, streamed, embeddings)
    } else if coze::matches(uri) {
        (Platform::Coze, field("bot_id")?, streamed, false)
    } else if path == "/v1/chat/completions" || path == "/v1/embeddings" {
        let embeddings = path == "/v1/embeddings";
        (Platform::OpenAi, field("model")?, streamed, embeddings)
    } else {
        return None;
    };
    Some(Ask {
        platform,
        mode: name.strip_prefix(platform.prefix())?,
        stream,
        embeddings,
        path,
    })
}

// === ok-error, ok-html, redirect ===

fn ok_error(platform: Platform) -> Response {
    let body = match platform {
        Platform::OpenAi => wire::error_body(
            OK_ERROR_MESSAGE,
            "insufficient_quota",
            Some("insufficient_quota"),
        ),
        Platform::Azure => json!({"error": {"code": "429", "message": OK_ERROR_MESSAGE}}),
        Platform::Anthropic => json!({
            "type": "error",
            "error": {"type": "overloaded_error", "message": OK_ERROR_MESSAGE}
        }),
        Platform::Gemini => json!({
            "error": {"code": 429, "message": OK_ERROR_MESSAGE, "status": "RESOURCE_EXHAUSTED"}
        }),
        Platform::Coze => json!({"code": 4100, "msg": OK_ERROR_MESSAGE}),
    };
    wire::json_response(StatusCode::OK, &body)
}

/// What a misconfigured proxy or captive portal sends with a 200.
fn ok_html() -> Response {
    let page = "<!DOCTYPE html>\n<html><head><title>Maintenance</title></head>\
                <body><h1>We'll be back soon</h1><p>The service is under maintenance.</p></body></html>\n";
    with_content_type(StatusCode::OK, page.to_owned(), "text/html; charset=utf-8")
}

fn redirect(path: &str) -> Response {
    let mut response = with_content_type(
        StatusCode::FOUND,
        "<html><body>Moved</body></html>".into(),
        "text/html",
    );
    if let Ok(location) = HeaderValue::from_str(&format!("{REDIRECT_PREFIX}{path}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn with_content_type(status: StatusCode, body: String, content_type: &'static str) -> Response {
    let mut response = Response::new(axum::body::Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

// === whole-json ===

/// A whole completion in the platform's own format; none for Coze, whose streamed
/// chat never answers with one.
fn whole(platform: Platform) -> Option<Response> {
    let body = match platform {
        Platform::Coze => return None,
        Platform::OpenAi | Platform::Azure => json!({
            "id": "chatcmpl-mockwhole",
            "object": "chat.completion",
            "created": wire::now_secs(),
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": WHOLE_TEXT, "refusal": null},
                "finish_reason": "stop"
            }],
            "usage": wire::chat_usage(9, 8)
        }),
        Platform::Anthropic => json!({
            "id": "msg_mockwhole",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": WHOLE_TEXT}],
            "stop_reason": "end_turn",
            "stop_sequence": null,
            "usage": {"input_tokens": 9, "output_tokens": 8}
        }),
        Platform::Gemini => json!({
            "candidates": [{
                "content": {"parts": [{"text": WHOLE_TEXT}], "role": "model"},
                "finishReason": "STOP",
                "index": 0
            }],
            "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 8, "totalTokenCount": 17},
            "modelVersion": "gemini-2.5-flash",
            "responseId": "mockwhole"
        }),
    };
    Some(wire::json_response(StatusCode::OK, &body))
}

// === cut-stream ===

/// The platform's stream with [`CUT_PIECES`], stopped before its terminal event.
fn cut_stream(platform: Platform) -> Response {
    let text: String = match platform {
        Platform::OpenAi | Platform::Azure => {
            let chunk = |delta: Value| {
                json!({
                    "id": "chatcmpl-mockcut",
                    "object": "chat.completion.chunk",
                    "created": wire::now_secs(),
                    "model": "gpt-4o-mini-2024-07-18",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": null}]
                })
            };
            let mut events = vec![chunk(json!({"role": "assistant", "content": ""}))];
            events.extend(CUT_PIECES.map(|piece| chunk(json!({"content": piece}))));
            events.iter().map(|e| format!("data: {e}\n\n")).collect()
        }
        Platform::Anthropic => {
            let mut events = vec![
                (
                    "message_start",
                    json!({"type": "message_start", "message": {
                        "id": "msg_mockcut", "type": "message", "role": "assistant",
                        "model": "claude-sonnet-4-5", "content": [], "stop_reason": null,
                        "stop_sequence": null, "usage": {"input_tokens": 9, "output_tokens": 1}
                    }}),
                ),
                (
                    "content_block_start",
                    json!({"type": "content_block_start", "index": 0,
                           "content_block": {"type": "text", "text": ""}}),
                ),
            ];
            events.extend(CUT_PIECES.map(|piece| {
                (
                    "content_block_delta",
                    json!({"type": "content_block_delta", "index": 0,
                           "delta": {"type": "text_delta", "text": piece}}),
                )
            }));
            events
                .iter()
                .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
                .collect()
        }
        Platform::Gemini => CUT_PIECES
            .iter()
            .map(|piece| {
                let event = json!({
                    "candidates": [{"content": {"parts": [{"text": piece}], "role": "model"}, "index": 0}],
                    "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 1, "totalTokenCount": 10},
                    "modelVersion": "gemini-2.5-flash",
                    "responseId": "mockcut"
                });
                format!("data: {event}\r\n\r\n")
            })
            .collect(),
        Platform::Coze => {
            let chat = |status: &str| {
                json!({"id": "7500000000000000001", "conversation_id": "7400000000000000001",
                       "bot_id": "bot-cut-stream", "created_at": wire::now_secs(),
                       "last_error": {"code": 0, "msg": ""}, "status": status})
            };
            let mut events = vec![
                ("conversation.chat.created", chat("created")),
                ("conversation.chat.in_progress", chat("in_progress")),
            ];
            events.extend(CUT_PIECES.map(|piece| {
                (
                    "conversation.message.delta",
                    json!({"id": "75000000000000000019", "conversation_id": "7400000000000000001",
                           "bot_id": "bot-cut-stream", "chat_id": "7500000000000000001",
                           "role": "assistant", "type": "answer", "content": piece,
                           "content_type": "text"}),
                )
            }));
            events
                .iter()
                .map(|(name, data)| format!("event:{name}\ndata:{data}\n\n"))
                .collect()
        }
    };
    wire::paced_sse(&text, wire::Pacing::Events, "text/event-stream")
}

// === short-embeddings ===

/// Gemini `batchEmbedContents` with one vector fewer than the requests.
fn short_embeddings(body: &Value) -> Response {
    let asked = body
        .get("requests")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let vectors: Vec<Value> = (1..asked)
        .map(|i| json!({"values": [0.1, -0.2, f64::from(u32::try_from(i).unwrap_or(0)) / 10.0]}))
        .collect();
    wire::json_response(StatusCode::OK, &json!({"embeddings": vectors}))
}
