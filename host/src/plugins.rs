//! Adapter runtime: the engine, the published registry of adapters, and sessions that
//! run one request's calls. See `load` for validation and `watch` for hot reload.

pub mod bindings;
pub mod builtin;
pub mod cache;
pub mod compat;
pub mod engine;
pub mod history;
pub mod load;
pub mod pool;
pub mod precompile;
pub mod registry;
pub mod session;
pub mod verify;
pub mod watch;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::PluginsConfig;
use crate::error::GatewayError;
use engine::{EngineLimits, PluginEngine};
use load::Loaded;
use registry::{Adapter, AdapterSource, Dialect, Registry};
use session::Session;

/// Instances reserved beyond the request capacity, for validating reloads.
const VALIDATION_HEADROOM: u32 = 8;
/// Adapter versions whose warm instances the allocator has room for at once
/// (built-ins, overrides, and versions still finishing requests after a swap).
const WARM_VERSIONS: u32 = 32;

/// The engine's sizing for `config`: room for every call in flight, the reload
/// validations, and the warm instances of the versions alive at once.
pub fn engine_limits(config: &PluginsConfig) -> EngineLimits {
    EngineLimits {
        max_instances: config
            .max_concurrent_calls
            .saturating_add(VALIDATION_HEADROOM)
            .saturating_add(
                u32::try_from(config.warm_instances)
                    .unwrap_or(u32::MAX)
                    .saturating_mul(WARM_VERSIONS),
            ),
        memory_limit: config.memory_limit_mib.saturating_mul(1024 * 1024),
        warm_instances: config.warm_instances,
    }
}

/// The adapter runtime shared by all requests.
pub struct Plugins {
    /// The engine and linker.
    pub engine: PluginEngine,
    /// The watched plugin folder.
    pub dir: PathBuf,
    /// Loads, rejections and swaps since start (the console shows them).
    pub history: history::History,
    builtins: OnceLock<Builtins>,
    registry: ArcSwap<Registry>,
    permits: Arc<Semaphore>,
    call_timeout: Duration,
    ready: tokio::sync::watch::Sender<bool>,
    watcher: Mutex<Option<notify::RecommendedWatcher>>,
}

/// The embedded components after loading: those that loaded, and why others did not.
#[derive(Default)]
pub struct Builtins {
    /// Loaded built-in adapters by name; files of the same name override them.
    pub adapters: BTreeMap<String, Arc<Adapter>>,
    /// Loaded built-in dialects by name; files of the same name override them.
    pub dialects: BTreeMap<String, Arc<Dialect>>,
    /// Built-ins that failed to load (a build defect), by name.
    pub errors: BTreeMap<String, String>,
}

impl Plugins {
    /// Builds the engine; no adapter is loaded yet (see [`Plugins::load_builtins`]),
    /// so the gateway can answer liveness and readiness probes while it loads.
    /// Compiled adapters are kept in `cache_dir` between starts, when given.
    pub fn new(config: &PluginsConfig, cache_dir: Option<PathBuf>) -> anyhow::Result<Arc<Self>> {
        let engine = PluginEngine::new(engine_limits(config))
            .map_err(|err| anyhow::anyhow!("cannot create the wasm engine: {err:#}"))?;
        let engine = match cache_dir {
            Some(dir) => engine.with_cache(dir),
            None => engine,
        };
        engine.start_epoch_ticker()?;
        Ok(Arc::new(Self {
            engine,
            dir: config.dir.clone(),
            history: history::History::default(),
            builtins: OnceLock::new(),
            registry: ArcSwap::from_pointee(Registry::default()),
            permits: Arc::new(Semaphore::new(config.max_concurrent_calls as usize)),
            call_timeout: Duration::from_millis(config.call_timeout_ms),
            ready: tokio::sync::watch::Sender::new(false),
            watcher: Mutex::new(None),
        }))
    }

    /// Builds the engine and loads the built-in adapters (tests and benches).
    pub async fn start(config: &PluginsConfig) -> anyhow::Result<Arc<Self>> {
        let plugins = Self::new(config, None)?;
        plugins.load_builtins().await;
        let builtins = plugins.builtins();
        if let Some((name, error)) = builtins.errors.iter().next() {
            anyhow::bail!("built-in adapter `{name}`: {error}");
        }
        plugins.publish(Registry {
            active: builtins.adapters.clone(),
            dialects: builtins.dialects.clone(),
            errors: BTreeMap::new(),
        });
        Ok(plugins)
    }

    /// Compiles and validates the embedded adapters, in parallel. One that fails is
    /// reported on `/health` and in the log; the others still serve.
    pub async fn load_builtins(&self) {
        let loads = builtin::ADAPTERS.iter().map(|builtin| async move {
            let result = load::load_known(
                &self.engine,
                engine::Tier::Optimized,
                bytes::Bytes::from_static(builtin.bytes),
                builtin.digest.to_string(),
                AdapterSource::Builtin,
                Some(builtin.name),
            )
            .await;
            (builtin.name.to_string(), result)
        });
        let mut builtins = Builtins::default();
        for (name, result) in futures_util::future::join_all(loads).await {
            self.history.record(history::ReloadEvent {
                at_ms: crate::store::now_millis(),
                component: name.clone(),
                outcome: if result.is_ok() {
                    history::Outcome::Loaded
                } else {
                    history::Outcome::Rejected
                },
                version: result.as_ref().ok().map(|l| l.version().to_string()),
                source: AdapterSource::Builtin.kind(),
                digest: result.as_ref().ok().map(|l| l.digest().to_string()),
                error: result.as_ref().err().map(ToString::to_string),
            });
            match result {
                Ok(Loaded::Adapter(adapter)) => {
                    builtins.adapters.insert(name, adapter);
                }
                Ok(Loaded::Dialect(dialect)) => {
                    builtins.dialects.insert(name, dialect);
                }
                Err(err) => {
                    tracing::error!(adapter = %name, error = %err, "built-in adapter failed to load");
                    builtins.errors.insert(name, format!("built-in: {err}"));
                }
            }
        }
        let _ = self.builtins.set(builtins);
    }

    /// The built-ins (empty until [`Plugins::load_builtins`] ran).
    pub fn builtins(&self) -> &Builtins {
        static NONE: OnceLock<Builtins> = OnceLock::new();
        self.builtins
            .get()
            .unwrap_or_else(|| NONE.get_or_init(Builtins::default))
    }

    /// Marks the adapters loaded: `/health/ready` turns 200.
    pub fn set_ready(&self) {
        self.ready.send_replace(true);
    }

    /// Whether the adapters are loaded.
    pub fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    /// Resolves once the adapters are loaded.
    pub async fn wait_ready(&self) {
        let mut ready = self.ready.subscribe();
        let _ = ready.wait_for(|ready| *ready).await;
    }

    /// Keeps the folder watcher alive as long as the runtime.
    pub fn keep_watcher(&self, watcher: notify::RecommendedWatcher) {
        *self.watcher.lock().unwrap_or_else(PoisonError::into_inner) = Some(watcher);
    }

    /// The current registry. Hold the adapter you resolve, not the snapshot.
    pub fn snapshot(&self) -> Arc<Registry> {
        self.registry.load_full()
    }

    /// Atomically replaces the registry.
    pub fn publish(&self, registry: Registry) {
        self.registry.store(Arc::new(registry));
    }

    /// Sessions that could start now without waiting.
    pub fn available_permits(&self) -> usize {
        self.permits.available_permits()
    }

    /// An instance of `adapter` for one request (warm if one is idle), with the
    /// capacity permit that bounds requests in flight; 503 when every slot is busy.
    /// Give the session back with `adapter.pool.put` when the request ends normally.
    pub async fn session(
        &self,
        adapter: &Adapter,
    ) -> Result<(Session, OwnedSemaphorePermit), GatewayError> {
        let permit = Arc::clone(&self.permits)
            .try_acquire_owned()
            .map_err(|_| GatewayError::Overloaded)?;
        let session = self
            .warm_or_new(&adapter.pre, &adapter.pool)
            .await
            .map_err(|fault| GatewayError::plugin(adapter, fault))?;
        Ok((session, permit))
    }

    /// An instance of `dialect` for one request, under the same capacity permits as
    /// adapters (a translated request holds one of each). Give it back with
    /// `dialect.pool.put` when the request ends normally.
    pub async fn dialect_session(
        &self,
        dialect: &Dialect,
    ) -> Result<(Session, OwnedSemaphorePermit), GatewayError> {
        let permit = Arc::clone(&self.permits)
            .try_acquire_owned()
            .map_err(|_| GatewayError::Overloaded)?;
        let session = self
            .warm_or_new(&dialect.pre, &dialect.pool)
            .await
            .map_err(|fault| GatewayError::dialect(dialect, fault))?;
        Ok((session, permit))
    }

    /// A warm instance from `pool`, or a new one.
    async fn warm_or_new(
        &self,
        pre: &session::Pre,
        pool: &pool::InstancePool,
    ) -> Result<Session, session::PluginFault> {
        let mut session = match pool.take() {
            Some(session) => session,
            None => Session::start(pre, self.call_timeout, self.engine.limits.memory_limit).await?,
        };
        session.begin_request();
        Ok(session)
    }
}
