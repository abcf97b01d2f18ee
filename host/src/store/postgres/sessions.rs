//! Console sessions signed out early, in Postgres (see [`SessionStore`]).

use super::PostgresStore;
use crate::store::{SessionStore, StoreResult, now_secs};

impl SessionStore for PostgresStore {
    fn end_session(&self, id: &str, expires_at: i64) -> StoreResult<()> {
        self.call(async |conn| {
            let tx = conn.transaction().await?;
            tx.execute(
                "DELETE FROM console_sessions_ended WHERE expires_at < $1",
                &[&now_secs()],
            )
            .await?;
            tx.execute(
                "INSERT INTO console_sessions_ended (id, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (id) DO NOTHING",
                &[&id, &expires_at],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn session_ended(&self, id: &str) -> StoreResult<bool> {
        self.call(async |conn| {
            let statement = conn
                .prepare_cached("SELECT 1 FROM console_sessions_ended WHERE id = $1")
                .await?;
            Ok(conn.query_opt(&statement, &[&id]).await?.is_some())
        })
    }
}
