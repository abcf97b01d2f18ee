//! Opening the SQLite file so that processes starting together on it (two workers a
//! service manager restarts at once, a test harness) all succeed: every connection
//! waits for locks instead of failing, the switch to WAL is retried, and migrations
//! run under a write lock ([`migrations::to_latest`]).

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode};

use crate::store::{Migrated, StoreError, StoreResult, migrations};

/// How long a statement waits for another connection's lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// First pause between attempts to switch a fresh file to WAL; doubles up to
/// [`WAL_RETRY_MAX_PAUSE`].
const WAL_RETRY_FIRST_PAUSE: Duration = Duration::from_millis(2);
const WAL_RETRY_MAX_PAUSE: Duration = Duration::from_millis(50);

/// Opens the file at `path` (creating it and its folder), migrated, for writing,
/// with the versions the migration went between; call [`connect`] for further
/// connections.
pub fn open_migrated(path: &Path) -> StoreResult<(Connection, Migrated)> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|err| {
            StoreError::unavailable(format!("cannot create {}", dir.display()), err)
        })?;
    }
    let mut conn = connect(path)?;
    let migrated = migrations::to_latest(&mut conn)
        .map_err(|err| StoreError::unavailable(format!("migrating {}", path.display()), err))?;
    Ok((conn, migrated))
}

/// One connection: busy timeout first (so every statement after it waits for a lock
/// rather than failing at once), then WAL, full sync and foreign keys.
pub fn connect(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    use_wal(&conn)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Switches the file to WAL. On a fresh file this needs an exclusive lock, and while
/// another connection is doing the same SQLite can answer "database is locked" without
/// waiting for the busy timeout; so it is retried until [`BUSY_TIMEOUT`] has passed.
#[expect(
    clippy::disallowed_methods,
    reason = "runs on the blocking pool (store::open is called from spawn_blocking or the CLI)"
)]
fn use_wal(conn: &Connection) -> StoreResult<()> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    let mut pause = WAL_RETRY_FIRST_PAUSE;
    loop {
        let outcome = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0));
        match outcome {
            Ok(mode) => {
                if !mode.eq_ignore_ascii_case("wal") {
                    tracing::warn!(%mode, "the database cannot use WAL; readers will wait for writers");
                }
                return Ok(());
            }
            Err(err) if is_busy(&err) && Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(WAL_RETRY_MAX_PAUSE);
            }
            Err(err) => return Err(err.into()),
        }
    }
}

fn is_busy(err: &rusqlite::Error) -> bool {
    err.sqlite_error_code()
        .is_some_and(|code| matches!(code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use crate::store::sqlite::SqliteStore;
    use crate::store::{KeyStore, NewKey};

    #[test]
    fn many_openers_racing_on_a_fresh_file_all_succeed() {
        const OPENERS: usize = 16;
        for round in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(format!("data/race-{round}.db"));
            let start = Arc::new(Barrier::new(OPENERS));
            let openers: Vec<_> = (0..OPENERS)
                .map(|_| {
                    let (path, start) = (path.clone(), Arc::clone(&start));
                    std::thread::spawn(move || {
                        start.wait();
                        let store = SqliteStore::open(&path)?;
                        store.create_key(&NewKey::default(), &uuid::Uuid::new_v4().to_string())
                    })
                })
                .collect();
            for opener in openers {
                opener.join().unwrap().expect("every opener succeeds");
            }
            let store = SqliteStore::open(&path).unwrap();
            assert_eq!(store.list_keys(true).unwrap().len(), OPENERS);
        }
    }
}
