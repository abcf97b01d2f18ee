//! Prometheus metrics, served at `/metrics`. Request metrics are recorded from each
//! request's record ([`super::call_record`]): at its response head, and its tokens when
//! it finishes; the first-token time by the relay; reload metrics by the watcher.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use metrics::{Counter, Gauge, Histogram, Label, SharedString, counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::plugins::bindings::Usage;

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
/// 1 while the Redis shared limits answer, 0 while the failure policy decides.
pub const REDIS_UP: &str = "switchyard_redis_up";
/// Redis calls that failed or timed out.
pub const REDIS_FAILURES: &str = "switchyard_redis_failures_total";

/// What requests cost, in nanodollars (divide by 1e9 for dollars: Prometheus counters
/// here are integers), by model and client key.
pub const SPEND: &str = "switchyard_spend_nanodollars_total";
/// Requests whose cost is unknown (their model has no price), by model.
pub const UNPRICED: &str = "switchyard_unpriced_requests_total";
/// A budget's settled spend this period, in dollars, as this process last saw it.
pub const BUDGET_SPENT: &str = "switchyard_budget_spent_usd";
/// 1 once a budget is past its soft threshold this period.
pub const BUDGET_SOFT: &str = "switchyard_budget_soft_exceeded";
/// Requests refused because a budget was spent, by budget.
pub const BUDGET_REFUSALS: &str = "switchyard_budget_refusals_total";

/// The response header carrying the gateway's overhead, in milliseconds.
pub const OVERHEAD_HEADER: &str = "x-switchyard-overhead-ms";

/// Latency buckets, in seconds: 100 µs to 5 min.
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// How often histogram samples are folded into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the process-wide recorder once; `None` if another one was installed first.
///
/// The exporter keeps every histogram sample until it is folded into its buckets, which
/// a scrape does, or an upkeep. A gateway nobody scrapes grew by about 50 MiB over a
/// million requests (`BENCH_MILLION=1 bash tests/bench.sh`), so a thread of its own
/// runs the upkeep every few seconds.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || upkeep_forever(&upkeep))
                .ok()?;
            Some(handle)
        })
        .as_ref()
}

#[expect(
    clippy::disallowed_methods,
    reason = "runs on a thread of its own, not on a runtime worker"
)]
fn upkeep_forever(handle: &PrometheusHandle) {
    loop {
        std::thread::sleep(UPKEEP_EVERY);
        handle.run_upkeep();
    }
}

/// Longest client-sent model name kept for the request log.
pub const MAX_LOGGED_MODEL: usize = 256;

/// The model label of unconfigured model names.
pub const UNKNOWN_MODEL: &str = "unknown";

/// The in-flight gauges, looked up once (after the recorder is installed, or they
/// would stay bound to the no-op one).
static REQUESTS_GAUGE: LazyLock<Gauge> = LazyLock::new(|| {
    handle();
    gauge!(REQUESTS_IN_FLIGHT)
});
static STREAMS_GAUGE: LazyLock<Gauge> = LazyLock::new(|| {
    handle();
    gauge!(STREAMS_IN_FLIGHT)
});

/// Counts a gauge up now and down when dropped.
pub struct InFlight(&'static Gauge);

impl InFlight {
    /// One more request being served.
    pub fn request() -> Self {
        Self::start(&REQUESTS_GAUGE)
    }

    /// One more stream being relayed.
    pub fn stream() -> Self {
        Self::start(&STREAMS_GAUGE)
    }

    fn start(gauge: &'static Gauge) -> Self {
        gauge.increment(1.0);
        Self(gauge)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// Records what a finished request of `key` on `model` used: its tokens, and its cost
/// (`None`: unknown, counted as an unpriced request).
pub fn record_usage(model: &Arc<str>, key: &str, usage: &Usage, cost: Option<i64>) {
    let metrics = UsageMetrics::of(model, key);
    metrics.prompt.increment(u64::from(usage.prompt_tokens));
    metrics
        .completion
        .increment(u64::from(usage.completion_tokens));
    match cost {
        Some(nanos) => metrics
            .spend
            .get_or_init(
                || counter!(SPEND, "model" => metrics.model.clone(), "key" => metrics.key.clone()),
            )
            .increment(nanos.max(0).unsigned_abs()),
        None => metrics
            .unpriced
            .get_or_init(|| counter!(UNPRICED, "model" => metrics.model.clone()))
            .increment(1),
    }
}

/// The counters a finished request of one key on one model updates, looked up in the
/// registry once per pair rather than by label strings on every request.
struct UsageMetrics {
    prompt: Counter,
    completion: Counter,
    /// Registered with the first priced request, so a model without a price shows no
    /// spend series.
    spend: OnceLock<Counter>,
    /// Registered with the first unpriced request.
    unpriced: OnceLock<Counter>,
    /// The labels those two are registered with when first needed.
    model: SharedString,
    key: SharedString,
}

/// The usage counters of one model, by client key.
type KeyUsages = HashMap<Box<str>, Arc<UsageMetrics>>;

/// Every (model, key) pair seen so far, by model then key, so a lookup borrows both
/// names (as many pairs as the registry holds anyway).
static USAGES: LazyLock<RwLock<HashMap<Arc<str>, KeyUsages>>> = LazyLock::new(Default::default);

impl UsageMetrics {
    fn of(model: &Arc<str>, key: &str) -> Arc<Self> {
        let known = USAGES
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(model)
            .and_then(|keys| keys.get(key))
            .cloned();
        known.unwrap_or_else(|| {
            let metrics = Arc::new(Self::register(model, key));
            USAGES
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(Arc::clone(model))
                .or_default()
                .insert(key.into(), Arc::clone(&metrics));
            metrics
        })
    }

    fn register(model: &Arc<str>, key: &str) -> Self {
        // Handles taken before the recorder is installed would stay no-ops.
        handle();
        let model = SharedString::from_shared(Arc::clone(model));
        let key = SharedString::from_owned(key.to_string());
        Self {
            prompt: counter!(TOKENS, "model" => model.clone(), "key" => key.clone(), "direction" => "prompt"),
            completion: counter!(TOKENS, "model" => model.clone(), "key" => key.clone(), "direction" => "completion"),
            spend: OnceLock::new(),
            unpriced: OnceLock::new(),
            model,
            key,
        }
    }
}

/// Records a budget's standing after a settlement.
pub fn budget_standing(budget: &str, spent_nanos: i64, past_soft: bool) {
    gauge!(BUDGET_SPENT, "budget" => budget.to_string()).set(crate::spend::cost::usd(spent_nanos));
    gauge!(BUDGET_SOFT, "budget" => budget.to_string()).set(if past_soft { 1.0 } else { 0.0 });
}

/// Counts a request refused by a spent budget.
pub fn budget_refused(budget: &str) {
    counter!(BUDGET_REFUSALS, "budget" => budget.to_string()).increment(1);
}

/// Records the time to the first streamed chunk.
pub fn record_first_token(platform: &Arc<str>, since: Instant) {
    histogram!(TIME_TO_FIRST_TOKEN, "platform" => SharedString::from_shared(Arc::clone(platform)))
        .record(since.elapsed().as_secs_f64());
}

/// Records whether Redis answers.
pub fn redis_up(up: bool) {
    gauge!(REDIS_UP).set(if up { 1.0 } else { 0.0 });
}

/// Counts a Redis call that failed.
pub fn redis_failure() {
    counter!(REDIS_FAILURES).increment(1);
}

/// Records an adapter load from the plugin folder.
pub fn record_reload(adapter: &str, ok: bool) {
    let result = if ok { "ok" } else { "error" };
    counter!(ADAPTER_RELOADS, "adapter" => adapter.to_string(), "result" => result).increment(1);
}

/// The labels of a request's metrics, as known at its response head.
pub struct HeadLabels<'a> {
    /// The configured model, if the client's name resolved to one.
    pub model: Option<&'a Arc<str>>,
    /// Whether dispatch read a model name (an unresolved one counts as `unknown`; a
    /// request refused before has an empty model label).
    pub named: bool,
    /// The adapter of the last attempt.
    pub platform: Option<&'a Arc<str>>,
    /// The status answered.
    pub status: u16,
}

/// Records a response head on `route`: the request count and time to the head, and,
/// when an upstream answered, its time and the gateway's overhead (returned, for the
/// `x-switchyard-overhead-ms` header).
pub fn record_answer(
    route: String,
    labels: &HeadLabels<'_>,
    elapsed: Duration,
    upstream: Option<Duration>,
) -> Option<Duration> {
    let metrics = AnswerKey {
        route,
        model: labels.model.cloned(),
        named: labels.named,
        platform: labels.platform.cloned(),
        status: labels.status,
    }
    .metrics();
    metrics.requests.increment(1);
    metrics.duration.record(elapsed.as_secs_f64());
    let upstream = upstream?;
    let (upstream_duration, overhead_duration) = metrics.upstream.get_or_init(|| {
        (
            histogram!(UPSTREAM_DURATION, "platform" => metrics.platform.clone()),
            histogram!(OVERHEAD, "route" => metrics.route.clone()),
        )
    });
    upstream_duration.record(upstream.as_secs_f64());
    let overhead = elapsed.saturating_sub(upstream);
    overhead_duration.record(overhead.as_secs_f64());
    Some(overhead)
}

/// The labels of one kind of answer.
#[derive(PartialEq, Eq, Hash)]
struct AnswerKey {
    route: String,
    model: Option<Arc<str>>,
    named: bool,
    platform: Option<Arc<str>>,
    status: u16,
}

/// The metrics an answer updates, resolved in the registry once per kind of answer:
/// building four label sets and looking each up cost about 3% of a request's CPU.
struct AnswerMetrics {
    requests: Counter,
    duration: Histogram,
    /// The upstream's time and the overhead, registered with the first answer that
    /// had an upstream.
    upstream: OnceLock<(Histogram, Histogram)>,
    route: SharedString,
    platform: SharedString,
}

/// Every kind of answer seen so far (as many as the registry holds anyway: routes x
/// models x platforms x statuses).
static ANSWERS: LazyLock<RwLock<HashMap<AnswerKey, Arc<AnswerMetrics>>>> =
    LazyLock::new(Default::default);

impl AnswerKey {
    fn metrics(self) -> Arc<AnswerMetrics> {
        let known = ANSWERS
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&self)
            .cloned();
        known.unwrap_or_else(|| {
            let metrics = Arc::new(self.register());
            ANSWERS
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(self, Arc::clone(&metrics));
            metrics
        })
    }

    fn register(&self) -> AnswerMetrics {
        // Handles taken before the recorder is installed would stay no-ops.
        handle();
        let shared = |name: Option<&Arc<str>>| {
            name.map_or(SharedString::const_str(""), |name| {
                SharedString::from_shared(Arc::clone(name))
            })
        };
        let model = match &self.model {
            None if self.named => SharedString::const_str(UNKNOWN_MODEL),
            model => shared(model.as_ref()),
        };
        let platform = shared(self.platform.as_ref());
        let route = SharedString::from_owned(self.route.clone());
        let all = vec![
            Label::new("route", route.clone()),
            Label::new("model", model),
            Label::new("platform", platform.clone()),
            Label::new("status", self.status.to_string()),
        ];
        AnswerMetrics {
            requests: counter!(REQUESTS, all.clone()),
            duration: histogram!(REQUEST_DURATION, all),
            upstream: OnceLock::new(),
            route,
            platform,
        }
    }
}

/// The Prometheus text of every metric recorded so far (empty when another recorder
/// was installed first).
pub fn render() -> String {
    handle().map(PrometheusHandle::render).unwrap_or_default()
}

#[cfg(test)]
mod tests;
