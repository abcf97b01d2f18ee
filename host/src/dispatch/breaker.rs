//! A circuit breaker per deployment: after `threshold` consecutive failures the
//! deployment is out for a cool-down; then one probe request decides whether it is
//! back (closed) or out again (open).

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

/// What `/health` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Serving.
    Closed,
    /// Out until the cool-down ends.
    Open,
    /// One probe request is deciding.
    HalfOpen,
}

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    failures: u32,
    opened_at: Option<Instant>,
}

/// One deployment's breaker.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    inner: Mutex<Inner>,
}

impl Breaker {
    /// Opens after `threshold` consecutive failures, for `cooldown`.
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cooldown,
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                failures: 0,
                opened_at: None,
            }),
        }
    }

    /// Whether a request may go to this deployment now. After the cool-down the
    /// first caller gets the probe; others wait for its verdict.
    pub fn try_acquire(&self) -> bool {
        let Ok(mut inner) = self.inner.lock() else {
            return true;
        };
        match inner.state {
            BreakerState::Closed => true,
            BreakerState::HalfOpen => false,
            BreakerState::Open => {
                let cooled = inner
                    .opened_at
                    .is_none_or(|at| at.elapsed() >= self.cooldown);
                if cooled {
                    inner.state = BreakerState::HalfOpen;
                }
                cooled
            }
        }
    }

    /// The deployment answered (any answer that is not its own failure).
    pub fn record_success(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            if inner.state != BreakerState::Closed {
                tracing::info!("deployment is back: circuit closed");
            }
            inner.state = BreakerState::Closed;
            inner.failures = 0;
            inner.opened_at = None;
        }
    }

    /// The deployment failed (unreachable, timed out, 5xx, 429).
    pub fn record_failure(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.failures = inner.failures.saturating_add(1);
            let trips = inner.state == BreakerState::HalfOpen || inner.failures >= self.threshold;
            if trips {
                if inner.state == BreakerState::Closed {
                    tracing::warn!(
                        failures = inner.failures,
                        "deployment failing: circuit open"
                    );
                }
                inner.state = BreakerState::Open;
                inner.opened_at = Some(Instant::now());
            }
        }
    }

    /// The state and the consecutive failures, for `/health`.
    pub fn snapshot(&self) -> (BreakerState, u32) {
        self.inner
            .lock()
            .map(|inner| {
                let state = match (inner.state, inner.opened_at) {
                    (BreakerState::Open, Some(at)) if at.elapsed() >= self.cooldown => {
                        BreakerState::HalfOpen
                    }
                    (state, _) => state,
                };
                (state, inner.failures)
            })
            .unwrap_or((BreakerState::Closed, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn opens_after_the_threshold_probes_after_the_cooldown_and_closes_on_success() {
        let breaker = Breaker::new(2, Duration::from_secs(10));
        assert!(breaker.try_acquire());
        breaker.record_failure();
        assert!(breaker.try_acquire(), "one failure is not enough");
        breaker.record_failure();
        assert_eq!(breaker.snapshot(), (BreakerState::Open, 2));
        assert!(!breaker.try_acquire());

        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(breaker.try_acquire(), "the probe");
        assert!(!breaker.try_acquire(), "only one probe at a time");
        breaker.record_failure();
        assert!(!breaker.try_acquire(), "a failed probe opens it again");

        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(breaker.try_acquire());
        breaker.record_success();
        assert_eq!(breaker.snapshot(), (BreakerState::Closed, 0));
        assert!(breaker.try_acquire());
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_resets_the_count() {
        let breaker = Breaker::new(2, Duration::from_secs(1));
        breaker.record_failure();
        breaker.record_success();
        breaker.record_failure();
        assert_eq!(breaker.snapshot().0, BreakerState::Closed);
    }
}
