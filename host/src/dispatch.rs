//! The path of one proxied call: resolve the model, plan its deployments, and make
//! attempts (retries, fallbacks, circuit breakers) until one answers. Dispatch returns
//! data, a [`Forwarded`]; only `http/` turns it into an HTTP response, in the client's
//! dialect.

pub mod attempt;
pub mod breaker;
pub mod call;
pub mod fold;
pub mod models;
pub mod plan;
pub mod relay;
pub mod retry;
pub mod sse;
pub mod unfold;
pub mod upstream;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue};

use crate::access::auth::Principal;
use crate::dispatch::models::{Deployment, Model};
use crate::error::GatewayError;
use crate::plugins::bindings::Endpoint;
use crate::record::call_record::CallRecord;
use crate::state::AppState;
use retry::Verdict;

/// What the host reads from a request body before handing it to the adapter.
#[derive(Debug)]
pub struct CallHead {
    /// The public model name.
    pub model: String,
    /// Whether the client asked for a stream (`stream`).
    pub stream: bool,
    /// Whether a streamed answer should end with a usage chunk
    /// (`stream_options.include_usage`).
    pub include_usage: bool,
    /// Client headers sent upstream on a native-dialect call (`anthropic-version`,
    /// `anthropic-beta`), replacing the adapter's values of the same name.
    pub dialect_headers: Vec<(String, String)>,
    /// The most output tokens the client allows (`max_tokens` and the like), for the
    /// budget reservation; `Some(0)` for calls that produce none.
    pub max_output: Option<u64>,
}

/// What came back, for `http/` to render.
pub enum Outcome {
    /// A whole JSON answer.
    Whole(Bytes),
    /// A whole answer told as stream chunks, for a client that asked for a stream.
    Chunks(Vec<String>),
    /// A relayed stream, its first output already taken (so a failure before it was
    /// still an HTTP error, and could be retried).
    Stream(Box<relay::Started>),
}

/// One forwarded request: its outcome and the upstream headers clients act on (what
/// the request used and left behind is in its [`CallRecord`]).
pub struct Forwarded {
    /// The answer, or why there is none.
    pub outcome: Result<Outcome, GatewayError>,
    /// Upstream headers passed through (rate-limit state, retry advice).
    pub passed: Vec<(HeaderName, HeaderValue)>,
}

/// Forwards one request to `endpoint` with the raw client `body` for `principal`,
/// filling in its `record`.
pub async fn forward(
    state: &AppState,
    endpoint: Endpoint,
    head: CallHead,
    principal: &Principal,
    body: Bytes,
    record: &CallRecord,
) -> Forwarded {
    record.requested(&head.model, head.stream);
    let mut passed = Vec::new();
    let request = Request {
        endpoint,
        head,
        principal,
        body,
        record,
    };
    let outcome = call(state, request, &mut passed).await;
    Forwarded { outcome, passed }
}

/// Reserves the request's estimated cost against every budget covering its key (429
/// `budget_exceeded` when one is spent), for the record to settle. The estimate uses
/// the dearest of the model's deployments, since any may serve.
async fn reserve(
    state: &AppState,
    request: &Request<'_>,
    model: &Model,
) -> Result<(), GatewayError> {
    let Some(key) = request.principal.key() else {
        return Ok(());
    };
    if request.endpoint == Endpoint::MessagesCountTokens {
        return Ok(());
    }
    let index = state.auth.ring().budgets();
    if index.is_empty() {
        return Ok(());
    }
    let budgets = index.covering(key);
    if budgets.is_empty() {
        return Ok(());
    }
    let price = dearest(model);
    let body_len = request.body.len();
    let max_output = request.head.max_output;
    let spend = &state.spend;
    let reservation = spend
        .admit(
            &state.store,
            request.principal,
            budgets.clone(),
            &model.name,
            price,
            |price| spend.estimate(price, body_len, max_output),
        )
        .await?;
    if let Some(reservation) = reservation {
        request.record.reserved(
            crate::spend::Settlement::new(reservation, budgets, Arc::clone(spend)),
            crate::spend::prompt_estimate(body_len),
        );
    }
    Ok(())
}

/// The highest price among `model`'s deployments; `None` if any has none (its cost
/// could not be bounded).
fn dearest(model: &Model) -> Option<crate::spend::price::Price> {
    let mut dearest: Option<crate::spend::price::Price> = None;
    for deployment in &model.deployments {
        let price = deployment.price?;
        dearest = Some(match dearest {
            Some(d) => crate::spend::price::Price {
                input: d.input.max(price.input),
                cached_input: d.cached_input.max(price.cached_input),
                cache_write: d.cache_write.max(price.cache_write),
                output: d.output.max(price.output),
            },
            None => price,
        });
    }
    dearest
}

/// Upstream response headers clients act on: rate-limit state and retry advice.
pub fn passed_through(name: &HeaderName) -> bool {
    let name = name.as_str();
    name.starts_with("x-ratelimit-")
        || name.starts_with("anthropic-ratelimit-")
        || matches!(name, "retry-after" | "retry-after-ms" | "x-should-retry")
}

/// One client request, as the attempts consume it.
pub struct Request<'a> {
    /// The endpoint called.
    pub endpoint: Endpoint,
    /// What the host read from the body.
    pub head: CallHead,
    /// The caller.
    pub principal: &'a Principal,
    /// The body, untouched, for the adapter.
    pub body: Bytes,
    /// What the request leaves behind, filled in as the attempts go.
    pub record: &'a CallRecord,
}

async fn call(
    state: &AppState,
    request: Request<'_>,
    passed: &mut Vec<(HeaderName, HeaderValue)>,
) -> Result<Outcome, GatewayError> {
    let requested = state.models.resolve(&request.head.model)?;
    request.record.resolved(&requested.name);
    request.principal.check_model(&requested.name)?;
    reserve(state, &request, &requested).await?;
    let started = Instant::now();
    let budget = Duration::from_millis(state.config.routing.retry_budget_ms);
    let mut delays = retry::backoff(&state.config.routing);
    let mut last_error: Option<GatewayError> = None;
    // The deployment that failed last, and the wait it asked for.
    let mut last_failed: Option<(Arc<Deployment>, Option<Duration>)> = None;
    let chain = std::iter::once(Ok(Arc::clone(&requested))).chain(
        requested
            .fallbacks
            .iter()
            .map(|name| state.models.resolve(name)),
    );
    for model in chain {
        let Ok(model) = model else { continue };
        if request.principal.check_model(&model.name).is_err() {
            continue;
        }
        let order = plan::order(&model.deployments);
        let (mut attempts, mut next, mut refused_in_a_row) = (0, 0, 0);
        while attempts < model.max_attempts && refused_in_a_row < order.len() {
            let route = &order[next % order.len()];
            next += 1;
            if route.missing_key.is_some() {
                refused_in_a_row += 1;
                continue;
            }
            // Retrying the deployment that just failed waits for the backoff or its
            // retry-after; one that cannot be waited for within the budget is skipped.
            let wait = match &last_failed {
                Some((failed, retry_after)) if Arc::ptr_eq(failed, route) => Some(
                    delays
                        .next()
                        .unwrap_or_default()
                        .max(retry_after.unwrap_or_default()),
                ),
                _ => None,
            };
            if wait.is_some_and(|wait| started.elapsed() + wait > budget)
                || !route.breaker.try_acquire()
            {
                refused_in_a_row += 1;
                continue;
            }
            refused_in_a_row = 0;
            if let Some(wait) = wait {
                tokio::time::sleep(wait).await;
            }
            attempts += 1;
            passed.clear();
            match attempt::run(state, &request, &model, route, passed).await {
                Ok(outcome) => {
                    route.breaker.record_success();
                    return Ok(outcome);
                }
                Err(err) => match retry::verdict(&err) {
                    Verdict::Final => {
                        route.breaker.record_success();
                        return Err(err);
                    }
                    Verdict::Retry { retry_after } => {
                        route.breaker.record_failure();
                        tracing::warn!(
                            model = %model.name,
                            deployment = %route.deployment,
                            error = %err.message(),
                            "attempt failed"
                        );
                        last_error = Some(err);
                        last_failed = Some((Arc::clone(route), retry_after));
                    }
                },
            }
        }
    }
    Err(last_error.unwrap_or_else(|| match requested.unset_key() {
        Some(variable) => GatewayError::ModelNotConfigured {
            model: requested.name.to_string(),
            variable: variable.to_string(),
        },
        None => GatewayError::NoHealthyDeployment {
            model: requested.name.to_string(),
        },
    }))
}

/// The endpoint's path, for messages.
pub fn endpoint_name(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::ChatCompletions => "/v1/chat/completions",
        Endpoint::Embeddings => "/v1/embeddings",
        Endpoint::Messages => "/v1/messages",
        Endpoint::MessagesCountTokens => "/v1/messages/count_tokens",
        Endpoint::Responses => "/v1/responses",
    }
}
