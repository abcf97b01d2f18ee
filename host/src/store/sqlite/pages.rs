//! Paged, filtered listings in SQLite (see `store/pages.rs`): keys, the request log
//! and stored responses. Each is one query over an index whose order is the listing's
//! (V5), with the cursor as a row-value bound, so a page costs the same wherever it is.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params_from_iter};

use super::keys::{KEY_COLUMNS, key_from_row};
use super::log::{LOG_COLUMNS, LOG_ID_COLUMN, record_from_row};
use crate::store::pages::{
    KeyPage, KeyQuery, KeyStatus, LogOutcome, LogPage, LogQuery, ResponsePage, ResponseSummary,
};
use crate::store::{StoreError, StoreResult};

fn int(value: impl TryInto<i64>) -> Value {
    Value::Integer(value.try_into().unwrap_or(i64::MAX))
}

/// A page of keys, newest first.
pub(super) fn keys(conn: &Connection, query: &KeyQuery) -> StoreResult<KeyPage> {
    let mut sql = format!("SELECT {KEY_COLUMNS} FROM client_keys WHERE ");
    let mut args: Vec<Value> = Vec::new();
    sql.push_str(match query.status {
        KeyStatus::Live => "revoked_at IS NULL",
        KeyStatus::Active => {
            args.push(int(query.now));
            "revoked_at IS NULL AND enabled = 1 AND (expires_at IS NULL OR expires_at > ?)"
        }
        KeyStatus::Disabled => "revoked_at IS NULL AND enabled = 0",
        KeyStatus::Expired => {
            args.push(int(query.now));
            "revoked_at IS NULL AND expires_at <= ?"
        }
        KeyStatus::Revoked => "revoked_at IS NOT NULL",
        KeyStatus::All => "1 = 1",
    });
    if let Some((anywhere, prefix, hash)) = query.patterns() {
        sql.push_str(
            " AND (name LIKE ? ESCAPE '\\' OR id = ? OR prefix LIKE ? ESCAPE '\\' \
             OR secret_hash = ?)",
        );
        let search = query
            .search
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_string();
        args.extend([
            Value::Text(anywhere),
            Value::Text(search),
            Value::Text(prefix),
            Value::Text(hash),
        ]);
    }
    if let Some(after) = &query.after {
        let created: i64 = conn
            .query_row(
                "SELECT created_at FROM client_keys WHERE id = ?1",
                [after],
                |row| row.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownCursor(after.clone()))?;
        sql.push_str(" AND (created_at, id) < (?, ?)");
        args.extend([int(created), Value::Text(after.clone())]);
    }
    sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
    args.push(int(query.limit.saturating_add(1)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(args), key_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(KeyPage::from_rows(rows, query.limit))
}

/// The filter a log page's outcome adds (the failure filter is written as the
/// partial index `request_log_failed` says it, so that the index serves it).
fn outcome_filter(outcome: Option<LogOutcome>, args: &mut Vec<Value>) -> &'static str {
    match outcome {
        None => "",
        Some(LogOutcome::Ok) => " AND status < 400 AND error_type IS NULL",
        Some(LogOutcome::Error) => " AND (status >= 400 OR error_type IS NOT NULL)",
        Some(LogOutcome::Status(status)) => {
            args.push(int(status));
            " AND status = ?"
        }
    }
}

/// A page of the request log.
pub(super) fn log(conn: &Connection, query: &LogQuery) -> StoreResult<LogPage> {
    let mut sql =
        format!("SELECT {LOG_COLUMNS}, id FROM request_log WHERE at_ms >= ? AND at_ms < ?");
    let mut args = vec![int(query.since_ms), int(query.until_ms)];
    if let Some(client) = &query.client_id {
        sql.push_str(" AND client_id = ?");
        args.push(Value::Text(client.clone()));
    }
    if let Some(model) = &query.model {
        sql.push_str(" AND model = ?");
        args.push(Value::Text(model.clone()));
    }
    sql.push_str(outcome_filter(query.outcome, &mut args));
    let (bound, order) = if query.newest_first {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(after) = query.after {
        sql.push_str(&format!(" AND (at_ms, id) {bound} (?, ?)"));
        args.extend([int(after.at_ms), int(after.id)]);
    }
    sql.push_str(&format!(" ORDER BY at_ms {order}, id {order} LIMIT ?"));
    args.push(int(query.limit.saturating_add(1)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(args), |row| {
            Ok((row.get(LOG_ID_COLUMN)?, record_from_row(row)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(LogPage::from_rows(rows, query.limit))
}

/// A page of stored responses, newest first.
pub(super) fn responses(
    conn: &Connection,
    client: Option<&str>,
    limit: usize,
    after: Option<&str>,
) -> StoreResult<ResponsePage> {
    let mut sql = String::from(
        "SELECT id, client_id, previous_id, model, created_at_ms FROM responses WHERE 1 = 1",
    );
    let mut args: Vec<Value> = Vec::new();
    if let Some(client) = client {
        sql.push_str(" AND client_id = ?");
        args.push(Value::Text(client.to_string()));
    }
    if let Some(after) = after {
        let created: i64 = conn
            .query_row(
                "SELECT created_at_ms FROM responses WHERE id = ?1 AND (?2 IS NULL OR client_id = ?2)",
                rusqlite::params![after, client],
                |row| row.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownCursor(after.to_string()))?;
        sql.push_str(" AND (created_at_ms, id) < (?, ?)");
        args.extend([int(created), Value::Text(after.to_string())]);
    }
    sql.push_str(" ORDER BY created_at_ms DESC, id DESC LIMIT ?");
    args.push(int(limit.saturating_add(1)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(args), |row| {
            let created_ms: i64 = row.get(4)?;
            Ok(ResponseSummary {
                id: row.get(0)?,
                object: "response",
                client_id: row.get(1)?,
                previous_id: row.get(2)?,
                model: row.get(3)?,
                created_at: created_ms / 1000,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(ResponsePage::from_rows(rows, limit))
}
