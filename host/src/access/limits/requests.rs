//! Requests per minute: governor's GCRA with burst = rpm, so a fresh key gets rpm
//! requests at once and then one every 60/rpm s. Governor reads tokio's clock, which
//! tests pause and advance.

use std::num::NonZeroU32;
use std::ops::Add;
use std::time::Duration;

use governor::clock::{Clock, Reference};
use governor::middleware::StateInformationMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::time::Instant;

use super::{Exceeded, Window};

/// How long a key whose limit is zero is told to wait: the window's length.
pub(super) const BLOCKED_RETRY: Duration = Duration::from_secs(60);

type Gcra = RateLimiter<NotKeyed, InMemoryState, TokioClock, StateInformationMiddleware>;

/// One key's requests-per-minute budget.
pub(super) struct RequestBucket {
    rpm: u32,
    /// `None` when the limit is zero: nothing is admitted.
    gcra: Option<(Gcra, Duration)>,
    /// When the budget is whole again, at the latest. Governor does not tell its
    /// state, so this is kept beside it for headers and pruning: exact after a
    /// refusal, and at most one interval late after an admission.
    full_at: Instant,
}

impl RequestBucket {
    /// A whole budget of `rpm` requests.
    pub(super) fn new(rpm: u32, now: Instant) -> Self {
        let gcra = NonZeroU32::new(rpm).map(|burst| {
            let quota = Quota::per_minute(burst);
            let limiter = RateLimiter::direct_with_clock(quota, TokioClock)
                .with_middleware::<StateInformationMiddleware>();
            (limiter, quota.replenish_interval())
        });
        Self {
            rpm,
            gcra,
            full_at: now,
        }
    }

    /// Takes one request from the budget, or says when one will be there.
    pub(super) fn take(&mut self, now: Instant) -> Result<Window, Exceeded> {
        let Some((gcra, interval)) = &self.gcra else {
            return Err(Exceeded {
                window: self.window(now),
                used: 0,
                retry_after: BLOCKED_RETRY,
            });
        };
        let interval = *interval;
        match gcra.check() {
            Ok(snapshot) => {
                let owed = self.rpm.saturating_sub(snapshot.remaining_burst_capacity());
                self.full_at = now + interval.saturating_mul(owed);
                Ok(self.window(now))
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(TokioInstant(now));
                let tolerance = interval.saturating_mul(self.rpm.saturating_sub(1));
                self.full_at = now + wait.saturating_add(tolerance);
                Err(Exceeded {
                    window: self.window(now),
                    used: u64::from(self.rpm),
                    retry_after: wait,
                })
            }
        }
    }

    /// The budget now, without taking from it.
    pub(super) fn window(&self, now: Instant) -> Window {
        let Some((_, interval)) = &self.gcra else {
            return Window {
                limit: 0,
                remaining: 0,
                reset: BLOCKED_RETRY,
            };
        };
        let reset = self.full_at.saturating_duration_since(now);
        let owed = reset.as_nanos().div_ceil(interval.as_nanos().max(1));
        let owed = u32::try_from(owed).unwrap_or(u32::MAX);
        Window {
            limit: self.rpm,
            remaining: self.rpm.saturating_sub(owed),
            reset,
        }
    }

    /// True when the budget is whole, so a fresh bucket would behave the same.
    pub(super) fn is_full(&self, now: Instant) -> bool {
        self.full_at <= now
    }
}

/// Governor's clock: tokio's, so that a paused test clock drives it.
#[derive(Debug, Clone, Copy, Default)]
struct TokioClock;

impl Clock for TokioClock {
    type Instant = TokioInstant;

    fn now(&self) -> TokioInstant {
        TokioInstant(Instant::now())
    }
}

/// A tokio instant as governor's clock reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct TokioInstant(Instant);

impl Add<Nanos> for TokioInstant {
    type Output = Self;

    fn add(self, rhs: Nanos) -> Self {
        Self(self.0 + Duration::from(rhs))
    }
}

impl Reference for TokioInstant {
    fn duration_since(&self, earlier: Self) -> Nanos {
        self.0.saturating_duration_since(earlier.0).into()
    }

    fn saturating_sub(&self, duration: Nanos) -> Self {
        self.0.checked_sub(duration.into()).map_or(*self, Self)
    }
}
