//! Stored conversations in Postgres: listed per client, read, deleted, purged by
//! age; exchanges appended from the log writer's batches.

use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::Row;

use super::PostgresStore;
use crate::store::model::{
    Conversation, ConversationPage, ConversationSummary, Exchange, StoredMessage,
};
use crate::store::{ConversationStore, StoreError, StoreResult};

const SUMMARY_COLUMNS: &str = "id, client_id, model, created_at_ms, updated_at_ms, message_count";

impl ConversationStore for PostgresStore {
    fn list_conversations(
        &self,
        client: Option<&str>,
        limit: usize,
        after: Option<&str>,
    ) -> StoreResult<ConversationPage> {
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        self.call(async |conn| {
            // The cursor: a client's own id, or `client/id` in the admin's listing.
            let cursor: Option<(i64, String, String)> = match after {
                None => None,
                Some(after) => {
                    let (owner, id) = match client {
                        Some(client) => (client, after),
                        None => after.split_once('/').unwrap_or(("", after)),
                    };
                    let statement = conn
                        .prepare_cached(
                            "SELECT updated_at_ms, client_id, id FROM conversations \
                             WHERE client_id = $1 AND id = $2",
                        )
                        .await?;
                    let row = conn
                        .query_opt(&statement, &[&owner, &id])
                        .await?
                        .ok_or_else(|| StoreError::UnknownCursor(after.to_string()))?;
                    Some((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
                }
            };
            // One statement per shape, so each can use its index: a client's listing
            // `conversations_recent`, the admin's `conversations_age` read backwards.
            let rows = match (client, &cursor) {
                (Some(client), None) => {
                    let sql = format!(
                        "SELECT {SUMMARY_COLUMNS} FROM conversations WHERE client_id = $1 \
                         ORDER BY updated_at_ms DESC, id DESC LIMIT $2"
                    );
                    let statement = conn.prepare_cached(&sql).await?;
                    conn.query(&statement, &[&client, &fetch]).await?
                }
                (Some(client), Some((at, _, id))) => {
                    let sql = format!(
                        "SELECT {SUMMARY_COLUMNS} FROM conversations \
                         WHERE client_id = $1 AND (updated_at_ms, id) < ($2, $3) \
                         ORDER BY updated_at_ms DESC, id DESC LIMIT $4"
                    );
                    let statement = conn.prepare_cached(&sql).await?;
                    conn.query(&statement, &[&client, at, id, &fetch]).await?
                }
                (None, None) => {
                    let sql = format!(
                        "SELECT {SUMMARY_COLUMNS} FROM conversations \
                         ORDER BY updated_at_ms DESC, client_id DESC, id DESC LIMIT $1"
                    );
                    let statement = conn.prepare_cached(&sql).await?;
                    conn.query(&statement, &[&fetch]).await?
                }
                (None, Some((at, owner, id))) => {
                    let sql = format!(
                        "SELECT {SUMMARY_COLUMNS} FROM conversations \
                         WHERE (updated_at_ms, client_id, id) < ($1, $2, $3) \
                         ORDER BY updated_at_ms DESC, client_id DESC, id DESC LIMIT $4"
                    );
                    let statement = conn.prepare_cached(&sql).await?;
                    conn.query(&statement, &[at, owner, id, &fetch]).await?
                }
            };
            let mut data = rows
                .iter()
                .map(summary_from_row)
                .collect::<StoreResult<Vec<_>>>()?;
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
        self.call(async |conn| {
            let sql = format!(
                "SELECT {SUMMARY_COLUMNS} FROM conversations WHERE client_id = $1 AND id = $2"
            );
            let statement = conn.prepare_cached(&sql).await?;
            let Some(row) = conn.query_opt(&statement, &[&client, &id]).await? else {
                return Ok(None);
            };
            let summary = summary_from_row(&row)?;
            let statement = conn
                .prepare_cached(
                    "SELECT seq, message, model, created_at_ms FROM conversation_messages \
                     WHERE client_id = $1 AND conversation_id = $2 ORDER BY seq",
                )
                .await?;
            let messages = conn
                .query(&statement, &[&client, &id])
                .await?
                .iter()
                .map(|row| {
                    let text: String = row.try_get(1)?;
                    Ok(StoredMessage {
                        index: row.try_get(0)?,
                        message: serde_json::from_str(&text).unwrap_or(Value::String(text)),
                        model: row.try_get(2)?,
                        created_at: row.try_get::<_, i64>(3)? / 1000,
                    })
                })
                .collect::<StoreResult<_>>()?;
            Ok(Some(Conversation { summary, messages }))
        })
    }

    fn delete_conversation(&self, client: &str, id: &str) -> StoreResult<bool> {
        self.call(async |conn| {
            let statement = conn
                .prepare_cached("DELETE FROM conversations WHERE client_id = $1 AND id = $2")
                .await?;
            Ok(conn.execute(&statement, &[&client, &id]).await? > 0)
        })
    }

    fn purge_conversations(&self, before_ms: i64) -> StoreResult<usize> {
        self.call(async |conn| {
            let statement = conn
                .prepare_cached("DELETE FROM conversations WHERE updated_at_ms < $1")
                .await?;
            let deleted = conn.execute(&statement, &[&before_ms]).await?;
            Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
        })
    }
}

fn summary_from_row(row: &Row) -> StoreResult<ConversationSummary> {
    Ok(ConversationSummary {
        id: row.try_get(0)?,
        object: "conversation",
        client_id: row.try_get(1)?,
        model: row.try_get(2)?,
        created_at: row.try_get::<_, i64>(3)? / 1000,
        updated_at: row.try_get::<_, i64>(4)? / 1000,
        message_count: row.try_get(5)?,
    })
}

/// Appends the messages of `exchange` that the conversation does not hold yet (clients
/// resend the whole history each turn), then the reply. The conversation's row is
/// written first, which locks it until the batch commits: another gateway appending
/// to the same conversation waits, then reads what this one stored.
pub(super) async fn append_exchange(
    client: &impl GenericClient,
    exchange: &Exchange,
) -> StoreResult<()> {
    let Exchange {
        client_id,
        conversation_id,
        model,
        at_ms,
        messages,
        reply,
    } = exchange;
    let upsert = client
        .prepare_cached(
            "INSERT INTO conversations (client_id, id, model, created_at_ms, updated_at_ms, \
             message_count) VALUES ($1, $2, $3, $4, $4, 0) \
             ON CONFLICT (client_id, id) DO UPDATE SET \
               updated_at_ms = GREATEST(conversations.updated_at_ms, EXCLUDED.updated_at_ms), \
               model = EXCLUDED.model",
        )
        .await?;
    client
        .execute(&upsert, &[client_id, conversation_id, model, at_ms])
        .await?;
    let stored = client
        .prepare_cached(
            "SELECT message FROM conversation_messages \
             WHERE client_id = $1 AND conversation_id = $2 ORDER BY seq",
        )
        .await?;
    let stored: Vec<Value> = client
        .query(&stored, &[client_id, conversation_id])
        .await?
        .iter()
        .map(|row| {
            let text: String = row.try_get(0)?;
            Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
        })
        .collect::<StoreResult<_>>()?;
    let common = stored
        .iter()
        .zip(messages)
        .take_while(|(a, b)| a == b)
        .count();
    let first = i64::try_from(stored.len()).unwrap_or(i64::MAX);
    let new: Vec<String> = messages
        .get(common..)
        .unwrap_or_default()
        .iter()
        .chain(std::iter::once(reply))
        .map(Value::to_string)
        .collect();
    let seqs: Vec<i64> = (first..).take(new.len()).collect();
    let count = first.saturating_add(i64::try_from(new.len()).unwrap_or(i64::MAX));
    let append = client
        .prepare_cached(
            "WITH appended AS ( \
               INSERT INTO conversation_messages (client_id, conversation_id, seq, message, \
                 model, created_at_ms) \
               SELECT $1::TEXT, $2::TEXT, seq, message, $3::TEXT, $4::BIGINT \
               FROM UNNEST($5::BIGINT[], $6::TEXT[]) AS m (seq, message)) \
             UPDATE conversations SET message_count = $7 WHERE client_id = $1 AND id = $2",
        )
        .await?;
    client
        .execute(
            &append,
            &[
                client_id,
                conversation_id,
                model,
                at_ms,
                &seqs,
                &new,
                &count,
            ],
        )
        .await?;
    Ok(())
}
