//! The traffic rollups in SQLite (see `store/traffic.rs`): added to in the log batch's
//! transaction, summed per bucket for the charts.

use std::sync::LazyLock;

use rusqlite::types::Value;
use rusqlite::{CachedStatement, Connection, Row, Transaction, params_from_iter};

use crate::store::StoreResult;
use crate::store::traffic::{
    self, BINS, Rollup, Totals, TrafficDimension, TrafficQuery, TrafficRow,
};

/// The two upserts (by model, by key), formatted once: the 73-column statement costs
/// more to format than a batch of rows costs to write.
static UPSERTS: LazyLock<[String; 2]> = LazyLock::new(|| {
    [TrafficDimension::Model, TrafficDimension::Key]
        .map(|dimension| traffic::upsert_sql(dimension, |n| format!("?{n}"), "max"))
});

/// Adds a batch's rows into both rollup tables, in the batch's transaction.
pub(super) fn add(tx: &Transaction<'_>, rollup: &Rollup) -> StoreResult<()> {
    let [by_model, by_key] = &*UPSERTS;
    let mut by_model = tx.prepare_cached(by_model)?;
    for ((minute, model), totals) in &rollup.by_model {
        upsert(&mut by_model, *minute, model, totals)?;
    }
    let mut by_key = tx.prepare_cached(by_key)?;
    for ((client, hour), totals) in &rollup.by_key {
        upsert(&mut by_key, *hour, client, totals)?;
    }
    Ok(())
}

/// Runs one upsert with its parameters bound in place: time, group, then
/// `traffic::value_columns` in order.
fn upsert(
    statement: &mut CachedStatement<'_>,
    time: i64,
    group: &str,
    totals: &Totals,
) -> StoreResult<()> {
    statement.raw_bind_parameter(1, time)?;
    statement.raw_bind_parameter(2, group)?;
    let counts = [
        totals.requests,
        totals.errors,
        totals.prompt_tokens,
        totals.completion_tokens,
        totals.total_tokens,
    ];
    for (index, count) in (3..).zip(counts) {
        statement.raw_bind_parameter(index, count)?;
    }
    statement.raw_bind_parameter(8, totals.latency_sum_ms)?;
    statement.raw_bind_parameter(9, totals.latency_max_ms)?;
    for (index, &count) in (10..).zip(&totals.bins) {
        statement.raw_bind_parameter(index, count)?;
    }
    statement.raw_execute()?;
    Ok(())
}

/// The rollup summed per bucket and group.
pub(super) fn read(conn: &Connection, query: &TrafficQuery) -> StoreResult<Vec<TrafficRow>> {
    let sql = traffic::select_sql(query, |n| format!("?{n}"), "");
    let mut args = vec![
        Value::Integer(query.since_ms),
        Value::Integer(query.until_ms),
        Value::Integer(query.bucket_ms.max(1)),
    ];
    if let Some(only) = &query.only {
        args.push(Value::Text(only.clone()));
    }
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(args), row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

fn row(row: &Row<'_>) -> rusqlite::Result<TrafficRow> {
    let mut bins = Vec::with_capacity(BINS);
    for index in 0..BINS {
        bins.push(row.get(9 + index)?);
    }
    Ok(TrafficRow {
        bucket_ms: row.get(0)?,
        group: row.get(1)?,
        totals: Totals {
            requests: row.get(2)?,
            errors: row.get(3)?,
            prompt_tokens: row.get(4)?,
            completion_tokens: row.get(5)?,
            total_tokens: row.get(6)?,
            latency_sum_ms: row.get(7)?,
            latency_max_ms: row.get(8)?,
            bins,
        },
    })
}
