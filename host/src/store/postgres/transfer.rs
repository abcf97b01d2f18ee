//! Whole records in and out of Postgres for `switchyard store copy`: exports page
//! through each table by its primary key (every batch an index range, however large
//! the table), imports insert a batch in one transaction, as one statement over
//! arrays (`UNNEST`) except for keys, which are few. Log rows keep their ids
//! (`OVERRIDING SYSTEM VALUE`), and the id sequence is moved past them so that rows
//! the gateway writes afterwards follow them.

use deadpool_postgres::{GenericClient, Object};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::PostgresStore;
use super::keys::{KEY_COLUMNS, hashes_from_row, models_json};
use super::log::{LOG_COLUMNS, LOG_ID_COLUMN, record_from_row};
use super::responses::{COLUMNS as RESPONSE_COLUMNS, from_row as response_from_row};
use super::spend::{BUDGET_COLUMNS, LINE_COLUMNS, budget_from_row, line_from_whole_row};
use crate::store::StoreResult;
use crate::store::model::{Budget, KeyHashes, RequestRecord, SpendLine, StoredResponse};
use crate::store::traffic::Rollup;
use crate::store::transfer::{ConversationRow, Counts, LogRow, MessageRow, Transfer};

/// A statement parameter.
type Param<'a> = &'a (dyn ToSql + Sync);

/// The log rows of a batch with their ids, column by column.
const INSERT_LOG: &str = "INSERT INTO request_log (id, at_ms, request_id, client_id, endpoint, \
     model, platform, adapter_version, status, latency_ms, upstream_ms, prompt_tokens, \
     completion_tokens, total_tokens, streamed, error_type, session_id, cached_tokens, \
     reasoning_tokens, cost_nanos) OVERRIDING SYSTEM VALUE \
     SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], \
       $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::INTEGER[], $10::DOUBLE PRECISION[], \
       $11::DOUBLE PRECISION[], $12::BIGINT[], $13::BIGINT[], $14::BIGINT[], $15::BOOLEAN[], \
       $16::TEXT[], $17::TEXT[], $18::BIGINT[], $19::BIGINT[], $20::BIGINT[])";

/// Moves the log's id sequence to its largest id, so the next row written gets the
/// one after.
const ADVANCE_LOG_IDS: &str = "SELECT setval(pg_get_serial_sequence('request_log', 'id'), max(id)) FROM request_log \
     HAVING max(id) IS NOT NULL";

impl Transfer for PostgresStore {
    fn holdings(&self) -> StoreResult<Counts> {
        self.call(async |conn| {
            let row = conn
                .query_one(
                    "SELECT (SELECT count(*) FROM client_keys), \
                     (SELECT count(*) FROM request_log), (SELECT count(*) FROM conversations), \
                     (SELECT count(*) FROM conversation_messages), \
                     (SELECT count(*) FROM responses), (SELECT count(*) FROM budgets), \
                     (SELECT count(*) FROM spend_daily)",
                    &[],
                )
                .await?;
            let n = |i: usize| row.try_get::<_, i64>(i).map(i64::unsigned_abs);
            Ok(Counts {
                keys: n(0)?,
                log_rows: n(1)?,
                conversations: n(2)?,
                messages: n(3)?,
                responses: n(4)?,
                budgets: n(5)?,
                spend_lines: n(6)?,
            })
        })
    }

    fn raise_keys_version(&self, above: i64) -> StoreResult<i64> {
        self.call(async |conn| {
            let row = conn
                .query_one(
                    "UPDATE meta SET value = GREATEST(value, $1) + 1 \
                     WHERE name = 'keys_version' RETURNING value",
                    &[&above],
                )
                .await?;
            Ok(row.try_get(0)?)
        })
    }

    fn export_keys(&self, after: Option<&KeyHashes>, limit: usize) -> StoreResult<Vec<KeyHashes>> {
        let select = format!("SELECT {KEY_COLUMNS}, secret_hash, previous_hash FROM client_keys");
        let after = after.map(|k| vec![&k.key.id as Param<'_>]);
        self.call(async |conn| page(conn, &select, "id", after, limit, hashes_from_row).await)
    }

    fn export_log(&self, after: Option<&LogRow>, limit: usize) -> StoreResult<Vec<LogRow>> {
        let select = format!("SELECT {LOG_COLUMNS}, id FROM request_log");
        let after = after.map(|r| vec![&r.id as Param<'_>]);
        self.call(async |conn| {
            page(conn, &select, "id", after, limit, |row| {
                Ok(LogRow {
                    record: record_from_row(row)?,
                    id: row.try_get(LOG_ID_COLUMN)?,
                })
            })
            .await
        })
    }

    fn export_conversations(
        &self,
        after: Option<&ConversationRow>,
        limit: usize,
    ) -> StoreResult<Vec<ConversationRow>> {
        let select = "SELECT client_id, id, model, created_at_ms, updated_at_ms, message_count \
                      FROM conversations";
        let after = after.map(|c| vec![&c.client_id as Param<'_>, &c.id as Param<'_>]);
        self.call(async |conn| {
            page(conn, select, "client_id, id", after, limit, |row| {
                Ok(ConversationRow {
                    client_id: row.try_get(0)?,
                    id: row.try_get(1)?,
                    model: row.try_get(2)?,
                    created_at_ms: row.try_get(3)?,
                    updated_at_ms: row.try_get(4)?,
                    message_count: row.try_get(5)?,
                })
            })
            .await
        })
    }

    fn export_messages(
        &self,
        after: Option<&MessageRow>,
        limit: usize,
    ) -> StoreResult<Vec<MessageRow>> {
        let select = "SELECT client_id, conversation_id, seq, message, model, created_at_ms \
                      FROM conversation_messages";
        let after = after.map(|m| {
            vec![
                &m.client_id as Param<'_>,
                &m.conversation_id as Param<'_>,
                &m.seq as Param<'_>,
            ]
        });
        let key = "client_id, conversation_id, seq";
        self.call(async |conn| {
            page(conn, select, key, after, limit, |row| {
                Ok(MessageRow {
                    client_id: row.try_get(0)?,
                    conversation_id: row.try_get(1)?,
                    seq: row.try_get(2)?,
                    message: row.try_get(3)?,
                    model: row.try_get(4)?,
                    created_at_ms: row.try_get(5)?,
                })
            })
            .await
        })
    }

    fn export_responses(
        &self,
        after: Option<&StoredResponse>,
        limit: usize,
    ) -> StoreResult<Vec<StoredResponse>> {
        let select = format!("SELECT {RESPONSE_COLUMNS} FROM responses");
        let after = after.map(|r| vec![&r.id as Param<'_>]);
        self.call(async |conn| page(conn, &select, "id", after, limit, response_from_row).await)
    }

    fn import_keys(&self, keys: &[KeyHashes]) -> StoreResult<()> {
        self.call(async |conn| {
            let tx = conn.transaction().await?;
            let insert = tx
                .prepare_cached(
                    "INSERT INTO client_keys (id, name, prefix, secret_hash, previous_hash, \
                     previous_valid_until, created_at, rotated_at, last_used_at, expires_at, \
                     enabled, revoked_at, models, requests_per_minute, tokens_per_minute, \
                     max_concurrent, store_conversations, team) VALUES ($1, $2, $3, $4, $5, $6, \
                     $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
                )
                .await?;
            for KeyHashes {
                key,
                secret_hash,
                previous_hash,
            } in keys
            {
                tx.execute(
                    &insert,
                    &[
                        &key.id,
                        &key.name,
                        &key.prefix,
                        secret_hash,
                        previous_hash,
                        &key.previous_secret_valid_until,
                        &key.created_at,
                        &key.rotated_at,
                        &key.last_used_at,
                        &key.expires_at,
                        &key.enabled,
                        &key.revoked_at,
                        &models_json(key.models.as_ref()),
                        &key.limits.requests_per_minute.map(i64::from),
                        &key.limits.tokens_per_minute.map(i64::from),
                        &key.limits.max_concurrent.map(i64::from),
                        &key.store_conversations,
                        &key.team,
                    ],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn import_log(&self, rows: &[LogRow]) -> StoreResult<()> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let records: Vec<&RequestRecord> = rows.iter().map(|r| &r.record).collect();
        let text =
            |f: fn(&RequestRecord) -> &str| records.iter().copied().map(f).collect::<Vec<_>>();
        let optional_text = |f: fn(&RequestRecord) -> Option<&str>| {
            records.iter().copied().map(f).collect::<Vec<_>>()
        };
        let tokens = |f: fn(&RequestRecord) -> Option<u32>| {
            records
                .iter()
                .map(|r| f(r).map(i64::from))
                .collect::<Vec<_>>()
        };
        let at_ms: Vec<i64> = records.iter().map(|r| r.at_ms).collect();
        let status: Vec<i32> = records.iter().map(|r| i32::from(r.status)).collect();
        let latency: Vec<f64> = records.iter().map(|r| r.latency_ms).collect();
        let upstream: Vec<Option<f64>> = records.iter().map(|r| r.upstream_ms).collect();
        let streamed: Vec<bool> = records.iter().map(|r| r.streamed).collect();
        let costs: Vec<Option<i64>> = records.iter().map(|r| r.cost_nanos).collect();
        let columns: [&(dyn ToSql + Sync); 20] = [
            &ids,
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
            &costs,
        ];
        self.call(async |conn| {
            let tx = conn.transaction().await?;
            let insert = tx.prepare_cached(INSERT_LOG).await?;
            tx.execute(&insert, &columns).await?;
            tx.execute(ADVANCE_LOG_IDS, &[]).await?;
            // The charts read rollups, not the log: sum the copied rows into them, as
            // the log writer does for new ones.
            super::traffic::add(&tx, &Rollup::of(records.iter().copied())).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn import_conversations(&self, conversations: &[ConversationRow]) -> StoreResult<()> {
        let text =
            |f: fn(&ConversationRow) -> &str| conversations.iter().map(f).collect::<Vec<_>>();
        let number =
            |f: fn(&ConversationRow) -> i64| conversations.iter().map(f).collect::<Vec<_>>();
        let columns: [Param<'_>; 6] = [
            &text(|c| &c.client_id),
            &text(|c| &c.id),
            &text(|c| &c.model),
            &number(|c| c.created_at_ms),
            &number(|c| c.updated_at_ms),
            &number(|c| c.message_count),
        ];
        self.insert(
            "INSERT INTO conversations (client_id, id, model, created_at_ms, updated_at_ms, \
             message_count) SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], \
             $4::BIGINT[], $5::BIGINT[], $6::BIGINT[])",
            &columns,
        )
    }

    fn import_messages(&self, messages: &[MessageRow]) -> StoreResult<()> {
        let text = |f: fn(&MessageRow) -> &str| messages.iter().map(f).collect::<Vec<_>>();
        let number = |f: fn(&MessageRow) -> i64| messages.iter().map(f).collect::<Vec<_>>();
        let columns: [Param<'_>; 6] = [
            &text(|m| &m.client_id),
            &text(|m| &m.conversation_id),
            &number(|m| m.seq),
            &text(|m| &m.message),
            &text(|m| &m.model),
            &number(|m| m.created_at_ms),
        ];
        self.insert(
            "INSERT INTO conversation_messages (client_id, conversation_id, seq, message, \
             model, created_at_ms) SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BIGINT[], \
             $4::TEXT[], $5::TEXT[], $6::BIGINT[])",
            &columns,
        )
    }

    fn export_budgets(&self, after: Option<&Budget>, limit: usize) -> StoreResult<Vec<Budget>> {
        let select = format!("SELECT {BUDGET_COLUMNS} FROM budgets");
        let after = after.map(|b| vec![&b.id as Param<'_>]);
        self.call(async |conn| page(conn, &select, "id", after, limit, budget_from_row).await)
    }

    fn export_spend(&self, after: Option<&SpendLine>, limit: usize) -> StoreResult<Vec<SpendLine>> {
        let select = format!("SELECT {LINE_COLUMNS} FROM spend_daily");
        let after = after.map(|l| vec![&l.day as Param<'_>, &l.client_id, &l.model]);
        self.call(async |conn| {
            page(
                conn,
                &select,
                "day, client_id, model",
                after,
                limit,
                line_from_whole_row,
            )
            .await
        })
    }

    fn import_budgets(&self, budgets: &[Budget]) -> StoreResult<()> {
        let text = |f: fn(&Budget) -> &str| budgets.iter().map(f).collect::<Vec<_>>();
        let created: Vec<i64> = budgets.iter().map(|b| b.created_at).collect();
        let amounts: Vec<i64> = budgets.iter().map(|b| b.settings.amount_nanos).collect();
        let ratios: Vec<Option<f64>> = budgets.iter().map(|b| b.settings.soft_ratio).collect();
        let columns: [Param<'_>; 7] = [
            &text(|b| &b.id),
            &created,
            &text(|b| b.settings.scope.as_str()),
            &text(|b| &b.settings.subject),
            &text(|b| b.settings.period.as_str()),
            &amounts,
            &ratios,
        ];
        self.insert(
            &format!(
                "INSERT INTO budgets ({BUDGET_COLUMNS}) SELECT * FROM UNNEST($1::TEXT[], \
                 $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::BIGINT[], \
                 $7::DOUBLE PRECISION[])"
            ),
            &columns,
        )
    }

    fn import_responses(&self, responses: &[StoredResponse]) -> StoreResult<()> {
        let text = |f: fn(&StoredResponse) -> &str| responses.iter().map(f).collect::<Vec<_>>();
        let previous: Vec<Option<&str>> =
            responses.iter().map(|r| r.previous_id.as_deref()).collect();
        let created: Vec<i64> = responses.iter().map(|r| r.created_at_ms).collect();
        let columns: [Param<'_>; 7] = [
            &text(|r| &r.id),
            &text(|r| &r.client_id),
            &previous,
            &text(|r| &r.model),
            &created,
            &text(|r| &r.input),
            &text(|r| &r.response),
        ];
        self.insert(
            &format!(
                "INSERT INTO responses ({RESPONSE_COLUMNS}) SELECT * FROM UNNEST($1::TEXT[], \
                 $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], $6::TEXT[], $7::TEXT[])"
            ),
            &columns,
        )
    }
}

impl PostgresStore {
    /// Runs the insert `sql` with `columns` (one array per column) in a transaction.
    fn insert(&self, sql: &str, columns: &[Param<'_>]) -> StoreResult<()> {
        self.call(async |conn| {
            let tx = conn.transaction().await?;
            let insert = tx.prepare_cached(sql).await?;
            tx.execute(&insert, columns).await?;
            tx.commit().await?;
            Ok(())
        })
    }
}

/// Up to `limit` rows of `select` (a `SELECT ... FROM table`) in the order of the
/// columns `key` names, after the row whose key is `after`: a range of the table's
/// primary key, as a row comparison that Postgres answers from the index.
async fn page<T>(
    conn: &Object,
    select: &str,
    key: &str,
    after: Option<Vec<Param<'_>>>,
    limit: usize,
    map: impl Fn(&Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut values: Vec<Param<'_>> = vec![&limit];
    let sql = match after {
        None => format!("{select} ORDER BY {key} LIMIT $1"),
        Some(after) => {
            let placeholders: Vec<String> =
                (2..).take(after.len()).map(|i| format!("${i}")).collect();
            values.extend(after);
            format!(
                "{select} WHERE ({key}) > ({}) ORDER BY {key} LIMIT $1",
                placeholders.join(", ")
            )
        }
    };
    let statement = conn.prepare_cached(&sql).await?;
    conn.query(&statement, &values)
        .await?
        .iter()
        .map(map)
        .collect()
}
