//! The shared store: one Postgres database behind [`super::Store`], for many gateway
//! processes at once. Keys ([`keys`]), the request log ([`log`]), conversations
//! ([`conversations`]) and stored responses ([`responses`]) each have their own file,
//! as in `sqlite/`, and so do whole-record exports and imports for a copy
//! ([`transfer`]); the schema is [`migrations`], applied at open under an advisory
//! lock. Behaviour matches the SQLite store exactly (one conformance list runs
//! against both: `store/conformance.rs`).
//!
//! Why `tokio-postgres` + `deadpool-postgres`, driven from the blocking [`Store`]
//! calls, rather than the sync `postgres` crate + `r2d2` or sqlx:
//! - The trait stays one blocking trait. The store owns a small runtime of its own
//!   ([`connect::Driver`]) that drives the connections, so it works the same from the
//!   blocking pool (`store::blocking`), from the CLI's async `main`, and from plain
//!   threads and tests. The sync `postgres` crate runs a runtime per connection and
//!   panics when called from any async context, which the CLI is.
//! - deadpool gives what a shared store needs and little more: a bounded pool
//!   (`storage.pool_size`, 16 by default), separate timeouts for waiting for a slot,
//!   connecting and recycling, and a check on checkout that drops connections the
//!   server closed, so a server that went away is reported within the connect
//!   timeout (5 s unless the URL says otherwise; at once when the port is closed)
//!   and connections are made anew once it is back, without reopening the store.
//! - The async driver pipelines and takes arrays, so a log batch is one statement
//!   (`UNNEST`), and prepared statements are cached per connection.
//! - sqlx would work too, but is a far larger build for the same pool, and its
//!   query macros want a database at compile time.
//!
//! [`Store`]: super::Store

use std::time::Duration;

use deadpool_postgres::{Object, Pool};

use super::url::PostgresUrl;
use super::{Migrated, StoreError, StoreResult};

mod connect;
mod conversations;
mod keys;
mod log;
mod migrations;
mod pages;
mod responses;
mod sessions;
mod spend;
mod traffic;
mod transfer;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

pub use connect::DEFAULT_POOL_SIZE;

/// The longest one store call may take, checkout included, before it fails with
/// [`StoreError::PostgresUnavailable`]: a server that accepts connections but stops
/// answering must not hang the gateway's writers and key lookups for ever.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Postgres behind [`super::Store`]: a bounded pool of connections to one database.
pub struct PostgresStore {
    pool: Pool,
    /// Where the server is, for error messages (no credentials).
    server: String,
    /// Dropped last: it drives the pool's connections.
    driver: connect::Driver,
}

impl PostgresStore {
    /// Connects to the database `url` names with at most `pool_size` connections,
    /// and migrates it. Fails at once, with the server's address and the cause, when
    /// it cannot be reached.
    pub fn open(url: &PostgresUrl, pool_size: usize) -> StoreResult<Self> {
        let driver = connect::Driver::start()?;
        let pool = connect::pool(url, pool_size)?;
        let store = Self {
            pool,
            server: url.server().to_string(),
            driver,
        };
        store.call(async |conn| migrations::to_latest(conn).await)?;
        Ok(store)
    }

    /// How many connections the pool holds now (open ones, idle or lent), and its
    /// bound.
    pub fn pool_size(&self) -> (usize, usize) {
        let status = self.pool.status();
        (status.size, status.max_size)
    }

    /// Runs `f` on a pooled connection, from blocking code, within [`CALL_TIMEOUT`].
    /// Losing the server midway is [`StoreError::PostgresUnavailable`].
    fn call<T: Send>(
        &self,
        f: impl AsyncFnOnce(&mut Object) -> StoreResult<T> + Send,
    ) -> StoreResult<T> {
        self.driver.block_on(|| async move {
            let run = async {
                let object = self
                    .pool
                    .get()
                    .await
                    .map_err(|err| connect::pool_error(&self.server, err))?;
                let mut lease = connect::Lease::new(object);
                let Some(client) = lease.client() else {
                    return Err(StoreError::Inconsistent("a lent connection went missing"));
                };
                let outcome = f(client).await;
                lease.finish();
                outcome.map_err(|err| connect::classify(&self.server, err))
            };
            tokio::time::timeout(CALL_TIMEOUT, run)
                .await
                .unwrap_or_else(|_| {
                    Err(StoreError::PostgresUnavailable {
                        server: self.server.clone(),
                        source: format!("no answer within {} s", CALL_TIMEOUT.as_secs()).into(),
                    })
                })
        })
    }
}

/// Brings the schema of the database `url` names up to date (what opening it does)
/// and says which versions it went between.
pub fn migrate(url: &PostgresUrl) -> StoreResult<Migrated> {
    let driver = connect::Driver::start()?;
    let pool = connect::pool(url, 1)?;
    let store = PostgresStore {
        pool,
        server: url.server().to_string(),
        driver,
    };
    store.call(async |conn| migrations::to_latest(conn).await)
}
