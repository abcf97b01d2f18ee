//! `POST /v1/chat/completions`.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use serde::Deserialize;

use super::request::{self, JsonBody};
use crate::access::auth::Principal;
use crate::dispatch::{self, CallHead};
use crate::error::GatewayError;
use crate::plugins::bindings::Endpoint;
use crate::record::call_record::CallRecord;
use crate::record::conversation;
use crate::state::AppState;

/// The fields of a chat request the host checks; the rest is the adapter's business.
#[derive(Deserialize)]
pub(crate) struct ChatHead {
    model: String,
    messages: Vec<request::MessageHead>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
    #[serde(default, deserialize_with = "request::token_limit")]
    max_tokens: Option<u64>,
    #[serde(default, deserialize_with = "request::token_limit")]
    max_completion_tokens: Option<u64>,
}

/// `stream_options`, as far as the host reads it.
#[derive(Deserialize)]
pub(crate) struct StreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
}

impl StreamOptions {
    /// Whether a streamed answer ends with a usage chunk.
    pub(crate) fn include_usage(stream: bool, options: Option<Self>) -> bool {
        stream && options.and_then(|o| o.include_usage).unwrap_or(false)
    }
}

/// Proxies a chat completion, streamed or not, and stores the exchange when the
/// caller's conversations are kept (the id comes back in `x-conversation-id`).
pub(crate) async fn completions(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(record): Extension<CallRecord>,
    headers: HeaderMap,
    JsonBody { head, raw: body }: JsonBody<ChatHead>,
) -> Result<Response, GatewayError> {
    if head.messages.is_empty() {
        return Err(GatewayError::bad_request(
            "`messages` must contain at least one message",
            Some("messages"),
        ));
    }
    let stream = head.stream.unwrap_or(false);
    let call = CallHead {
        model: head.model,
        stream,
        include_usage: StreamOptions::include_usage(stream, head.stream_options),
        dialect_headers: Vec::new(),
        max_output: head.max_completion_tokens.or(head.max_tokens),
    };
    let (capture, body) = conversation::begin(
        principal.client_id(),
        principal.stores_conversations(state.config.conversations.enabled),
        &headers,
        &call.model,
        body,
    )?;
    let conversation_id = capture.as_ref().map(|c| c.conversation_id.clone());
    record.capture(capture);
    let forwarded = dispatch::forward(
        &state,
        Endpoint::ChatCompletions,
        call,
        &principal,
        body,
        &record,
    )
    .await;
    let mut response = super::render::openai(forwarded);
    if let Some(value) = conversation_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert(conversation::HEADER, value);
    }
    Ok(response)
}
