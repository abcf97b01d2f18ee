//! Stored responses in SQLite: kept by id, read and deleted by their owner, walked
//! back along `previous_id` in one recursive query, purged by age.

use rusqlite::{OptionalExtension, Row, params};

use super::SqliteStore;
use crate::store::model::StoredResponse;
use crate::store::{ResponseStore, StoreResult};

const COLUMNS: &str = "id, client_id, previous_id, model, created_at_ms, input, response";

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
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<StoredResponse> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("test.db")).unwrap();
        (dir, store)
    }

    fn response(id: &str, client: &str, previous: Option<&str>, at: i64) -> StoredResponse {
        StoredResponse {
            id: id.into(),
            client_id: client.into(),
            previous_id: previous.map(Into::into),
            model: "m".into(),
            created_at_ms: at,
            input: format!(r#"[{{"id":"in_{id}"}}]"#),
            response: format!(r#"{{"id":"{id}"}}"#),
        }
    }

    #[test]
    fn a_chain_comes_back_oldest_first_and_only_for_its_owner() {
        let (_dir, store) = store();
        store.save_response(&response("r1", "a", None, 1)).unwrap();
        store
            .save_response(&response("r2", "a", Some("r1"), 2))
            .unwrap();
        store
            .save_response(&response("r3", "a", Some("r2"), 3))
            .unwrap();
        let ids = |chain: Vec<StoredResponse>| chain.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(
            ids(store.response_chain("a", "r3", 100).unwrap()),
            ["r1", "r2", "r3"]
        );
        assert_eq!(
            ids(store.response_chain("a", "r3", 2).unwrap()),
            ["r2", "r3"]
        );
        assert!(store.response_chain("b", "r3", 100).unwrap().is_empty());
        assert!(store.get_response("b", "r1").unwrap().is_none());
        assert_eq!(
            store.get_response("a", "r1").unwrap().unwrap().previous_id,
            None
        );
    }

    #[test]
    fn a_chain_stops_at_a_deleted_or_foreign_link() {
        let (_dir, store) = store();
        store.save_response(&response("r1", "b", None, 1)).unwrap();
        store
            .save_response(&response("r2", "a", Some("r1"), 2))
            .unwrap();
        store
            .save_response(&response("r3", "a", Some("r2"), 3))
            .unwrap();
        let chain = store.response_chain("a", "r3", 100).unwrap();
        assert_eq!(
            chain.len(),
            2,
            "another client's response is never part of a chain"
        );
        assert!(store.delete_response("a", "r2").unwrap());
        assert!(!store.delete_response("a", "r2").unwrap());
        assert_eq!(store.response_chain("a", "r3", 100).unwrap().len(), 1);
    }

    #[test]
    fn old_responses_are_purged() {
        let (_dir, store) = store();
        store
            .save_response(&response("r1", "a", None, 1_000))
            .unwrap();
        store
            .save_response(&response("r2", "a", None, 3_000))
            .unwrap();
        assert_eq!(store.purge_responses(2_000).unwrap(), 1);
        assert!(store.get_response("a", "r1").unwrap().is_none());
        assert!(store.get_response("a", "r2").unwrap().is_some());
    }
}
