//! The SQLite schema, as ordered migrations (Postgres has its own:
//! `postgres/migrations.rs`). A released migration is never edited: add a
//! new one. The applied version is SQLite's `user_version`: the number of migrations
//! applied (the numbering `rusqlite_migration` used before, so older files carry on).

use rusqlite::{Connection, TransactionBehavior};

use super::Migrated;

/// Every migration, oldest first.
const ALL: &[&str] = &[V1, V2, V3, V4, V5];

/// Why the schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The file was migrated by a newer build.
    #[error("the database has schema version {found}, newer than this build's {latest}")]
    TooNew {
        /// The file's `user_version`.
        found: usize,
        /// The last migration this build knows.
        latest: usize,
    },
    /// SQLite refused (a lock held past the busy timeout, a failing statement).
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// Brings the schema up to date and says from which version. The version check and
/// the migrations run in one `BEGIN IMMEDIATE` transaction, so two processes starting
/// together on a fresh file do not both migrate: the second waits (busy timeout) for
/// the first to commit and then finds nothing to do. An up-to-date file takes no
/// write lock.
pub fn to_latest(conn: &mut Connection) -> Result<Migrated, MigrationError> {
    let latest = ALL.len();
    let current = version(conn)?;
    if current == latest {
        return Ok(Migrated {
            from: current,
            to: latest,
        });
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = version(&tx)?;
    if found > latest {
        return Err(MigrationError::TooNew { found, latest });
    }
    for migration in ALL.iter().skip(found) {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "user_version", latest)?;
    tx.commit()?;
    Ok(Migrated {
        from: found,
        to: latest,
    })
}

/// The version a file has once migrated by this build.
pub fn latest() -> usize {
    ALL.len()
}

fn version(conn: &Connection) -> rusqlite::Result<usize> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Keys, the request log, conversations.
const V1: &str = r#"
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO meta (name, value) VALUES ('keys_version', 0);

CREATE TABLE client_keys (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    prefix               TEXT NOT NULL,
    secret_hash          TEXT NOT NULL UNIQUE,
    previous_hash        TEXT UNIQUE,
    previous_valid_until INTEGER,
    created_at           INTEGER NOT NULL,
    rotated_at           INTEGER,
    last_used_at         INTEGER,
    expires_at           INTEGER,
    enabled              INTEGER NOT NULL DEFAULT 1,
    revoked_at           INTEGER,
    models               TEXT,
    requests_per_minute  INTEGER,
    tokens_per_minute    INTEGER,
    max_concurrent       INTEGER,
    store_conversations  INTEGER
);

CREATE TABLE request_log (
    id                INTEGER PRIMARY KEY,
    at_ms             INTEGER NOT NULL,
    request_id        TEXT NOT NULL,
    client_id         TEXT NOT NULL,
    endpoint          TEXT NOT NULL,
    model             TEXT NOT NULL,
    platform          TEXT,
    adapter_version   TEXT,
    status            INTEGER NOT NULL,
    latency_ms        REAL NOT NULL,
    upstream_ms       REAL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    total_tokens      INTEGER,
    streamed          INTEGER NOT NULL,
    error_type        TEXT
);
CREATE INDEX request_log_at ON request_log (at_ms);

CREATE TABLE conversations (
    client_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    model         TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    message_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (client_id, id)
);
CREATE INDEX conversations_recent ON conversations (client_id, updated_at_ms DESC, id DESC);
CREATE INDEX conversations_age ON conversations (updated_at_ms);

CREATE TABLE conversation_messages (
    client_id       TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    message         TEXT NOT NULL,
    model           TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (client_id, conversation_id, seq),
    FOREIGN KEY (client_id, conversation_id)
        REFERENCES conversations (client_id, id) ON DELETE CASCADE
);
"#;

/// The client's session id on each log row (Claude Code's `x-claude-code-session-id`).
const V2: &str = "ALTER TABLE request_log ADD COLUMN session_id TEXT;";

/// Stored responses (the Responses API's `store: true`), chained by `previous_id`.
const V3: &str = r#"
CREATE TABLE responses (
    id            TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL,
    previous_id   TEXT,
    model         TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    input         TEXT NOT NULL,
    response      TEXT NOT NULL
);
CREATE INDEX responses_age ON responses (created_at_ms);
"#;

/// Spend: each request's cost and cache and reasoning tokens on its log row, the daily
/// rollup that reports and budgets read, budgets, and a team on each key.
const V4: &str = r#"
ALTER TABLE request_log ADD COLUMN cached_tokens INTEGER;
ALTER TABLE request_log ADD COLUMN reasoning_tokens INTEGER;
ALTER TABLE request_log ADD COLUMN cost_nanos INTEGER;
ALTER TABLE client_keys ADD COLUMN team TEXT;
CREATE INDEX client_keys_team ON client_keys (team) WHERE team IS NOT NULL;

CREATE TABLE spend_daily (
    day                TEXT NOT NULL,
    client_id          TEXT NOT NULL,
    model              TEXT NOT NULL,
    requests           INTEGER NOT NULL,
    input_tokens       INTEGER NOT NULL,
    cached_tokens      INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    cost_nanos         INTEGER NOT NULL,
    unpriced_requests  INTEGER NOT NULL,
    PRIMARY KEY (day, client_id, model)
);
CREATE INDEX spend_daily_client ON spend_daily (client_id, day);

CREATE TABLE budgets (
    id           TEXT PRIMARY KEY,
    scope        TEXT NOT NULL,
    subject      TEXT NOT NULL,
    period       TEXT NOT NULL,
    amount_nanos INTEGER NOT NULL,
    soft_ratio   REAL,
    created_at   INTEGER NOT NULL,
    UNIQUE (scope, subject, period)
);
"#;

/// The console (issue 22): indexes for paged, filtered listings of keys, the request
/// log and stored responses; the traffic rollups the charts read; the console sessions
/// signed out before their expiry. A separate constant from any other feature's
/// migration so that merging them is a matter of order.
const V5: &str = r#"
-- Keys newest first, and a page after a cursor.
CREATE INDEX client_keys_recent ON client_keys (created_at DESC, id DESC);
-- The log by client, by model, by status, and its failures (each with the row id,
-- implicit in SQLite, for the cursor).
CREATE INDEX request_log_client ON request_log (client_id, at_ms);
CREATE INDEX request_log_model ON request_log (model, at_ms);
CREATE INDEX request_log_status ON request_log (status, at_ms);
CREATE INDEX request_log_failed ON request_log (at_ms)
    WHERE status >= 400 OR error_type IS NOT NULL;
-- Stored responses newest first, everyone's and one client's.
CREATE INDEX responses_recent ON responses (created_at_ms, id);
CREATE INDEX responses_client ON responses (client_id, created_at_ms, id);

CREATE TABLE console_sessions_ended (
    id         TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

-- Traffic rollups (store/traffic.rs): per minute and model, per hour and client.
CREATE TABLE traffic_by_model (
    minute_ms         INTEGER NOT NULL,
    model             TEXT NOT NULL,
    requests          INTEGER NOT NULL,
    errors            INTEGER NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    total_tokens      INTEGER NOT NULL,
    latency_sum_ms    REAL NOT NULL,
    latency_max_ms    REAL NOT NULL,
    l0 INTEGER NOT NULL DEFAULT 0, l1 INTEGER NOT NULL DEFAULT 0,
    l2 INTEGER NOT NULL DEFAULT 0, l3 INTEGER NOT NULL DEFAULT 0,
    l4 INTEGER NOT NULL DEFAULT 0, l5 INTEGER NOT NULL DEFAULT 0,
    l6 INTEGER NOT NULL DEFAULT 0, l7 INTEGER NOT NULL DEFAULT 0,
    l8 INTEGER NOT NULL DEFAULT 0, l9 INTEGER NOT NULL DEFAULT 0,
    l10 INTEGER NOT NULL DEFAULT 0, l11 INTEGER NOT NULL DEFAULT 0,
    l12 INTEGER NOT NULL DEFAULT 0, l13 INTEGER NOT NULL DEFAULT 0,
    l14 INTEGER NOT NULL DEFAULT 0, l15 INTEGER NOT NULL DEFAULT 0,
    l16 INTEGER NOT NULL DEFAULT 0, l17 INTEGER NOT NULL DEFAULT 0,
    l18 INTEGER NOT NULL DEFAULT 0, l19 INTEGER NOT NULL DEFAULT 0,
    l20 INTEGER NOT NULL DEFAULT 0, l21 INTEGER NOT NULL DEFAULT 0,
    l22 INTEGER NOT NULL DEFAULT 0, l23 INTEGER NOT NULL DEFAULT 0,
    l24 INTEGER NOT NULL DEFAULT 0, l25 INTEGER NOT NULL DEFAULT 0,
    l26 INTEGER NOT NULL DEFAULT 0, l27 INTEGER NOT NULL DEFAULT 0,
    l28 INTEGER NOT NULL DEFAULT 0, l29 INTEGER NOT NULL DEFAULT 0,
    l30 INTEGER NOT NULL DEFAULT 0, l31 INTEGER NOT NULL DEFAULT 0,
    l32 INTEGER NOT NULL DEFAULT 0, l33 INTEGER NOT NULL DEFAULT 0,
    l34 INTEGER NOT NULL DEFAULT 0, l35 INTEGER NOT NULL DEFAULT 0,
    l36 INTEGER NOT NULL DEFAULT 0, l37 INTEGER NOT NULL DEFAULT 0,
    l38 INTEGER NOT NULL DEFAULT 0, l39 INTEGER NOT NULL DEFAULT 0,
    l40 INTEGER NOT NULL DEFAULT 0, l41 INTEGER NOT NULL DEFAULT 0,
    l42 INTEGER NOT NULL DEFAULT 0, l43 INTEGER NOT NULL DEFAULT 0,
    l44 INTEGER NOT NULL DEFAULT 0, l45 INTEGER NOT NULL DEFAULT 0,
    l46 INTEGER NOT NULL DEFAULT 0, l47 INTEGER NOT NULL DEFAULT 0,
    l48 INTEGER NOT NULL DEFAULT 0, l49 INTEGER NOT NULL DEFAULT 0,
    l50 INTEGER NOT NULL DEFAULT 0, l51 INTEGER NOT NULL DEFAULT 0,
    l52 INTEGER NOT NULL DEFAULT 0, l53 INTEGER NOT NULL DEFAULT 0,
    l54 INTEGER NOT NULL DEFAULT 0, l55 INTEGER NOT NULL DEFAULT 0,
    l56 INTEGER NOT NULL DEFAULT 0, l57 INTEGER NOT NULL DEFAULT 0,
    l58 INTEGER NOT NULL DEFAULT 0, l59 INTEGER NOT NULL DEFAULT 0,
    l60 INTEGER NOT NULL DEFAULT 0, l61 INTEGER NOT NULL DEFAULT 0,
    l62 INTEGER NOT NULL DEFAULT 0, l63 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (minute_ms, model)
);
CREATE TABLE traffic_by_key (
    client_id         TEXT NOT NULL,
    hour_ms           INTEGER NOT NULL,
    requests          INTEGER NOT NULL,
    errors            INTEGER NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    total_tokens      INTEGER NOT NULL,
    latency_sum_ms    REAL NOT NULL,
    latency_max_ms    REAL NOT NULL,
    l0 INTEGER NOT NULL DEFAULT 0, l1 INTEGER NOT NULL DEFAULT 0,
    l2 INTEGER NOT NULL DEFAULT 0, l3 INTEGER NOT NULL DEFAULT 0,
    l4 INTEGER NOT NULL DEFAULT 0, l5 INTEGER NOT NULL DEFAULT 0,
    l6 INTEGER NOT NULL DEFAULT 0, l7 INTEGER NOT NULL DEFAULT 0,
    l8 INTEGER NOT NULL DEFAULT 0, l9 INTEGER NOT NULL DEFAULT 0,
    l10 INTEGER NOT NULL DEFAULT 0, l11 INTEGER NOT NULL DEFAULT 0,
    l12 INTEGER NOT NULL DEFAULT 0, l13 INTEGER NOT NULL DEFAULT 0,
    l14 INTEGER NOT NULL DEFAULT 0, l15 INTEGER NOT NULL DEFAULT 0,
    l16 INTEGER NOT NULL DEFAULT 0, l17 INTEGER NOT NULL DEFAULT 0,
    l18 INTEGER NOT NULL DEFAULT 0, l19 INTEGER NOT NULL DEFAULT 0,
    l20 INTEGER NOT NULL DEFAULT 0, l21 INTEGER NOT NULL DEFAULT 0,
    l22 INTEGER NOT NULL DEFAULT 0, l23 INTEGER NOT NULL DEFAULT 0,
    l24 INTEGER NOT NULL DEFAULT 0, l25 INTEGER NOT NULL DEFAULT 0,
    l26 INTEGER NOT NULL DEFAULT 0, l27 INTEGER NOT NULL DEFAULT 0,
    l28 INTEGER NOT NULL DEFAULT 0, l29 INTEGER NOT NULL DEFAULT 0,
    l30 INTEGER NOT NULL DEFAULT 0, l31 INTEGER NOT NULL DEFAULT 0,
    l32 INTEGER NOT NULL DEFAULT 0, l33 INTEGER NOT NULL DEFAULT 0,
    l34 INTEGER NOT NULL DEFAULT 0, l35 INTEGER NOT NULL DEFAULT 0,
    l36 INTEGER NOT NULL DEFAULT 0, l37 INTEGER NOT NULL DEFAULT 0,
    l38 INTEGER NOT NULL DEFAULT 0, l39 INTEGER NOT NULL DEFAULT 0,
    l40 INTEGER NOT NULL DEFAULT 0, l41 INTEGER NOT NULL DEFAULT 0,
    l42 INTEGER NOT NULL DEFAULT 0, l43 INTEGER NOT NULL DEFAULT 0,
    l44 INTEGER NOT NULL DEFAULT 0, l45 INTEGER NOT NULL DEFAULT 0,
    l46 INTEGER NOT NULL DEFAULT 0, l47 INTEGER NOT NULL DEFAULT 0,
    l48 INTEGER NOT NULL DEFAULT 0, l49 INTEGER NOT NULL DEFAULT 0,
    l50 INTEGER NOT NULL DEFAULT 0, l51 INTEGER NOT NULL DEFAULT 0,
    l52 INTEGER NOT NULL DEFAULT 0, l53 INTEGER NOT NULL DEFAULT 0,
    l54 INTEGER NOT NULL DEFAULT 0, l55 INTEGER NOT NULL DEFAULT 0,
    l56 INTEGER NOT NULL DEFAULT 0, l57 INTEGER NOT NULL DEFAULT 0,
    l58 INTEGER NOT NULL DEFAULT 0, l59 INTEGER NOT NULL DEFAULT 0,
    l60 INTEGER NOT NULL DEFAULT 0, l61 INTEGER NOT NULL DEFAULT 0,
    l62 INTEGER NOT NULL DEFAULT 0, l63 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (client_id, hour_ms)
);
CREATE INDEX traffic_by_key_hour ON traffic_by_key (hour_ms);
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op_and_newer_files_are_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        let latest = ALL.len();
        assert_eq!(
            to_latest(&mut conn).unwrap(),
            Migrated {
                from: 0,
                to: latest
            }
        );
        assert_eq!(
            to_latest(&mut conn).unwrap(),
            Migrated {
                from: latest,
                to: latest
            }
        );
        assert_eq!(version(&conn).unwrap(), latest);
        conn.pragma_update(None, "user_version", ALL.len() + 1)
            .unwrap();
        let err = to_latest(&mut conn).unwrap_err().to_string();
        assert!(err.contains("newer"), "{err}");
    }

    #[test]
    fn the_rollup_tables_have_a_column_per_latency_bin() {
        for column in crate::store::traffic::bin_columns() {
            assert!(
                V5.contains(&format!("{column} INTEGER NOT NULL DEFAULT 0")),
                "{column}"
            );
        }
        assert!(!V5.contains(&format!("l{} ", crate::store::traffic::BINS)));
    }
}
