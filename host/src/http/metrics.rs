//! `GET /metrics`: the Prometheus text exposition, with the adapter runtime's gauges
//! sampled at scrape time.

use ::metrics::gauge;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};

use crate::record::metrics::{self, POOL_IDLE, SESSIONS_CAPACITY, SESSIONS_IN_USE};
use crate::state::AppState;

/// `GET /metrics`: the Prometheus text exposition.
pub async fn render(State(state): State<AppState>) -> Response {
    let capacity = state.config.plugins.max_concurrent_calls as f64;
    gauge!(SESSIONS_CAPACITY).set(capacity);
    gauge!(SESSIONS_IN_USE).set(capacity - state.plugins.available_permits() as f64);
    for (name, adapter) in &state.plugins.snapshot().active {
        gauge!(POOL_IDLE, "adapter" => name.clone()).set(adapter.pool.idle() as f64);
    }
    let body = metrics::render();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}
