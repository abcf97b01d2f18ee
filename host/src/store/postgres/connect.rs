//! Reaching the server: the store's own runtime that drives its connections, the
//! bounded pool, the lease of one connection to one call, and how driver and pool
//! failures become [`StoreError`]s that say where the server is and what happened.

use std::future::Future;
use std::time::Duration;

use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime as PoolRuntime,
    TimeoutType,
};
use tokio::runtime::{Handle, Runtime, RuntimeFlavor};
use tokio_postgres::NoTls;

use crate::store::url::PostgresUrl;
use crate::store::url::postgres::{DEFAULT_CONNECT_TIMEOUT, chain};
use crate::store::{StoreError, StoreResult};

/// Connections per store when `storage.pool_size` is not set: enough for the log
/// writer, key lookups and the admin API at once, few enough that six gateways stay
/// under Postgres's default `max_connections` of 100.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// How long a call waits for a free connection when all are lent.
const POOL_WAIT: Duration = Duration::from_secs(10);

/// How long the health check of an idle connection may take before it is dropped.
const RECYCLE_TIMEOUT: Duration = Duration::from_secs(5);

/// Added to the connect timeout for the whole connection set-up (name lookup,
/// authentication, start-up parameters).
const CREATE_MARGIN: Duration = Duration::from_secs(2);

/// Threads that drive the connections' sockets. Queries themselves run on the
/// calling thread ([`Driver::block_on`]); these only move bytes.
const DRIVER_THREADS: usize = 2;

/// The runtime a store's connections live on. The store owns it, rather than using
/// the caller's, so the store behaves the same whoever calls it: the gateway's
/// blocking pool, the CLI's async `main`, a plain test thread.
pub(super) struct Driver {
    handle: Handle,
    /// `None` once dropped: see [`Drop`].
    runtime: Option<Runtime>,
}

impl Driver {
    /// Starts the driver threads.
    pub(super) fn start() -> StoreResult<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(DRIVER_THREADS)
            .thread_name("switchyard-postgres")
            .enable_all()
            .build()
            .map_err(|err| StoreError::unavailable("cannot start the Postgres driver", err))?;
        Ok(Self {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
        })
    }

    /// Runs the future `make` builds to its end, blocking the calling thread. Callable
    /// from anywhere: on a multi-threaded runtime's worker the worker's other tasks
    /// move away first (`block_in_place`); on a single-threaded runtime, which cannot
    /// lend its thread, the future runs on a helper thread.
    pub(super) fn block_on<R, F>(&self, make: impl FnOnce() -> F + Send) -> R
    where
        R: Send,
        F: Future<Output = R>,
    {
        let on_single_threaded_runtime = Handle::try_current()
            .is_ok_and(|caller| caller.runtime_flavor() == RuntimeFlavor::CurrentThread);
        if on_single_threaded_runtime {
            std::thread::scope(|scope| {
                scope
                    .spawn(|| self.handle.block_on(make()))
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        } else {
            tokio::task::block_in_place(|| self.handle.block_on(make()))
        }
    }
}

impl Drop for Driver {
    /// A runtime dropped the usual way waits for its threads, which tokio forbids on
    /// an async thread, where the last handle of a shared store may well be dropped.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The pool for `url`: at most `size` connections, checked on checkout (a connection
/// the server closed is dropped and a new one made), with bounded waits.
pub(super) fn pool(url: &PostgresUrl, size: usize) -> StoreResult<Pool> {
    let manager = Manager::from_config(
        url.config().clone(),
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let connect = url
        .config()
        .get_connect_timeout()
        .copied()
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(PoolRuntime::Tokio1)
        .wait_timeout(Some(POOL_WAIT))
        .create_timeout(Some(connect + CREATE_MARGIN))
        .recycle_timeout(Some(RECYCLE_TIMEOUT))
        .build()
        .map_err(|err| StoreError::unavailable("cannot build the Postgres connection pool", err))
}

/// One pooled connection lent to one call. Back to the pool when the call finished
/// ([`Lease::finish`]); closed instead when the call was abandoned midway (timed out
/// or panicked), so a connection with a half-done exchange is never lent again.
pub(super) struct Lease {
    object: Option<Object>,
    finished: bool,
}

impl Lease {
    pub(super) fn new(object: Object) -> Self {
        Self {
            object: Some(object),
            finished: false,
        }
    }

    /// The connection (always there: it is only taken in `drop`).
    pub(super) fn client(&mut self) -> Option<&mut Object> {
        self.object.as_mut()
    }

    /// The call ran to its end: the connection may serve another.
    pub(super) fn finish(&mut self) {
        self.finished = true;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.finished
            && let Some(object) = self.object.take()
        {
            drop(Object::take(object));
        }
    }
}

/// A failure to get a connection, as a [`StoreError`]: the server's own refusals
/// (a wrong password, no such database) are [`StoreError::Postgres`]; everything
/// else (refused, timed out, all connections busy) [`StoreError::PostgresUnavailable`].
pub(super) fn pool_error(server: &str, err: PoolError) -> StoreError {
    let source: Box<dyn std::error::Error + Send + Sync> = match err {
        PoolError::Backend(err) => return classify(server, StoreError::Postgres(err)),
        PoolError::Timeout(TimeoutType::Wait) => format!(
            "every pooled connection stayed busy for {} s",
            POOL_WAIT.as_secs()
        )
        .into(),
        PoolError::Timeout(TimeoutType::Create) => "no connection within the connect timeout \
             (`connect_timeout` in the URL)"
            .into(),
        PoolError::Timeout(TimeoutType::Recycle) => "an idle connection stopped answering".into(),
        other => other.to_string().into(),
    };
    StoreError::PostgresUnavailable {
        server: server.to_string(),
        source,
    }
}

/// A statement's failure, as a [`StoreError`]: a lost connection or a server shutting
/// down or starting is [`StoreError::PostgresUnavailable`] (the next call reconnects);
/// other errors are kept as they are.
pub(super) fn classify(server: &str, err: StoreError) -> StoreError {
    let StoreError::Postgres(driver) = err else {
        return err;
    };
    if !is_unavailable(&driver) {
        return StoreError::Postgres(driver);
    }
    StoreError::PostgresUnavailable {
        server: server.to_string(),
        source: chain(&driver).into(),
    }
}

/// Whether `err` means the server is not there to answer: the connection closed or
/// failed, or the server said it is shutting down, starting, or out of connections.
fn is_unavailable(err: &tokio_postgres::Error) -> bool {
    match err.code() {
        // Class 08: connection exceptions; 57P0x: shut down, crashed, cannot connect
        // now; 53300: too many connections.
        Some(code) => {
            let code = code.code();
            code.starts_with("08") || code.starts_with("57P") || code == "53300"
        }
        None => {
            err.is_closed()
                || std::error::Error::source(err)
                    .is_some_and(|cause| cause.downcast_ref::<std::io::Error>().is_some())
        }
    }
}
