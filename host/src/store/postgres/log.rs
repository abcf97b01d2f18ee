//! The request log in Postgres: batches from the request path (log rows, key last-use
//! times, conversation exchanges) in one transaction, and the admin API's reads. A
//! batch's rows go in as one statement over arrays, so a batch costs the same few
//! round trips whatever its size.

use std::collections::BTreeMap;

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::PostgresStore;
use super::conversations::append_exchange;
use crate::store::model::{Exchange, RequestRecord, SpendLine, UsageGroup, UsageQuery, UsageRow};
use crate::store::pages::{LogPage, LogQuery};
use crate::store::traffic::{Rollup, TrafficQuery, TrafficRow};
use crate::store::{RequestLog, StoreError, StoreResult};

/// The log rows, column by column, in the batch's order (`WITH ORDINALITY`), so that
/// their ids, which break ties of `at_ms`, follow it as SQLite's do.
const INSERT_ROWS: &str = "INSERT INTO request_log (at_ms, request_id, client_id, endpoint, \
     model, platform, adapter_version, status, latency_ms, upstream_ms, prompt_tokens, \
     completion_tokens, total_tokens, streamed, error_type, session_id, cached_tokens, \
     reasoning_tokens, cost_nanos) \
     SELECT at_ms, request_id, client_id, endpoint, model, platform, adapter_version, status, \
       latency_ms, upstream_ms, prompt_tokens, completion_tokens, total_tokens, streamed, \
       error_type, session_id, cached_tokens, reasoning_tokens, cost_nanos \
     FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], \
       $7::TEXT[], $8::INTEGER[], $9::DOUBLE PRECISION[], $10::DOUBLE PRECISION[], \
       $11::BIGINT[], $12::BIGINT[], $13::BIGINT[], $14::BOOLEAN[], $15::TEXT[], $16::TEXT[], \
       $17::BIGINT[], $18::BIGINT[], $19::BIGINT[]) \
       WITH ORDINALITY AS r (at_ms, request_id, client_id, endpoint, model, platform, \
         adapter_version, status, latency_ms, upstream_ms, prompt_tokens, completion_tokens, \
         total_tokens, streamed, error_type, session_id, cached_tokens, reasoning_tokens, \
         cost_nanos, n) \
     ORDER BY n";

/// A batch's spend, added to the daily rollup; lines in key order, so concurrent
/// batches lock rows alike.
const ADD_SPEND: &str = "INSERT INTO spend_daily (day, client_id, model, requests, \
       input_tokens, cached_tokens, cache_write_tokens, output_tokens, cost_nanos, \
       unpriced_requests) \
     SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[], \
       $6::BIGINT[], $7::BIGINT[], $8::BIGINT[], $9::BIGINT[], $10::BIGINT[]) \
     ON CONFLICT (day, client_id, model) DO UPDATE SET \
       requests = spend_daily.requests + excluded.requests, \
       input_tokens = spend_daily.input_tokens + excluded.input_tokens, \
       cached_tokens = spend_daily.cached_tokens + excluded.cached_tokens, \
       cache_write_tokens = spend_daily.cache_write_tokens + excluded.cache_write_tokens, \
       output_tokens = spend_daily.output_tokens + excluded.output_tokens, \
       cost_nanos = spend_daily.cost_nanos + excluded.cost_nanos, \
       unpriced_requests = spend_daily.unpriced_requests + excluded.unpriced_requests";

/// The keys' last use. Rows are locked in id order first, so two gateways' batches
/// touching the same keys wait for each other instead of deadlocking.
const TOUCH_KEYS: &str = "WITH locked AS MATERIALIZED ( \
       SELECT id FROM client_keys WHERE id = ANY($1) ORDER BY id FOR UPDATE) \
     UPDATE client_keys k SET last_used_at = GREATEST(COALESCE(k.last_used_at, 0), u.at) \
     FROM UNNEST($1::TEXT[], $2::BIGINT[]) AS u (id, at), locked \
     WHERE k.id = u.id AND locked.id = u.id";

impl RequestLog for PostgresStore {
    fn write_batch(
        &self,
        requests: &[RequestRecord],
        spend: &[SpendLine],
        exchanges: &[Exchange],
    ) -> StoreResult<()> {
        self.call(async |conn| {
            let tx = conn.transaction().await?;
            if !requests.is_empty() {
                insert_rows(&tx, requests).await?;
                touch_keys(&tx, requests).await?;
                super::traffic::add(&tx, &Rollup::of(requests)).await?;
            }
            if !spend.is_empty() {
                add_spend(&tx, spend).await?;
            }
            // Conversations in a fixed order (the batch's order within each one), for
            // the same reason as the keys: concurrent batches lock them alike.
            let mut ordered: Vec<&Exchange> = exchanges.iter().collect();
            ordered.sort_by(|a, b| {
                (&a.client_id, &a.conversation_id).cmp(&(&b.client_id, &b.conversation_id))
            });
            for exchange in ordered {
                append_exchange(&tx, exchange).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn request_log(
        &self,
        since_ms: i64,
        until_ms: i64,
        limit: usize,
    ) -> StoreResult<Vec<RequestRecord>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.call(async |conn| {
            let statement = conn
                .prepare_cached(&format!(
                    "SELECT {LOG_COLUMNS} FROM request_log WHERE at_ms >= $1 AND at_ms < $2 \
                     ORDER BY at_ms, id LIMIT $3"
                ))
                .await?;
            let rows = conn
                .query(&statement, &[&since_ms, &until_ms, &limit])
                .await?;
            rows.iter().map(record_from_row).collect()
        })
    }

    fn usage_summary(&self, query: &UsageQuery) -> StoreResult<Vec<UsageRow>> {
        let column = match query.group {
            UsageGroup::Key => "client_id",
            UsageGroup::Model => "model",
        };
        // SUM over BIGINT is NUMERIC in Postgres: cast back, as the totals fit.
        let sql = format!(
            "SELECT {column}, COUNT(*), \
               COUNT(*) FILTER (WHERE status >= 400 OR error_type IS NOT NULL), \
               COALESCE(SUM(prompt_tokens), 0)::BIGINT, \
               COALESCE(SUM(completion_tokens), 0)::BIGINT, \
               COALESCE(SUM(total_tokens), 0)::BIGINT \
             FROM request_log WHERE at_ms >= $1 AND at_ms < $2 \
             GROUP BY {column} ORDER BY {column}"
        );
        self.call(async |conn| {
            let statement = conn.prepare_cached(&sql).await?;
            let rows = conn
                .query(&statement, &[&query.since_ms, &query.until_ms])
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(UsageRow {
                        group: row.try_get(0)?,
                        requests: row.try_get(1)?,
                        errors: row.try_get(2)?,
                        prompt_tokens: row.try_get(3)?,
                        completion_tokens: row.try_get(4)?,
                        total_tokens: row.try_get(5)?,
                    })
                })
                .collect()
        })
    }

    fn log_page(&self, query: &LogQuery) -> StoreResult<LogPage> {
        self.call(async |conn| super::pages::log(conn, query).await)
    }

    fn traffic(&self, query: &TrafficQuery) -> StoreResult<Vec<TrafficRow>> {
        self.call(async |conn| super::traffic::read(conn, query).await)
    }
}

async fn insert_rows(client: &impl GenericClient, requests: &[RequestRecord]) -> StoreResult<()> {
    let text = |f: fn(&RequestRecord) -> &str| requests.iter().map(f).collect::<Vec<_>>();
    let optional_text =
        |f: fn(&RequestRecord) -> Option<&str>| requests.iter().map(f).collect::<Vec<_>>();
    let tokens = |f: fn(&RequestRecord) -> Option<u32>| {
        requests
            .iter()
            .map(|r| f(r).map(i64::from))
            .collect::<Vec<_>>()
    };
    let at_ms: Vec<i64> = requests.iter().map(|r| r.at_ms).collect();
    let status: Vec<i32> = requests.iter().map(|r| i32::from(r.status)).collect();
    let latency: Vec<f64> = requests.iter().map(|r| r.latency_ms).collect();
    let upstream: Vec<Option<f64>> = requests.iter().map(|r| r.upstream_ms).collect();
    let streamed: Vec<bool> = requests.iter().map(|r| r.streamed).collect();
    let statement = client.prepare_cached(INSERT_ROWS).await?;
    client
        .execute(
            &statement,
            &[
                &at_ms,
                &text(|r| &r.request_id),
                &text(|r| &r.client_id),
                &text(|r| &r.endpoint),
                &text(|r| &r.model),
                &optional_text(|r| r.platform.as_deref()),
                &optional_text(|r| r.adapter_version.as_deref()),
                &status,
                &latency,
                &upstream,
                &tokens(|r| r.prompt_tokens),
                &tokens(|r| r.completion_tokens),
                &tokens(|r| r.total_tokens),
                &streamed,
                &optional_text(|r| r.error_type.as_deref()),
                &optional_text(|r| r.session_id.as_deref()),
                &tokens(|r| r.cached_tokens),
                &tokens(|r| r.reasoning_tokens),
                &requests.iter().map(|r| r.cost_nanos).collect::<Vec<_>>(),
            ],
        )
        .await?;
    Ok(())
}

async fn add_spend(client: &impl GenericClient, spend: &[SpendLine]) -> StoreResult<()> {
    let mut lines: Vec<&SpendLine> = spend.iter().collect();
    lines.sort_by(|a, b| (&a.day, &a.client_id, &a.model).cmp(&(&b.day, &b.client_id, &b.model)));
    let text = |f: fn(&SpendLine) -> &str| lines.iter().map(|l| f(l)).collect::<Vec<_>>();
    let count = |f: fn(&SpendLine) -> i64| lines.iter().map(|l| f(l)).collect::<Vec<_>>();
    let statement = client.prepare_cached(ADD_SPEND).await?;
    client
        .execute(
            &statement,
            &[
                &text(|l| &l.day),
                &text(|l| &l.client_id),
                &text(|l| &l.model),
                &count(|l| l.requests),
                &count(|l| l.input_tokens),
                &count(|l| l.cached_tokens),
                &count(|l| l.cache_write_tokens),
                &count(|l| l.output_tokens),
                &count(|l| l.cost_nanos),
                &count(|l| l.unpriced_requests),
            ],
        )
        .await?;
    Ok(())
}

/// Each key's latest use in the batch, in unix seconds (only keys: `anonymous` and
/// `admin` are no rows).
async fn touch_keys(client: &impl GenericClient, requests: &[RequestRecord]) -> StoreResult<()> {
    let mut last_use: BTreeMap<&str, i64> = BTreeMap::new();
    for r in requests.iter().filter(|r| r.client_id.starts_with("key_")) {
        let at = last_use.entry(r.client_id.as_str()).or_insert(0);
        *at = (*at).max(r.at_ms / 1000);
    }
    if last_use.is_empty() {
        return Ok(());
    }
    let (ids, times): (Vec<&str>, Vec<i64>) = last_use.into_iter().unzip();
    let statement = client.prepare_cached(TOUCH_KEYS).await?;
    client.execute(&statement, &[&ids, &times]).await?;
    Ok(())
}

/// A log row's columns (all but its id) as [`record_from_row`] reads them.
pub(super) const LOG_COLUMNS: &str = "at_ms, request_id, client_id, endpoint, model, platform, \
     adapter_version, status, latency_ms, upstream_ms, prompt_tokens, completion_tokens, \
     total_tokens, streamed, error_type, session_id, cached_tokens, reasoning_tokens, cost_nanos";

/// Where a row's id is in `SELECT {LOG_COLUMNS}, id`: right after the columns.
pub(super) const LOG_ID_COLUMN: usize = 19;

/// A log row from [`LOG_COLUMNS`].
pub(super) fn record_from_row(row: &Row) -> StoreResult<RequestRecord> {
    let unsigned = |column: usize| -> StoreResult<Option<u32>> {
        row.try_get::<_, Option<i64>>(column)?
            .map(u32::try_from)
            .transpose()
            .map_err(|_| StoreError::Inconsistent("a token count outside 0..=u32::MAX"))
    };
    Ok(RequestRecord {
        at_ms: row.try_get(0)?,
        request_id: row.try_get(1)?,
        client_id: row.try_get(2)?,
        endpoint: row.try_get(3)?,
        model: row.try_get(4)?,
        platform: row.try_get(5)?,
        adapter_version: row.try_get(6)?,
        status: u16::try_from(row.try_get::<_, i32>(7)?)
            .map_err(|_| StoreError::Inconsistent("an HTTP status outside 0..=65535"))?,
        latency_ms: row.try_get(8)?,
        upstream_ms: row.try_get(9)?,
        prompt_tokens: unsigned(10)?,
        completion_tokens: unsigned(11)?,
        total_tokens: unsigned(12)?,
        streamed: row.try_get(13)?,
        error_type: row.try_get(14)?,
        session_id: row.try_get(15)?,
        cached_tokens: unsigned(16)?,
        reasoning_tokens: unsigned(17)?,
        cost_nanos: row.try_get(18)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_follows_every_log_column() {
        assert_eq!(LOG_COLUMNS.split(',').count(), LOG_ID_COLUMN);
    }
}
