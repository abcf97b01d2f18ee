//! Tokens per minute, counted from real usage after each answer.
//!
//! A request's size is unknown until the upstream answers, so, as OpenAI does, a
//! request is admitted while the key is not in debt, its usage is deducted afterwards
//! (possibly below zero), and the balance refills continuously at tpm/60 tokens per
//! second up to tpm. Governor cannot go into debt, so this bucket is written by hand.

use std::time::Duration;

use tokio::time::Instant;

use super::requests::BLOCKED_RETRY;
use super::{Exceeded, Window};

/// The balance is kept in tokens × this, so that refilling by `tpm` per elapsed
/// nanosecond is exact integer arithmetic (and so are the waits at the boundary).
const SCALE: i128 = 60_000_000_000;

/// One key's tokens-per-minute balance.
pub(super) struct TokenBucket {
    tpm: u32,
    /// Tokens × [`SCALE`]; at most `tpm × SCALE`, negative when in debt.
    level: i128,
    /// When `level` was last brought up to date.
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket of `tpm` tokens.
    pub(super) fn new(tpm: u32, now: Instant) -> Self {
        Self {
            tpm,
            level: capacity(tpm),
            updated: now,
        }
    }

    /// Admits a request while the balance is not negative; takes nothing.
    pub(super) fn check(&mut self, now: Instant) -> Result<Window, Exceeded> {
        self.refill(now);
        if self.tpm == 0 {
            return Err(self.exceeded(BLOCKED_RETRY));
        }
        if self.level >= 0 {
            return Ok(self.window());
        }
        let wait = nanos_ceil(self.level.unsigned_abs(), self.tpm);
        Err(self.exceeded(wait))
    }

    /// Deducts `tokens` used by an answer, into debt if need be.
    pub(super) fn spend(&mut self, tokens: u64, now: Instant) {
        self.refill(now);
        let cost = i128::from(tokens).saturating_mul(SCALE);
        self.level = self.level.saturating_sub(cost);
    }

    /// Moves to a new limit keeping what was used in the window, so a raise is there at
    /// once; a cut never puts the key deeper in debt than it was.
    pub(super) fn set_limit(&mut self, tpm: u32, now: Instant) {
        self.refill(now);
        let used = capacity(self.tpm) - self.level;
        self.tpm = tpm;
        self.level = (capacity(tpm) - used).max(self.level.min(0));
    }

    /// True when the bucket is full, so a fresh one would behave the same.
    pub(super) fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.level >= capacity(self.tpm)
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_nanos();
        let gained = i128::try_from(elapsed)
            .unwrap_or(i128::MAX)
            .saturating_mul(i128::from(self.tpm));
        self.level = self.level.saturating_add(gained).min(capacity(self.tpm));
        self.updated = now;
    }

    fn window(&self) -> Window {
        let whole = self.level.div_euclid(SCALE).clamp(0, i128::from(self.tpm));
        let missing = (capacity(self.tpm) - self.level).unsigned_abs();
        Window {
            limit: self.tpm,
            remaining: u32::try_from(whole).unwrap_or(0),
            reset: if self.tpm == 0 {
                BLOCKED_RETRY
            } else {
                nanos_ceil(missing, self.tpm)
            },
        }
    }

    fn exceeded(&self, retry_after: Duration) -> Exceeded {
        let used = (capacity(self.tpm) - self.level)
            .unsigned_abs()
            .div_ceil(SCALE.unsigned_abs());
        Exceeded {
            window: self.window(),
            used: u64::try_from(used).unwrap_or(u64::MAX),
            retry_after,
        }
    }
}

fn capacity(tpm: u32) -> i128 {
    i128::from(tpm) * SCALE
}

/// The time to refill `scaled` (tokens × [`SCALE`]) at `tpm`, rounded up to the
/// nanosecond so that the key is admitted once it has passed.
fn nanos_ceil(scaled: u128, tpm: u32) -> Duration {
    let nanos = scaled.div_ceil(u128::from(tpm.max(1)));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}
