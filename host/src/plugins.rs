//! Adapter runtime: the engine, the published registry of adapters, and sessions that
//! run one request's calls. See `load` for validation and `watch` for hot reload.

pub mod bindings;
pub mod builtin;
pub mod cache;
pub mod compat;
pub mod engine;
pub mod epoch;
pub mod history;
pub mod load;
pub mod pool;
pub mod precompile;
pub mod registry;
pub mod session;
pub mod start;
pub mod verify;
pub mod watch;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
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
    layers: Mutex<Layers>,
    registry: ArcSwap<Registry>,
    permits: Arc<Semaphore>,
    call_timeout: Duration,
    ready: tokio::sync::watch::Sender<bool>,
    watcher: Mutex<Option<notify::RecommendedWatcher>>,
}

/// The embedded components after loading: those that loaded, and why others did not.
#[derive(Default, Clone)]
pub struct Builtins {
    /// Loaded built-in adapters by name; files of the same name override them.
    pub adapters: BTreeMap<String, Arc<Adapter>>,
    /// Loaded built-in dialects by name; files of the same name override them.
    pub dialects: BTreeMap<String, Arc<Dialect>>,
    /// Built-ins that failed to load (a build defect), by name.
    pub errors: BTreeMap<String, String>,
}

impl Builtins {
    /// `self` with `newer`'s components in place of its own (the optimized builds
    /// over the baseline ones). A component that failed in `newer` but loaded in
    /// `self` keeps its loaded build.
    fn overlaid_with(mut self, newer: Builtins) -> Builtins {
        for (name, adapter) in newer.adapters {
            self.errors.remove(&name);
            self.adapters.insert(name, adapter);
        }
        for (name, dialect) in newer.dialects {
            self.errors.remove(&name);
            self.dialects.insert(name, dialect);
        }
        for (name, error) in newer.errors {
            if !self.adapters.contains_key(&name) && !self.dialects.contains_key(&name) {
                self.errors.insert(name, error);
            }
        }
        self
    }
}

/// One component of the plugin folder as the registry sees it.
#[derive(Clone, Default)]
pub struct FileLayer {
    /// The last version of the file that loaded.
    pub good: Option<Arc<Loaded>>,
    /// Why the last version tried failed, if it did.
    pub error: Option<String>,
}

/// What the published registry is made of: the built-ins, overlaid by the folder's
/// components of the same names. Either part is replaced on its own (a reload swaps
/// the files, the background compile of a first start the built-ins); one lock keeps
/// the two from publishing over each other.
#[derive(Default)]
struct Layers {
    builtins: Arc<Builtins>,
    files: BTreeMap<String, FileLayer>,
}

impl Layers {
    fn registry(&self) -> Registry {
        let mut active = self.builtins.adapters.clone();
        let mut dialects = self.builtins.dialects.clone();
        let mut errors = self.builtins.errors.clone();
        for (name, file) in &self.files {
            match file.good.as_deref() {
                Some(Loaded::Adapter(adapter)) => {
                    dialects.remove(name);
                    active.insert(name.clone(), Arc::clone(adapter));
                }
                Some(Loaded::Dialect(dialect)) => {
                    active.remove(name);
                    dialects.insert(name.clone(), Arc::clone(dialect));
                }
                None => {}
            }
            if let Some(error) = &file.error {
                errors.insert(name.clone(), error.clone());
            }
        }
        Registry {
            active,
            dialects,
            errors,
        }
    }
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
            layers: Mutex::new(Layers::default()),
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
        let builtins = plugins.load_builtins(engine::Tier::Optimized).await;
        if let Some((name, error)) = builtins.errors.iter().next() {
            anyhow::bail!("built-in adapter `{name}`: {error}");
        }
        plugins.set_builtins(builtins);
        Ok(plugins)
    }

    /// Compiles (or finds in the cache) and validates the embedded adapters with
    /// `tier`'s compiler, in parallel. One that fails is reported on `/health` and in
    /// the log; the others still serve. Publish them with [`Plugins::set_builtins`].
    pub async fn load_builtins(&self, tier: engine::Tier) -> Builtins {
        self.load_builtins_named(tier, |_| true).await
    }

    /// [`Plugins::load_builtins`] for the built-ins `keep` accepts by name.
    pub async fn load_builtins_named(
        &self,
        tier: engine::Tier,
        keep: impl Fn(&str) -> bool,
    ) -> Builtins {
        let chosen = builtin::ADAPTERS
            .iter()
            .filter(|builtin| keep(builtin.name));
        let loads = chosen.map(|builtin| async move {
            let result = load::load_known(
                &self.engine,
                tier,
                bytes::Bytes::from_static(builtin.bytes),
                builtin.digest.to_string(),
                AdapterSource::Builtin,
                Some(builtin.name),
            )
            .await;
            (builtin.name.to_string(), result)
        });
        // Optimized code in place of a baseline build is an upgrade, not a new load
        // (a built-in no model routes to is loaded for the first time then).
        let serving = self.builtins();
        let upgrading = |name: &str| {
            tier == engine::Tier::Optimized
                && (serving.adapters.contains_key(name) || serving.dialects.contains_key(name))
        };
        let mut builtins = Builtins::default();
        for (name, result) in futures_util::future::join_all(loads).await {
            self.history.record(history::ReloadEvent {
                at_ms: crate::store::now_millis(),
                component: name.clone(),
                outcome: match &result {
                    Ok(_) if upgrading(&name) => history::Outcome::Optimized,
                    Ok(_) => history::Outcome::Loaded,
                    Err(_) => history::Outcome::Rejected,
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
        builtins
    }

    /// Publishes `builtins` under the plugin folder's components. A component that
    /// failed to load here but serves already (a baseline build whose optimized
    /// compile failed) keeps serving.
    pub fn set_builtins(&self, builtins: Builtins) {
        let mut layers = self.layers();
        let serving = Builtins::clone(&layers.builtins);
        layers.builtins = Arc::new(serving.overlaid_with(builtins));
        self.publish(layers.registry());
    }

    /// Publishes the plugin folder's components over the built-ins (the reconciler
    /// calls it after each reload).
    pub fn set_files(&self, files: BTreeMap<String, FileLayer>) {
        let mut layers = self.layers();
        layers.files = files;
        self.publish(layers.registry());
    }

    /// The built-ins serving now (empty until [`Plugins::set_builtins`] ran).
    pub fn builtins(&self) -> Arc<Builtins> {
        Arc::clone(&self.layers().builtins)
    }

    fn layers(&self) -> std::sync::MutexGuard<'_, Layers> {
        self.layers.lock().unwrap_or_else(PoisonError::into_inner)
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
    fn publish(&self, registry: Registry) {
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
