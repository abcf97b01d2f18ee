//! Console sessions signed out early, in SQLite (see [`SessionStore`]).

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::store::{SessionStore, StoreResult, now_secs};

impl SessionStore for SqliteStore {
    fn end_session(&self, id: &str, expires_at: i64) -> StoreResult<()> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "DELETE FROM console_sessions_ended WHERE expires_at < ?1",
                [now_secs()],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO console_sessions_ended (id, expires_at) VALUES (?1, ?2)",
                params![id, expires_at],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn session_ended(&self, id: &str) -> StoreResult<bool> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT 1 FROM console_sessions_ended WHERE id = ?1",
                    [id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        })
    }
}
