//! Traffic rollups: what the console's charts read instead of the request log. Every
//! log batch also adds its rows into two rollup tables, one row per minute and model
//! (`traffic_by_model`) and one per hour and client (`traffic_by_key`), with the
//! counts, token sums and a latency histogram whose bins are columns (`l0`..`l63`).
//! Adding is one upsert per touched row (`SET l3 = l3 + excluded.l3`), atomic on both
//! backends, so gateways sharing a database never lose an update; reading a day is a
//! `GROUP BY` over at most a few thousand rows, whatever the log holds. Percentiles
//! come from the summed histograms (within a bin's width, 25%, interpolated).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::RequestRecord;

/// Latency histogram bins: bin `i` (for `i < BINS - 1`) holds latencies up to
/// `BIN_RATIO^i` milliseconds; the last holds everything slower (about 17 minutes+).
pub const BINS: usize = 64;
/// Each bin's upper bound is this much above the previous one.
pub const BIN_RATIO: f64 = 1.25;
/// The model table's granularity.
pub const MODEL_STEP_MS: i64 = 60_000;
/// The key table's granularity (coarser: there may be a hundred thousand keys).
pub const KEY_STEP_MS: i64 = 3_600_000;

/// Which rollup a query reads, and what its `group` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TrafficDimension {
    /// Per public model, by the minute.
    Model,
    /// Per client (key id, `anonymous`, `admin`, `console`), by the hour.
    Key,
}

impl TrafficDimension {
    /// The table's finest step, in milliseconds.
    pub fn step_ms(self) -> i64 {
        match self {
            Self::Model => MODEL_STEP_MS,
            Self::Key => KEY_STEP_MS,
        }
    }

    /// The table, its time column and its group column.
    pub fn table(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Model => ("traffic_by_model", "minute_ms", "model"),
            Self::Key => ("traffic_by_key", "hour_ms", "client_id"),
        }
    }
}

/// A rollup read: rows per time bucket and group within a range.
#[derive(Debug, Clone)]
pub struct TrafficQuery {
    /// From, unix milliseconds (inclusive; rounded down to the table's step).
    pub since_ms: i64,
    /// To, unix milliseconds (exclusive).
    pub until_ms: i64,
    /// Bucket width, milliseconds: a multiple of the table's step.
    pub bucket_ms: i64,
    /// Which table.
    pub dimension: TrafficDimension,
    /// Only this group (a model name, or a client id).
    pub only: Option<String>,
}

/// One bucket of one group, summed from the rollup.
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficRow {
    /// Bucket start, unix milliseconds.
    pub bucket_ms: i64,
    /// The model or client.
    pub group: String,
    /// The numbers.
    pub totals: Totals,
}

/// Sums over some requests: what a rollup row holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Totals {
    /// Requests answered.
    pub requests: i64,
    /// Failed (status >= 400, or a stream that ended in an error).
    pub errors: i64,
    /// Prompt tokens.
    pub prompt_tokens: i64,
    /// Completion tokens.
    pub completion_tokens: i64,
    /// Prompt + completion.
    pub total_tokens: i64,
    /// Sum of latencies, milliseconds.
    pub latency_sum_ms: f64,
    /// Slowest latency, milliseconds.
    pub latency_max_ms: f64,
    /// Requests per latency bin ([`BINS`] entries).
    pub bins: Vec<i64>,
}

impl Default for Totals {
    fn default() -> Self {
        Self {
            requests: 0,
            errors: 0,
            prompt_tokens: 0,
            completion_tokens: 0,
            total_tokens: 0,
            latency_sum_ms: 0.0,
            latency_max_ms: 0.0,
            bins: vec![0; BINS],
        }
    }
}

impl Totals {
    /// Counts one request.
    pub fn add_record(&mut self, record: &RequestRecord) {
        self.requests += 1;
        if record.status >= 400 || record.error_type.is_some() {
            self.errors += 1;
        }
        self.prompt_tokens += i64::from(record.prompt_tokens.unwrap_or(0));
        self.completion_tokens += i64::from(record.completion_tokens.unwrap_or(0));
        self.total_tokens += i64::from(record.total_tokens.unwrap_or(0));
        let latency = record.latency_ms.max(0.0);
        self.latency_sum_ms += latency;
        self.latency_max_ms = self.latency_max_ms.max(latency);
        if let Some(bin) = self.bins.get_mut(bin_of(latency)) {
            *bin += 1;
        }
    }

    /// Adds another sum into this one.
    pub fn merge(&mut self, other: &Self) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.total_tokens += other.total_tokens;
        self.latency_sum_ms += other.latency_sum_ms;
        self.latency_max_ms = self.latency_max_ms.max(other.latency_max_ms);
        for (bin, more) in self.bins.iter_mut().zip(&other.bins) {
            *bin += more;
        }
    }

    /// The latency below which `quantile` (0 to 1) of the requests fall, estimated
    /// from the histogram (log-interpolated within the bin, never above the slowest
    /// seen); `None` without requests.
    pub fn latency_quantile(&self, quantile: f64) -> Option<f64> {
        let count: i64 = self.bins.iter().sum();
        if count == 0 {
            return None;
        }
        #[expect(
            clippy::cast_precision_loss,
            reason = "request counts are far below 2^52"
        )]
        let rank = (quantile.clamp(0.0, 1.0) * count as f64).max(1.0);
        let mut seen = 0.0;
        for (index, &in_bin) in self.bins.iter().enumerate() {
            #[expect(clippy::cast_precision_loss, reason = "as above")]
            let in_bin = in_bin as f64;
            if in_bin > 0.0 && seen + in_bin >= rank {
                let (low, high) = bin_bounds(index);
                let high = high.min(self.latency_max_ms.max(low));
                let fraction = (rank - seen) / in_bin;
                let estimate = if low <= 0.0 {
                    high * fraction
                } else {
                    low * (high / low).powf(fraction)
                };
                return Some(estimate.min(self.latency_max_ms));
            }
            seen += in_bin;
        }
        Some(self.latency_max_ms)
    }
}

/// The bin a latency (milliseconds) falls in.
pub fn bin_of(latency_ms: f64) -> usize {
    if latency_ms.is_nan() || latency_ms <= 1.0 {
        return 0;
    }
    let index = (latency_ms.ln() / BIN_RATIO.ln()).ceil();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "positive and clamped to the bin count"
    )]
    let index = index.min((BINS - 1) as f64) as usize;
    index
}

/// A bin's bounds in milliseconds (the last bin's upper bound is infinite).
pub fn bin_bounds(index: usize) -> (f64, f64) {
    let bound = |i: usize| BIN_RATIO.powi(i32::try_from(i).unwrap_or(i32::MAX));
    let low = if index == 0 { 0.0 } else { bound(index - 1) };
    let high = if index + 1 >= BINS {
        f64::INFINITY
    } else {
        bound(index)
    };
    (low, high)
}

/// A batch's rows added up per rollup row, each table's rows in key order (so that
/// concurrent writers touch them in the same order and cannot deadlock).
#[derive(Debug, Default)]
pub struct Rollup {
    /// `(minute start, model)` -> sums.
    pub by_model: BTreeMap<(i64, String), Totals>,
    /// `(client, hour start)` -> sums.
    pub by_key: BTreeMap<(String, i64), Totals>,
}

impl Rollup {
    /// The batch `records` summed.
    pub fn of<'a>(records: impl IntoIterator<Item = &'a RequestRecord>) -> Self {
        let mut rollup = Self::default();
        for record in records {
            let minute = record.at_ms.div_euclid(MODEL_STEP_MS) * MODEL_STEP_MS;
            let hour = record.at_ms.div_euclid(KEY_STEP_MS) * KEY_STEP_MS;
            rollup
                .by_model
                .entry((minute, record.model.clone()))
                .or_default()
                .add_record(record);
            rollup
                .by_key
                .entry((record.client_id.clone(), hour))
                .or_default()
                .add_record(record);
        }
        rollup
    }
}

/// The histogram columns, `l0, l1, ...`.
pub fn bin_columns() -> Vec<String> {
    (0..BINS).map(|i| format!("l{i}")).collect()
}

/// The columns every rollup row has after its time and group, in [`Totals`] order.
pub fn value_columns() -> Vec<String> {
    let mut columns: Vec<String> = [
        "requests",
        "errors",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "latency_sum_ms",
        "latency_max_ms",
    ]
    .iter()
    .map(|c| (*c).to_string())
    .collect();
    columns.extend(bin_columns());
    columns
}

/// The upsert adding one row into `dimension`'s table. `placeholder(n)` writes the
/// n-th (1-based) parameter; `greatest` is the two-argument maximum (`max` in
/// SQLite, `GREATEST` in Postgres). Parameters: time, group, then [`value_columns`].
pub fn upsert_sql(
    dimension: TrafficDimension,
    placeholder: impl Fn(usize) -> String,
    greatest: &str,
) -> String {
    let (table, time, group) = dimension.table();
    let values = value_columns();
    let names = values.join(", ");
    let params: Vec<String> = (1..=values.len() + 2).map(placeholder).collect();
    let updates: Vec<String> = values
        .iter()
        .map(|c| {
            if c == "latency_max_ms" {
                format!("{c} = {greatest}({table}.{c}, excluded.{c})")
            } else {
                format!("{c} = {table}.{c} + excluded.{c}")
            }
        })
        .collect();
    format!(
        "INSERT INTO {table} ({time}, {group}, {names}) VALUES ({}) \
         ON CONFLICT ({time}, {group}) DO UPDATE SET {}",
        params.join(", "),
        updates.join(", ")
    )
}

/// The read summing `query`'s table per bucket and group. Parameters: since, until,
/// bucket width, then the group when `only` is set. `cast` follows each integer sum
/// (`::BIGINT` in Postgres, whose `SUM(BIGINT)` is NUMERIC) and `placeholder(n)`
/// writes the n-th parameter.
pub fn select_sql(
    query: &TrafficQuery,
    placeholder: impl Fn(usize) -> String,
    cast: &str,
) -> String {
    let (table, time, group) = query.dimension.table();
    let sums: Vec<String> = value_columns()
        .iter()
        .map(|c| match c.as_str() {
            "latency_max_ms" => format!("MAX({c})"),
            "latency_sum_ms" => format!("SUM({c})"),
            _ => format!("SUM({c}){cast}"),
        })
        .collect();
    let only = if query.only.is_some() {
        format!(" AND {group} = {}", placeholder(4))
    } else {
        String::new()
    };
    format!(
        "SELECT ({time} / {b}) * {b} AS bucket, {group}, {} FROM {table} \
         WHERE {time} >= {since} AND {time} < {until}{only} \
         GROUP BY bucket, {group} ORDER BY bucket, {group}",
        sums.join(", "),
        since = placeholder(1),
        until = placeholder(2),
        b = placeholder(3),
    )
}

#[cfg(test)]
mod tests;
