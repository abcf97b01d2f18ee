//! Stored responses in SQLite: kept by id, read and deleted by their owner, walked
//! back along `previous_id` in one recursive query, purged by age.

use rusqlite::{OptionalExtension, Row, params};

use super::SqliteStore;
use crate::store::model::StoredResponse;
use crate::store::{ResponseStore, StoreResult};

/// A response's columns as [`from_row`] reads them.
pub(super) const COLUMNS: &str =
    "id, client_id, previous_id, model, created_at_ms, input, response";

impl ResponseStore for SqliteStore {
    fn save_response(&self, response: &StoredResponse) -> StoreResult<()> {
        self.write(|conn| {
            conn.execute(
                "INSERT OR REPLACE INTO responses \
                 (id, client_id, previous_id, model, created_at_ms, input, response) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    response.id,
                    response.client_id,
                    response.previous_id,
                    response.model,
                    response.created_at_ms,
                    response.input,
                    response.response,
                ],
            )?;
            Ok(())
        })
    }

    fn get_response(&self, client: &str, id: &str) -> StoreResult<Option<StoredResponse>> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM responses WHERE id = ?1 AND client_id = ?2"),
                    params![id, client],
                    from_row,
                )
                .optional()?)
        })
    }

    fn response_chain(
        &self,
        client: &str,
        id: &str,
        max: usize,
    ) -> StoreResult<Vec<StoredResponse>> {
        self.read(|conn| {
            let max = i64::try_from(max).unwrap_or(i64::MAX);
            // Each step is a primary-key lookup; the owner is checked on every link,
            // so a chain never crosses into another client's responses.
            let mut stmt = conn.prepare_cached(
                "WITH RECURSIVE chain (id, depth) AS ( \
                     SELECT id, 1 FROM responses WHERE id = ?1 AND client_id = ?2 \
                     UNION ALL \
                     SELECT r.previous_id, c.depth + 1 FROM chain c \
                     JOIN responses r ON r.id = c.id \
                     WHERE r.previous_id IS NOT NULL AND c.depth < ?3 \
                 ) \
                 SELECT r.id, r.client_id, r.previous_id, r.model, r.created_at_ms, \
                        r.input, r.response \
                 FROM chain c JOIN responses r ON r.id = c.id AND r.client_id = ?2 \
                 ORDER BY c.depth DESC",
            )?;
            let chain = stmt
                .query_map(params![id, client, max], from_row)?
                .collect::<Result<_, _>>()?;
            Ok(chain)
        })
    }

    fn delete_response(&self, client: &str, id: &str) -> StoreResult<bool> {
        self.write(|conn| {
            let deleted = conn.execute(
                "DELETE FROM responses WHERE id = ?1 AND client_id = ?2",
                params![id, client],
            )?;
            Ok(deleted > 0)
        })
    }

    fn purge_responses(&self, before_ms: i64) -> StoreResult<usize> {
        self.write(|conn| {
            Ok(conn.execute(
                "DELETE FROM responses WHERE created_at_ms < ?1",
                [before_ms],
            )?)
        })
    }

    fn list_responses(
        &self,
        client: Option<&str>,
        limit: usize,
        after: Option<&str>,
    ) -> StoreResult<crate::store::ResponsePage> {
        self.read(|conn| super::pages::responses(conn, client, limit, after))
    }
}

pub(super) fn from_row(row: &Row<'_>) -> rusqlite::Result<StoredResponse> {
    Ok(StoredResponse {
        id: row.get(0)?,
        client_id: row.get(1)?,
        previous_id: row.get(2)?,
        model: row.get(3)?,
        created_at_ms: row.get(4)?,
        input: row.get(5)?,
        response: row.get(6)?,
    })
}
