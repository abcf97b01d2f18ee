//! Per-client-key rate limits: requests per minute, tokens per minute and requests in
//! flight. One trait, [`LimitStore`], so a shared store (Redis, ...) can stand in for
//! the in-process [`MemoryLimits`] when several gateways serve the same keys.
//!
//! The request path ([`admit`], called by `access::gate` after authentication) calls
//! [`LimitStore::admit`], has the request's record hold the [`Admission`]'s slot until
//! the answer has been delivered, and calls [`LimitStore::record`] when the record
//! settles the answer's real usage. A refusal is a [`Limited`], which renders as
//! OpenAI's 429 (`rate_limit_exceeded`).

mod memory;
pub mod redis;
mod requests;
mod response;
mod tokens;

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::GatewayError;
use crate::record::call_record::CallRecord;
use crate::store::KeyLimits;
use response::openai_duration;

pub use memory::MemoryLimits;

/// Where the limit state of client keys lives. Implementations are called from many
/// tasks at once and must not block for long: the request path calls them inline.
pub trait LimitStore: Send + Sync + 'static {
    /// Admits one request of key `key_id` under `limits`, or says which limit refuses
    /// it and when to come back. A refusal must not use up any of the key's budget, so
    /// a client that waits for [`Limited::retry_after`] is admitted.
    fn admit(&self, key_id: &str, limits: KeyLimits) -> Result<Admission, Limited>;

    /// Records `tokens` (prompt + completion) used by an answer of key `key_id`, once
    /// its real usage is known. May take the key's token balance below zero.
    fn record(&self, key_id: &str, limits: KeyLimits, tokens: u64);
}

/// Where the limits of client keys are enforced.
pub enum Limiter {
    /// In this process's memory: right for one gateway.
    Local(MemoryLimits),
    /// Shared through Redis by every gateway process (`storage.redis_url`).
    Shared(redis::RedisLimits),
}

impl Limiter {
    /// Admits one request of `key_id` under `limits`, or refuses it.
    pub async fn admit(
        &self,
        key_id: &str,
        limits: KeyLimits,
    ) -> Result<Admission, redis::Refused> {
        match self {
            Self::Local(memory) => memory
                .admit(key_id, limits)
                .map_err(redis::Refused::Limited),
            Self::Shared(shared) => shared.admit(key_id, limits).await,
        }
    }

    /// Settles the tokens an answer of `key_id` used.
    pub fn record(&self, key_id: &str, limits: KeyLimits, tokens: u64) {
        match self {
            Self::Local(memory) => memory.record(key_id, limits, tokens),
            Self::Shared(shared) => shared.record(key_id, limits, tokens),
        }
    }
}

/// The limiter every request goes through.
pub type SharedLimits = Arc<Limiter>;

/// The limit that refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// Requests per minute.
    Requests,
    /// Tokens per minute.
    Tokens,
    /// Requests in flight at once.
    Concurrency,
}

impl LimitKind {
    /// The name used in logs: `requests`, `tokens` or `concurrency`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requests => "requests",
            Self::Tokens => "tokens",
            Self::Concurrency => "concurrency",
        }
    }

    /// The OpenAI error `type`: OpenAI knows only `requests` and `tokens`, and a
    /// concurrency limit caps requests.
    pub fn error_type(self) -> &'static str {
        match self {
            Self::Requests | Self::Concurrency => "requests",
            Self::Tokens => "tokens",
        }
    }

    /// How the limit is named in the message, after OpenAI's.
    fn describe(self) -> &'static str {
        match self {
            Self::Requests => "requests per minute (RPM)",
            Self::Tokens => "tokens per minute (TPM)",
            Self::Concurrency => "concurrent requests",
        }
    }
}

/// The state of one per-minute limit, as told to the client in `x-ratelimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The limit (`x-ratelimit-limit-*`).
    pub limit: u32,
    /// What is left now (`x-ratelimit-remaining-*`), never below zero.
    pub remaining: u32,
    /// Time until the budget is whole again (`x-ratelimit-reset-*`).
    pub reset: Duration,
}

/// A limit's refusal, before it is told to the client.
struct Exceeded {
    /// The limit's state.
    window: Window,
    /// What the client has taken, for the message.
    used: u64,
    /// When the limit would admit the next request.
    retry_after: Duration,
}

/// The `x-ratelimit-*` headers of a response: one set per limit the key has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimitHeaders {
    /// `x-ratelimit-*-requests`, when the key has a requests-per-minute limit.
    pub requests: Option<Window>,
    /// `x-ratelimit-*-tokens`, when the key has a tokens-per-minute limit.
    pub tokens: Option<Window>,
}

impl RateLimitHeaders {
    /// True when the key has no per-minute limit, so there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.requests.is_none() && self.tokens.is_none()
    }
}

/// An admitted request. Hold it until the response, streamed body included, has been
/// sent: dropping it gives the concurrency slot back.
#[must_use = "dropping the admission ends the request's concurrency slot"]
pub struct Admission {
    headers: RateLimitHeaders,
    permit: Option<Box<dyn Send + Sync>>,
}

impl Admission {
    /// The admission of a key without limits: no headers, no slot.
    pub fn unlimited() -> Self {
        Self {
            headers: RateLimitHeaders::default(),
            permit: None,
        }
    }

    /// An admission reporting `headers`.
    pub fn new(headers: RateLimitHeaders) -> Self {
        Self {
            headers,
            permit: None,
        }
    }

    /// Holds `permit` (a concurrency slot, released when dropped) for the request.
    pub fn with_permit(mut self, permit: impl Send + Sync + 'static) -> Self {
        self.permit = Some(Box::new(permit));
        self
    }

    /// The `x-ratelimit-*` headers to add to the response.
    pub fn headers(&self) -> &RateLimitHeaders {
        &self.headers
    }

    /// True when the admission holds a concurrency slot.
    pub fn holds_permit(&self) -> bool {
        self.permit.is_some()
    }
}

impl fmt::Debug for Admission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Admission")
            .field("headers", &self.headers)
            .field("holds_permit", &self.holds_permit())
            .finish()
    }
}

/// A refused request: which limit, when to come back, and what to tell the client.
/// Renders as a 429 through its `IntoResponse`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Limited {
    /// The limit that refused the request.
    pub kind: LimitKind,
    /// When the next request would be admitted (for concurrency, a guess: 1 s).
    pub retry_after: Duration,
    /// The `x-ratelimit-*` headers, as for an admitted request.
    pub headers: RateLimitHeaders,
    /// OpenAI-style message naming the limit, the key and the wait.
    pub message: String,
}

impl Limited {
    /// A refusal by `kind` of key `key_id`, whose limit is `limit` and of which `used`
    /// is taken, with the message OpenAI would write.
    pub fn new(
        kind: LimitKind,
        key_id: &str,
        limit: u32,
        used: u64,
        retry_after: Duration,
        headers: RateLimitHeaders,
    ) -> Self {
        let message = format!(
            "Rate limit reached for {} on key {key_id}: Limit {limit}, Used {used}. \
             Please try again in {}.",
            kind.describe(),
            openai_duration(retry_after),
        );
        Self {
            kind,
            retry_after,
            headers,
            message,
        }
    }
}

/// Admits a request under the limits of its caller's `key` (none: admitted), holds
/// the concurrency slot in the request's `record` until the answer is delivered, and
/// has the record settle the answer's tokens against the key's tokens-per-minute
/// window. Returns the `x-ratelimit-*` headers for the answer, or the 429.
pub async fn admit(
    limits: &SharedLimits,
    key: Option<&crate::store::ClientKey>,
    record: Option<&CallRecord>,
) -> Result<RateLimitHeaders, axum::response::Response> {
    use axum::response::IntoResponse;

    let Some(key) = key else {
        return Ok(RateLimitHeaders::default());
    };
    let Some(record) = record else {
        return Err(
            GatewayError::Internal("the request has no record to hold its limits".into())
                .into_response(),
        );
    };
    let key_limits = key.limits;
    let admission = limits
        .admit(&key.id, key_limits)
        .await
        .map_err(redis::Refused::into_response)?;
    if let Some(permit) = admission.permit {
        record.hold(permit);
    }
    let limits = Arc::clone(limits);
    let id = key.id.clone();
    record.settle_with(Box::new(move |tokens| {
        limits.record(&id, key_limits, tokens)
    }));
    Ok(admission.headers)
}
