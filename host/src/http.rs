//! HTTP routes: the OpenAI-compatible API, the admin API, the console (`/ui`) and
//! health. Every failure, including unknown paths and methods, answers an OpenAI-shaped
//! error.

pub mod admin;
pub mod chat;
pub mod connections;
pub mod console;
pub mod conversations;
pub mod dialect;
pub mod embeddings;
pub mod health;
pub mod messages;
pub mod metrics;
pub mod models;
mod oversized;
pub mod render;
mod request;
pub mod responses;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, Method, Uri};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower::ServiceBuilder;

use crate::access::{auth, gate};
use crate::error::GatewayError;
use crate::record::track;
use crate::state::AppState;

/// All routes, with the body limit that makes oversized bodies a 413 (announced ones
/// before they reach a handler, see [`oversized`]). The API needs a
/// client key (per `[auth]`), `/admin` the admin key or a console session; the
/// console's pages, health and metrics are open.
/// Every request has a record (metrics); proxied calls are also written to the request
/// log, refused ones included.
pub fn router(state: AppState) -> Router {
    let limit = state.config.server.max_body_bytes;
    let proxied = Router::new()
        .route("/v1/chat/completions", post(chat::completions))
        .route("/v1/embeddings", post(embeddings::create))
        .route_layer(from_fn_with_state(state.clone(), gate::clients));
    let anthropic = Router::new()
        .route("/v1/messages", post(messages::create))
        .route("/v1/messages/count_tokens", post(messages::count_tokens))
        .route_layer(from_fn_with_state(state.clone(), gate::clients))
        .route_layer(from_fn(messages::render::errors));
    let openai_responses = Router::new()
        .route("/v1/responses", post(responses::create))
        .route_layer(from_fn_with_state(state.clone(), gate::clients));
    let api = Router::new()
        .route("/v1/models", get(models::list))
        .route(
            "/v1/responses/{id}",
            get(responses::stored::show).delete(responses::stored::delete),
        )
        .route(
            "/v1/responses/{id}/input_items",
            get(responses::stored::input_items),
        )
        .route("/v1/models/{*id}", get(models::show))
        .route("/v1/conversations", get(conversations::list))
        .route(
            "/v1/conversations/{id}",
            get(conversations::show).delete(conversations::delete),
        )
        .route_layer(from_fn_with_state(Arc::clone(&state.auth), auth::clients));
    let admin =
        admin::router().route_layer(from_fn_with_state(Arc::clone(&state.auth), auth::admin));
    let console = console::router(&state);
    Router::new()
        .merge(proxied)
        .merge(anthropic)
        .merge(openai_responses)
        .merge(api)
        .merge(admin)
        .merge(console)
        .route("/", get(root))
        .route("/health", get(health::health))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(metrics::render))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // One layer, not three: `Router::layer` wraps every route in a boxed service
        // per call, and a route's stack is cloned (box by box) for each request.
        .layer(
            ServiceBuilder::new()
                .layer(from_fn_with_state(Arc::clone(&state.ledger), track::track))
                .layer(from_fn_with_state(limit, oversized::refuse))
                .layer(DefaultBodyLimit::max(limit)),
        )
        .with_state(state)
}

/// `GET /` (and `HEAD /`, which clients such as Claude Code send to warm the
/// connection): what this server is.
async fn root() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "name": "switchyard",
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

async fn not_found(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let error = GatewayError::RouteNotFound {
        method: method.to_string(),
        path: uri.path().to_string(),
    };
    in_dialect(&uri, &headers, error)
}

async fn method_not_allowed(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    in_dialect(
        &uri,
        &headers,
        GatewayError::MethodNotAllowed(method.to_string()),
    )
}

/// A fallback's error in the dialect of the path asked for.
fn in_dialect(uri: &Uri, headers: &HeaderMap, error: GatewayError) -> Response {
    let response = error.into_response();
    if messages::render::is_messages_path(uri.path()) {
        messages::render::in_anthropic_shape(response, messages::render::request_id(headers))
    } else {
        response
    }
}

/// A query string that does not parse is a 400 naming the problem.
pub fn bad_query(rejection: axum::extract::rejection::QueryRejection) -> GatewayError {
    GatewayError::bad_request(
        format!("invalid query string: {}", rejection.body_text()),
        None,
    )
}
