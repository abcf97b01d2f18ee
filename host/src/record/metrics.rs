//! Prometheus metrics, served at `/metrics`. Request metrics are recorded by the
//! `track` middleware from what the proxy leaves in the response's extensions
//! ([`CallInfo`]); stream metrics by the relay; reload metrics by the watcher.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::plugins::bindings::Usage;
use crate::record::outcome::CallInfo;

/// Requests answered, by route, model, platform and status.
pub const REQUESTS: &str = "switchyard_requests_total";
/// Time to the response head, by route, model, platform and status.
pub const REQUEST_DURATION: &str = "switchyard_request_duration_seconds";
/// Time the upstream took (to its response head, plus its body when not streamed).
pub const UPSTREAM_DURATION: &str = "switchyard_upstream_duration_seconds";
/// Time from the request to the first streamed chunk, by platform.
pub const TIME_TO_FIRST_TOKEN: &str = "switchyard_time_to_first_token_seconds";
/// The gateway's own share of a request: total minus upstream time.
pub const OVERHEAD: &str = "switchyard_overhead_seconds";
/// Requests being served now.
pub const REQUESTS_IN_FLIGHT: &str = "switchyard_requests_in_flight";
/// Streams being relayed now.
pub const STREAMS_IN_FLIGHT: &str = "switchyard_streams_in_flight";
/// Tokens by model, client key and direction (`prompt` or `completion`).
pub const TOKENS: &str = "switchyard_tokens_total";
/// Adapter loads from the plugin folder, by adapter and result (`ok` or `error`).
pub const ADAPTER_RELOADS: &str = "switchyard_adapter_reloads_total";
/// Adapter sessions in use, and the capacity.
pub const SESSIONS_IN_USE: &str = "switchyard_adapter_sessions_in_use";
/// Configured adapter session capacity.
pub const SESSIONS_CAPACITY: &str = "switchyard_adapter_sessions_capacity";
/// Idle warm instances, by adapter.
pub const POOL_IDLE: &str = "switchyard_adapter_pool_idle";

/// The response header carrying the gateway's overhead, in milliseconds.
pub const OVERHEAD_HEADER: &str = "x-switchyard-overhead-ms";

/// Latency buckets, in seconds: 100 µs to 5 min.
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once; `None` if another one was installed first.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// Longest client-sent model name kept for the request log.
pub const MAX_LOGGED_MODEL: usize = 256;

/// The model label of unconfigured model names.
pub const UNKNOWN_MODEL: &str = "unknown";

/// Counts a gauge up now and down when dropped.
pub struct InFlight(&'static str);

impl InFlight {
    /// Starts counting one more in `name`.
    pub fn start(name: &'static str) -> Self {
        gauge!(name).increment(1.0);
        Self(name)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        gauge!(self.0).decrement(1.0);
    }
}

/// Records tokens used by `key` on `model`.
pub fn record_tokens(model: &str, key: &str, usage: &Usage) {
    let labels = |direction: &'static str| {
        [
            ("model", model.to_string()),
            ("key", key.to_string()),
            ("direction", direction.to_string()),
        ]
    };
    counter!(TOKENS, &labels("prompt")).increment(u64::from(usage.prompt_tokens));
    counter!(TOKENS, &labels("completion")).increment(u64::from(usage.completion_tokens));
}

/// Records the time to the first streamed chunk.
pub fn record_first_token(platform: &str, since: Instant) {
    histogram!(TIME_TO_FIRST_TOKEN, "platform" => platform.to_string())
        .record(since.elapsed().as_secs_f64());
}

/// Records an adapter load from the plugin folder.
pub fn record_reload(adapter: &str, ok: bool) {
    let result = if ok { "ok" } else { "error" };
    counter!(ADAPTER_RELOADS, "adapter" => adapter.to_string(), "result" => result).increment(1);
}

/// Middleware: request count, duration, in-flight gauge, upstream time and overhead
/// (also as the `x-switchyard-overhead-ms` header on proxied calls).
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    let in_flight = InFlight::start(REQUESTS_IN_FLIGHT);
    let mut response = next.run(request).await;
    drop(in_flight);
    let elapsed = started.elapsed();
    let info = response.extensions().get::<CallInfo>();
    let (model, platform, upstream) = info.map_or_else(Default::default, |info| {
        let model = if info.configured {
            info.model.clone()
        } else {
            UNKNOWN_MODEL.to_string()
        };
        (model, info.platform.clone(), info.upstream)
    });
    let labels = [
        ("route", route.clone()),
        ("model", model),
        ("platform", platform.clone()),
        ("status", response.status().as_u16().to_string()),
    ];
    counter!(REQUESTS, &labels).increment(1);
    histogram!(REQUEST_DURATION, &labels).record(elapsed.as_secs_f64());
    if let Some(upstream) = upstream {
        histogram!(UPSTREAM_DURATION, "platform" => platform).record(upstream.as_secs_f64());
        let overhead = elapsed.saturating_sub(upstream);
        histogram!(OVERHEAD, "route" => route).record(overhead.as_secs_f64());
        let millis = format!("{:.3}", overhead.as_secs_f64() * 1000.0);
        if let Ok(value) = HeaderValue::from_str(&millis) {
            response.headers_mut().insert(OVERHEAD_HEADER, value);
        }
    }
    response
}

/// The Prometheus text of every metric recorded so far (empty when another recorder
/// was installed first).
pub fn render() -> String {
    handle().map(PrometheusHandle::render).unwrap_or_default()
}
