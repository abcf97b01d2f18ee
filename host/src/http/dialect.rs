//! A call in a dialect other than chat (Anthropic Messages, OpenAI Responses) on a
//! platform that does not speak it: the dialect component turns the request into chat,
//! and chat answers (whole, told as chunks, or streamed) back into the dialect's bodies
//! and events. The chat call itself is an ordinary one (`dispatch::forward`), with its
//! retries, fallbacks, limits and record.
//!
//! One instance serves the whole call, `to-chat` first, then `from-chat` or the stream
//! converter, and nothing else in between: a dialect may carry what the answer needs
//! from the request (the Responses dialect does, for custom tools and echoed fields).

use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;

use bytes::Bytes;
use tokio::sync::OwnedSemaphorePermit;
use wasmtime::component::ResourceAny;

use super::render;
use super::responses::keep::Keeper;
use crate::dispatch::models::Model;
use crate::dispatch::relay::{Started, Step};
use crate::dispatch::{Forwarded, Outcome};
use crate::error::GatewayError;
use crate::plugins::bindings::DialectContext;
use crate::plugins::registry::Dialect;
use crate::plugins::session::{CallResult, PluginFault, Session};
use crate::state::AppState;

/// Largest event list a dialect may return for one call (a runaway guest's output
/// must not grow without bound).
const MAX_EVENTS: usize = 100_000;

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

impl Translator {
    /// An instance of `dialect` for a call with `ctx`; `fallback` writes the error
    /// event when the dialect faults.
    pub async fn new(
        state: &AppState,
        dialect: Arc<Dialect>,
        ctx: DialectContext,
        fallback: Fallback,
    ) -> Result<Self, GatewayError> {
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

    /// The client's request as a chat completions body.
    pub async fn chat_request(&mut self, body: &[u8]) -> Result<Bytes, GatewayError> {
        let result = self.session.to_chat(&self.ctx, body).await;
        self.checked(result).map(Bytes::from)
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

/// One stream being converted, chat chunks in, dialect events out.
struct Converter {
    translator: Translator,
    resource: ResourceAny,
    /// No more steps: the answer is complete or failed.
    ended: bool,
    /// The answer completed normally (the instance may serve again).
    clean: bool,
    /// Events produced so far (bounded by [`MAX_EVENTS`]).
    events: usize,
}

impl Converter {
    /// The response body: each relay step converted as it comes.
    fn body(self, started: Started) -> Body {
        let Started { relay, first } = started;
        let steps = futures_util::stream::unfold(
            (Some(self), Some(relay), first),
            |(converter, mut relay, pending)| async move {
                let mut converter = converter?;
                let step = match pending {
                    Some(step) => Some(step),
                    None => match relay.as_mut() {
                        Some(relay) => relay.advance().await,
                        None => None,
                    },
                };
                let bytes = converter.step(step).await;
                if converter.ended {
                    if let Some(relay) = relay.take() {
                        relay.release();
                    }
                    tokio::spawn(converter.close());
                    return Some((Ok::<_, Infallible>(bytes), (None, None, None)));
                }
                Some((Ok(bytes), (Some(converter), relay, None)))
            },
        );
        Body::from_stream(steps)
    }

    /// Converts one relay step (`None`: the relay has nothing more) into SSE bytes.
    async fn step(&mut self, step: Option<Step>) -> Bytes {
        let converted = match step {
            Some(Step::Chunks(chunks)) => self.push(&chunks).await,
            Some(Step::End(chunks)) => self.end(&chunks).await,
            None => self.end(&[]).await,
            Some(Step::Failed(chunks, err)) => {
                let mut events = self.push(&chunks).await.unwrap_or_default();
                events.extend(self.fail(&err).await);
                self.ended = true;
                return self.deliver(events).await;
            }
        };
        let events = match converted {
            Ok(events) => events,
            Err(err) => {
                self.ended = true;
                self.clean = false;
                self.fail(&err).await
            }
        };
        self.deliver(events).await
    }

    /// SSE bytes for events, once the keeper (if any) has seen them.
    async fn deliver(&mut self, events: Vec<String>) -> Bytes {
        if let Some(keeper) = self.translator.keeper.as_mut() {
            keeper.events(&events).await;
        }
        render::encode_events(&events)
    }

    /// Chat chunks through `push`.
    async fn push(&mut self, chunks: &[String]) -> Result<Vec<String>, GatewayError> {
        if chunks.is_empty() {
            return Ok(Vec::new());
        }
        let result = self.translator.session.convert(self.resource, chunks).await;
        let events = self.translator.checked(result)?;
        self.count(events)
    }

    /// The last chunks, then `finish`.
    async fn end(&mut self, chunks: &[String]) -> Result<Vec<String>, GatewayError> {
        let mut events = self.push(chunks).await?;
        let result = self
            .translator
            .session
            .finish_conversion(self.resource)
            .await;
        events.extend(self.translator.checked(result)?);
        self.ended = true;
        self.clean = true;
        self.count(events)
    }

    /// The dialect's events for a failure; the host's own error event when the dialect
    /// cannot say it (it faulted, or returned nothing).
    async fn fail(&mut self, err: &GatewayError) -> Vec<String> {
        let result = self
            .translator
            .session
            .fail_conversion(self.resource, &err.api_error())
            .await;
        match result {
            Ok(events) if !events.is_empty() && events.len() <= MAX_EVENTS => events,
            _ => vec![(self.translator.fallback)(err)],
        }
    }

    fn count(&mut self, events: Vec<String>) -> Result<Vec<String>, GatewayError> {
        self.events = self.events.saturating_add(events.len());
        if self.events > MAX_EVENTS {
            return Err(GatewayError::dialect(
                &self.translator.dialect,
                PluginFault::Contract(format!("more than {MAX_EVENTS} events for one answer")),
            ));
        }
        Ok(events)
    }

    /// Closes the converter and gives the instance back after a clean end.
    async fn close(mut self) {
        let closed = self
            .translator
            .session
            .close_stream(self.resource)
            .await
            .is_ok();
        if closed && self.clean {
            self.translator.recycle();
        }
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
pub fn served_natively(
    state: &AppState,
    model: Option<&Arc<Model>>,
    endpoint: crate::plugins::bindings::Endpoint,
) -> bool {
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
