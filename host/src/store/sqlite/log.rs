//! The request log in SQLite: batches from the request path (log rows, key last-use
//! times, traffic rollups, conversation exchanges) in one transaction, and the admin
//! API's reads.

use rusqlite::{Connection, Row, params};

use super::SqliteStore;
use super::conversations::append_exchange;
use crate::store::model::{Exchange, RequestRecord, SpendLine, UsageGroup, UsageQuery, UsageRow};
use crate::store::pages::{LogPage, LogQuery};
use crate::store::traffic::{Rollup, TrafficQuery, TrafficRow};
use crate::store::{RequestLog, StoreResult};

impl RequestLog for SqliteStore {
    fn write_batch(
        &self,
        requests: &[RequestRecord],
        spend: &[SpendLine],
        exchanges: &[Exchange],
    ) -> StoreResult<()> {
        self.write(|conn| {
            // In WAL mode, NORMAL skips the commit's fsync (the WAL is synced at each
            // checkpoint): a batch survives a killed process, and only a power cut can
            // take the last ones. Keys and admin writes on this connection stay FULL.
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            let written = insert_batch(conn, requests, spend, exchanges);
            let restored = conn.pragma_update(None, "synchronous", "FULL");
            written?;
            Ok(restored?)
        })
    }

    fn request_log(
        &self,
        since_ms: i64,
        until_ms: i64,
        limit: usize,
    ) -> StoreResult<Vec<RequestRecord>> {
        self.read(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {LOG_COLUMNS} FROM request_log WHERE at_ms >= ?1 AND at_ms < ?2 \
                 ORDER BY at_ms, id LIMIT ?3"
            ))?;
            let rows = stmt
                .query_map(
                    params![since_ms, until_ms, i64::try_from(limit).unwrap_or(i64::MAX)],
                    record_from_row,
                )?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    fn usage_summary(&self, query: &UsageQuery) -> StoreResult<Vec<UsageRow>> {
        let column = match query.group {
            UsageGroup::Key => "client_id",
            UsageGroup::Model => "model",
        };
        self.read(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {column}, COUNT(*), \
                   SUM(CASE WHEN status >= 400 OR error_type IS NOT NULL THEN 1 ELSE 0 END), \
                   COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), \
                   COALESCE(SUM(total_tokens), 0) \
                 FROM request_log WHERE at_ms >= ?1 AND at_ms < ?2 \
                 GROUP BY {column} ORDER BY {column}"
            ))?;
            let rows = stmt
                .query_map(params![query.since_ms, query.until_ms], |row| {
                    Ok(UsageRow {
                        group: row.get(0)?,
                        requests: row.get(1)?,
                        errors: row.get(2)?,
                        prompt_tokens: row.get(3)?,
                        completion_tokens: row.get(4)?,
                        total_tokens: row.get(5)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    fn log_page(&self, query: &LogQuery) -> StoreResult<LogPage> {
        self.read(|conn| super::pages::log(conn, query))
    }

    fn traffic(&self, query: &TrafficQuery) -> StoreResult<Vec<TrafficRow>> {
        self.read(|conn| super::traffic::read(conn, query))
    }
}

/// A log row's columns (all but its id) as [`record_from_row`] reads them.
pub(super) const LOG_COLUMNS: &str = "at_ms, request_id, client_id, endpoint, model, platform, \
     adapter_version, status, latency_ms, upstream_ms, prompt_tokens, completion_tokens, \
     total_tokens, streamed, error_type, session_id, cached_tokens, reasoning_tokens, cost_nanos";

/// Where a row's id is in `SELECT {LOG_COLUMNS}, id`: right after the columns.
pub(super) const LOG_ID_COLUMN: usize = 19;

/// A log row from [`LOG_COLUMNS`].
pub(super) fn record_from_row(row: &Row<'_>) -> rusqlite::Result<RequestRecord> {
    Ok(RequestRecord {
        at_ms: row.get(0)?,
        request_id: row.get(1)?,
        client_id: row.get(2)?,
        endpoint: row.get(3)?,
        model: row.get(4)?,
        platform: row.get(5)?,
        adapter_version: row.get(6)?,
        status: row.get(7)?,
        latency_ms: row.get(8)?,
        upstream_ms: row.get(9)?,
        prompt_tokens: row.get(10)?,
        completion_tokens: row.get(11)?,
        total_tokens: row.get(12)?,
        streamed: row.get(13)?,
        error_type: row.get(14)?,
        session_id: row.get(15)?,
        cached_tokens: row.get(16)?,
        reasoning_tokens: row.get(17)?,
        cost_nanos: row.get(18)?,
    })
}

/// The batch in one transaction: log rows, the keys' last-use times, exchanges.
fn insert_batch(
    conn: &mut Connection,
    requests: &[RequestRecord],
    spend: &[SpendLine],
    exchanges: &[Exchange],
) -> StoreResult<()> {
    let tx = conn.transaction()?;

    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO request_log (at_ms, request_id, client_id, endpoint, model, \
                 platform, adapter_version, status, latency_ms, upstream_ms, prompt_tokens, \
                 completion_tokens, total_tokens, streamed, error_type, session_id, \
                 cached_tokens, reasoning_tokens, cost_nanos) VALUES (?1, ?2, ?3, ?4, ?5, ?6, \
                 ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        )?;
        let mut touch = tx.prepare_cached(
            "UPDATE client_keys SET last_used_at = max(coalesce(last_used_at, 0), ?2) \
                 WHERE id = ?1",
        )?;
        let mut last_use = std::collections::HashMap::new();
        for r in requests {
            insert.execute(params![
                r.at_ms,
                r.request_id,
                r.client_id,
                r.endpoint,
                r.model,
                r.platform,
                r.adapter_version,
                r.status,
                r.latency_ms,
                r.upstream_ms,
                r.prompt_tokens,
                r.completion_tokens,
                r.total_tokens,
                r.streamed,
                r.error_type,
                r.session_id,
                r.cached_tokens,
                r.reasoning_tokens,
                r.cost_nanos,
            ])?;
            if r.client_id.starts_with("key_") {
                let at = last_use.entry(r.client_id.as_str()).or_insert(0);
                *at = (*at).max(r.at_ms / 1000);
            }
        }
        for (id, at) in last_use {
            touch.execute(params![id, at])?;
        }
        let mut add = tx.prepare_cached(
            "INSERT INTO spend_daily (day, client_id, model, requests, input_tokens, \
                 cached_tokens, cache_write_tokens, output_tokens, cost_nanos, unpriced_requests) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             ON CONFLICT (day, client_id, model) DO UPDATE SET \
                 requests = requests + excluded.requests, \
                 input_tokens = input_tokens + excluded.input_tokens, \
                 cached_tokens = cached_tokens + excluded.cached_tokens, \
                 cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens, \
                 output_tokens = output_tokens + excluded.output_tokens, \
                 cost_nanos = cost_nanos + excluded.cost_nanos, \
                 unpriced_requests = unpriced_requests + excluded.unpriced_requests",
        )?;
        for line in spend {
            add.execute(params![
                line.day,
                line.client_id,
                line.model,
                line.requests,
                line.input_tokens,
                line.cached_tokens,
                line.cache_write_tokens,
                line.output_tokens,
                line.cost_nanos,
                line.unpriced_requests,
            ])?;
        }
    }
    super::traffic::add(&tx, &Rollup::of(requests))?;
    for exchange in exchanges {
        append_exchange(&tx, exchange)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_follows_every_log_column() {
        assert_eq!(LOG_COLUMNS.split(',').count(), LOG_ID_COLUMN);
    }
}
