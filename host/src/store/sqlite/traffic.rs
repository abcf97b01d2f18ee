//! The traffic rollups in SQLite (see `store/traffic.rs`): added to in the log batch's
//! transaction, summed per bucket for the charts.

use rusqlite::types::Value;
use rusqlite::{Connection, Row, Transaction, params_from_iter};

use crate::store::StoreResult;
use crate::store::traffic::{
    self, BINS, Rollup, Totals, TrafficDimension, TrafficQuery, TrafficRow,
};

/// Adds a batch's rows into both rollup tables, in the batch's transaction.
pub(super) fn add(tx: &Transaction<'_>, rollup: &Rollup) -> StoreResult<()> {
    let placeholder = |n: usize| format!("?{n}");
    let mut by_model = tx.prepare_cached(&traffic::upsert_sql(
        TrafficDimension::Model,
        placeholder,
        "max",
    ))?;
    for ((minute, model), totals) in &rollup.by_model {
        let mut args = vec![Value::Integer(*minute), Value::Text(model.clone())];
        args.extend(values(totals));
        by_model.execute(params_from_iter(args))?;
    }
    let mut by_key = tx.prepare_cached(&traffic::upsert_sql(
        TrafficDimension::Key,
        placeholder,
        "max",
    ))?;
    for ((client, hour), totals) in &rollup.by_key {
        let mut args = vec![Value::Integer(*hour), Value::Text(client.clone())];
        args.extend(values(totals));
        by_key.execute(params_from_iter(args))?;
    }
    Ok(())
}

/// A rollup row's values in `traffic::value_columns` order.
fn values(totals: &Totals) -> Vec<Value> {
    let mut values = vec![
        Value::Integer(totals.requests),
        Value::Integer(totals.errors),
        Value::Integer(totals.prompt_tokens),
        Value::Integer(totals.completion_tokens),
        Value::Integer(totals.total_tokens),
        Value::Real(totals.latency_sum_ms),
        Value::Real(totals.latency_max_ms),
    ];
    values.extend(totals.bins.iter().map(|&n| Value::Integer(n)));
    values
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
