//! OpenAI's Responses API: `POST /v1/responses` for Codex, the Agents SDK and the
//! `openai` SDKs' `responses.*`, on any configured model, and the stored responses
//! behind `previous_response_id` ([`stored`]).
//!
//! A model whose deployments all use an adapter that speaks Responses natively
//! (OpenAI, Azure) is served by pass-through ([`native`]): the adapter changes the
//! model name, the host places the credential; `include`, encrypted reasoning,
//! `prompt_cache_key` and fields nobody here knows survive. Any other model is served
//! through the `responses` dialect component ([`super::dialect`]). Either way the
//! gateway keeps the response when `store` is not `false` ([`keep`]) and continues a
//! stored one on any platform ([`chain`]).

pub mod chain;
pub mod keep;
pub mod native;
pub mod stored;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use bytes::Bytes;
use serde::Deserialize;

use super::dialect::{Call, Translator, new_call_id, served_natively};
use super::request::JsonBody;
use crate::access::auth::Principal;
use crate::dispatch::{self, CallHead};
use crate::error::GatewayError;
use crate::plugins::bindings::Endpoint;
use crate::record::call_record::CallRecord;
use crate::state::AppState;
use crate::store;
use keep::Keeper;

/// Session headers Codex sends, first found wins; kept on the request log.
const SESSION_HEADERS: &[&str] = &["session-id", "session_id", "thread-id"];

/// Names the hosted tools a translated call left out (the platform cannot run them).
const DROPPED_TOOLS_HEADER: &str = "x-switchyard-dropped-tools";

/// Tool types a client runs itself; any other type is a hosted tool.
const CLIENT_TOOLS: &[&str] = &["function", "custom", "namespace", "local_shell"];

/// Platforms whose own web search the `responses` dialect maps `web_search` to
/// (`plugins/responses/src/request/search.rs`); Gemini only in a call without client
/// tools, which it cannot take beside a search.
const SEARCHES_ITSELF: &str = "anthropic";
const SEARCHES_WITHOUT_FUNCTIONS: &str = "gemini";

/// The fields of a Responses request the host reads.
#[derive(Deserialize)]
pub(crate) struct ResponsesHead {
    model: String,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    store: Option<bool>,
    #[serde(default)]
    previous_response_id: Option<String>,
    #[serde(default)]
    tools: Option<Vec<ToolHead>>,
    #[serde(default, deserialize_with = "super::request::token_limit")]
    max_output_tokens: Option<u64>,
}

/// What the host reads of a tool: whether a platform without hosted tools can take it.
#[derive(Deserialize)]
struct ToolHead {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    execution: Option<String>,
}

impl ToolHead {
    /// Whether the client runs this tool.
    fn by_client(&self) -> bool {
        self.kind
            .as_deref()
            .is_some_and(|kind| CLIENT_TOOLS.contains(&kind))
            || self.execution.as_deref() == Some("client")
    }

    /// The tool's type when the platform would have to run it.
    fn hosted(&self) -> Option<&str> {
        let kind = self.kind.as_deref()?;
        (!self.by_client()).then_some(kind)
    }
}

/// `POST /v1/responses`: a Response, whole or streamed.
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(record): Extension<CallRecord>,
    headers: HeaderMap,
    JsonBody { head, raw }: JsonBody<ResponsesHead>,
) -> Result<Response, GatewayError> {
    let stream = head.stream.unwrap_or(false);
    if let Some(session) = SESSION_HEADERS
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
    {
        record.session(session);
    }
    let resolved = state.models.resolve(&head.model).ok();
    let native = served_natively(&state, resolved.as_ref(), Endpoint::Responses);
    let call_id = new_call_id();
    let (body, keeper) = prepare(&state, &principal, &head, raw, native, &call_id).await?;

    if native {
        let call = CallHead {
            model: head.model,
            stream,
            include_usage: false,
            dialect_headers: Vec::new(),
            max_output: head.max_output_tokens,
        };
        let forwarded =
            dispatch::forward(&state, Endpoint::Responses, call, &principal, body, &record).await;
        return Ok(native::render(forwarded, keeper).await);
    }

    let platform = resolved
        .as_ref()
        .map(|model| model.primary_adapter().to_string())
        .unwrap_or_default();
    let dropped = dropped_tools(&head, &platform);
    let call = Call {
        endpoint: Endpoint::Responses,
        model: head.model,
        resolved,
        streaming: stream,
        call_id,
    };
    let mut translator = Translator::new(&state, call, native::fallback).await?;
    translator.keep(keeper);
    let forwarded = translator
        .forward(&state, &body, &principal, &record)
        .await?;
    let mut response = translator.render(forwarded).await;
    if let Some(dropped) = dropped.and_then(|d| HeaderValue::from_str(&d).ok()) {
        response.headers_mut().insert(DROPPED_TOOLS_HEADER, dropped);
    }
    Ok(response)
}

/// The body to send (with a stored chain's items carried into `input`) and the keeper
/// that stores the answer, unless the client said `store: false`.
async fn prepare(
    state: &AppState,
    principal: &Principal,
    head: &ResponsesHead,
    raw: Bytes,
    native: bool,
    call_id: &str,
) -> Result<(Bytes, Option<Keeper>), GatewayError> {
    let keeps = head.store != Some(false);
    let previous = head.previous_response_id.as_deref();
    if !keeps && previous.is_none() {
        return Ok((raw, None));
    }
    let members = chain::members(&raw)?;
    let keeper = if keeps {
        let input = chain::own_items(members.get("input").map(AsRef::as_ref), call_id)?;
        Some(Keeper::new(
            state.store.clone(),
            principal.client_id(),
            &head.model,
            head.previous_response_id.clone(),
            input,
        ))
    } else {
        None
    };
    let Some(previous) = previous else {
        return Ok((raw, keeper));
    };
    let client = principal.client_id().to_owned();
    let id = previous.to_owned();
    let links = store::blocking(&state.store, move |s| {
        s.response_chain(&client, &id, chain::MAX_CHAIN)
    })
    .await?;
    if links.is_empty() {
        return Err(GatewayError::BadReference {
            message: format!("Previous response with id '{previous}' not found."),
            param: "previous_response_id",
            code: "previous_response_not_found",
        });
    }
    let carried = chain::carried_items(&links, native);
    let members = chain::continued(members, carried, native)?;
    Ok((Bytes::from(chain::body(&members)?), keeper))
}

/// The hosted tools a translated call leaves out, comma-separated, logged once per call.
fn dropped_tools(head: &ResponsesHead, platform: &str) -> Option<String> {
    let tools = head.tools.as_deref().unwrap_or_default();
    let functions = tools.iter().any(ToolHead::by_client);
    let searches =
        platform == SEARCHES_ITSELF || (platform == SEARCHES_WITHOUT_FUNCTIONS && !functions);
    let mut dropped: Vec<&str> = tools
        .iter()
        .filter_map(ToolHead::hosted)
        .filter(|kind| !(searches && kind.starts_with("web_search")))
        .collect();
    dropped.dedup();
    if dropped.is_empty() {
        return None;
    }
    let dropped = dropped.join(",");
    tracing::info!(
        tools = %dropped,
        platform,
        "hosted tools left out: the platform cannot run them"
    );
    Some(dropped)
}
