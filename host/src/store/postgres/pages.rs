//! Paged, filtered listings in Postgres (see `store/pages.rs`), the same queries as
//! SQLite's: one index scan in the listing's order (V5), the cursor a row-value bound.

use deadpool_postgres::{GenericClient, Object};
use tokio_postgres::types::ToSql;

use super::keys::{KEY_COLUMNS, key_from_row};
use super::log::{LOG_COLUMNS, LOG_ID_COLUMN, record_from_row};
use crate::store::pages::{
    KeyPage, KeyQuery, KeyStatus, LogOutcome, LogPage, LogQuery, ResponsePage, ResponseSummary,
};
use crate::store::{StoreError, StoreResult};

/// A statement's parameters, numbered as they are added.
#[derive(Default)]
pub(super) struct Args {
    values: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Args {
    /// Adds a parameter and returns its placeholder (`$n`).
    pub(super) fn push(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.values.push(Box::new(value));
        format!("${}", self.values.len())
    }

    /// The parameters as the driver takes them.
    pub(super) fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

fn limit(n: usize) -> i64 {
    i64::try_from(n.saturating_add(1)).unwrap_or(i64::MAX)
}

/// A page of keys, newest first.
pub(super) async fn keys(conn: &Object, query: &KeyQuery) -> StoreResult<KeyPage> {
    let mut args = Args::default();
    let mut sql = format!("SELECT {KEY_COLUMNS} FROM client_keys WHERE ");
    match query.status {
        KeyStatus::Live => sql.push_str("revoked_at IS NULL"),
        KeyStatus::Active => {
            let now = args.push(query.now);
            sql.push_str(&format!(
                "revoked_at IS NULL AND enabled AND (expires_at IS NULL OR expires_at > {now})"
            ));
        }
        KeyStatus::Disabled => sql.push_str("revoked_at IS NULL AND NOT enabled"),
        KeyStatus::Expired => {
            let now = args.push(query.now);
            sql.push_str(&format!("revoked_at IS NULL AND expires_at <= {now}"));
        }
        KeyStatus::Revoked => sql.push_str("revoked_at IS NOT NULL"),
        KeyStatus::All => sql.push_str("TRUE"),
    }
    if let Some((anywhere, prefix, hash)) = query.patterns() {
        let search = query
            .search
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_string();
        let (a, s, p, h) = (
            args.push(anywhere),
            args.push(search),
            args.push(prefix),
            args.push(hash),
        );
        sql.push_str(&format!(
            " AND (name ILIKE {a} ESCAPE '\\' OR id = {s} OR prefix LIKE {p} ESCAPE '\\' \
             OR secret_hash = {h})"
        ));
    }
    if let Some(after) = &query.after {
        let statement = conn
            .prepare_cached("SELECT created_at FROM client_keys WHERE id = $1")
            .await?;
        let created: i64 = conn
            .query_opt(&statement, &[after])
            .await?
            .ok_or_else(|| StoreError::UnknownCursor(after.clone()))?
            .try_get(0)?;
        let (c, i) = (args.push(created), args.push(after.clone()));
        sql.push_str(&format!(" AND (created_at, id) < ({c}, {i})"));
    }
    let n = args.push(limit(query.limit));
    sql.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT {n}"));
    let statement = conn.prepare_cached(&sql).await?;
    let rows = conn.query(&statement, &args.refs()).await?;
    let keys = rows.iter().map(key_from_row).collect::<StoreResult<_>>()?;
    Ok(KeyPage::from_rows(keys, query.limit))
}

/// A page of the request log.
pub(super) async fn log(conn: &Object, query: &LogQuery) -> StoreResult<LogPage> {
    let mut args = Args::default();
    let (since, until) = (args.push(query.since_ms), args.push(query.until_ms));
    let mut sql = format!(
        "SELECT {LOG_COLUMNS}, id FROM request_log WHERE at_ms >= {since} AND at_ms < {until}"
    );
    if let Some(client) = &query.client_id {
        sql.push_str(&format!(" AND client_id = {}", args.push(client.clone())));
    }
    if let Some(model) = &query.model {
        sql.push_str(&format!(" AND model = {}", args.push(model.clone())));
    }
    match query.outcome {
        None => {}
        Some(LogOutcome::Ok) => sql.push_str(" AND status < 400 AND error_type IS NULL"),
        Some(LogOutcome::Error) => {
            sql.push_str(" AND (status >= 400 OR error_type IS NOT NULL)");
        }
        Some(LogOutcome::Status(status)) => {
            sql.push_str(&format!(" AND status = {}", args.push(i32::from(status))));
        }
    }
    let (bound, order) = if query.newest_first {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(after) = query.after {
        let (at, id) = (args.push(after.at_ms), args.push(after.id));
        sql.push_str(&format!(" AND (at_ms, id) {bound} ({at}, {id})"));
    }
    let n = args.push(limit(query.limit));
    sql.push_str(&format!(" ORDER BY at_ms {order}, id {order} LIMIT {n}"));
    let statement = conn.prepare_cached(&sql).await?;
    let rows = conn.query(&statement, &args.refs()).await?;
    let rows = rows
        .iter()
        .map(|row| Ok((row.try_get(LOG_ID_COLUMN)?, record_from_row(row)?)))
        .collect::<StoreResult<_>>()?;
    Ok(LogPage::from_rows(rows, query.limit))
}

/// A page of stored responses, newest first.
pub(super) async fn responses(
    conn: &Object,
    client: Option<&str>,
    page: usize,
    after: Option<&str>,
) -> StoreResult<ResponsePage> {
    let mut args = Args::default();
    let mut sql = String::from(
        "SELECT id, client_id, previous_id, model, created_at_ms FROM responses WHERE TRUE",
    );
    if let Some(client) = client {
        sql.push_str(&format!(
            " AND client_id = {}",
            args.push(client.to_string())
        ));
    }
    if let Some(after) = after {
        let statement = conn
            .prepare_cached(
                "SELECT created_at_ms FROM responses WHERE id = $1 \
                 AND ($2::TEXT IS NULL OR client_id = $2)",
            )
            .await?;
        let created: i64 = conn
            .query_opt(&statement, &[&after, &client])
            .await?
            .ok_or_else(|| StoreError::UnknownCursor(after.to_string()))?
            .try_get(0)?;
        let (c, i) = (args.push(created), args.push(after.to_string()));
        sql.push_str(&format!(" AND (created_at_ms, id) < ({c}, {i})"));
    }
    let n = args.push(limit(page));
    sql.push_str(&format!(" ORDER BY created_at_ms DESC, id DESC LIMIT {n}"));
    let statement = conn.prepare_cached(&sql).await?;
    let rows = conn.query(&statement, &args.refs()).await?;
    let rows = rows
        .iter()
        .map(|row| {
            let created_ms: i64 = row.try_get(4)?;
            Ok(ResponseSummary {
                id: row.try_get(0)?,
                object: "response",
                client_id: row.try_get(1)?,
                previous_id: row.try_get(2)?,
                model: row.try_get(3)?,
                created_at: created_ms / 1000,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok(ResponsePage::from_rows(rows, page))
}
