//! Stored responses in Postgres: kept by id, read and deleted by their owner, walked
//! back along `previous_id` in one recursive query, purged by age.

use tokio_postgres::Row;

use super::PostgresStore;
use crate::store::model::StoredResponse;
use crate::store::{ResponseStore, StoreResult};

/// A response's columns as [`from_row`] reads them.
pub(super) const COLUMNS: &str =
    "id, client_id, previous_id, model, created_at_ms, input, response";

impl ResponseStore for PostgresStore {
    fn save_response(&self, response: &StoredResponse) -> StoreResult<()> {
        self.call(async |conn| {
            // Replaces a response with the same id whole, as SQLite's INSERT OR REPLACE.
            let statement = conn
                .prepare_cached(
                    "INSERT INTO responses \
                     (id, client_id, previous_id, model, created_at_ms, input, response) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (id) DO UPDATE SET client_id = EXCLUDED.client_id, \
                       previous_id = EXCLUDED.previous_id, model = EXCLUDED.model, \
                       created_at_ms = EXCLUDED.created_at_ms, input = EXCLUDED.input, \
                       response = EXCLUDED.response",
                )
                .await?;
            conn.execute(
                &statement,
                &[
                    &response.id,
                    &response.client_id,
                    &response.previous_id,
                    &response.model,
                    &response.created_at_ms,
                    &response.input,
                    &response.response,
                ],
            )
            .await?;
            Ok(())
        })
    }

    fn get_response(&self, client: &str, id: &str) -> StoreResult<Option<StoredResponse>> {
        let sql = format!("SELECT {COLUMNS} FROM responses WHERE id = $1 AND client_id = $2");
        self.call(async |conn| {
            let statement = conn.prepare_cached(&sql).await?;
            conn.query_opt(&statement, &[&id, &client])
                .await?
                .map(|row| from_row(&row))
                .transpose()
        })
    }

    fn response_chain(
        &self,
        client: &str,
        id: &str,
        max: usize,
    ) -> StoreResult<Vec<StoredResponse>> {
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        self.call(async |conn| {
            // Each step is a primary-key lookup; the owner is checked on every link,
            // so a chain never crosses into another client's responses.
            let statement = conn
                .prepare_cached(
                    "WITH RECURSIVE chain (id, depth) AS ( \
                         SELECT id, 1::BIGINT FROM responses WHERE id = $1 AND client_id = $2 \
                         UNION ALL \
                         SELECT r.previous_id, c.depth + 1 FROM chain c \
                         JOIN responses r ON r.id = c.id \
                         WHERE r.previous_id IS NOT NULL AND c.depth < $3 \
                     ) \
                     SELECT r.id, r.client_id, r.previous_id, r.model, r.created_at_ms, \
                            r.input, r.response \
                     FROM chain c JOIN responses r ON r.id = c.id AND r.client_id = $2 \
                     ORDER BY c.depth DESC",
                )
                .await?;
            conn.query(&statement, &[&id, &client, &max])
                .await?
                .iter()
                .map(from_row)
                .collect()
        })
    }

    fn delete_response(&self, client: &str, id: &str) -> StoreResult<bool> {
        self.call(async |conn| {
            let statement = conn
                .prepare_cached("DELETE FROM responses WHERE id = $1 AND client_id = $2")
                .await?;
            Ok(conn.execute(&statement, &[&id, &client]).await? > 0)
        })
    }

    fn purge_responses(&self, before_ms: i64) -> StoreResult<usize> {
        self.call(async |conn| {
            let statement = conn
                .prepare_cached("DELETE FROM responses WHERE created_at_ms < $1")
                .await?;
            let deleted = conn.execute(&statement, &[&before_ms]).await?;
            Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
        })
    }

    fn list_responses(
        &self,
        client: Option<&str>,
        limit: usize,
        after: Option<&str>,
    ) -> StoreResult<crate::store::ResponsePage> {
        self.call(async |conn| super::pages::responses(conn, client, limit, after).await)
    }
}

pub(super) fn from_row(row: &Row) -> StoreResult<StoredResponse> {
    Ok(StoredResponse {
        id: row.try_get(0)?,
        client_id: row.try_get(1)?,
        previous_id: row.try_get(2)?,
        model: row.try_get(3)?,
        created_at_ms: row.try_get(4)?,
        input: row.try_get(5)?,
        response: row.try_get(6)?,
    })
}
