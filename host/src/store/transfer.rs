//! Moving a whole gateway's data from one store to another (`switchyard store
//! copy`): SQLite to Postgres when one node grows into many, back again, or SQLite to
//! SQLite for a backup. [`Transfer`] exports every record as it is stored (ids,
//! secret hashes, timestamps) in bounded batches and imports them verbatim, one
//! transaction per batch; the public create APIs cannot, since they mint new ids and
//! secrets. [`copy`] drives it: into an empty target only, never merging.

use std::fmt;

use super::model::{Budget, KeyHashes, RequestRecord, SpendLine, StoredResponse};
use super::{OpenOptions, Store, StoreError, StoreResult, postgres, sqlite, url};

/// Records per batch: a million log rows never sit in memory at once, and each
/// batch is one transaction on the target.
pub const BATCH: usize = 1_000;

/// Whole records out of a store and into another, as stored. Each `export_*` returns
/// up to `limit` records in a fixed order, starting after `after` (the last record of
/// the previous batch; `None` for the first); an empty batch means the end. Each
/// `import_*` inserts a batch in one transaction and fails on a record the target
/// already holds. Imports leave `keys_version` alone: [`Transfer::raise_keys_version`]
/// moves it once, at the end.
pub trait Transfer: Store {
    /// How many records of each kind the store holds.
    fn holdings(&self) -> StoreResult<Counts>;
    /// Sets `keys_version` above both its own value and `above`, so that gateways
    /// polling it reload their key rings; returns the new value.
    fn raise_keys_version(&self, above: i64) -> StoreResult<i64>;

    /// Every key, revoked ones included, with its hashes, by id.
    fn export_keys(&self, after: Option<&KeyHashes>, limit: usize) -> StoreResult<Vec<KeyHashes>>;
    /// Request log rows with their ids, by id.
    fn export_log(&self, after: Option<&LogRow>, limit: usize) -> StoreResult<Vec<LogRow>>;
    /// Conversations, by owner and id.
    fn export_conversations(
        &self,
        after: Option<&ConversationRow>,
        limit: usize,
    ) -> StoreResult<Vec<ConversationRow>>;
    /// Conversation messages, by owner, conversation and position.
    fn export_messages(
        &self,
        after: Option<&MessageRow>,
        limit: usize,
    ) -> StoreResult<Vec<MessageRow>>;
    /// Stored responses, by id.
    fn export_responses(
        &self,
        after: Option<&StoredResponse>,
        limit: usize,
    ) -> StoreResult<Vec<StoredResponse>>;
    /// Budgets, by id.
    fn export_budgets(&self, after: Option<&Budget>, limit: usize) -> StoreResult<Vec<Budget>>;
    /// The daily spend rollup, by day, key and model.
    fn export_spend(&self, after: Option<&SpendLine>, limit: usize) -> StoreResult<Vec<SpendLine>>;

    /// Inserts keys with their ids, hashes and times as given.
    fn import_keys(&self, keys: &[KeyHashes]) -> StoreResult<()>;
    /// Inserts log rows with their ids (new rows written later get higher ones).
    fn import_log(&self, rows: &[LogRow]) -> StoreResult<()>;
    /// Inserts conversations (before their messages).
    fn import_conversations(&self, conversations: &[ConversationRow]) -> StoreResult<()>;
    /// Inserts messages of conversations already imported.
    fn import_messages(&self, messages: &[MessageRow]) -> StoreResult<()>;
    /// Inserts stored responses.
    fn import_responses(&self, responses: &[StoredResponse]) -> StoreResult<()>;
    /// Inserts budgets with their ids.
    fn import_budgets(&self, budgets: &[Budget]) -> StoreResult<()>;
}

/// One request log row as stored: its id (which orders rows of the same instant) and
/// its columns.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRow {
    /// The row's id.
    pub id: i64,
    /// Every other column.
    pub record: RequestRecord,
}

/// One conversation as stored, without its messages, timestamps in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRow {
    /// Owner (key id or `anonymous`).
    pub client_id: String,
    /// Conversation id.
    pub id: String,
    /// Model of the latest exchange.
    pub model: String,
    /// First exchange, unix milliseconds.
    pub created_at_ms: i64,
    /// Latest exchange, unix milliseconds.
    pub updated_at_ms: i64,
    /// Messages stored.
    pub message_count: i64,
}

/// One conversation message as stored: the message is the JSON text, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    /// Owner of the conversation.
    pub client_id: String,
    /// The conversation.
    pub conversation_id: String,
    /// Position in the conversation, from 0.
    pub seq: i64,
    /// The message, as stored JSON text.
    pub message: String,
    /// Model that produced it (assistant) or was asked (others).
    pub model: String,
    /// When stored, unix milliseconds.
    pub created_at_ms: i64,
}

/// How many records of each kind: what a store holds, or what a copy moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Client keys, revoked ones included.
    pub keys: u64,
    /// Request log rows.
    pub log_rows: u64,
    /// Conversations.
    pub conversations: u64,
    /// Messages of those conversations.
    pub messages: u64,
    /// Stored responses.
    pub responses: u64,
    /// Budgets.
    pub budgets: u64,
    /// Lines of the daily spend rollup (one per day, key and model).
    pub spend_lines: u64,
}

impl Counts {
    /// Whether there is nothing at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Only the kinds there are some of (`3 keys, 10 log rows`), for saying what a
    /// store holds.
    pub fn held(&self) -> String {
        let parts = [
            (self.keys, "key", "keys"),
            (self.log_rows, "log row", "log rows"),
            (self.conversations, "conversation", "conversations"),
            (
                self.messages,
                "conversation message",
                "conversation messages",
            ),
            (self.responses, "stored response", "stored responses"),
            (self.budgets, "budget", "budgets"),
            (self.spend_lines, "daily spend line", "daily spend lines"),
        ];
        parts
            .iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|&(n, one, many)| count(n, one, many))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Counts {
    /// Every kind: `12 keys, 1,000,000 log rows, 40 conversations (310 messages), 7
    /// stored responses, 2 budgets, 90 daily spend lines`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}, {} ({}), {}, {}, {}",
            count(self.keys, "key", "keys"),
            count(self.log_rows, "log row", "log rows"),
            count(self.conversations, "conversation", "conversations"),
            count(self.messages, "message", "messages"),
            count(self.responses, "stored response", "stored responses"),
            count(self.budgets, "budget", "budgets"),
            count(self.spend_lines, "daily spend line", "daily spend lines"),
        )
    }
}

/// `n` with thousands separators and the noun that fits it.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", grouped(n), if n == 1 { one } else { many })
}

/// `n` with thousands separators: `1,000,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// The kinds of record, in the order a copy moves them (conversations before their
/// messages, which refer to them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Client keys.
    Keys,
    /// Request log rows.
    LogRows,
    /// Conversations.
    Conversations,
    /// Conversation messages.
    Messages,
    /// Stored responses.
    Responses,
    /// Budgets.
    Budgets,
    /// The daily spend rollup.
    Spend,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Keys => "keys",
            Self::LogRows => "log rows",
            Self::Conversations => "conversations",
            Self::Messages => "conversation messages",
            Self::Responses => "stored responses",
            Self::Budgets => "budgets",
            Self::Spend => "daily spend lines",
        })
    }
}

/// How far a copy has come: `done` of the source's `total` records of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The kind being copied.
    pub kind: Kind,
    /// Copied so far.
    pub done: u64,
    /// What the source held when the copy began.
    pub total: u64,
}

/// What a copy did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Records copied.
    pub counts: Counts,
    /// The target's `keys_version` afterwards.
    pub keys_version: i64,
}

/// Opens (and migrates, as the gateway does) the store `database_url` names, for
/// export or import.
pub fn open(database_url: &str, options: &OpenOptions) -> StoreResult<Box<dyn Transfer>> {
    Ok(match url::parse(database_url)? {
        url::DatabaseUrl::Sqlite(path) => Box::new(sqlite::SqliteStore::open(&path)?),
        url::DatabaseUrl::Postgres(url) => {
            Box::new(postgres::PostgresStore::open(&url, options.pool_size)?)
        }
    })
}

/// Copies everything `from` holds into `to`, which must hold nothing
/// ([`StoreError::NotEmpty`] otherwise), in batches of `batch` records, calling
/// `progress` after each; then raises the target's `keys_version` above both
/// stores'. A failure midway leaves the batches already copied in the target.
pub fn copy(
    from: &dyn Transfer,
    to: &dyn Transfer,
    batch: usize,
    progress: &mut dyn FnMut(Progress),
) -> StoreResult<Copied> {
    let held = to.holdings()?;
    if !held.is_empty() {
        return Err(StoreError::NotEmpty(held.held()));
    }
    let total = from.holdings()?;
    let versions = (from.keys_version()?, to.keys_version()?);
    let batch = batch.max(1);
    let mut tell = |kind: Kind, total: u64, done: u64| progress(Progress { kind, done, total });
    let counts = Counts {
        keys: pump(
            |after| from.export_keys(after, batch),
            |rows| to.import_keys(rows),
            |done| tell(Kind::Keys, total.keys, done),
        )?,
        log_rows: pump(
            |after| from.export_log(after, batch),
            |rows| to.import_log(rows),
            |done| tell(Kind::LogRows, total.log_rows, done),
        )?,
        conversations: pump(
            |after| from.export_conversations(after, batch),
            |rows| to.import_conversations(rows),
            |done| tell(Kind::Conversations, total.conversations, done),
        )?,
        messages: pump(
            |after| from.export_messages(after, batch),
            |rows| to.import_messages(rows),
            |done| tell(Kind::Messages, total.messages, done),
        )?,
        responses: pump(
            |after| from.export_responses(after, batch),
            |rows| to.import_responses(rows),
            |done| tell(Kind::Responses, total.responses, done),
        )?,
        budgets: pump(
            |after| from.export_budgets(after, batch),
            |rows| to.import_budgets(rows),
            |done| tell(Kind::Budgets, total.budgets, done),
        )?,
        // The rollup adds into the target's, which is empty: lines land as they are.
        spend_lines: pump(
            |after| from.export_spend(after, batch),
            |rows| to.write_batch(&[], rows, &[]),
            |done| tell(Kind::Spend, total.spend_lines, done),
        )?,
    };
    let keys_version = to.raise_keys_version(versions.0.max(versions.1))?;
    Ok(Copied {
        counts,
        keys_version,
    })
}

/// Moves batches from `export` to `import` until an empty one, telling `done` the
/// running count; returns it.
fn pump<T>(
    export: impl Fn(Option<&T>) -> StoreResult<Vec<T>>,
    import: impl Fn(&[T]) -> StoreResult<()>,
    mut done: impl FnMut(u64),
) -> StoreResult<u64> {
    let mut copied = 0_u64;
    let mut last: Option<T> = None;
    loop {
        let rows = export(last.as_ref())?;
        if rows.is_empty() {
            return Ok(copied);
        }
        import(&rows)?;
        copied = copied.saturating_add(u64::try_from(rows.len()).unwrap_or(u64::MAX));
        done(copied);
        last = rows.into_iter().last();
    }
}

#[cfg(test)]
mod tests;
