//! The traffic rollups in Postgres (see `store/traffic.rs`): added to in the log
//! batch's transaction, summed per bucket for the charts. Each touched row is one
//! atomic upsert (`l3 = l3 + EXCLUDED.l3`), so gateways writing together add up
//! rather than overwrite; the upserts are pipelined in key order, so two batches lock
//! rows alike and cannot deadlock.

use std::sync::LazyLock;

use deadpool_postgres::{GenericClient, Object};
use futures_util::future::try_join_all;
use tokio_postgres::Row;

use super::pages::Args;
use crate::store::traffic::{
    self, BINS, Rollup, Totals, TrafficDimension, TrafficQuery, TrafficRow,
};
use crate::store::{StoreError, StoreResult};

/// The two upserts (by model, by key), formatted once.
static UPSERTS: LazyLock<[String; 2]> = LazyLock::new(|| {
    [TrafficDimension::Model, TrafficDimension::Key]
        .map(|dimension| traffic::upsert_sql(dimension, |n| format!("${n}"), "GREATEST"))
});

/// Adds a batch's rows into both rollup tables, in the batch's transaction.
pub(super) async fn add(client: &impl GenericClient, rollup: &Rollup) -> StoreResult<()> {
    if rollup.by_model.is_empty() && rollup.by_key.is_empty() {
        return Ok(());
    }
    let [by_model, by_key] = &*UPSERTS;
    let by_model = client.prepare_cached(by_model).await?;
    let by_key = client.prepare_cached(by_key).await?;
    let rows: Vec<(&tokio_postgres::Statement, Args)> = rollup
        .by_model
        .iter()
        .map(|((minute, model), totals)| (&by_model, args(*minute, model, totals)))
        .chain(
            rollup
                .by_key
                .iter()
                .map(|((key, hour), totals)| (&by_key, args(*hour, key, totals))),
        )
        .collect();
    let refs: Vec<_> = rows.iter().map(|(s, a)| (*s, a.refs())).collect();
    try_join_all(
        refs.iter()
            .map(|(statement, args)| client.execute(*statement, args)),
    )
    .await?;
    Ok(())
}

/// An upsert's parameters: time, group, then `traffic::value_columns` in order.
fn args(time: i64, group: &str, totals: &Totals) -> Args {
    let mut args = Args::default();
    args.push(time);
    args.push(group.to_string());
    for value in [
        totals.requests,
        totals.errors,
        totals.prompt_tokens,
        totals.completion_tokens,
        totals.total_tokens,
    ] {
        args.push(value);
    }
    args.push(totals.latency_sum_ms);
    args.push(totals.latency_max_ms);
    for &count in &totals.bins {
        args.push(count);
    }
    args
}

/// The rollup summed per bucket and group.
pub(super) async fn read(conn: &Object, query: &TrafficQuery) -> StoreResult<Vec<TrafficRow>> {
    let sql = traffic::select_sql(query, |n| format!("${n}"), "::BIGINT");
    let mut args = Args::default();
    args.push(query.since_ms);
    args.push(query.until_ms);
    args.push(query.bucket_ms.max(1));
    if let Some(only) = &query.only {
        args.push(only.clone());
    }
    let statement = conn.prepare_cached(&sql).await?;
    let rows = conn.query(&statement, &args.refs()).await?;
    rows.iter().map(row).collect()
}

fn row(row: &Row) -> StoreResult<TrafficRow> {
    let mut bins = Vec::with_capacity(BINS);
    for index in 0..BINS {
        bins.push(row.try_get(9 + index)?);
    }
    let latency_sum_ms: Option<f64> = row.try_get(7)?;
    let latency_max_ms: Option<f64> = row.try_get(8)?;
    Ok(TrafficRow {
        bucket_ms: row.try_get(0)?,
        group: row.try_get(1)?,
        totals: Totals {
            requests: row.try_get(2)?,
            errors: row.try_get(3)?,
            prompt_tokens: row.try_get(4)?,
            completion_tokens: row.try_get(5)?,
            total_tokens: row.try_get(6)?,
            latency_sum_ms: latency_sum_ms
                .ok_or(StoreError::Inconsistent("a rollup row without latencies"))?,
            latency_max_ms: latency_max_ms
                .ok_or(StoreError::Inconsistent("a rollup row without latencies"))?,
            bins,
        },
    })
}
