//! A call in a dialect other than chat (Anthropic Messages, OpenAI Responses) on a
//! platform that does not speak it: the dialect component turns the request into chat,
//! and chat answers (whole, told as chunks, or streamed) back into the dialect's bodies
//! and events. The chat call itself is an ordinary one (`dispatch::forward`), with its
//! retries, fallbacks, limits and record.
//!
//! One instance serves the whole call, `to-chat` first, then `from-chat` or the stream
//! converter, and nothing else in between: a dialect may carry what the answer needs
//! from the request (the Responses dialect does, for custom tools and echoed fields).

mod converter;

use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};

use bytes::Bytes;
use serde::Deserialize;
use tokio::sync::OwnedSemaphorePermit;

use super::chat::StreamOptions;
use super::render;
use super::request;
use super::responses::keep::Keeper;
use crate::access::auth::Principal;
use crate::dispatch::models::Model;
use crate::dispatch::relay::Step;
use crate::dispatch::{self, CallHead, Forwarded, Outcome};
use crate::error::GatewayError;
use crate::plugins::bindings::{DialectContext, Endpoint};
use crate::plugins::registry::Dialect;
use crate::plugins::session::{CallResult, Session};
use crate::record::call_record::CallRecord;
use crate::state::AppState;
use converter::Converter;

/// Largest event list a dialect may return for one call (a runaway guest's output
/// must not grow without bound).
pub(super) const MAX_EVENTS: usize = 100_000;

/// The event that ends a stream with an error, when the dialect cannot say it.
pub type Fallback = fn(&GatewayError) -> String;

/// A dialect instance serving one call.
pub struct Translator {
    dialect: Arc<Dialect>,
    session: Session,
    _permit: OwnedSemaphorePermit,
    /// The context of every call.
    pub ctx: DialectContext,
    fallback: Fallback,
    keeper: Option<Keeper>,
}

/// What the host reads of the translated chat request.
#[derive(Deserialize)]
struct ChatHead {
    model: String,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
    #[serde(default, deserialize_with = "request::token_limit")]
    max_tokens: Option<u64>,
    #[serde(default, deserialize_with = "request::token_limit")]
    max_completion_tokens: Option<u64>,
}

/// The call a dialect translates: who asked for what.
pub struct Call {
    /// The inbound endpoint, whose dialect component translates.
    pub endpoint: Endpoint,
    /// The model the client asked for.
    pub model: String,
    /// The model it resolves to, if any (its primary platform goes to the dialect).
    pub resolved: Option<Arc<Model>>,
    /// Whether the client asked for a stream.
    pub streaming: bool,
    /// The id the dialect derives answer ids from.
    pub call_id: String,
}

impl Translator {
    /// An instance of the loaded dialect for `call`'s endpoint; `fallback` writes the
    /// error event when the dialect faults.
    pub async fn new(
        state: &AppState,
        call: Call,
        fallback: Fallback,
    ) -> Result<Self, GatewayError> {
        let name = match call.endpoint {
            Endpoint::Messages => "messages",
            Endpoint::Responses => "responses",
            _ => "dialect",
        };
        let dialect = state
            .plugins
            .snapshot()
            .dialect_for(call.endpoint)
            .ok_or_else(|| {
                GatewayError::AdapterUnavailable(format!(
                    "the `{name}` dialect component is not loaded; see /health for why"
                ))
            })?;
        let ctx = DialectContext {
            public_model: call.model,
            platform: call
                .resolved
                .map(|model| model.primary_adapter().to_string())
                .unwrap_or_default(),
            streaming: call.streaming,
            call_id: call.call_id,
            created: created_now(),
        };
        let (session, permit) = state.plugins.dialect_session(&dialect).await?;
        Ok(Self {
            dialect,
            session,
            _permit: permit,
            ctx,
            fallback,
            keeper: None,
        })
    }

    /// Keeps the answer (a stored response) before the client sees its end.
    pub fn keep(&mut self, keeper: Option<Keeper>) {
        self.keeper = keeper;
    }

    /// The dialect's answer, or the error it returned, or its fault as a 502.
    fn checked<T>(&self, result: CallResult<T>) -> Result<T, GatewayError> {
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(crate::plugins::verify::dialect_error(&self.dialect, error)),
            Err(fault) => Err(GatewayError::dialect(&self.dialect, fault)),
        }
    }

    /// The client's request translated to chat and forwarded as an ordinary chat call
    /// (retries, fallbacks, limits, record).
    pub async fn forward(
        &mut self,
        state: &AppState,
        body: &[u8],
        principal: &Principal,
        record: &CallRecord,
    ) -> Result<Forwarded, GatewayError> {
        let result = self.session.to_chat(&self.ctx, body).await;
        let chat = Bytes::from(self.checked(result)?);
        let head: ChatHead = request::parse(&chat)?;
        let stream = head.stream.unwrap_or(false);
        let call = CallHead {
            model: head.model,
            stream,
            include_usage: StreamOptions::include_usage(stream, head.stream_options),
            dialect_headers: Vec::new(),
            max_output: head.max_completion_tokens.or(head.max_tokens),
        };
        Ok(dispatch::forward(
            state,
            Endpoint::ChatCompletions,
            call,
            principal,
            chat,
            record,
        )
        .await)
    }

    /// Renders a chat call's outcome in the dialect.
    pub async fn render(mut self, forwarded: Forwarded) -> Response {
        let Forwarded { outcome, passed } = forwarded;
        let mut response = match outcome {
            Ok(Outcome::Whole(body)) => {
                let result = self.session.from_chat(&self.ctx, &body).await;
                match self.checked(result) {
                    Ok(body) => {
                        if let Some(keeper) = self.keeper.take() {
                            keeper.body(&body).await;
                        }
                        self.recycle();
                        render::json(Bytes::from(body))
                    }
                    Err(err) => err.into_response(),
                }
            }
            Ok(Outcome::Chunks(chunks)) => match self.open().await {
                Ok(mut stream) => {
                    let bytes = stream.step(Some(Step::End(chunks))).await;
                    tokio::spawn(stream.close());
                    render::event_stream(Body::from(bytes))
                }
                Err(err) => err.into_response(),
            },
            Ok(Outcome::Stream(started)) => match self.open().await {
                Ok(stream) => render::event_stream(stream.body(*started)),
                Err(err) => err.into_response(),
            },
            Err(err) => err.into_response(),
        };
        crate::http::render::pass_headers(&mut response, passed);
        response
    }

    /// Starts converting a stream.
    async fn open(mut self) -> Result<Converter, GatewayError> {
        let opened = self.session.open_converter(&self.ctx).await;
        match opened {
            Ok(resource) => Ok(Converter {
                translator: self,
                resource,
                ended: false,
                clean: false,
                events: 0,
            }),
            Err(fault) => Err(GatewayError::dialect(&self.dialect, fault)),
        }
    }

    /// A call that ended normally: the instance may serve again.
    fn recycle(self) {
        self.dialect.pool.put(self.session);
    }
}

/// The id a dialect derives its answer ids from: the request's id, as letters and
/// digits (ids such as `msg_...` must not carry a client's punctuation), or a new one.
pub fn call_id(headers: &axum::http::HeaderMap) -> String {
    let id: String = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(64)
        .collect();
    if id.is_empty() { new_call_id() } else { id }
}

/// A fresh call id, for answers whose ids must be unique (stored responses).
pub fn new_call_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Whether every deployment that could serve `model` (its fallbacks' included) uses an
/// adapter that speaks `endpoint` natively. An unknown model (`None`) counts as native:
/// the call then fails with the same 404 it would anywhere.
pub fn served_natively(state: &AppState, model: Option<&Arc<Model>>, endpoint: Endpoint) -> bool {
    let Some(model) = model else {
        return true;
    };
    let registry = state.plugins.snapshot();
    let chain = std::iter::once(Ok(Arc::clone(model))).chain(
        model
            .fallbacks
            .iter()
            .map(|name| state.models.resolve(name)),
    );
    chain.flatten().all(|model| {
        model.deployments.iter().all(|deployment| {
            registry
                .active
                .get(&deployment.adapter)
                .is_some_and(|adapter| adapter.supports(endpoint))
        })
    })
}

/// Unix time in seconds, for a dialect's `created` fields.
pub fn created_now() -> u64 {
    crate::store::now_millis().max(0).unsigned_abs() / 1000
}
