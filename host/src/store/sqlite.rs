//! The embedded store: one SQLite file in WAL mode, one connection for writes (admin
//! changes and the request-log batches) and one for reads, so listings never wait
//! behind a batch.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde_json::Value;

use super::model::{
    ClientKey, Conversation, ConversationPage, ConversationSummary, Exchange, KeyHashes, KeyLimits,
    KeyPatch, NewKey, RequestRecord, StoredMessage, UsageGroup, UsageQuery, UsageRow,
};
use super::{Store, StoreError, StoreResult, now_secs};

mod connect;

/// SQLite behind [`Store`].
pub struct SqliteStore {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

const KEY_COLUMNS: &str = "id, name, prefix, created_at, last_used_at, expires_at, enabled, \
     revoked_at, models, requests_per_minute, tokens_per_minute, max_concurrent, \
     store_conversations, rotated_at, previous_valid_until";

impl SqliteStore {
    /// Opens (creating it and its folder if needed) and migrates the database at
    /// `path`; safe when other processes open the same file at the same moment.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let writer = connect::open_migrated(path)?;
        let reader = connect::connect(path)?;
        Ok(Self {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    fn write<T>(&self, f: impl FnOnce(&mut Connection) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self
            .writer
            .lock()
            .map_err(|_| StoreError::Backend("writer connection poisoned".into()))?;
        f(&mut conn)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = self
            .reader
            .lock()
            .map_err(|_| StoreError::Backend("reader connection poisoned".into()))?;
        f(&conn)
    }
}

fn key_from_row(row: &Row<'_>) -> rusqlite::Result<ClientKey> {
    let models: Option<String> = row.get(8)?;
    Ok(ClientKey {
        id: row.get(0)?,
        name: row.get(1)?,
        prefix: row.get(2)?,
        created_at: row.get(3)?,
        last_used_at: row.get(4)?,
        expires_at: row.get(5)?,
        enabled: row.get(6)?,
        revoked_at: row.get(7)?,
        models: models.and_then(|m| serde_json::from_str(&m).ok()),
        limits: KeyLimits {
            requests_per_minute: row.get(9)?,
            tokens_per_minute: row.get(10)?,
            max_concurrent: row.get(11)?,
        },
        store_conversations: row.get(12)?,
        rotated_at: row.get(13)?,
        previous_secret_valid_until: row.get(14)?,
    })
}

fn models_json(models: Option<&Vec<String>>) -> Option<String> {
    models.map(|m| serde_json::to_string(m).unwrap_or_else(|_| "[]".into()))
}

fn bump_keys_version(tx: &Transaction<'_>) -> StoreResult<()> {
    tx.execute(
        "UPDATE meta SET value = value + 1 WHERE name = 'keys_version'",
        [],
    )?;
    Ok(())
}

fn select_key(conn: &Connection, id: &str) -> StoreResult<Option<ClientKey>> {
    Ok(conn
        .query_row(
            &format!("SELECT {KEY_COLUMNS} FROM client_keys WHERE id = ?1"),
            [id],
            key_from_row,
        )
        .optional()?)
}

impl Store for SqliteStore {
    fn create_key(&self, key: &NewKey, secret_hash: &str) -> StoreResult<ClientKey> {
        let id = format!("key_{}", uuid::Uuid::new_v4().simple());
        self.write(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO client_keys (id, name, prefix, secret_hash, created_at, expires_at, \
                 enabled, models, requests_per_minute, tokens_per_minute, max_concurrent, \
                 store_conversations) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?10, ?11)",
                params![
                    id,
                    key.name,
                    key.prefix,
                    secret_hash,
                    now_secs(),
                    key.expires_at,
                    models_json(key.models.as_ref()),
                    key.limits.requests_per_minute,
                    key.limits.tokens_per_minute,
                    key.limits.max_concurrent,
                    key.store_conversations,
                ],
            )?;
            bump_keys_version(&tx)?;
            let created = select_key(&tx, &id)?
                .ok_or_else(|| StoreError::Backend("key vanished after insert".into()))?;
            tx.commit()?;
            Ok(created)
        })
    }

    fn list_keys(&self, include_revoked: bool) -> StoreResult<Vec<ClientKey>> {
        self.read(|conn| {
            let filter = if include_revoked {
                ""
            } else {
                "WHERE revoked_at IS NULL"
            };
            let mut stmt = conn.prepare(&format!(
                "SELECT {KEY_COLUMNS} FROM client_keys {filter} ORDER BY created_at DESC, id"
            ))?;
            let keys = stmt
                .query_map([], key_from_row)?
                .collect::<Result<_, _>>()?;
            Ok(keys)
        })
    }

    fn get_key(&self, id: &str) -> StoreResult<Option<ClientKey>> {
        self.read(|conn| select_key(conn, id))
    }

    fn find_key_by_hash(&self, secret_hash: &str) -> StoreResult<Option<(ClientKey, bool)>> {
        self.read(|conn| {
            let found = conn
                .query_row(
                    &format!(
                        "SELECT {KEY_COLUMNS}, secret_hash = ?1 FROM client_keys \
                         WHERE revoked_at IS NULL AND (secret_hash = ?1 \
                           OR (previous_hash = ?1 AND previous_valid_until > ?2))"
                    ),
                    params![secret_hash, now_secs()],
                    |row| Ok((key_from_row(row)?, !row.get::<_, bool>(15)?)),
                )
                .optional()?;
            Ok(found)
        })
    }

    fn update_key(&self, id: &str, patch: &KeyPatch) -> StoreResult<Option<ClientKey>> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let Some(mut key) = select_key(&tx, id)?.filter(|k| k.revoked_at.is_none()) else {
                return Ok(None);
            };
            if let Some(name) = &patch.name {
                key.name.clone_from(name);
            }
            if let Some(models) = &patch.models {
                key.models.clone_from(models);
            }
            if let Some(limits) = patch.limits {
                key.limits = limits;
            }
            if let Some(expires_at) = patch.expires_at {
                key.expires_at = expires_at;
            }
            if let Some(enabled) = patch.enabled {
                key.enabled = enabled;
            }
            if let Some(store) = patch.store_conversations {
                key.store_conversations = store;
            }
            tx.execute(
                "UPDATE client_keys SET name = ?2, models = ?3, requests_per_minute = ?4, \
                 tokens_per_minute = ?5, max_concurrent = ?6, expires_at = ?7, enabled = ?8, \
                 store_conversations = ?9 WHERE id = ?1",
                params![
                    id,
                    key.name,
                    models_json(key.models.as_ref()),
                    key.limits.requests_per_minute,
                    key.limits.tokens_per_minute,
                    key.limits.max_concurrent,
                    key.expires_at,
                    key.enabled,
                    key.store_conversations,
                ],
            )?;
            bump_keys_version(&tx)?;
            tx.commit()?;
            Ok(Some(key))
        })
    }

    fn revoke_key(&self, id: &str) -> StoreResult<bool> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let changed = tx.execute(
                "UPDATE client_keys SET revoked_at = ?2, enabled = 0, previous_hash = NULL, \
                 previous_valid_until = NULL WHERE id = ?1 AND revoked_at IS NULL",
                params![id, now_secs()],
            )?;
            let exists = changed > 0 || select_key(&tx, id)?.is_some();
            bump_keys_version(&tx)?;
            tx.commit()?;
            Ok(exists)
        })
    }

    fn rotate_key(
        &self,
        id: &str,
        secret_hash: &str,
        prefix: &str,
        grace_until: Option<i64>,
    ) -> StoreResult<Option<ClientKey>> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let changed = tx.execute(
                "UPDATE client_keys SET \
                   previous_hash = CASE WHEN ?4 IS NULL THEN NULL ELSE secret_hash END, \
                   previous_valid_until = ?4, secret_hash = ?2, prefix = ?3, rotated_at = ?5 \
                 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, secret_hash, prefix, grace_until, now_secs()],
            )?;
            if changed == 0 {
                return Ok(None);
            }
            bump_keys_version(&tx)?;
            let key = select_key(&tx, id)?;
            tx.commit()?;
            Ok(key)
        })
    }

    fn keys_version(&self) -> StoreResult<i64> {
        self.read(|conn| {
            Ok(conn.query_row(
                "SELECT value FROM meta WHERE name = 'keys_version'",
                [],
                |row| row.get(0),
            )?)
        })
    }

    fn key_hashes(&self) -> StoreResult<Vec<KeyHashes>> {
        self.read(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {KEY_COLUMNS}, secret_hash, previous_hash FROM client_keys \
                 WHERE revoked_at IS NULL"
            ))?;
            let rows = stmt
                .query_map([], |row| {
                    Ok(KeyHashes {
                        key: key_from_row(row)?,
                        secret_hash: row.get(15)?,
                        previous_hash: row.get(16)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    fn write_batch(&self, requests: &[RequestRecord], exchanges: &[Exchange]) -> StoreResult<()> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO request_log (at_ms, request_id, client_id, endpoint, model, \
                     platform, adapter_version, status, latency_ms, upstream_ms, prompt_tokens, \
                     completion_tokens, total_tokens, streamed, error_type) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
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
                    ])?;
                    if r.client_id.starts_with("key_") {
                        let at = last_use.entry(r.client_id.as_str()).or_insert(0);
                        *at = (*at).max(r.at_ms / 1000);
                    }
                }
                for (id, at) in last_use {
                    touch.execute(params![id, at])?;
                }
            }
            for exchange in exchanges {
                append_exchange(&tx, exchange)?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn request_log(
        &self,
        since_ms: i64,
        until_ms: i64,
        limit: usize,
    ) -> StoreResult<Vec<RequestRecord>> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT at_ms, request_id, client_id, endpoint, model, platform, adapter_version, \
                 status, latency_ms, upstream_ms, prompt_tokens, completion_tokens, total_tokens, \
                 streamed, error_type FROM request_log WHERE at_ms >= ?1 AND at_ms < ?2 \
                 ORDER BY at_ms, id LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(
                    params![since_ms, until_ms, i64::try_from(limit).unwrap_or(i64::MAX)],
                    |row| {
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
                        })
                    },
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

    fn list_conversations(
        &self,
        client: Option<&str>,
        limit: usize,
        after: Option<&str>,
    ) -> StoreResult<ConversationPage> {
        self.read(|conn| {
            // The cursor: a client's own id, or `client/id` in the admin's listing.
            let cursor = match after {
                None => (i64::MAX, String::new(), String::new()),
                Some(after) => {
                    let (owner, id) = match client {
                        Some(client) => (client, after),
                        None => after.split_once('/').unwrap_or(("", after)),
                    };
                    conn.query_row(
                        "SELECT updated_at_ms, client_id, id FROM conversations \
                         WHERE client_id = ?1 AND id = ?2",
                        params![owner, id],
                        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                    )
                    .optional()?
                    .ok_or_else(|| StoreError::UnknownCursor(after.to_string()))?
                }
            };
            let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
            let (at, owner, id) = cursor;
            let mut stmt = conn.prepare(
                "SELECT id, client_id, model, created_at_ms, updated_at_ms, message_count \
                 FROM conversations \
                 WHERE (?1 IS NULL OR client_id = ?1) \
                   AND (?2 = 0 OR (updated_at_ms, client_id, id) < (?3, ?4, ?5)) \
                 ORDER BY updated_at_ms DESC, client_id DESC, id DESC LIMIT ?6",
            )?;
            let mut data: Vec<ConversationSummary> = stmt
                .query_map(
                    params![client, after.is_some(), at, owner, id, fetch],
                    summary_from_row,
                )?
                .collect::<Result<_, _>>()?;
            let has_more = data.len() > limit;
            data.truncate(limit);
            let cursor_of = |c: &ConversationSummary| match client {
                Some(_) => c.id.clone(),
                None => format!("{}/{}", c.client_id, c.id),
            };
            Ok(ConversationPage {
                object: "list",
                first_id: data.first().map(cursor_of),
                last_id: data.last().map(cursor_of),
                has_more,
                data,
            })
        })
    }

    fn get_conversation(&self, client: &str, id: &str) -> StoreResult<Option<Conversation>> {
        self.read(|conn| {
            let Some(summary) = conn
                .query_row(
                    "SELECT id, client_id, model, created_at_ms, updated_at_ms, message_count \
                     FROM conversations WHERE client_id = ?1 AND id = ?2",
                    params![client, id],
                    summary_from_row,
                )
                .optional()?
            else {
                return Ok(None);
            };
            let mut stmt = conn.prepare(
                "SELECT seq, message, model, created_at_ms FROM conversation_messages \
                 WHERE client_id = ?1 AND conversation_id = ?2 ORDER BY seq",
            )?;
            let messages = stmt
                .query_map(params![client, id], |row| {
                    let text: String = row.get(1)?;
                    Ok(StoredMessage {
                        index: row.get(0)?,
                        message: serde_json::from_str(&text).unwrap_or(Value::String(text)),
                        model: row.get(2)?,
                        created_at: row.get::<_, i64>(3)? / 1000,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(Some(Conversation { summary, messages }))
        })
    }

    fn delete_conversation(&self, client: &str, id: &str) -> StoreResult<bool> {
        self.write(|conn| {
            let deleted = conn.execute(
                "DELETE FROM conversations WHERE client_id = ?1 AND id = ?2",
                params![client, id],
            )?;
            Ok(deleted > 0)
        })
    }

    fn purge_conversations(&self, before_ms: i64) -> StoreResult<usize> {
        self.write(|conn| {
            Ok(conn.execute(
                "DELETE FROM conversations WHERE updated_at_ms < ?1",
                [before_ms],
            )?)
        })
    }
}

fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<ConversationSummary> {
    Ok(ConversationSummary {
        id: row.get(0)?,
        object: "conversation",
        client_id: row.get(1)?,
        model: row.get(2)?,
        created_at: row.get::<_, i64>(3)? / 1000,
        updated_at: row.get::<_, i64>(4)? / 1000,
        message_count: row.get(5)?,
    })
}

/// Appends the messages of `exchange` that the conversation does not hold yet (clients
/// resend the whole history each turn), then the reply.
fn append_exchange(tx: &Transaction<'_>, exchange: &Exchange) -> StoreResult<()> {
    let Exchange {
        client_id,
        conversation_id,
        model,
        at_ms,
        messages,
        reply,
    } = exchange;
    tx.execute(
        "INSERT OR IGNORE INTO conversations (client_id, id, model, created_at_ms, \
         updated_at_ms, message_count) VALUES (?1, ?2, ?3, ?4, ?4, 0)",
        params![client_id, conversation_id, model, at_ms],
    )?;
    let stored: Vec<Value> = {
        let mut stmt = tx.prepare_cached(
            "SELECT message FROM conversation_messages \
             WHERE client_id = ?1 AND conversation_id = ?2 ORDER BY seq",
        )?;
        stmt.query_map(params![client_id, conversation_id], |row| {
            row.get::<_, String>(0)
        })?
        .map(|text| text.map(|t| serde_json::from_str(&t).unwrap_or(Value::Null)))
        .collect::<Result<_, _>>()?
    };
    let common = stored
        .iter()
        .zip(messages)
        .take_while(|(a, b)| a == b)
        .count();
    let mut seq = i64::try_from(stored.len()).unwrap_or(i64::MAX);
    let mut insert = tx.prepare_cached(
        "INSERT INTO conversation_messages (client_id, conversation_id, seq, message, model, \
         created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for message in messages[common..].iter().chain(std::iter::once(reply)) {
        insert.execute(params![
            client_id,
            conversation_id,
            seq,
            message.to_string(),
            model,
            at_ms
        ])?;
        seq += 1;
    }
    tx.execute(
        "UPDATE conversations SET updated_at_ms = max(updated_at_ms, ?3), model = ?4, \
         message_count = ?5 WHERE client_id = ?1 AND id = ?2",
        params![client_id, conversation_id, at_ms, model, seq],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
