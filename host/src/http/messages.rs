//! Anthropic's Messages API: `POST /v1/messages` and `POST /v1/messages/count_tokens`,
//! for the Anthropic SDKs and Claude Code, on any configured model.
//!
//! A model whose deployments (fallbacks included) all use an adapter that speaks
//! Messages natively is served by pass-through: the adapter changes the model name,
//! the host places the credential and forwards the client's `anthropic-version` and
//! `anthropic-beta`; everything else in the body and the answer is kept. Any other
//! model is served through the `messages` dialect component ([`super::dialect`]).

mod estimate;
pub mod render;

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;

use super::dialect::{Call, Translator, call_id, served_natively};
use super::request::JsonBody;
use crate::access::auth::Principal;
use crate::dispatch::relay::Step;
use crate::dispatch::{self, CallHead, Forwarded, Outcome};
use crate::error::GatewayError;
use crate::plugins::bindings::Endpoint;
use crate::record::call_record::CallRecord;
use crate::state::AppState;

/// Claude Code's session id, kept on the request log.
const SESSION_HEADER: &str = "x-claude-code-session-id";

/// Client headers a native call forwards upstream.
const DIALECT_HEADERS: &[&str] = &["anthropic-version", "anthropic-beta"];

/// The fields of a Messages request the host reads; the rest is the dialect's (or,
/// on pass-through, the platform's) business.
#[derive(Deserialize)]
pub(crate) struct MessagesHead {
    model: String,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default, deserialize_with = "super::request::token_limit")]
    max_tokens: Option<u64>,
}

/// `POST /v1/messages`: a Message, whole or streamed.
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(record): Extension<CallRecord>,
    headers: HeaderMap,
    JsonBody { head, raw }: JsonBody<MessagesHead>,
) -> Result<Response, GatewayError> {
    let stream = head.stream.unwrap_or(false);
    if let Some(session) = headers.get(SESSION_HEADER).and_then(|v| v.to_str().ok()) {
        record.session(session);
    }
    let resolved = state.models.resolve(&head.model).ok();
    if served_natively(&state, resolved.as_ref(), Endpoint::Messages) {
        let call = CallHead {
            model: head.model,
            stream,
            include_usage: false,
            dialect_headers: dialect_headers(&headers),
            max_output: head.max_tokens,
        };
        let forwarded =
            dispatch::forward(&state, Endpoint::Messages, call, &principal, raw, &record).await;
        return Ok(native(forwarded));
    }
    let call = Call {
        endpoint: Endpoint::Messages,
        model: head.model,
        resolved,
        streaming: stream,
        // The request id is already unique per call (a UUID unless the client sent one).
        call_id: call_id(&headers),
    };
    let mut translator = Translator::new(&state, call, anthropic_error).await?;
    let forwarded = translator
        .forward(&state, &raw, &principal, &record)
        .await?;
    Ok(translator.render(forwarded).await)
}

/// `POST /v1/messages/count_tokens`: the platform's own count where it has one
/// (pass-through), the gateway's estimate otherwise ([`estimate`]).
pub(crate) async fn count_tokens(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(record): Extension<CallRecord>,
    headers: HeaderMap,
    JsonBody { head, raw }: JsonBody<MessagesHead>,
) -> Result<Response, GatewayError> {
    let resolved = state.models.resolve(&head.model).ok();
    if served_natively(&state, resolved.as_ref(), Endpoint::MessagesCountTokens) {
        let call = CallHead {
            model: head.model,
            stream: false,
            include_usage: false,
            dialect_headers: dialect_headers(&headers),
            max_output: Some(0),
        };
        let forwarded = dispatch::forward(
            &state,
            Endpoint::MessagesCountTokens,
            call,
            &principal,
            raw,
            &record,
        )
        .await;
        return Ok(native(forwarded));
    }
    let model = match resolved {
        Some(model) => model,
        None => state.models.resolve(&head.model)?,
    };
    principal.check_model(&model.name)?;
    record.requested(&head.model, false);
    record.resolved(&model.name);
    let tokens = estimate::input_tokens(&raw)?;
    Ok(axum::Json(serde_json::json!({ "input_tokens": tokens })).into_response())
}

/// The client's `anthropic-*` headers a native call forwards.
fn dialect_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    DIALECT_HEADERS
        .iter()
        .filter_map(|name| {
            let values: Vec<&str> = headers
                .get_all(*name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            (!values.is_empty()).then(|| ((*name).to_string(), values.join(",")))
        })
        .collect()
}

/// Anthropic's error event, when the dialect cannot write one.
fn anthropic_error(err: &GatewayError) -> String {
    render::error_json(err.status(), err).to_string()
}

/// Renders a pass-through call: bodies and events as the platform sent them, a
/// failure after the stream started as an `error` event.
fn native(forwarded: Forwarded) -> Response {
    let Forwarded { outcome, passed } = forwarded;
    let mut response = match outcome {
        Ok(Outcome::Whole(body)) => render::json(body),
        Ok(Outcome::Chunks(events)) => {
            render::event_stream(Body::from(render::encode_events(&events)))
        }
        Ok(Outcome::Stream(started)) => {
            render::event_stream(super::render::relay_body(*started, encode_native))
        }
        Err(err) => err.into_response(),
    };
    super::render::pass_headers(&mut response, passed);
    response
}

/// SSE bytes for a step of a native stream: the platform's events, and after a
/// failure the gateway's `error` event.
fn encode_native(step: Step) -> Bytes {
    match step {
        Step::Chunks(events) | Step::End(events) => render::encode_events(&events),
        Step::Failed(events, err) => {
            let mut bytes = render::encode_events(&events).to_vec();
            bytes.extend_from_slice(&render::error_event(&err));
            bytes.into()
        }
    }
}
