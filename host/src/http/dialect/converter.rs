//! One dialect stream being converted: chat chunks in, the dialect's events out, each
//! relay step as it comes, with the keeper (stored responses) shown every event.

use std::convert::Infallible;

use axum::body::Body;
use bytes::Bytes;
use wasmtime::component::ResourceAny;

use super::{MAX_EVENTS, Translator};
use crate::dispatch::relay::{Started, Step};
use crate::error::GatewayError;
use crate::http::render;
use crate::plugins::session::PluginFault;

/// One stream being converted, chat chunks in, dialect events out.
pub(super) struct Converter {
    pub(super) translator: Translator,
    pub(super) resource: ResourceAny,
    /// No more steps: the answer is complete or failed.
    pub(super) ended: bool,
    /// The answer completed normally (the instance may serve again).
    pub(super) clean: bool,
    /// Events produced so far (bounded by [`MAX_EVENTS`]).
    pub(super) events: usize,
}

impl Converter {
    /// The response body: each relay step converted as it comes.
    pub(super) fn body(self, started: Started) -> Body {
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
    pub(super) async fn step(&mut self, step: Option<Step>) -> Bytes {
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
    pub(super) async fn close(mut self) {
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
