//! Paged, filtered reads for the admin API and the console: keys, the request log and
//! stored responses, each one indexed query that stops at the page, so a listing costs
//! the same at a hundred rows or a million. Cursors are positions in the order (never
//! offsets), so a page does not shift when rows arrive.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{ClientKey, RequestRecord};

/// Which keys a listing shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Every key not revoked (the default).
    #[default]
    Live,
    /// Enabled, not expired, not revoked: keys that work.
    Active,
    /// Disabled (not revoked).
    Disabled,
    /// Past their expiry (not revoked).
    Expired,
    /// Revoked.
    Revoked,
    /// All of them.
    All,
}

/// A page of keys, newest first.
#[derive(Debug, Clone, Default)]
pub struct KeyQuery {
    /// Matches a name containing it (any case), an id, a secret's visible prefix, or
    /// a whole secret (by its hash).
    pub search: Option<String>,
    /// Which keys.
    pub status: KeyStatus,
    /// Keys per page.
    pub limit: usize,
    /// The last key id of the previous page.
    pub after: Option<String>,
    /// Now, unix seconds (what "expired" is measured against).
    pub now: i64,
}

impl KeyQuery {
    /// The search as a `LIKE` pattern matching it anywhere (`%`, `_` and `\` escaped;
    /// use `ESCAPE '\'`), and as a prefix pattern.
    pub fn patterns(&self) -> Option<(String, String, String)> {
        let search = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())?;
        let escaped = search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let hash = format!("{:x}", Sha256::digest(search.as_bytes()));
        Some((format!("%{escaped}%"), format!("{escaped}%"), hash))
    }
}

/// A page of keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyPage {
    /// Always `list`.
    pub object: &'static str,
    /// The keys, newest first.
    pub data: Vec<ClientKey>,
    /// Whether more follow: pass `last_id` as `after` for them.
    pub has_more: bool,
    /// Id of the last key on this page.
    pub last_id: Option<String>,
}

impl KeyPage {
    /// A page from up to `limit + 1` rows (the extra one only says more follow).
    pub fn from_rows(mut rows: Vec<ClientKey>, limit: usize) -> Self {
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        Self {
            object: "list",
            last_id: rows.last().map(|k| k.id.clone()),
            has_more,
            data: rows,
        }
    }
}

/// Which requests a log page shows by outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogOutcome {
    /// Answered below 400 and not failed midway.
    Ok,
    /// Status 400 or above, or a stream that failed midway.
    Error,
    /// This HTTP status exactly.
    Status(u16),
}

/// A page of the request log.
#[derive(Debug, Clone)]
pub struct LogQuery {
    /// From, unix milliseconds (inclusive).
    pub since_ms: i64,
    /// To, unix milliseconds (exclusive).
    pub until_ms: i64,
    /// Only this client (key id, `anonymous`, `admin`, `console`).
    pub client_id: Option<String>,
    /// Only this model.
    pub model: Option<String>,
    /// Only these outcomes.
    pub outcome: Option<LogOutcome>,
    /// Newest first (the console) rather than oldest first (the original API).
    pub newest_first: bool,
    /// Rows per page.
    pub limit: usize,
    /// Where the previous page ended.
    pub after: Option<LogCursor>,
}

/// A position in the log: a row's time and id. Written as `<at_ms>-<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogCursor {
    /// The row's time, unix milliseconds.
    pub at_ms: i64,
    /// The row's id.
    pub id: i64,
}

impl LogCursor {
    /// Reads a cursor as [`LogCursor::to_string`] writes it.
    pub fn parse(text: &str) -> Option<Self> {
        let (at, id) = text.split_once('-')?;
        Some(Self {
            at_ms: at.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

impl std::fmt::Display for LogCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.at_ms, self.id)
    }
}

/// A page of the request log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogPage {
    /// Always `list`.
    pub object: &'static str,
    /// The rows.
    pub data: Vec<RequestRecord>,
    /// Whether more follow: pass `next` as `after` for them.
    pub has_more: bool,
    /// The cursor after the last row.
    pub next: Option<String>,
}

impl LogPage {
    /// A page from up to `limit + 1` rows with their ids.
    pub fn from_rows(mut rows: Vec<(i64, RequestRecord)>, limit: usize) -> Self {
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next = rows.last().map(|(id, row)| {
            LogCursor {
                at_ms: row.at_ms,
                id: *id,
            }
            .to_string()
        });
        Self {
            object: "list",
            data: rows.into_iter().map(|(_, row)| row).collect(),
            has_more,
            next,
        }
    }
}

/// A stored response in a listing (its bodies are read one at a time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseSummary {
    /// The response id.
    pub id: String,
    /// Always `response`.
    pub object: &'static str,
    /// Owner.
    pub client_id: String,
    /// The response it continued.
    pub previous_id: Option<String>,
    /// The model asked for.
    pub model: String,
    /// When it completed, unix seconds.
    pub created_at: i64,
}

/// A page of stored responses, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponsePage {
    /// Always `list`.
    pub object: &'static str,
    /// The page.
    pub data: Vec<ResponseSummary>,
    /// Whether more follow: pass `last_id` as `after` for them.
    pub has_more: bool,
    /// Id of the last response on this page.
    pub last_id: Option<String>,
}

impl ResponsePage {
    /// A page from up to `limit + 1` rows.
    pub fn from_rows(mut rows: Vec<ResponseSummary>, limit: usize) -> Self {
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        Self {
            object: "list",
            last_id: rows.last().map(|r| r.id.clone()),
            has_more,
            data: rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_cursors_round_trip_and_refuse_junk() {
        let cursor = LogCursor {
            at_ms: 1_700_000_000_123,
            id: 42,
        };
        assert_eq!(LogCursor::parse(&cursor.to_string()), Some(cursor));
        assert_eq!(LogCursor::parse("12"), None);
        assert_eq!(LogCursor::parse("a-1"), None);
    }

    #[test]
    fn search_patterns_escape_like_wildcards() {
        let query = KeyQuery {
            search: Some(" 50%_off\\ ".into()),
            ..KeyQuery::default()
        };
        let (anywhere, prefix, _) = query.patterns().unwrap();
        assert_eq!(anywhere, "%50\\%\\_off\\\\%");
        assert_eq!(prefix, "50\\%\\_off\\\\%");
        assert_eq!(KeyQuery::default().patterns(), None);
    }
}
