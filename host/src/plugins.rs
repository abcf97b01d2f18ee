//! Adapter runtime: the engine, the published registry of adapters, and sessions that
//! run one request's calls. See `load` for validation and `watch` for hot reload.

pub mod bindings;
pub mod builtin;
pub mod call;
pub mod engine;
pub mod load;
pub mod pool;
pub mod registry;
pub mod watch;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::PluginsConfig;
use crate::error::GatewayError;
use call::Session;
use engine::{EngineLimits, PluginEngine};
use registry::{Adapter, AdapterSource, Registry};

/// Instances reserved beyond the request capacity, for validating reloads.
const VALIDATION_HEADROOM: u32 = 8;
/// Adapter versions whose warm instances the allocator has room for at once
/// (built-ins, overrides, and versions still finishing requests after a swap).
const WARM_VERSIONS: u32 = 32;

/// The adapter runtime shared by all requests.
pub struct Plugins {
    /// The engine and linker.
    pub engine: PluginEngine,
    /// The watched plugin folder.
    pub dir: PathBuf,
    /// Adapters embedded in the binary, by name; files of the same name override them.
    pub builtins: BTreeMap<String, Arc<Adapter>>,
    registry: ArcSwap<Registry>,
    permits: Arc<Semaphore>,
    call_timeout: Duration,
}

impl Plugins {
    /// Builds the engine and loads the built-in adapters. A built-in that fails to
    /// load is a build defect, so it stops startup.
    pub async fn start(config: &PluginsConfig) -> anyhow::Result<Arc<Self>> {
        let engine = PluginEngine::new(EngineLimits {
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
        })
        .map_err(|err| anyhow::anyhow!("cannot create the wasm engine: {err:#}"))?;
        engine.start_epoch_ticker()?;

        let loads = builtin::ADAPTERS.iter().map(|(name, bytes)| {
            let engine = engine.clone();
            async move {
                load::load(&engine, bytes.to_vec(), AdapterSource::Builtin, Some(name))
                    .await
                    .map(|adapter| (name.to_string(), Arc::new(adapter)))
                    .map_err(|err| anyhow::anyhow!("built-in adapter `{name}`: {err}"))
            }
        });
        let builtins: BTreeMap<_, _> = futures_util::future::try_join_all(loads)
            .await?
            .into_iter()
            .collect();

        let registry = Registry {
            active: builtins.clone(),
            errors: BTreeMap::new(),
        };
        Ok(Arc::new(Self {
            engine,
            dir: config.dir.clone(),
            builtins,
            registry: ArcSwap::from_pointee(registry),
            permits: Arc::new(Semaphore::new(config.max_concurrent_calls as usize)),
            call_timeout: Duration::from_millis(config.call_timeout_ms),
        }))
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
        let mut session = match adapter.pool.take() {
            Some(session) => session,
            None => Session::start(
                &adapter.pre,
                self.call_timeout,
                self.engine.limits.memory_limit,
            )
            .await
            .map_err(|fault| GatewayError::plugin(adapter, fault))?,
        };
        session.begin_request();
        Ok((session, permit))
    }
}
