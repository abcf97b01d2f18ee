//! The schema, as ordered migrations. A released migration is never edited: add a
//! new one. The applied version is SQLite's `user_version`.

use rusqlite_migration::{M, Migrations};

/// Every migration, oldest first.
pub fn all() -> Migrations<'static> {
    Migrations::new(vec![M::up(V1)])
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

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(super::all().validate().is_ok());
    }
}
