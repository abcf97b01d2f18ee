//! Which failures deserve another attempt, and the delays between attempts
//! (exponential backoff with jitter from `backon`, or the upstream's `retry-after`).

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use crate::config::RoutingConfig;
use crate::error::GatewayError;

/// Upstream statuses worth another attempt: rate limited, overloaded, or failing.
const RETRYABLE_STATUSES: &[u16] = &[408, 429, 500, 502, 503, 504, 529];

/// How a failed attempt should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The deployment failed: try again (elsewhere if possible), after at least
    /// `retry_after` when the upstream said so.
    Retry {
        /// The upstream's `retry-after`.
        retry_after: Option<Duration>,
    },
    /// The request itself is at fault, or the gateway: another attempt would fail the same way.
    Final,
}

/// Classifies a failed attempt.
pub fn verdict(err: &GatewayError) -> Verdict {
    match err {
        GatewayError::UpstreamUnreachable { .. } | GatewayError::UpstreamTimeout { .. } => {
            Verdict::Retry { retry_after: None }
        }
        GatewayError::Upstream(api) if RETRYABLE_STATUSES.contains(&api.status) => Verdict::Retry {
            retry_after: api.retry_after.map(|s| Duration::from_secs(u64::from(s))),
        },
        _ => Verdict::Final,
    }
}

/// The backoff delays of one request.
pub fn backoff(config: &RoutingConfig) -> impl Iterator<Item = Duration> {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(config.backoff_initial_ms))
        .with_max_delay(Duration::from_millis(config.backoff_max_ms))
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::bindings::ApiError;

    fn api(status: u16, retry_after: Option<u32>) -> GatewayError {
        GatewayError::Upstream(ApiError {
            status,
            message: "m".into(),
            error_type: "t".into(),
            param: None,
            code: None,
            retry_after,
        })
    }

    #[test]
    fn overload_and_outages_retry_bad_requests_do_not() {
        assert_eq!(
            verdict(&api(429, Some(3))),
            Verdict::Retry {
                retry_after: Some(Duration::from_secs(3))
            }
        );
        for status in [500, 502, 503, 504, 529] {
            assert!(matches!(verdict(&api(status, None)), Verdict::Retry { .. }));
        }
        for status in [400, 401, 403, 404, 413, 422] {
            assert_eq!(verdict(&api(status, None)), Verdict::Final, "{status}");
        }
        assert_eq!(verdict(&GatewayError::Overloaded), Verdict::Final);
        let timeout = GatewayError::UpstreamTimeout { model: "m".into() };
        assert!(matches!(verdict(&timeout), Verdict::Retry { .. }));
    }

    #[test]
    fn delays_grow_with_jitter_and_stay_under_the_cap() {
        let config = RoutingConfig {
            backoff_initial_ms: 100,
            backoff_max_ms: 1000,
            ..RoutingConfig::default()
        };
        let delays: Vec<Duration> = backoff(&config).take(8).collect();
        assert!(delays[0] >= Duration::from_millis(100));
        assert!(delays[0] <= Duration::from_millis(200), "{delays:?}");
        assert!(
            delays.iter().all(|d| *d <= Duration::from_millis(2000)),
            "{delays:?}"
        );
        assert!(delays[4] >= Duration::from_millis(1000), "{delays:?}");
    }
}
