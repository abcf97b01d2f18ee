//! The Postgres schema, as ordered migrations: a released migration is never edited,
//! add a new one. Applied versions are rows of `schema_migrations`. The schema
//! mirrors SQLite's (`store/migrations.rs`) with Postgres types: times as BIGINT
//! (unix seconds for keys, milliseconds elsewhere, as in SQLite), flags as BOOLEAN,
//! a key's model list as JSONB, and stored messages and responses as TEXT, since they
//! are given back byte for byte. Identifiers use the "C" collation so that ordering
//! and cursors compare bytes, as SQLite does, whatever the database's locale.

use deadpool_postgres::Object;

use crate::store::{Migrated, StoreError, StoreResult, now_millis};

/// Every migration, oldest first; version `n` is `ALL[n - 1]`.
const ALL: &[&str] = &[V1, V2, V5];

/// The advisory lock migrations run under (the bytes of "SWMIGRAT"), so that
/// gateways starting together on an empty database do not both migrate: the others
/// wait for the first to commit, then find nothing to do.
const LOCK: i64 = 0x5357_4D49_4752_4154;

/// Brings the schema up to date, in one transaction under [`LOCK`], and says from
/// which version.
pub(super) async fn to_latest(conn: &mut Object) -> StoreResult<Migrated> {
    let latest = ALL.len();
    let tx = conn.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
             version       INTEGER PRIMARY KEY, \
             applied_at_ms BIGINT NOT NULL)",
    )
    .await?;
    let found: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .try_get(0)?;
    let found = usize::try_from(found)
        .map_err(|_| StoreError::Inconsistent("a negative schema version"))?;
    if found > latest {
        return Err(StoreError::SchemaTooNew { found, latest });
    }
    for (version, migration) in (1_i32..).zip(ALL).skip(found) {
        tx.batch_execute(migration).await?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at_ms) VALUES ($1, $2)",
            &[&version, &now_millis()],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Migrated {
        from: found,
        to: latest,
    })
}

/// Keys, the request log, conversations, stored responses.
const V1: &str = r#"
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO meta (name, value) VALUES ('keys_version', 0);

CREATE TABLE client_keys (
    id                   TEXT COLLATE "C" PRIMARY KEY,
    name                 TEXT NOT NULL,
    prefix               TEXT NOT NULL,
    secret_hash          TEXT NOT NULL UNIQUE,
    previous_hash        TEXT UNIQUE,
    previous_valid_until BIGINT,
    created_at           BIGINT NOT NULL,
    rotated_at           BIGINT,
    last_used_at         BIGINT,
    expires_at           BIGINT,
    enabled              BOOLEAN NOT NULL DEFAULT TRUE,
    revoked_at           BIGINT,
    models               JSONB,
    requests_per_minute  BIGINT,
    tokens_per_minute    BIGINT,
    max_concurrent       BIGINT,
    store_conversations  BOOLEAN
);

CREATE TABLE request_log (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms             BIGINT NOT NULL,
    request_id        TEXT NOT NULL,
    client_id         TEXT COLLATE "C" NOT NULL,
    endpoint          TEXT NOT NULL,
    model             TEXT COLLATE "C" NOT NULL,
    platform          TEXT,
    adapter_version   TEXT,
    status            INTEGER NOT NULL,
    latency_ms        DOUBLE PRECISION NOT NULL,
    upstream_ms       DOUBLE PRECISION,
    prompt_tokens     BIGINT,
    completion_tokens BIGINT,
    total_tokens      BIGINT,
    streamed          BOOLEAN NOT NULL,
    error_type        TEXT,
    session_id        TEXT
);
CREATE INDEX request_log_at ON request_log (at_ms, id);

CREATE TABLE conversations (
    client_id     TEXT COLLATE "C" NOT NULL,
    id            TEXT COLLATE "C" NOT NULL,
    model         TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    message_count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (client_id, id)
);
-- A client's listing, newest first.
CREATE INDEX conversations_recent ON conversations (client_id, updated_at_ms DESC, id DESC);
-- The admin's listing (read backwards) and the retention sweep.
CREATE INDEX conversations_age ON conversations (updated_at_ms, client_id, id);

CREATE TABLE conversation_messages (
    client_id       TEXT COLLATE "C" NOT NULL,
    conversation_id TEXT COLLATE "C" NOT NULL,
    seq             BIGINT NOT NULL,
    message         TEXT NOT NULL,
    model           TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    PRIMARY KEY (client_id, conversation_id, seq),
    FOREIGN KEY (client_id, conversation_id)
        REFERENCES conversations (client_id, id) ON DELETE CASCADE
);

CREATE TABLE responses (
    id            TEXT COLLATE "C" PRIMARY KEY,
    client_id     TEXT COLLATE "C" NOT NULL,
    previous_id   TEXT COLLATE "C",
    model         TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    input         TEXT NOT NULL,
    response      TEXT NOT NULL
);
CREATE INDEX responses_age ON responses (created_at_ms);
"#;

/// Spend: each request's cost and cache and reasoning tokens on its log row, the daily
/// rollup that reports and budgets read, budgets, and a team on each key (SQLite's V4).
const V2: &str = r#"
ALTER TABLE request_log ADD COLUMN cached_tokens BIGINT;
ALTER TABLE request_log ADD COLUMN reasoning_tokens BIGINT;
ALTER TABLE request_log ADD COLUMN cost_nanos BIGINT;
ALTER TABLE client_keys ADD COLUMN team TEXT COLLATE "C";
CREATE INDEX client_keys_team ON client_keys (team) WHERE team IS NOT NULL;

CREATE TABLE spend_daily (
    day                TEXT COLLATE "C" NOT NULL,
    client_id          TEXT COLLATE "C" NOT NULL,
    model              TEXT COLLATE "C" NOT NULL,
    requests           BIGINT NOT NULL,
    input_tokens       BIGINT NOT NULL,
    cached_tokens      BIGINT NOT NULL,
    cache_write_tokens BIGINT NOT NULL,
    output_tokens      BIGINT NOT NULL,
    cost_nanos         BIGINT NOT NULL,
    unpriced_requests  BIGINT NOT NULL,
    PRIMARY KEY (day, client_id, model)
);
CREATE INDEX spend_daily_client ON spend_daily (client_id, day);

CREATE TABLE budgets (
    id           TEXT COLLATE "C" PRIMARY KEY,
    scope        TEXT NOT NULL,
    subject      TEXT COLLATE "C" NOT NULL,
    period       TEXT NOT NULL,
    amount_nanos BIGINT NOT NULL,
    soft_ratio   DOUBLE PRECISION,
    created_at   BIGINT NOT NULL,
    UNIQUE (scope, subject, period)
);
"#;

/// The console (issue 22): indexes for paged, filtered listings of keys, the request
/// log and stored responses; the traffic rollups the charts read; the console sessions
/// signed out before their expiry. Mirrors SQLite's V5; a separate constant from any
/// other feature's migration so that merging them is a matter of order.
const V5: &str = r#"
-- Keys newest first, and a page after a cursor.
CREATE INDEX client_keys_recent ON client_keys (created_at DESC, id DESC);
-- The log by client, by model, by status, and its failures, each ending in the id
-- the cursor compares.
CREATE INDEX request_log_client ON request_log (client_id, at_ms, id);
CREATE INDEX request_log_model ON request_log (model, at_ms, id);
CREATE INDEX request_log_status ON request_log (status, at_ms, id);
CREATE INDEX request_log_failed ON request_log (at_ms, id)
    WHERE status >= 400 OR error_type IS NOT NULL;
-- Stored responses newest first, everyone's and one client's.
CREATE INDEX responses_recent ON responses (created_at_ms, id);
CREATE INDEX responses_client ON responses (client_id, created_at_ms, id);

CREATE TABLE console_sessions_ended (
    id         TEXT COLLATE "C" PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

-- Traffic rollups (store/traffic.rs): per minute and model, per hour and client.
CREATE TABLE traffic_by_model (
    minute_ms         BIGINT NOT NULL,
    model             TEXT COLLATE "C" NOT NULL,
    requests          BIGINT NOT NULL,
    errors            BIGINT NOT NULL,
    prompt_tokens     BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    total_tokens      BIGINT NOT NULL,
    latency_sum_ms    DOUBLE PRECISION NOT NULL,
    latency_max_ms    DOUBLE PRECISION NOT NULL,
    l0 BIGINT NOT NULL DEFAULT 0, l1 BIGINT NOT NULL DEFAULT 0,
    l2 BIGINT NOT NULL DEFAULT 0, l3 BIGINT NOT NULL DEFAULT 0,
    l4 BIGINT NOT NULL DEFAULT 0, l5 BIGINT NOT NULL DEFAULT 0,
    l6 BIGINT NOT NULL DEFAULT 0, l7 BIGINT NOT NULL DEFAULT 0,
    l8 BIGINT NOT NULL DEFAULT 0, l9 BIGINT NOT NULL DEFAULT 0,
    l10 BIGINT NOT NULL DEFAULT 0, l11 BIGINT NOT NULL DEFAULT 0,
    l12 BIGINT NOT NULL DEFAULT 0, l13 BIGINT NOT NULL DEFAULT 0,
    l14 BIGINT NOT NULL DEFAULT 0, l15 BIGINT NOT NULL DEFAULT 0,
    l16 BIGINT NOT NULL DEFAULT 0, l17 BIGINT NOT NULL DEFAULT 0,
    l18 BIGINT NOT NULL DEFAULT 0, l19 BIGINT NOT NULL DEFAULT 0,
    l20 BIGINT NOT NULL DEFAULT 0, l21 BIGINT NOT NULL DEFAULT 0,
    l22 BIGINT NOT NULL DEFAULT 0, l23 BIGINT NOT NULL DEFAULT 0,
    l24 BIGINT NOT NULL DEFAULT 0, l25 BIGINT NOT NULL DEFAULT 0,
    l26 BIGINT NOT NULL DEFAULT 0, l27 BIGINT NOT NULL DEFAULT 0,
    l28 BIGINT NOT NULL DEFAULT 0, l29 BIGINT NOT NULL DEFAULT 0,
    l30 BIGINT NOT NULL DEFAULT 0, l31 BIGINT NOT NULL DEFAULT 0,
    l32 BIGINT NOT NULL DEFAULT 0, l33 BIGINT NOT NULL DEFAULT 0,
    l34 BIGINT NOT NULL DEFAULT 0, l35 BIGINT NOT NULL DEFAULT 0,
    l36 BIGINT NOT NULL DEFAULT 0, l37 BIGINT NOT NULL DEFAULT 0,
    l38 BIGINT NOT NULL DEFAULT 0, l39 BIGINT NOT NULL DEFAULT 0,
    l40 BIGINT NOT NULL DEFAULT 0, l41 BIGINT NOT NULL DEFAULT 0,
    l42 BIGINT NOT NULL DEFAULT 0, l43 BIGINT NOT NULL DEFAULT 0,
    l44 BIGINT NOT NULL DEFAULT 0, l45 BIGINT NOT NULL DEFAULT 0,
    l46 BIGINT NOT NULL DEFAULT 0, l47 BIGINT NOT NULL DEFAULT 0,
    l48 BIGINT NOT NULL DEFAULT 0, l49 BIGINT NOT NULL DEFAULT 0,
    l50 BIGINT NOT NULL DEFAULT 0, l51 BIGINT NOT NULL DEFAULT 0,
    l52 BIGINT NOT NULL DEFAULT 0, l53 BIGINT NOT NULL DEFAULT 0,
    l54 BIGINT NOT NULL DEFAULT 0, l55 BIGINT NOT NULL DEFAULT 0,
    l56 BIGINT NOT NULL DEFAULT 0, l57 BIGINT NOT NULL DEFAULT 0,
    l58 BIGINT NOT NULL DEFAULT 0, l59 BIGINT NOT NULL DEFAULT 0,
    l60 BIGINT NOT NULL DEFAULT 0, l61 BIGINT NOT NULL DEFAULT 0,
    l62 BIGINT NOT NULL DEFAULT 0, l63 BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (minute_ms, model)
);
CREATE TABLE traffic_by_key (
    client_id         TEXT COLLATE "C" NOT NULL,
    hour_ms           BIGINT NOT NULL,
    requests          BIGINT NOT NULL,
    errors            BIGINT NOT NULL,
    prompt_tokens     BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    total_tokens      BIGINT NOT NULL,
    latency_sum_ms    DOUBLE PRECISION NOT NULL,
    latency_max_ms    DOUBLE PRECISION NOT NULL,
    l0 BIGINT NOT NULL DEFAULT 0, l1 BIGINT NOT NULL DEFAULT 0,
    l2 BIGINT NOT NULL DEFAULT 0, l3 BIGINT NOT NULL DEFAULT 0,
    l4 BIGINT NOT NULL DEFAULT 0, l5 BIGINT NOT NULL DEFAULT 0,
    l6 BIGINT NOT NULL DEFAULT 0, l7 BIGINT NOT NULL DEFAULT 0,
    l8 BIGINT NOT NULL DEFAULT 0, l9 BIGINT NOT NULL DEFAULT 0,
    l10 BIGINT NOT NULL DEFAULT 0, l11 BIGINT NOT NULL DEFAULT 0,
    l12 BIGINT NOT NULL DEFAULT 0, l13 BIGINT NOT NULL DEFAULT 0,
    l14 BIGINT NOT NULL DEFAULT 0, l15 BIGINT NOT NULL DEFAULT 0,
    l16 BIGINT NOT NULL DEFAULT 0, l17 BIGINT NOT NULL DEFAULT 0,
    l18 BIGINT NOT NULL DEFAULT 0, l19 BIGINT NOT NULL DEFAULT 0,
    l20 BIGINT NOT NULL DEFAULT 0, l21 BIGINT NOT NULL DEFAULT 0,
    l22 BIGINT NOT NULL DEFAULT 0, l23 BIGINT NOT NULL DEFAULT 0,
    l24 BIGINT NOT NULL DEFAULT 0, l25 BIGINT NOT NULL DEFAULT 0,
    l26 BIGINT NOT NULL DEFAULT 0, l27 BIGINT NOT NULL DEFAULT 0,
    l28 BIGINT NOT NULL DEFAULT 0, l29 BIGINT NOT NULL DEFAULT 0,
    l30 BIGINT NOT NULL DEFAULT 0, l31 BIGINT NOT NULL DEFAULT 0,
    l32 BIGINT NOT NULL DEFAULT 0, l33 BIGINT NOT NULL DEFAULT 0,
    l34 BIGINT NOT NULL DEFAULT 0, l35 BIGINT NOT NULL DEFAULT 0,
    l36 BIGINT NOT NULL DEFAULT 0, l37 BIGINT NOT NULL DEFAULT 0,
    l38 BIGINT NOT NULL DEFAULT 0, l39 BIGINT NOT NULL DEFAULT 0,
    l40 BIGINT NOT NULL DEFAULT 0, l41 BIGINT NOT NULL DEFAULT 0,
    l42 BIGINT NOT NULL DEFAULT 0, l43 BIGINT NOT NULL DEFAULT 0,
    l44 BIGINT NOT NULL DEFAULT 0, l45 BIGINT NOT NULL DEFAULT 0,
    l46 BIGINT NOT NULL DEFAULT 0, l47 BIGINT NOT NULL DEFAULT 0,
    l48 BIGINT NOT NULL DEFAULT 0, l49 BIGINT NOT NULL DEFAULT 0,
    l50 BIGINT NOT NULL DEFAULT 0, l51 BIGINT NOT NULL DEFAULT 0,
    l52 BIGINT NOT NULL DEFAULT 0, l53 BIGINT NOT NULL DEFAULT 0,
    l54 BIGINT NOT NULL DEFAULT 0, l55 BIGINT NOT NULL DEFAULT 0,
    l56 BIGINT NOT NULL DEFAULT 0, l57 BIGINT NOT NULL DEFAULT 0,
    l58 BIGINT NOT NULL DEFAULT 0, l59 BIGINT NOT NULL DEFAULT 0,
    l60 BIGINT NOT NULL DEFAULT 0, l61 BIGINT NOT NULL DEFAULT 0,
    l62 BIGINT NOT NULL DEFAULT 0, l63 BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (client_id, hour_ms)
);
CREATE INDEX traffic_by_key_hour ON traffic_by_key (hour_ms);
"#;

#[cfg(test)]
mod tests {
    use super::V5;

    #[test]
    fn the_rollup_tables_have_a_column_per_latency_bin() {
        for column in crate::store::traffic::bin_columns() {
            assert!(
                V5.contains(&format!("{column} BIGINT NOT NULL DEFAULT 0")),
                "{column}"
            );
        }
    }
}
