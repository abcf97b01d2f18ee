//! Whole records in and out of SQLite for `switchyard store copy`: exports page
//! through each table by its primary key (so every batch is an index range, however
//! large the table), imports insert rows as given, one transaction per batch.

use rusqlite::{CachedStatement, Connection, Row, ToSql, params};

use super::SqliteStore;
use super::keys::{KEY_COLUMNS, hashes_from_row, models_json};
use super::log::{LOG_COLUMNS, LOG_ID_COLUMN, record_from_row};
use super::responses::{COLUMNS as RESPONSE_COLUMNS, from_row as response_from_row};
use super::spend::{
    BUDGET_COLUMNS, LINE_COLUMNS, budget_from_row, line_from_whole_row as line_from_row,
};
use crate::store::StoreResult;
use crate::store::model::{Budget, KeyHashes, SpendLine, StoredResponse};
use crate::store::traffic::Rollup;
use crate::store::transfer::{ConversationRow, Counts, LogRow, MessageRow, Transfer};

impl Transfer for SqliteStore {
    fn holdings(&self) -> StoreResult<Counts> {
        self.read(|conn| {
            let counts = conn.query_row(
                "SELECT (SELECT count(*) FROM client_keys), (SELECT count(*) FROM request_log), \
                 (SELECT count(*) FROM conversations), \
                 (SELECT count(*) FROM conversation_messages), (SELECT count(*) FROM responses), \
                 (SELECT count(*) FROM budgets), (SELECT count(*) FROM spend_daily)",
                [],
                |row| {
                    let n = |i: usize| row.get::<_, i64>(i).map(|n| n.unsigned_abs());
                    Ok(Counts {
                        keys: n(0)?,
                        log_rows: n(1)?,
                        conversations: n(2)?,
                        messages: n(3)?,
                        responses: n(4)?,
                        budgets: n(5)?,
                        spend_lines: n(6)?,
                    })
                },
            )?;
            Ok(counts)
        })
    }

    fn raise_keys_version(&self, above: i64) -> StoreResult<i64> {
        self.write(|conn| {
            Ok(conn.query_row(
                "UPDATE meta SET value = max(value, ?1) + 1 WHERE name = 'keys_version' \
                 RETURNING value",
                [above],
                |row| row.get(0),
            )?)
        })
    }

    fn export_keys(&self, after: Option<&KeyHashes>, limit: usize) -> StoreResult<Vec<KeyHashes>> {
        let select = format!("SELECT {KEY_COLUMNS}, secret_hash, previous_hash FROM client_keys");
        let after = after.map(|k| vec![&k.key.id as &dyn ToSql]);
        self.read(|conn| page(conn, &select, "id", after, limit, hashes_from_row))
    }

    fn export_log(&self, after: Option<&LogRow>, limit: usize) -> StoreResult<Vec<LogRow>> {
        let select = format!("SELECT {LOG_COLUMNS}, id FROM request_log");
        let after = after.map(|r| vec![&r.id as &dyn ToSql]);
        self.read(|conn| {
            page(conn, &select, "id", after, limit, |row| {
                Ok(LogRow {
                    record: record_from_row(row)?,
                    id: row.get(LOG_ID_COLUMN)?,
                })
            })
        })
    }

    fn export_conversations(
        &self,
        after: Option<&ConversationRow>,
        limit: usize,
    ) -> StoreResult<Vec<ConversationRow>> {
        let select = "SELECT client_id, id, model, created_at_ms, updated_at_ms, message_count \
                      FROM conversations";
        let after = after.map(|c| vec![&c.client_id as &dyn ToSql, &c.id as &dyn ToSql]);
        self.read(|conn| {
            page(conn, select, "client_id, id", after, limit, |row| {
                Ok(ConversationRow {
                    client_id: row.get(0)?,
                    id: row.get(1)?,
                    model: row.get(2)?,
                    created_at_ms: row.get(3)?,
                    updated_at_ms: row.get(4)?,
                    message_count: row.get(5)?,
                })
            })
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
                &m.client_id as &dyn ToSql,
                &m.conversation_id as &dyn ToSql,
                &m.seq as &dyn ToSql,
            ]
        });
        let key = "client_id, conversation_id, seq";
        self.read(|conn| {
            page(conn, select, key, after, limit, |row| {
                Ok(MessageRow {
                    client_id: row.get(0)?,
                    conversation_id: row.get(1)?,
                    seq: row.get(2)?,
                    message: row.get(3)?,
                    model: row.get(4)?,
                    created_at_ms: row.get(5)?,
                })
            })
        })
    }

    fn export_responses(
        &self,
        after: Option<&StoredResponse>,
        limit: usize,
    ) -> StoreResult<Vec<StoredResponse>> {
        let select = format!("SELECT {RESPONSE_COLUMNS} FROM responses");
        let after = after.map(|r| vec![&r.id as &dyn ToSql]);
        self.read(|conn| page(conn, &select, "id", after, limit, response_from_row))
    }

    fn export_budgets(&self, after: Option<&Budget>, limit: usize) -> StoreResult<Vec<Budget>> {
        let select = format!("SELECT {BUDGET_COLUMNS} FROM budgets");
        let after = after.map(|b| vec![&b.id as &dyn ToSql]);
        self.read(|conn| page(conn, &select, "id", after, limit, budget_from_row))
    }

    fn export_spend(&self, after: Option<&SpendLine>, limit: usize) -> StoreResult<Vec<SpendLine>> {
        let select = format!("SELECT {LINE_COLUMNS} FROM spend_daily");
        let after = after.map(|l| vec![&l.day as &dyn ToSql, &l.client_id, &l.model]);
        self.read(|conn| {
            page(
                conn,
                &select,
                "day, client_id, model",
                after,
                limit,
                line_from_row,
            )
        })
    }

    fn import_budgets(&self, budgets: &[Budget]) -> StoreResult<()> {
        self.insert_each(
            "INSERT INTO budgets (id, created_at, scope, subject, period, amount_nanos, \
             soft_ratio) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            budgets,
            |insert, budget| {
                let s = &budget.settings;
                insert.execute(params![
                    budget.id,
                    budget.created_at,
                    s.scope.as_str(),
                    s.subject,
                    s.period.as_str(),
                    s.amount_nanos,
                    s.soft_ratio,
                ])
            },
        )
    }

    fn import_keys(&self, keys: &[KeyHashes]) -> StoreResult<()> {
        self.insert_each(
            "INSERT INTO client_keys (id, name, prefix, secret_hash, previous_hash, \
             previous_valid_until, created_at, rotated_at, last_used_at, expires_at, enabled, \
             revoked_at, models, requests_per_minute, tokens_per_minute, max_concurrent, \
             store_conversations, team) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
             ?18)",
            keys,
            |insert,
             KeyHashes {
                 key,
                 secret_hash,
                 previous_hash,
             }| {
                insert.execute(params![
                    key.id,
                    key.name,
                    key.prefix,
                    secret_hash,
                    previous_hash,
                    key.previous_secret_valid_until,
                    key.created_at,
                    key.rotated_at,
                    key.last_used_at,
                    key.expires_at,
                    key.enabled,
                    key.revoked_at,
                    models_json(key.models.as_ref()),
                    key.limits.requests_per_minute,
                    key.limits.tokens_per_minute,
                    key.limits.max_concurrent,
                    key.store_conversations,
                    key.team,
                ])
            },
        )
    }

    fn import_log(&self, rows: &[LogRow]) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO request_log ({LOG_COLUMNS}, id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, \
             ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"
        );
        self.insert_each(&sql, rows, |insert, LogRow { id, record: r }| {
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
                id,
            ])
        })?;
        // The charts read rollups, not the log: sum the copied rows into them, as the
        // log writer does for new ones.
        let rollup = Rollup::of(rows.iter().map(|row| &row.record));
        self.write(|conn| {
            let tx = conn.transaction()?;
            super::traffic::add(&tx, &rollup)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn import_conversations(&self, conversations: &[ConversationRow]) -> StoreResult<()> {
        self.insert_each(
            "INSERT INTO conversations (client_id, id, model, created_at_ms, updated_at_ms, \
             message_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            conversations,
            |insert, c| {
                insert.execute(params![
                    c.client_id,
                    c.id,
                    c.model,
                    c.created_at_ms,
                    c.updated_at_ms,
                    c.message_count
                ])
            },
        )
    }

    fn import_messages(&self, messages: &[MessageRow]) -> StoreResult<()> {
        self.insert_each(
            "INSERT INTO conversation_messages (client_id, conversation_id, seq, message, \
             model, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            messages,
            |insert, m| {
                insert.execute(params![
                    m.client_id,
                    m.conversation_id,
                    m.seq,
                    m.message,
                    m.model,
                    m.created_at_ms
                ])
            },
        )
    }

    fn import_responses(&self, responses: &[StoredResponse]) -> StoreResult<()> {
        self.insert_each(
            &format!(
                "INSERT INTO responses ({RESPONSE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            ),
            responses,
            |insert, r| {
                insert.execute(params![
                    r.id,
                    r.client_id,
                    r.previous_id,
                    r.model,
                    r.created_at_ms,
                    r.input,
                    r.response
                ])
            },
        )
    }
}

impl SqliteStore {
    /// Runs the insert `sql` once per row, all in one transaction.
    fn insert_each<T>(
        &self,
        sql: &str,
        rows: &[T],
        mut insert: impl FnMut(&mut CachedStatement<'_>, &T) -> rusqlite::Result<usize>,
    ) -> StoreResult<()> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            {
                let mut statement = tx.prepare_cached(sql)?;
                for row in rows {
                    insert(&mut statement, row)?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }
}

/// Up to `limit` rows of `select` (a `SELECT ... FROM table`) in the order of the
/// columns `key` names, after the row whose key is `after`: a range of the table's
/// primary key, as a row value comparison that SQLite answers from the index.
fn page<T>(
    conn: &Connection,
    select: &str,
    key: &str,
    after: Option<Vec<&dyn ToSql>>,
    limit: usize,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut values: Vec<&dyn ToSql> = vec![&limit];
    let sql = match after {
        None => format!("{select} ORDER BY {key} LIMIT ?1"),
        Some(after) => {
            let placeholders: Vec<String> =
                (2..).take(after.len()).map(|i| format!("?{i}")).collect();
            values.extend(after);
            format!(
                "{select} WHERE ({key}) > ({}) ORDER BY {key} LIMIT ?1",
                placeholders.join(", ")
            )
        }
    };
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement
        .query_map(values.as_slice(), map)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
