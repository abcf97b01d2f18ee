//! `/admin/usage` (requests and tokens per key or model over a time range) and
//! `/admin/requests` (the request log itself, filtered and paged by cursor).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::GatewayError;
use crate::state::AppState;
use crate::store::{self, LogCursor, LogOutcome, LogPage, LogQuery, UsageGroup, UsageQuery};

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

/// `GET /admin/requests` query: a time range, filters, an order and a cursor.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogFilter {
    #[serde(default)]
    since: Option<i64>,
    #[serde(default)]
    until: Option<i64>,
    #[serde(default)]
    limit: Option<usize>,
    /// Only this client: a key id, `anonymous`, `admin` or `console`.
    #[serde(default)]
    client_id: Option<String>,
    /// Only this model.
    #[serde(default)]
    model: Option<String>,
    /// `ok`, `error`, or an HTTP status (`429`).
    #[serde(default)]
    status: Option<String>,
    /// `asc` (default: oldest first) or `desc` (newest first).
    #[serde(default)]
    order: Option<String>,
    /// The previous page's `next`.
    #[serde(default)]
    after: Option<String>,
}

/// The request log (`limit`: 1 to 1000, default 100), oldest first unless
/// `order=desc`, filtered by client, model and outcome, paged by the cursor `next`.
pub async fn requests(
    State(state): State<AppState>,
    query: Result<Query<LogFilter>, QueryRejection>,
) -> Result<Json<LogPage>, GatewayError> {
    let Query(filter) = query.map_err(crate::http::bad_query)?;
    let (since_ms, until_ms) = RangeQuery {
        since: filter.since,
        until: filter.until,
        group_by: None,
    }
    .range_ms()?;
    let limit = filter.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_ROWS {
        return Err(GatewayError::bad_request(
            format!("`limit` must be 1 to {MAX_ROWS}"),
            Some("limit"),
        ));
    }
    let outcome = match filter.status.as_deref().map(str::trim) {
        None | Some("" | "all") => None,
        Some("ok") => Some(LogOutcome::Ok),
        Some("error") => Some(LogOutcome::Error),
        Some(code) => Some(
            code.parse::<u16>()
                .ok()
                .filter(|c| (100..=599).contains(c))
                .map(LogOutcome::Status)
                .ok_or_else(|| {
                    GatewayError::bad_request(
                        "`status` must be `ok`, `error` or an HTTP status such as 429",
                        Some("status"),
                    )
                })?,
        ),
    };
    let newest_first = match filter.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            return Err(GatewayError::bad_request(
                "`order` must be `asc` or `desc`",
                Some("order"),
            ));
        }
    };
    let after = match filter.after.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(text) => Some(LogCursor::parse(text).ok_or_else(|| {
            GatewayError::bad_request(
                "`after` is not a cursor from a previous page's `next`",
                Some("after"),
            )
        })?),
    };
    let nonempty = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let query = LogQuery {
        since_ms,
        until_ms,
        client_id: nonempty(filter.client_id),
        model: nonempty(filter.model),
        outcome,
        newest_first,
        limit,
        after,
    };
    let page = store::blocking(&state.store, move |store| store.log_page(&query)).await?;
    Ok(Json(page))
}
