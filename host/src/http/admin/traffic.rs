//! `GET /admin/traffic`: requests, errors, latency percentiles and tokens per time
//! bucket, overall and per model or key, from the rollups (`store/traffic.rs`), never
//! from the request log itself, so a day's chart costs the same at a thousand or a
//! million requests. Every bucket of the range is present (zeros where nothing
//! happened), so a chart can plot the series as they come.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use crate::error::GatewayError;
use crate::state::AppState;
use crate::store::traffic::Totals;
use crate::store::{self, TrafficDimension, TrafficQuery};

/// Default range: the last day.
const DEFAULT_WINDOW_SECS: i64 = 86_400;
/// Bucket widths chosen automatically (seconds): the smallest giving at most
/// [`AUTO_BUCKETS`] buckets.
const AUTO_STEPS: &[i64] = &[60, 300, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];
/// Buckets an automatic width aims at, at most.
const AUTO_BUCKETS: i64 = 96;
/// Buckets one answer holds at most.
const MAX_BUCKETS: i64 = 2000;
/// Groups listed when `top` is not given, and the most allowed.
const DEFAULT_TOP: usize = 8;
const MAX_TOP: usize = 100;

/// The query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficParams {
    /// From, unix seconds (default: a day before `until`).
    #[serde(default)]
    since: Option<i64>,
    /// To, unix seconds (default: now).
    #[serde(default)]
    until: Option<i64>,
    /// Bucket width, seconds: a multiple of 60 (of 3600 per key); default: chosen.
    #[serde(default)]
    bucket: Option<i64>,
    /// `model` (default) or `key`: which groups are listed.
    #[serde(default)]
    group_by: Option<TrafficDimension>,
    /// Only this model.
    #[serde(default)]
    model: Option<String>,
    /// Only this client (key id, `anonymous`, `admin`, `console`); per hour.
    #[serde(default)]
    client_id: Option<String>,
    /// Groups listed, busiest first (default 8, at most 100).
    #[serde(default)]
    top: Option<usize>,
}

/// The numbers of one bucket, or of a whole range.
#[derive(Debug, Serialize)]
pub struct Point {
    /// Bucket start, unix seconds (absent for range totals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<i64>,
    /// Requests answered.
    pub requests: i64,
    /// Failed ones.
    pub errors: i64,
    /// Prompt tokens.
    pub prompt_tokens: i64,
    /// Completion tokens.
    pub completion_tokens: i64,
    /// Prompt + completion.
    pub total_tokens: i64,
    /// Median latency, milliseconds (estimated from the histogram).
    pub p50_ms: Option<f64>,
    /// 99th-percentile latency, milliseconds.
    pub p99_ms: Option<f64>,
}

impl Point {
    fn of(start: Option<i64>, totals: &Totals) -> Self {
        Self {
            start,
            requests: totals.requests,
            errors: totals.errors,
            prompt_tokens: totals.prompt_tokens,
            completion_tokens: totals.completion_tokens,
            total_tokens: totals.total_tokens,
            p50_ms: totals.latency_quantile(0.5).map(round),
            p99_ms: totals.latency_quantile(0.99).map(round),
        }
    }
}

fn round(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

/// One model's or key's numbers over the range, and its requests per bucket.
#[derive(Debug, Serialize)]
pub struct Group {
    /// The model or client.
    pub group: String,
    /// Its totals.
    #[serde(flatten)]
    pub totals: Point,
    /// Its requests in each bucket, in order.
    pub requests_per_bucket: Vec<i64>,
    /// Its failures in each bucket, in order.
    pub errors_per_bucket: Vec<i64>,
}

/// The answer.
#[derive(Debug, Serialize)]
pub struct Traffic {
    /// Always `traffic`.
    pub object: &'static str,
    /// First bucket's start, unix seconds.
    pub since: i64,
    /// End of the range, unix seconds.
    pub until: i64,
    /// Bucket width, seconds.
    pub bucket: i64,
    /// `model` or `key`.
    pub group_by: TrafficDimension,
    /// The whole range.
    pub totals: Point,
    /// Every bucket, oldest first.
    pub buckets: Vec<Point>,
    /// The busiest groups, busiest first.
    pub groups: Vec<Group>,
}

/// The series and groups of the range.
pub async fn series(
    State(state): State<AppState>,
    params: Result<Query<TrafficParams>, QueryRejection>,
) -> Result<Json<Traffic>, GatewayError> {
    let Query(params) = params.map_err(crate::http::bad_query)?;
    let nonempty = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let (model, client) = (nonempty(params.model), nonempty(params.client_id));
    if model.is_some() && client.is_some() {
        return Err(GatewayError::bad_request(
            "filter by `model` or by `client_id`, not both",
            Some("client_id"),
        ));
    }
    let dimension = if client.is_some() {
        TrafficDimension::Key
    } else {
        params.group_by.unwrap_or(TrafficDimension::Model)
    };
    if model.is_some() && dimension == TrafficDimension::Key {
        return Err(GatewayError::bad_request(
            "`model` filters the per-model series: drop `group_by=key`",
            Some("model"),
        ));
    }
    let step = dimension.step_ms() / 1000;
    let until = params.until.unwrap_or_else(|| store::now_secs() + 1);
    let since = params.since.unwrap_or(until - DEFAULT_WINDOW_SECS);
    if since >= until {
        return Err(GatewayError::bad_request(
            "`since` must be before `until` (unix seconds)",
            Some("since"),
        ));
    }
    let bucket = match params.bucket {
        Some(bucket) if bucket <= 0 || bucket % step != 0 => {
            return Err(GatewayError::bad_request(
                format!("`bucket` must be a positive multiple of {step} seconds here"),
                Some("bucket"),
            ));
        }
        Some(bucket) => bucket,
        None => AUTO_STEPS
            .iter()
            .copied()
            .filter(|b| b % step == 0)
            .find(|b| (until - since) / b <= AUTO_BUCKETS)
            .unwrap_or(86_400),
    };
    let since = since.div_euclid(bucket) * bucket;
    let count = (until - since + bucket - 1) / bucket;
    if count > MAX_BUCKETS {
        return Err(GatewayError::bad_request(
            format!(
                "{count} buckets: give a wider `bucket` or a shorter range (at most {MAX_BUCKETS})"
            ),
            Some("bucket"),
        ));
    }
    let top = params.top.unwrap_or(DEFAULT_TOP);
    if top > MAX_TOP {
        return Err(GatewayError::bad_request(
            format!("`top` must be 0 to {MAX_TOP}"),
            Some("top"),
        ));
    }
    let query = TrafficQuery {
        since_ms: since.saturating_mul(1000),
        until_ms: until.saturating_mul(1000),
        bucket_ms: bucket.saturating_mul(1000),
        dimension,
        only: model.or(client),
    };
    let rows = store::blocking(&state.store, move |store| store.traffic(&query)).await?;
    let slots = usize::try_from(count).unwrap_or(0);
    let slot = |bucket_ms: i64| {
        usize::try_from((bucket_ms / 1000 - since) / bucket)
            .ok()
            .filter(|i| *i < slots)
    };
    let mut overall = vec![Totals::default(); slots];
    // The busiest groups first, by requests alone: with many keys, most groups are
    // only counted, never given a histogram or series.
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for row in &rows {
        let Some(totals) = slot(row.bucket_ms).and_then(|i| overall.get_mut(i)) else {
            continue;
        };
        totals.merge(&row.totals);
        *counts.entry(row.group.as_str()).or_default() += row.totals.requests;
    }
    let mut busiest: Vec<(&str, i64)> = counts.into_iter().collect();
    busiest.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    busiest.truncate(top);
    let mut series: HashMap<&str, (Totals, Vec<i64>, Vec<i64>)> = busiest
        .iter()
        .map(|(group, _)| (*group, (Totals::default(), vec![0; slots], vec![0; slots])))
        .collect();
    for row in &rows {
        let (Some(index), Some(entry)) = (slot(row.bucket_ms), series.get_mut(row.group.as_str()))
        else {
            continue;
        };
        entry.0.merge(&row.totals);
        if let (Some(requests), Some(errors)) = (entry.1.get_mut(index), entry.2.get_mut(index)) {
            *requests += row.totals.requests;
            *errors += row.totals.errors;
        }
    }
    let mut whole = Totals::default();
    for totals in &overall {
        whole.merge(totals);
    }
    let groups: Vec<Group> = busiest
        .iter()
        .filter_map(|(group, _)| {
            let (totals, requests, errors) = series.remove(group)?;
            Some(Group {
                totals: Point::of(None, &totals),
                group: (*group).to_string(),
                requests_per_bucket: requests,
                errors_per_bucket: errors,
            })
        })
        .collect();
    let buckets = overall
        .iter()
        .zip(0_i64..)
        .map(|(totals, i)| Point::of(Some(since + i * bucket), totals))
        .collect();
    Ok(Json(Traffic {
        object: "traffic",
        since,
        until,
        bucket,
        group_by: dimension,
        totals: Point::of(None, &whole),
        buckets,
        groups,
    }))
}
