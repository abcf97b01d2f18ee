//! [`MemoryLimits`]: the limit state of every key in one process, behind one mutex.
//! Each call holds the lock for a few arithmetic steps and never across an await.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::requests::RequestBucket;
use super::tokens::TokenBucket;
use super::{Admission, Exceeded, LimitKind, LimitStore, Limited, RateLimitHeaders};
use crate::store::KeyLimits;

/// How long a client refused for concurrency is told to wait; no one knows when a
/// request in flight will end.
const CONCURRENCY_RETRY: Duration = Duration::from_secs(1);

/// Below this many keys the map is never pruned on insert.
const PRUNE_FLOOR: usize = 4096;

/// Rate limits kept in this process's memory: right for one gateway, or for several
/// that each enforce their own share.
#[derive(Default)]
pub struct MemoryLimits {
    keys: Mutex<Keys>,
}

#[derive(Default)]
struct Keys {
    map: HashMap<String, KeyState>,
    /// Prune on insert once the map is this large, so memory stays bounded without a
    /// periodic task; doubled after each pass so its cost is amortised.
    prune_at: usize,
}

/// One key's limits and the state of each.
struct KeyState {
    limits: KeyLimits,
    requests: Option<RequestBucket>,
    tokens: Option<TokenBucket>,
    concurrency: Option<(Arc<Semaphore>, usize)>,
}

// === impl MemoryLimits ===

impl MemoryLimits {
    /// No key has used anything yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets keys whose state is what a fresh one would be (full budgets, nothing
    /// in flight), so nothing an active key has used is lost; returns how many. Call
    /// it now and then; the map also prunes itself when it grows large.
    pub fn prune(&self) -> usize {
        let now = Instant::now();
        self.lock().prune(now)
    }

    /// How many keys have state, for metrics and tests.
    pub fn tracked_keys(&self) -> usize {
        self.lock().map.len()
    }

    fn lock(&self) -> MutexGuard<'_, Keys> {
        // A panic elsewhere cannot leave the map half-updated in a way that matters
        // more than refusing every request would.
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl LimitStore for MemoryLimits {
    fn admit(&self, key_id: &str, limits: KeyLimits) -> Result<Admission, Limited> {
        if limits == KeyLimits::default() {
            return Ok(Admission::unlimited());
        }
        let now = Instant::now();
        self.lock()
            .with_state(key_id, limits, now, |state| state.admit(key_id, now))
    }

    fn record(&self, key_id: &str, limits: KeyLimits, tokens: u64) {
        if limits.tokens_per_minute.is_none() || tokens == 0 {
            return;
        }
        let now = Instant::now();
        self.lock().with_state(key_id, limits, now, |state| {
            if let Some(bucket) = &mut state.tokens {
                bucket.spend(tokens, now);
            }
        });
    }
}

// === impl Keys ===

impl Keys {
    /// Runs `f` on the state of `key_id`, created or brought to `limits` first.
    fn with_state<T>(
        &mut self,
        key_id: &str,
        limits: KeyLimits,
        now: Instant,
        f: impl FnOnce(&mut KeyState) -> T,
    ) -> T {
        if let Some(state) = self.map.get_mut(key_id) {
            state.set_limits(limits, now);
            return f(state);
        }
        let mut state = KeyState::new(limits, now);
        let out = f(&mut state);
        if self.map.len() >= self.prune_at.max(PRUNE_FLOOR) {
            self.prune(now);
            self.prune_at = self.map.len().saturating_mul(2);
        }
        self.map.insert(key_id.to_owned(), state);
        out
    }

    fn prune(&mut self, now: Instant) -> usize {
        let before = self.map.len();
        self.map.retain(|_, state| !state.is_at_rest(now));
        before - self.map.len()
    }
}

// === impl KeyState ===

impl KeyState {
    fn new(limits: KeyLimits, now: Instant) -> Self {
        Self {
            limits,
            requests: limits
                .requests_per_minute
                .map(|rpm| RequestBucket::new(rpm, now)),
            tokens: limits
                .tokens_per_minute
                .map(|tpm| TokenBucket::new(tpm, now)),
            concurrency: limits.max_concurrent.map(semaphore),
        }
    }

    /// Rebuilds the state of each limit that changed. A new request limiter starts
    /// whole; tokens keep what was used. Requests in flight under an old concurrency
    /// limit keep their slots and are not counted against the new one.
    fn set_limits(&mut self, limits: KeyLimits, now: Instant) {
        if self.limits == limits {
            return;
        }
        if self.limits.requests_per_minute != limits.requests_per_minute {
            self.requests = limits
                .requests_per_minute
                .map(|rpm| RequestBucket::new(rpm, now));
        }
        if self.limits.tokens_per_minute != limits.tokens_per_minute {
            self.tokens = match (self.tokens.take(), limits.tokens_per_minute) {
                (_, None) => None,
                (Some(mut bucket), Some(tpm)) => {
                    bucket.set_limit(tpm, now);
                    Some(bucket)
                }
                (None, Some(tpm)) => Some(TokenBucket::new(tpm, now)),
            };
        }
        if self.limits.max_concurrent != limits.max_concurrent {
            self.concurrency = limits.max_concurrent.map(semaphore);
        }
        self.limits = limits;
    }

    /// Checks tokens, then concurrency, then requests: the first only reads, a slot is
    /// given back by dropping it, and a request is taken last, so a refusal uses up
    /// nothing and the client is admitted at its retry-after.
    fn admit(&mut self, key_id: &str, now: Instant) -> Result<Admission, Limited> {
        let tokens = match self.tokens.as_mut().map(|bucket| bucket.check(now)) {
            None => None,
            Some(Ok(window)) => Some(window),
            Some(Err(exceeded)) => {
                let headers = RateLimitHeaders {
                    requests: self.requests.as_ref().map(|bucket| bucket.window(now)),
                    tokens: Some(exceeded.window),
                };
                return Err(refusal(LimitKind::Tokens, key_id, exceeded, headers));
            }
        };
        let permit = match &self.concurrency {
            None => None,
            Some((semaphore, max)) => match Arc::clone(semaphore).try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    let headers = RateLimitHeaders {
                        requests: self.requests.as_ref().map(|bucket| bucket.window(now)),
                        tokens,
                    };
                    let limit = u32::try_from(*max).unwrap_or(u32::MAX);
                    let used = max.saturating_sub(semaphore.available_permits());
                    return Err(Limited::new(
                        LimitKind::Concurrency,
                        key_id,
                        limit,
                        u64::try_from(used).unwrap_or(u64::MAX),
                        CONCURRENCY_RETRY,
                        headers,
                    ));
                }
            },
        };
        let requests = match self.requests.as_mut().map(|bucket| bucket.take(now)) {
            None => None,
            Some(Ok(window)) => Some(window),
            Some(Err(exceeded)) => {
                let headers = RateLimitHeaders {
                    requests: Some(exceeded.window),
                    tokens,
                };
                return Err(refusal(LimitKind::Requests, key_id, exceeded, headers));
            }
        };
        let admission = Admission::new(RateLimitHeaders { requests, tokens });
        Ok(match permit {
            Some(permit) => admission.with_permit(permit),
            None => admission,
        })
    }

    /// True when forgetting this key changes nothing: every budget is whole and no
    /// request holds a slot.
    fn is_at_rest(&mut self, now: Instant) -> bool {
        self.requests
            .as_ref()
            .is_none_or(|bucket| bucket.is_full(now))
            && self
                .tokens
                .as_mut()
                .is_none_or(|bucket| bucket.is_full(now))
            && self
                .concurrency
                .as_ref()
                .is_none_or(|(semaphore, max)| semaphore.available_permits() >= *max)
    }
}

fn semaphore(max: u32) -> (Arc<Semaphore>, usize) {
    let max = usize::try_from(max)
        .unwrap_or(Semaphore::MAX_PERMITS)
        .min(Semaphore::MAX_PERMITS);
    (Arc::new(Semaphore::new(max)), max)
}

fn refusal(
    kind: LimitKind,
    key_id: &str,
    exceeded: Exceeded,
    headers: RateLimitHeaders,
) -> Limited {
    Limited::new(
        kind,
        key_id,
        exceeded.window.limit,
        exceeded.used,
        exceeded.retry_after,
        headers,
    )
}
