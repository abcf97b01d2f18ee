//! Durable state: client keys, the request log, conversations. One trait, [`Store`],
//! so a server database ([`postgres::PostgresStore`]) can stand in for the embedded
//! SQLite ([`sqlite::SqliteStore`]) when several gateways share one state; [`open`]
//! picks one by the `database_url`. Methods block; async callers run them on the
//! blocking pool ([`blocking`]). [`transfer`] moves a whole store's records into
//! another.

pub mod migrations;
pub mod model;
pub mod pages;
pub mod postgres;
pub mod sqlite;
pub mod traffic;
pub mod transfer;
pub mod url;

#[cfg(test)]
mod conformance;

use std::sync::Arc;

pub use model::{
    Budget, BudgetScope, BudgetSettings, ClientKey, Conversation, ConversationPage,
    ConversationSummary, Exchange, KeyLimits, KeyPatch, NewKey, RequestRecord, SpendGroup,
    SpendLine, SpendQuery, StoredMessage, StoredResponse, UsageGroup, UsageQuery, UsageRow,
};
pub use pages::{
    KeyPage, KeyQuery, KeyStatus, LogCursor, LogOutcome, LogPage, LogQuery, ResponsePage,
    ResponseSummary,
};
pub use traffic::{TrafficDimension, TrafficQuery, TrafficRow};

/// A storage failure. Each keeps its cause as its `source`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// Something the store needs is not there (a folder it cannot create, a storage
    /// task that died, no randomness).
    #[error("{what}: {source}")]
    Unavailable {
        /// What could not be done.
        what: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A connection's lock was poisoned by a panic while it was held.
    #[error("database error: the {0} connection was poisoned")]
    Poisoned(&'static str),
    /// The database broke one of the store's own invariants.
    #[error("database error: {0}")]
    Inconsistent(&'static str),
    /// A pagination cursor names nothing in the listing (no conversation, key or
    /// response of the caller's).
    #[error("`after` names nothing in this listing: {0}")]
    UnknownCursor(String),
    /// The `database_url` names no supported backend (its password redacted).
    #[error(
        "unsupported database_url `{0}`: use sqlite://<path> (or SQLAlchemy's sqlite:///<relative path>, sqlite:////<absolute path>) or postgres://<user>:<password>@<host>:<port>/<database>"
    )]
    UnsupportedUrl(String),
    /// The `database_url` names Postgres but cannot be used as written.
    #[error("invalid database_url `{url}`: {reason}")]
    InvalidUrl {
        /// The URL, its password redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The Postgres server refused or failed a statement.
    #[error("postgres error: {}", url::postgres::chain(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// The Postgres server could not be reached, or stopped answering: down, restarting,
    /// unreachable, or every pooled connection busy for too long. Calls succeed again
    /// once it is back; nothing needs reopening.
    #[error("cannot reach the Postgres server at {server}: {source}")]
    PostgresUnavailable {
        /// Where the server is (`host:port/database`, no credentials).
        server: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A copy's target already holds records (what it holds, e.g. `1 key`); a copy
    /// never merges.
    #[error(
        "the target is not empty, it holds {0}: copy only into an empty database (one no gateway has started on, since a gateway that starts on an empty database creates a first key; `switchyard migrate` prepares a new one)"
    )]
    NotEmpty(String),
    /// The database was migrated by a newer build of the gateway.
    #[error(
        "the database has schema version {found}, newer than this build's {latest}: upgrade the gateway"
    )]
    SchemaTooNew {
        /// The database's version.
        found: usize,
        /// The last migration this build knows.
        latest: usize,
    },
}

impl StoreError {
    /// A failure to do `what`, caused by `source`.
    pub fn unavailable(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Unavailable {
            what: what.into(),
            source: source.into(),
        }
    }
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the gateway keeps: its keys, its request log, its conversations and
/// stored responses, spend and budgets, and the console sessions signed out.
/// Implementations must be safe to call from many threads; writes are durable when the
/// method returns.
pub trait Store:
    KeyStore + RequestLog + ConversationStore + ResponseStore + SpendStore + SessionStore
{
}

impl<T> Store for T where
    T: KeyStore + RequestLog + ConversationStore + ResponseStore + SpendStore + SessionStore
{
}

/// Client keys: created, looked up by secret hash, changed, rotated and revoked.
pub trait KeyStore: Send + Sync + 'static {
    /// Inserts a key whose secret hashes to `secret_hash`.
    fn create_key(&self, key: &NewKey, secret_hash: &str) -> StoreResult<ClientKey>;
    /// Every key, newest first; revoked ones only when asked.
    fn list_keys(&self, include_revoked: bool) -> StoreResult<Vec<ClientKey>>;
    /// One key by id, revoked or not.
    fn get_key(&self, id: &str) -> StoreResult<Option<ClientKey>>;
    /// The key whose current secret, or previous secret within its grace period,
    /// hashes to `secret_hash`, with whether it matched the previous secret.
    fn find_key_by_hash(&self, secret_hash: &str) -> StoreResult<Option<(ClientKey, bool)>>;
    /// Applies `patch` to a key that is not revoked.
    fn update_key(&self, id: &str, patch: &KeyPatch) -> StoreResult<Option<ClientKey>>;
    /// Revokes a key for good; `false` when there is no such key.
    fn revoke_key(&self, id: &str) -> StoreResult<bool>;
    /// Gives a key a new secret; the old one stays valid until `grace_until` (unix
    /// seconds), or stops at once when `None`.
    fn rotate_key(
        &self,
        id: &str,
        secret_hash: &str,
        prefix: &str,
        grace_until: Option<i64>,
    ) -> StoreResult<Option<ClientKey>>;
    /// One page of keys, newest first, filtered by status and search (one indexed
    /// query, whatever the number of keys). An `after` naming no key is
    /// [`StoreError::UnknownCursor`].
    fn key_page(&self, query: &KeyQuery) -> StoreResult<KeyPage>;
    /// A number that changes whenever keys change, from any process.
    fn keys_version(&self) -> StoreResult<i64>;
    /// Every key with the hashes that authenticate it, for the in-memory key ring.
    fn key_hashes(&self) -> StoreResult<Vec<model::KeyHashes>>;
}

/// The request log: written in batches from the request path, read by the admin API.
pub trait RequestLog: Send + Sync + 'static {
    /// Writes a batch from the request path in one transaction: log rows, key
    /// last-use times, spend added to the daily rollup, and conversation exchanges.
    fn write_batch(
        &self,
        requests: &[RequestRecord],
        spend: &[SpendLine],
        exchanges: &[Exchange],
    ) -> StoreResult<()>;
    /// Request log rows between two instants (unix milliseconds), oldest first.
    fn request_log(
        &self,
        since_ms: i64,
        until_ms: i64,
        limit: usize,
    ) -> StoreResult<Vec<RequestRecord>>;
    /// Requests and tokens per key or model over a time range.
    fn usage_summary(&self, query: &UsageQuery) -> StoreResult<Vec<UsageRow>>;
    /// One page of the log, filtered by client, model and outcome, in either order,
    /// after a cursor (one indexed query that stops at the page).
    fn log_page(&self, query: &LogQuery) -> StoreResult<LogPage>;
    /// The traffic rollups summed per bucket and group (see [`traffic`]); `write_batch`
    /// keeps them up to date.
    fn traffic(&self, query: &TrafficQuery) -> StoreResult<Vec<TrafficRow>>;
}

/// Budgets and the daily spend rollup they and the spend reports read. Budget changes
/// move the keys version, so every process's key ring reloads them.
pub trait SpendStore: Send + Sync + 'static {
    /// Creates a budget.
    fn create_budget(&self, settings: &BudgetSettings) -> StoreResult<Budget>;
    /// Every budget, oldest first.
    fn list_budgets(&self) -> StoreResult<Vec<Budget>>;
    /// Replaces a budget's settings; `None` when there is no such budget.
    fn update_budget(&self, id: &str, settings: &BudgetSettings) -> StoreResult<Option<Budget>>;
    /// Deletes a budget; `false` when there is none.
    fn delete_budget(&self, id: &str) -> StoreResult<bool>;
    /// Nanodollars spent from day `first_day` on by a key, or by every key of a team.
    fn spent_since(&self, scope: BudgetScope, subject: &str, first_day: &str) -> StoreResult<i64>;
    /// The rollup between two days, grouped as asked: each line names its group in
    /// its `client_id`, `model` or `day` (the others empty).
    fn spend_report(&self, query: &SpendQuery) -> StoreResult<Vec<SpendLine>>;
}

/// Stored conversations, per client.
pub trait ConversationStore: Send + Sync + 'static {
    /// A client's conversations (all clients' when `client` is `None`), most recently
    /// updated first, after the cursor `after` (a conversation id).
    fn list_conversations(
        &self,
        client: Option<&str>,
        limit: usize,
        after: Option<&str>,
    ) -> StoreResult<ConversationPage>;
    /// One conversation with its messages.
    fn get_conversation(&self, client: &str, id: &str) -> StoreResult<Option<Conversation>>;
    /// Deletes one conversation; `false` when there is none.
    fn delete_conversation(&self, client: &str, id: &str) -> StoreResult<bool>;
    /// Deletes conversations not updated since `before_ms`; returns how many.
    fn purge_conversations(&self, before_ms: i64) -> StoreResult<usize>;
}

/// Responses kept for the Responses API (`store: true`), per client, so that
/// `previous_response_id` works on every platform.
pub trait ResponseStore: Send + Sync + 'static {
    /// Keeps a response; one with the same id is replaced.
    fn save_response(&self, response: &StoredResponse) -> StoreResult<()>;
    /// One of a client's responses.
    fn get_response(&self, client: &str, id: &str) -> StoreResult<Option<StoredResponse>>;
    /// The chain of a client's responses that ends at `id`, oldest first, following
    /// `previous_id` for at most `max` responses; empty when `id` is not the client's.
    fn response_chain(
        &self,
        client: &str,
        id: &str,
        max: usize,
    ) -> StoreResult<Vec<StoredResponse>>;
    /// Deletes one of a client's responses; `false` when there is none.
    fn delete_response(&self, client: &str, id: &str) -> StoreResult<bool>;
    /// Deletes responses created before `before_ms`; returns how many.
    fn purge_responses(&self, before_ms: i64) -> StoreResult<usize>;
    /// A client's stored responses (everyone's when `client` is `None`), newest
    /// first, after the cursor `after` (a response id).
    fn list_responses(
        &self,
        client: Option<&str>,
        limit: usize,
        after: Option<&str>,
    ) -> StoreResult<ResponsePage>;
}

/// Console sessions that were signed out before they expired. A session is a signed
/// cookie any gateway process can check without a lookup table; ending one early is
/// the one thing that needs shared state, so the ended ones are kept here until they
/// would have expired anyway.
pub trait SessionStore: Send + Sync + 'static {
    /// Records that the session `id` ended; it would have expired at `expires_at`
    /// (unix seconds), after which the record is dropped.
    fn end_session(&self, id: &str, expires_at: i64) -> StoreResult<()>;
    /// Whether the session `id` was ended.
    fn session_ended(&self, id: &str) -> StoreResult<bool>;
}

/// A shared store.
pub type SharedStore = Arc<dyn Store>;

/// How to open a store, beyond its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// Connections to a database server at most (`storage.pool_size`); SQLite keeps
    /// its own two.
    pub pool_size: usize,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            pool_size: postgres::DEFAULT_POOL_SIZE,
        }
    }
}

/// The schema versions around a migration: equal when there was nothing to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    /// The version found.
    pub from: usize,
    /// The version now (this build's latest).
    pub to: usize,
}

/// Opens (and migrates) the store named by `database_url`, with default options.
pub fn open(database_url: &str) -> StoreResult<SharedStore> {
    open_with(database_url, &OpenOptions::default())
}

/// Opens (and migrates) the store named by `database_url`: an SQLite file, or a
/// Postgres database for `postgres://` and `postgresql://` URLs.
pub fn open_with(database_url: &str, options: &OpenOptions) -> StoreResult<SharedStore> {
    Ok(match url::parse(database_url)? {
        url::DatabaseUrl::Sqlite(path) => Arc::new(sqlite::SqliteStore::open(&path)?),
        url::DatabaseUrl::Postgres(url) => {
            Arc::new(postgres::PostgresStore::open(&url, options.pool_size)?)
        }
    })
}

/// Brings the schema of the database named by `database_url` up to date (what
/// [`open`] does first) and says which versions it went between.
pub fn migrate(database_url: &str) -> StoreResult<Migrated> {
    match url::parse(database_url)? {
        url::DatabaseUrl::Sqlite(path) => sqlite::migrate(&path),
        url::DatabaseUrl::Postgres(url) => postgres::migrate(&url),
    }
}

/// Runs a blocking store call on the blocking pool.
pub async fn blocking<T, F>(store: &SharedStore, call: F) -> StoreResult<T>
where
    T: Send + 'static,
    F: FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
{
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || call(store.as_ref()))
        .await
        .map_err(|err| StoreError::unavailable("storage task failed", err))?
}

/// Now, in unix seconds.
pub fn now_secs() -> i64 {
    now_millis() / 1000
}

/// Now, in unix milliseconds.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
