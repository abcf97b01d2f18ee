//! One request's record: opened when the request arrives ([`super::track`]), filled in on its
//! way through (access says who called and what to settle; dispatch says which model,
//! adapter, usage and reply), and finished exactly once. Finishing is the one place
//! that counts tokens, settles them against the key's limits, writes the request-log
//! row and stores the conversation exchange.
//!
//! A whole answer is finished before it is sent (so a client that reads it and calls
//! again is already charged); a stream when its body ends, or when the client goes
//! away and the body is dropped. Whatever the request holds until its answer is
//! delivered (a concurrency slot, the streams gauge) is released with the body.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::response::Response;
use http::HeaderValue;
use http_body::Body as HttpBody;
use serde_json::Value;

use super::bill;
use super::conversation::Capture;
use super::ledger::{Ledger, Remains};
use super::metrics::{self, HeadLabels, InFlight};
use crate::error::ErrorType;
use crate::plugins::bindings::Usage;
use crate::spend::Settlement;
use crate::spend::cost::Buckets;
use crate::spend::price::Price;
use crate::store::{Exchange, RequestRecord, now_millis};

/// Settles a finished request's tokens (prompt + completion) against its key's limits.
pub type Settle = Box<dyn FnOnce(u64) + Send>;

/// A handle on one request's record, in the request's extensions; clones share it.
#[derive(Clone)]
pub struct CallRecord(Arc<Shared>);

struct Shared {
    ledger: Arc<Ledger>,
    at_ms: i64,
    opened: Instant,
    fill: Mutex<Fill>,
    /// What the request keeps until its answer is delivered or abandoned.
    held: Mutex<Vec<Box<dyn Send>>>,
}

/// Longest session id kept on a log row.
pub const MAX_SESSION_ID: usize = 128;

/// What is known so far.
#[derive(Default)]
struct Fill {
    finished: bool,
    /// Whether the request gets a request-log row (proxied routes do).
    logged: bool,
    request_id: String,
    endpoint: String,
    client_id: Option<String>,
    /// The client's session (Claude Code's `x-claude-code-session-id`).
    session_id: Option<String>,
    settle: Option<Settle>,
    /// The model as the client named it (cut to [`metrics::MAX_LOGGED_MODEL`]), once
    /// dispatch has read it.
    model: Option<String>,
    /// The configured model's name, when the client's name resolved to one.
    model_label: Option<Arc<str>>,
    /// The model whose deployment made the last attempt (a fallback's, after the
    /// requested one failed): the tokens are its.
    serving_model: Option<Arc<str>>,
    platform: Option<Arc<str>>,
    adapter_version: Option<Arc<str>>,
    upstream: Option<Duration>,
    streamed: bool,
    status: u16,
    error_type: Option<String>,
    usage: Option<Usage>,
    capture: Option<Capture>,
    exchange: Option<Exchange>,
    stream: StreamEnd,
    /// The serving deployment's price.
    price: Option<Price>,
    /// What the request reserved against budgets, settled when it finishes.
    settlement: Option<Settlement>,
    /// The prompt's estimated tokens (billed when a cut stream never said).
    prompt_estimate: u64,
    /// Text relayed so far, in characters (billed when a cut stream never said).
    generated_chars: u64,
    /// The usage a stream reported before it ended.
    usage_so_far: Option<Usage>,
}

/// How a relayed stream ended, as far as the record knows.
#[derive(Default, PartialEq)]
enum StreamEnd {
    /// No stream was relayed to the client.
    #[default]
    None,
    /// Relaying; no end reported yet (finished now, the client went away).
    Open,
    /// The stream ended normally.
    Ended,
    /// The stream ended with an error event of this type.
    Failed(String),
}

impl CallRecord {
    /// A record for `request`, arriving now: its id and path are what the log keeps.
    pub(super) fn open(ledger: Arc<Ledger>, request: &Request) -> Self {
        let request_id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let fill = Fill {
            request_id,
            endpoint: request.uri().path().to_string(),
            ..Fill::default()
        };
        Self(Arc::new(Shared {
            ledger,
            at_ms: now_millis(),
            opened: Instant::now(),
            fill: Mutex::new(fill),
            held: Mutex::new(Vec::new()),
        }))
    }

    /// The fill, even after a panic elsewhere poisoned it: a record is plain data.
    fn fill(&self) -> MutexGuard<'_, Fill> {
        self.0
            .fill
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Gives the request a row in the request log (proxied routes, refusals included).
    pub fn keep_in_log(&self) {
        self.fill().logged = true;
    }

    /// The caller, as the log and the token metrics name it.
    pub fn identify(&self, client_id: &str) {
        self.fill().client_id = Some(client_id.to_string());
    }

    /// What to do with the request's tokens when it finishes (charge a tokens-per-minute
    /// window).
    pub fn settle_with(&self, settle: Settle) {
        self.fill().settle = Some(settle);
    }

    /// Keeps `held` until the answer has been delivered or abandoned.
    pub fn hold(&self, held: impl Send + 'static) {
        self.held().push(Box::new(held));
    }

    fn held(&self) -> MutexGuard<'_, Vec<Box<dyn Send>>> {
        self.0
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Lets go of what the request held (its answer is delivered or abandoned).
    pub(super) fn release(&self) {
        let held = std::mem::take(&mut *self.held());
        drop(held);
    }

    /// The model the client asked for, and whether to stream.
    pub fn requested(&self, model: &str, streamed: bool) {
        let mut fill = self.fill();
        fill.model = Some(model.chars().take(metrics::MAX_LOGGED_MODEL).collect());
        fill.streamed = streamed;
    }

    /// The client's own session id (Claude Code sends one per session), kept on the
    /// log row: at most [`MAX_SESSION_ID`] characters, control characters dropped.
    pub fn session(&self, id: &str) {
        let id: String = id
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_SESSION_ID)
            .collect();
        if !id.is_empty() {
            self.fill().session_id = Some(id);
        }
    }

    /// The client's name resolved to the configured model `name`.
    pub fn resolved(&self, name: &Arc<str>) {
        self.fill().model_label = Some(Arc::clone(name));
    }

    /// The model (the requested one or a fallback) and adapter of the attempt being made.
    pub fn served_by(&self, model: &Arc<str>, platform: &Arc<str>, version: &Arc<str>) {
        let mut fill = self.fill();
        fill.serving_model = Some(Arc::clone(model));
        fill.platform = Some(Arc::clone(platform));
        fill.adapter_version = Some(Arc::clone(version));
    }

    /// The price of the deployment making the attempt.
    pub fn priced(&self, price: Option<Price>) {
        self.fill().price = price;
    }

    /// What the request reserved against its key's budgets, and its prompt's estimated
    /// size in tokens.
    pub fn reserved(&self, settlement: Settlement, prompt_estimate: u64) {
        let mut fill = self.fill();
        fill.settlement = Some(settlement);
        fill.prompt_estimate = prompt_estimate;
    }

    /// A relayed stream's progress: `chars` more characters of text, and the usage it
    /// has reported so far (a stream the client leaves is billed for this much).
    pub fn progress(&self, chars: usize, usage: Option<Usage>) {
        let mut fill = self.fill();
        fill.generated_chars += chars as u64;
        if usage.is_some() {
            fill.usage_so_far = usage;
        }
    }

    /// How long the upstream took to answer (its head; with its body when whole).
    pub fn upstream_took(&self, took: Duration) {
        self.fill().upstream = Some(took);
    }

    /// Stores the exchange when the request's conversation is kept.
    pub fn capture(&self, capture: Option<Capture>) {
        self.fill().capture = capture;
    }

    /// Whether a reply should be handed to [`Self::replied`] (the conversation is kept).
    pub fn wants_reply(&self) -> bool {
        self.fill().capture.is_some()
    }

    /// The assistant's reply message, completing the captured exchange.
    pub fn replied(&self, reply: &Value) {
        let mut fill = self.fill();
        if let Some(capture) = fill.capture.take() {
            fill.exchange = Some(capture.complete(reply));
        }
    }

    /// A whole answer: its usage, and its body for the captured exchange.
    pub fn answered_whole(&self, usage: Option<Usage>, body: &[u8]) {
        let mut fill = self.fill();
        fill.usage = usage;
        if let Some(capture) = fill.capture.take() {
            fill.exchange = capture.complete_from_body(body);
        }
    }

    /// A stream is being relayed to the client; it counts in the streams gauge until
    /// its body is gone. Its first step may already have ended it (an adapter that
    /// answers only when the upstream closes): that end stands.
    pub fn stream_started(&self) {
        {
            let mut fill = self.fill();
            if fill.stream == StreamEnd::None {
                fill.stream = StreamEnd::Open;
            }
        }
        self.hold(InFlight::stream());
    }

    /// The relayed stream ended normally, having used `usage`.
    pub fn stream_ended(&self, usage: Option<Usage>) {
        let mut fill = self.fill();
        fill.stream = StreamEnd::Ended;
        fill.usage = usage;
    }

    /// The relayed stream ended with an error event of `error_type`.
    pub fn stream_failed(&self, error_type: &str, usage: Option<Usage>) {
        let mut fill = self.fill();
        fill.stream = StreamEnd::Failed(error_type.to_string());
        fill.usage = usage;
    }

    /// Records the response head: the request metrics, and the overhead header on
    /// proxied answers. Returns whether the answer is whole (its size is known).
    pub(super) fn answered(&self, route: String, response: &mut Response) -> bool {
        let mut fill = self.fill();
        fill.status = response.status().as_u16();
        fill.error_type = response
            .extensions()
            .get::<ErrorType>()
            .map(|e| e.0.clone());
        let overhead = metrics::record_answer(
            route,
            &HeadLabels {
                model: fill.model_label.as_ref(),
                named: fill.model.is_some(),
                platform: fill.platform.as_ref(),
                status: fill.status,
            },
            self.0.opened.elapsed(),
            fill.upstream,
        );
        drop(fill);
        if let Some(value) = overhead
            .map(|o| format!("{:.3}", o.as_secs_f64() * 1000.0))
            .and_then(|ms| HeaderValue::from_str(&ms).ok())
        {
            response
                .headers_mut()
                .insert(metrics::OVERHEAD_HEADER, value);
        }
        response.body().size_hint().exact().is_some()
    }

    /// Takes what the request leaves behind, once; `None` when already finished.
    fn finish(&self) -> Option<Remains> {
        let mut fill = self.fill();
        if fill.finished {
            return None;
        }
        let fill = std::mem::replace(
            &mut *fill,
            Fill {
                finished: true,
                ..Fill::default()
            },
        );
        let Fill {
            logged,
            request_id,
            endpoint,
            client_id,
            session_id,
            settle,
            model,
            model_label,
            serving_model,
            platform,
            adapter_version,
            upstream,
            streamed,
            status,
            error_type,
            usage,
            exchange,
            stream,
            price,
            settlement,
            prompt_estimate,
            generated_chars,
            usage_so_far,
            ..
        } = fill;
        let client_id = client_id.unwrap_or_else(|| "unauthenticated".to_string());
        // A stream that ended without its usage (the client left, the upstream broke)
        // is billed for what it reported and relayed.
        let usage = match (&stream, usage) {
            (StreamEnd::Open | StreamEnd::Failed(_), None) => {
                bill::partial_usage(usage_so_far, prompt_estimate, generated_chars)
            }
            (_, usage) => usage,
        };
        let label = serving_model.as_ref().or(model_label.as_ref());
        let buckets = usage.as_ref().map(Buckets::of);
        let cost = price.zip(buckets).map(|(price, b)| price.cost(&b));
        if let Some(usage) = &usage {
            if let Some(label) = label {
                metrics::record_usage(label, &client_id, usage, cost);
            }
            if let Some(settle) = settle {
                settle(u64::from(usage.prompt_tokens) + u64::from(usage.completion_tokens));
            }
        }
        if let Some(settlement) = settlement {
            // Unknown cost on a budgeted request (an unpriced fallback served it): the
            // reservation stands as the cost.
            let charged = match (cost, &usage) {
                (Some(cost), _) => cost,
                (None, Some(_)) => settlement.estimate(),
                (None, None) => 0,
            };
            settlement.settle(charged);
        }
        let spend = label
            .zip(buckets)
            .map(|(label, b)| (self.0.at_ms, bill::spend_line(&client_id, label, &b, cost)));
        let error_type = match stream {
            StreamEnd::None | StreamEnd::Ended => error_type,
            StreamEnd::Failed(error_type) => Some(error_type),
            StreamEnd::Open => Some("client_disconnected".to_string()),
        };
        let row = logged.then(|| RequestRecord {
            at_ms: self.0.at_ms,
            request_id,
            client_id,
            endpoint,
            model: model.unwrap_or_default(),
            platform: platform.map(|p| p.to_string()),
            adapter_version: adapter_version.map(|v| v.to_string()),
            status,
            latency_ms: self.0.opened.elapsed().as_secs_f64() * 1000.0,
            upstream_ms: upstream.map(|d| d.as_secs_f64() * 1000.0),
            prompt_tokens: usage.map(|u| u.prompt_tokens),
            completion_tokens: usage.map(|u| u.completion_tokens),
            total_tokens: usage.map(|u| u.prompt_tokens.saturating_add(u.completion_tokens)),
            streamed,
            error_type,
            session_id,
            cached_tokens: usage.and_then(|u| u.cached_tokens),
            reasoning_tokens: usage.and_then(|u| u.reasoning_tokens),
            cost_nanos: cost,
        });
        Some(Remains {
            row,
            spend,
            exchange,
        })
    }

    /// Finishes the record, waiting for room in the writer's queue.
    pub(super) async fn finish_waiting(&self) {
        if let Some(remains) = self.finish() {
            self.0.ledger.write(remains).await;
        }
    }

    /// Finishes the record from synchronous code (a body that ended or was dropped).
    pub(super) fn finish_now(&self) {
        if let Some(remains) = self.finish() {
            self.0.ledger.write_detached(remains);
        }
    }
}

#[cfg(test)]
mod tests;
