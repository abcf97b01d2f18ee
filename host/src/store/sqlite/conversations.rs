//! Stored conversations in SQLite: listed per client, read, deleted, purged by age.

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde_json::Value;

use super::SqliteStore;
use crate::store::model::{
    Conversation, ConversationPage, ConversationSummary, Exchange, StoredMessage,
};
use crate::store::{ConversationStore, StoreError, StoreResult};

impl ConversationStore for SqliteStore {
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
pub(super) fn append_exchange(tx: &Transaction<'_>, exchange: &Exchange) -> StoreResult<()> {
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
