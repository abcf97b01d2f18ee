//! The path of one proxied call: resolve the model, take the adapter snapshot, start a
//! session, translate the request, call upstream, translate the answer back (whole,
//! streamed, or a stream aggregated into one completion).

pub mod breaker;
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

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode, header};

use crate::access::auth::Principal;
use crate::dispatch::models::{Deployment, Model};
use crate::error::GatewayError;
use crate::plugins::bindings::{CallContext, Endpoint, StreamFraming};
use crate::plugins::registry::Adapter;
use crate::plugins::session::{PluginFault, Session};
use crate::plugins::verify;
use crate::record::conversation::Capture;
use crate::record::metrics;
use crate::record::outcome::{CallInfo, StreamOutcome};
use crate::state::AppState;
use retry::Verdict;
use tokio::sync::OwnedSemaphorePermit;

/// What the host reads from a request body before handing it to the adapter.
#[derive(Debug)]
pub struct CallHead {
    /// The public model name.
    pub model: String,
    /// `stream`.
    pub stream: bool,
    /// `stream_options.include_usage`.
    pub include_usage: bool,
}

/// Everything a call needs after resolution.
pub struct Call {
    /// When the gateway received the request.
    pub started: Instant,
    /// The client the call is made for.
    pub client_id: String,
    /// The resolved model.
    pub route: Arc<Deployment>,
    /// The adapter version serving this call, held to the end.
    pub adapter: Arc<Adapter>,
    /// The context passed to every adapter call.
    pub ctx: CallContext,
    /// The adapter instance.
    pub session: Session,
    /// The capacity slot this call occupies until it ends.
    pub permit: OwnedSemaphorePermit,
    /// The conversation exchange being captured, if stored.
    pub capture: Option<Capture>,
}

impl Call {
    /// Ends a call that completed normally: its instance may serve again.
    pub fn recycle(self) {
        self.adapter.pool.put(self.session);
    }
}

/// Proxies one call to `endpoint` with the raw client `body` for `principal`. The
/// response carries a [`CallInfo`] for the metrics and the request log, whether the
/// call succeeded or not.
pub async fn forward(
    state: &AppState,
    endpoint: Endpoint,
    head: CallHead,
    principal: &Principal,
    body: Bytes,
    capture: Option<Capture>,
) -> Response {
    let mut info = CallInfo {
        model: head.model.chars().take(metrics::MAX_LOGGED_MODEL).collect(),
        streamed: head.stream,
        ..CallInfo::default()
    };
    let mut passed = Vec::new();
    let request = Request {
        endpoint,
        head,
        principal,
        body,
        capture,
    };
    let mut response = match call(state, request, &mut info, &mut passed).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    };
    let headers = response.headers_mut();
    for (name, value) in passed {
        // The gateway's own values (an adapter's retry-after) win.
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    }
    response.extensions_mut().insert(info);
    response
}

/// Upstream response headers clients act on: rate-limit state and retry advice.
fn passed_through(name: &HeaderName) -> bool {
    let name = name.as_str();
    name.starts_with("x-ratelimit-")
        || name.starts_with("anthropic-ratelimit-")
        || matches!(name, "retry-after" | "retry-after-ms" | "x-should-retry")
}

/// One client request, as `call` consumes it.
struct Request<'a> {
    endpoint: Endpoint,
    head: CallHead,
    principal: &'a Principal,
    body: Bytes,
    capture: Option<Capture>,
}

async fn call(
    state: &AppState,
    request: Request<'_>,
    info: &mut CallInfo,
    passed: &mut Vec<(HeaderName, HeaderValue)>,
) -> Result<Response, GatewayError> {
    let requested = state.models.resolve(&request.head.model)?;
    info.configured = true;
    request.principal.check_model(&requested.name)?;
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
            match attempt(state, &request, &model, route, info, passed).await {
                Ok(response) => {
                    route.breaker.record_success();
                    return Ok(response);
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
            model: requested.name.clone(),
            variable: variable.to_string(),
        },
        None => GatewayError::NoHealthyDeployment {
            model: requested.name.clone(),
        },
    }))
}

/// One attempt on one deployment: translate, send, translate back (or relay).
async fn attempt(
    state: &AppState,
    request: &Request<'_>,
    model: &Model,
    route: &Arc<Deployment>,
    info: &mut CallInfo,
    passed: &mut Vec<(HeaderName, HeaderValue)>,
) -> Result<Response, GatewayError> {
    let Request {
        endpoint,
        head,
        principal,
        body,
        capture,
    } = request;
    let endpoint = *endpoint;
    let client_id = principal.client_id();
    let started = Instant::now();
    let deadline = started + model.timeouts.total;
    let adapter = state
        .plugins
        .snapshot()
        .get(&route.adapter)
        .ok_or_else(|| {
            GatewayError::AdapterUnavailable(format!(
                "adapter `{}` for model `{}` is not loaded",
                route.adapter, route.name
            ))
        })?;
    if !adapter.supports(endpoint) {
        return Err(GatewayError::bad_request(
            format!(
                "model `{}` (adapter `{}`) does not support {}",
                route.name,
                adapter.info.name,
                endpoint_name(endpoint)
            ),
            Some("model"),
        ));
    }
    info.platform = adapter.info.name.clone();
    info.adapter_version = adapter.info.version.clone();
    let span = tracing::Span::current();
    span.record("model", route.name.as_str());
    span.record("adapter", adapter.info.name.as_str());
    span.record("adapter_version", adapter.info.version.as_str());
    let (session, permit) = state.plugins.session(&adapter).await?;
    let ctx = CallContext {
        endpoint,
        public_model: route.name.clone(),
        upstream_model: route.upstream_model.clone(),
        streaming: head.stream,
        include_usage: head.include_usage,
        client_id: client_id.to_string(),
        options: route.options.clone(),
    };
    let mut call = Call {
        started,
        client_id: client_id.to_string(),
        route: Arc::clone(route),
        adapter,
        ctx,
        session,
        permit,
        capture: capture.clone(),
    };

    let upstream_request = verify::request(
        &call.adapter,
        call.session.transform_request(&call.ctx, body).await,
    )?;
    let framing = upstream_request.response_framing;
    let upstream_started = Instant::now();
    let first_byte = deadline.min(upstream_started + model.timeouts.first_byte);
    let timed_out = || GatewayError::UpstreamTimeout {
        model: route.name.clone(),
    };
    let response = tokio::time::timeout_at(
        first_byte.into(),
        state
            .upstream
            .send(&call.route, &call.adapter, upstream_request),
    )
    .await
    .map_err(|_| timed_out())??;
    info.upstream = Some(upstream_started.elapsed());
    passed.extend(
        response
            .headers()
            .iter()
            .filter(|(name, _)| passed_through(name))
            .map(|(name, value)| (name.clone(), value.clone())),
    );

    let status = response.status();
    if status.is_redirection() {
        // Redirects are never followed (the credential stays on the configured origin),
        // and a 3xx is no answer a client can use.
        return Err(GatewayError::UpstreamUnreachable {
            model: route.name.clone(),
            message: format!(
                "upstream answered a redirect (HTTP {}); set the model's base_url to the final address",
                status.as_u16()
            ),
        });
    }
    match framing.filter(|&framing| status.is_success() && is_stream(framing, &response)) {
        Some(framing) => {
            let mut relay = relay::Relay::open(call, response, framing).await?;
            relay.limit_time(model.timeouts.stream_idle, deadline);
            if head.stream {
                let outcome = Arc::new(StreamOutcome::default());
                relay.report_to(Arc::clone(&outcome));
                let response = relay.into_sse().await?;
                info.stream = Some(outcome);
                Ok(response)
            } else {
                let (body, usage, capture) = relay.collect().await?;
                info.usage = usage;
                info.exchange = capture
                    .and_then(|c| c.complete_from_body(&body))
                    .map(Box::new);
                Ok(json_response(body))
            }
        }
        // A whole answer: asked for, an error status, or a 2xx that is not the stream
        // that was asked for (a JSON error, an HTML page): the adapter reads it whole, so
        // its real status and message reach the client.
        None => {
            let upstream = tokio::time::timeout_at(
                deadline.into(),
                state.upstream.read(&call.route, response),
            )
            .await
            .map_err(|_| timed_out())??;
            info.upstream = Some(upstream_started.elapsed());
            let translated = verify::response(
                &call.adapter,
                call.session.transform_response(&call.ctx, &upstream).await,
                state.config.upstream.max_response_bytes,
            )?;
            if let Some(usage) = &translated.usage {
                metrics::record_tokens(&call.route.name, &call.client_id, usage);
            }
            info.usage = translated.usage;
            info.exchange = call
                .capture
                .take()
                .and_then(|c| c.complete_from_body(&translated.body))
                .map(Box::new);
            // A client that asked for a stream gets one, even from a whole answer.
            let chunks = if head.stream && endpoint == Endpoint::ChatCompletions {
                let chunks =
                    unfold::chunks(&translated.body, head.include_usage).map_err(|why| {
                        GatewayError::plugin(&call.adapter, PluginFault::Contract(why))
                    })?;
                Some(chunks)
            } else {
                None
            };
            call.recycle();
            Ok(match chunks {
                Some(chunks) => relay::whole_sse(&chunks),
                None => json_response(Bytes::from(translated.body)),
            })
        }
    }
}

/// Whether a 2xx answer to a request that asked for `framing` is that stream: an SSE
/// stream says `text/event-stream` (or nothing); line-delimited JSON is anything but a
/// single JSON document or a web page.
fn is_stream(framing: StreamFraming, response: &reqwest::Response) -> bool {
    let Some(content_type) = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match framing {
        StreamFraming::Sse => media == "text/event-stream",
        StreamFraming::Ndjson => !matches!(media.as_str(), "application/json" | "text/html"),
    }
}

/// A 200 JSON response around an already-serialized body.
fn json_response(body: Bytes) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The endpoint's path, for messages.
pub fn endpoint_name(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::ChatCompletions => "/v1/chat/completions",
        Endpoint::Embeddings => "/v1/embeddings",
    }
}
