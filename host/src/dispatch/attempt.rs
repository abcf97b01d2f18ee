//! One attempt on one deployment, in three steps: [`prepare`] (adapter snapshot,
//! session, `transform-request`), [`send`] (the upstream call within the first-byte
//! limit), and [`answer`] (a relayed stream, a stream folded whole, or a whole answer
//! translated, possibly told as a stream).

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, header};

use super::call::Call;
use super::models::{Deployment, Model};
use super::relay::Relay;
use super::{Outcome, Request, endpoint_name, passed_through, unfold};
use crate::error::GatewayError;
use crate::plugins::bindings::{CallContext, Endpoint, StreamFraming, UpstreamRequest};
use crate::plugins::registry::Adapter;
use crate::plugins::session::PluginFault;
use crate::plugins::verify;
use crate::state::AppState;

/// Runs one attempt of `request` on `route`, a deployment of `model`.
pub async fn run(
    state: &AppState,
    request: &Request<'_>,
    model: &Model,
    route: &Arc<Deployment>,
    passed: &mut Vec<(HeaderName, HeaderValue)>,
) -> Result<Outcome, GatewayError> {
    let started = Instant::now();
    let deadline = started + model.timeouts.total;
    let record = request.record;
    let (mut call, upstream_request) = prepare(state, request, model, route, started).await?;
    let framing = upstream_request.response_framing;
    let upstream_started = Instant::now();
    let first_byte = deadline.min(upstream_started + model.timeouts.first_byte);
    let response = send(
        state,
        &call.route,
        &call.adapter,
        upstream_request,
        first_byte,
    )
    .await?;
    record.upstream_took(upstream_started.elapsed());
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
    let head = &request.head;
    match framing.filter(|&framing| status.is_success() && is_stream(framing, &response)) {
        Some(framing) => {
            let mut relay = Relay::open(call, response, framing).await?;
            relay.limit_time(model.timeouts.stream_idle, deadline);
            if head.stream {
                relay.report_to(record.clone());
                let started = relay.start().await?;
                record.stream_started();
                Ok(Outcome::Stream(Box::new(started)))
            } else {
                let (body, usage) = relay.collect().await?;
                record.answered_whole(usage, &body);
                Ok(Outcome::Whole(body))
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
            .map_err(|_| timed_out(route))??;
            record.upstream_took(upstream_started.elapsed());
            let outcome = answer(state, &mut call, &upstream, request).await;
            call.recycle();
            outcome
        }
    }
}

/// Takes the adapter version and an instance for `route`, and translates the request.
async fn prepare(
    state: &AppState,
    request: &Request<'_>,
    model: &Model,
    route: &Arc<Deployment>,
    started: Instant,
) -> Result<(Call, UpstreamRequest), GatewayError> {
    let endpoint = request.endpoint;
    let adapter = state
        .plugins
        .snapshot()
        .get(&route.adapter)
        .ok_or_else(|| {
            GatewayError::AdapterUnavailable(format!(
                "adapter `{0}` for model `{1}` is not loaded: put `{0}.wasm` in the \
                 gateway's plugins.dir, or see the adapter's `last_error` \
                 on GET /health for why it failed to load",
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
    request
        .record
        .served_by(&model.name, &adapter.name, &adapter.version);
    request.record.priced(route.price);
    let span = tracing::Span::current();
    span.record("model", route.name.as_str());
    span.record("adapter", adapter.info.name.as_str());
    span.record("adapter_version", adapter.info.version.as_str());
    let (session, permit) = state.plugins.session(&adapter).await?;
    let client_id = request.principal.client_id();
    let ctx = CallContext {
        endpoint,
        public_model: route.name.clone(),
        upstream_model: route.upstream_model.clone(),
        streaming: request.head.stream,
        include_usage: request.head.include_usage,
        client_id: client_id.to_string(),
        options: route.options.clone(),
    };
    let mut call = Call {
        started,
        route: Arc::clone(route),
        adapter,
        ctx,
        session,
        permit,
    };
    let mut upstream_request = verify::request(
        &call.adapter,
        call.session
            .transform_request(&call.ctx, &request.body)
            .await,
    )?;
    forward_dialect_headers(&mut upstream_request, &request.head.dialect_headers);
    Ok((call, upstream_request))
}

/// The client's dialect headers replace the adapter's of the same name (a client's
/// `anthropic-beta` list is what its body was written for).
fn forward_dialect_headers(request: &mut UpstreamRequest, client: &[(String, String)]) {
    if client.is_empty() {
        return;
    }
    request
        .headers
        .retain(|(name, _)| !client.iter().any(|(c, _)| c.eq_ignore_ascii_case(name)));
    request.headers.extend(client.iter().cloned());
}

/// Sends the adapter's request, waiting for the response head until `first_byte`. It
/// takes the deployment and adapter, not the `Call`: a session is not `Sync`, and
/// this future must stay `Send`.
async fn send(
    state: &AppState,
    route: &Deployment,
    adapter: &Adapter,
    upstream_request: UpstreamRequest,
    first_byte: Instant,
) -> Result<crate::dispatch::upstream::Response, GatewayError> {
    tokio::time::timeout_at(
        first_byte.into(),
        state.upstream.send(route, adapter, upstream_request),
    )
    .await
    .map_err(|_| timed_out(route))?
}

/// Translates a whole upstream answer; a client that asked for a stream gets the
/// answer told as chunks.
async fn answer(
    state: &AppState,
    call: &mut Call,
    upstream: &crate::plugins::bindings::UpstreamResponse,
    request: &Request<'_>,
) -> Result<Outcome, GatewayError> {
    let translated = verify::response(
        &call.adapter,
        call.session.transform_response(&call.ctx, upstream).await,
        state.config.upstream.max_response_bytes,
    )?;
    request
        .record
        .answered_whole(translated.usage, &translated.body);
    let head = &request.head;
    if head.stream && request.endpoint == Endpoint::ChatCompletions {
        let chunks = unfold::chunks(&translated.body, head.include_usage)
            .map_err(|why| GatewayError::plugin(&call.adapter, PluginFault::Contract(why)))?;
        return Ok(Outcome::Chunks(chunks));
    }
    Ok(Outcome::Whole(Bytes::from(translated.body)))
}

fn timed_out(route: &Deployment) -> GatewayError {
    GatewayError::UpstreamTimeout {
        model: route.name.clone(),
    }
}

/// Whether a 2xx answer to a request that asked for `framing` is that stream: an SSE
/// stream says `text/event-stream` (or nothing); line-delimited JSON is anything but a
/// single JSON document or a web page.
fn is_stream(framing: StreamFraming, response: &crate::dispatch::upstream::Response) -> bool {
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
