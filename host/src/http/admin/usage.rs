//! `/admin/usage` (requests and tokens per key or model over a time range) and
//! `/admin/requests` (the request log itself).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::GatewayError;
use crate::state::AppState;
use crate::store::{self, UsageGroup, UsageQuery};

/// Default window: the last day.
const DEFAULT_WINDOW_SECS: i64 = 86_400;
/// Request-log rows per page at most.
const MAX_ROWS: usize = 1000;

/// A time range in unix seconds; `until` defaults to now, `since` to a day before.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    #[serde(default)]
    since: Option<i64>,
    #[serde(default)]
    until: Option<i64>,
    #[serde(default)]
    group_by: Option<UsageGroup>,
    #[serde(default)]
    limit: Option<usize>,
}

impl RangeQuery {
    /// `(since_ms, until_ms)`, checked.
    fn range_ms(&self) -> Result<(i64, i64), GatewayError> {
        let until = self.until.unwrap_or_else(|| store::now_secs() + 1);
        let since = self.since.unwrap_or(until - DEFAULT_WINDOW_SECS);
        if since >= until {
            return Err(GatewayError::bad_request(
                "`since` must be before `until` (unix seconds)",
                Some("since"),
            ));
        }
        Ok((since.saturating_mul(1000), until.saturating_mul(1000)))
    }
}

/// Requests, errors and tokens per key (default) or per model.
pub async fn summary(
    State(state): State<AppState>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<Value>, GatewayError> {
    let Query(query) = query.map_err(crate::http::bad_query)?;
    let (since_ms, until_ms) = query.range_ms()?;
    let group = query.group_by.unwrap_or(UsageGroup::Key);
    let usage = UsageQuery {
        since_ms,
        until_ms,
        group,
    };
    let rows = store::blocking(&state.store, move |store| store.usage_summary(&usage)).await?;
    Ok(Json(json!({
        "object": "usage_summary",
        "since": since_ms / 1000,
        "until": until_ms / 1000,
        "group_by": match group { UsageGroup::Key => "key", UsageGroup::Model => "model" },
        "data": rows,
    })))
}

/// The request log, oldest first (`limit`: 1 to 1000, default 100).
pub async fn requests(
    State(state): State<AppState>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<Value>, GatewayError> {
    let Query(query) = query.map_err(crate::http::bad_query)?;
    let (since_ms, until_ms) = query.range_ms()?;
    let limit = query.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_ROWS {
        return Err(GatewayError::bad_request(
            format!("`limit` must be 1 to {MAX_ROWS}"),
            Some("limit"),
        ));
    }
    let rows = store::blocking(&state.store, move |store| {
        store.request_log(since_ms, until_ms, limit)
    })
    .await?;
    Ok(Json(json!({"object": "list", "data": rows})))
}
