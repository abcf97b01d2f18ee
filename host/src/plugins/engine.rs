//! The one wasmtime [`Engine`] of the process, its linker, and the epoch ticker that
//! enforces per-call deadlines.

use std::sync::Arc;

use wasmtime::component::Linker;
use wasmtime::{Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Strategy};

use super::epoch;
use super::session::PluginState;

/// Core instances, tables and memories one adapter component may use. A Rust
/// `wasm32-wasip2` component has one memory and a handful of core instances (the
/// module plus wit-component shims); these bounds leave room for other toolchains.
const CORE_INSTANCES_PER_COMPONENT: u32 = 16;
const TABLES_PER_COMPONENT: u32 = 16;
const MEMORIES_PER_COMPONENT: u32 = 2;

/// Sizing of the engine, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct EngineLimits {
    /// Adapter instances alive at once (requests in flight plus validations).
    pub max_instances: u32,
    /// Linear memory ceiling of one instance, in bytes.
    pub memory_limit: usize,
    /// Idle instances kept per adapter version (0: a fresh instance per request).
    pub warm_instances: usize,
}

/// Fuel every store of a metered engine starts with: far more than any call can use
/// before its epoch deadline stops it, so fuel only counts and never limits.
pub const FUEL_BUDGET: u64 = u64::MAX;

/// The shared engine plus the linker every adapter is instantiated with.
#[derive(Clone)]
pub struct PluginEngine {
    /// The wasmtime engine (cheap to clone).
    pub engine: Engine,
    /// Linker with an empty WASI context: guests' std imports resolve, but reach nothing.
    pub linker: Arc<Linker<PluginState>>,
    /// The limits the engine was built with.
    pub limits: EngineLimits,
    /// Whether compiled code counts instructions as wasmtime fuel (`plugin check` only).
    pub metered: bool,
    /// Where compiled adapters are kept between starts; `None` compiles every time.
    pub cache: Option<super::cache::CompileCache>,
    /// The baseline tier hot swaps serve with first (`None` for a metered engine).
    pub baseline: Option<Baseline>,
}

/// Which compiler made a component's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Winch: compiles in a fraction of Cranelift's time, to slower code. A file that
    /// changes while the gateway runs serves from this tier at once.
    Baseline,
    /// Cranelift: the code every component ends up running.
    Optimized,
}

impl Tier {
    /// `baseline` or `optimized`, as `/health` shows it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Baseline => "baseline",
            Self::Optimized => "optimized",
        }
    }
}

/// The baseline compiler's engine and linker. Its instances are allocated on demand
/// (they serve for the second or two until the optimized code replaces them), with
/// the same memory ceiling and deadlines as the main engine's.
#[derive(Clone)]
pub struct Baseline {
    /// The Winch engine.
    pub engine: Engine,
    /// Its linker, with the same empty WASI context.
    pub linker: Arc<Linker<PluginState>>,
    /// Where a first start's child leaves the baseline code of the built-ins it serves
    /// first.
    pub cache: Option<super::cache::CompileCache>,
}

impl PluginEngine {
    /// Builds the engine: component model, async calls (so a spinning guest yields
    /// to the runtime at each epoch tick instead of blocking a worker), epoch
    /// interruption and the pooling allocator.
    pub fn new(limits: EngineLimits) -> wasmtime::Result<Self> {
        Self::build(limits, false)
    }

    /// The same engine with fuel metering on, for `switchyard plugin check`: every
    /// instruction then costs a fuel check, so the serving engine never has it.
    pub fn metered(limits: EngineLimits) -> wasmtime::Result<Self> {
        Self::build(limits, true)
    }

    /// The fuel a new store starts with: [`FUEL_BUDGET`] when metered.
    pub fn fuel_budget(&self) -> Option<u64> {
        self.metered.then_some(FUEL_BUDGET)
    }

    fn build(limits: EngineLimits, metered: bool) -> wasmtime::Result<Self> {
        let mut pool = PoolingAllocationConfig::new();
        // Idle warm instances occupy slots too, for each adapter version alive.
        let instances = limits.max_instances.max(1);
        pool.total_component_instances(instances)
            .total_core_instances(instances.saturating_mul(CORE_INSTANCES_PER_COMPONENT))
            .total_memories(instances.saturating_mul(MEMORIES_PER_COMPONENT))
            .total_tables(instances.saturating_mul(TABLES_PER_COMPONENT))
            .total_stacks(instances)
            .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
            .max_memories_per_component(MEMORIES_PER_COMPONENT)
            .max_tables_per_component(TABLES_PER_COMPONENT)
            .max_memory_size(limits.memory_limit);

        let mut config = wasmtime::Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            // Reserve only what an instance may use: a thousand slots of the default
            // 4 GiB reservation would ask the kernel for terabytes of address space.
            .memory_reservation(limits.memory_limit as u64)
            .memory_reservation_for_growth(0)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            .consume_fuel(metered);
        let engine = Engine::new(&config)?;
        let baseline = if metered {
            None
        } else {
            let mut config = wasmtime::Config::new();
            config
                .strategy(Strategy::Winch)
                .wasm_component_model(true)
                .epoch_interruption(true)
                .memory_reservation(limits.memory_limit as u64)
                .memory_reservation_for_growth(0);
            let engine = Engine::new(&config)?;
            let linker = linker_for(&engine)?;
            Some(Baseline {
                engine,
                linker,
                cache: None,
            })
        };
        Ok(Self {
            linker: linker_for(&engine)?,
            engine,
            limits,
            metered,
            cache: None,
            baseline,
        })
    }

    /// This engine, keeping compiled adapters in `dir`.
    pub fn with_cache(mut self, dir: std::path::PathBuf) -> Self {
        if let Some(baseline) = &mut self.baseline {
            let cache = super::cache::CompileCache::baseline(dir.clone(), &baseline.engine);
            baseline.cache = Some(cache);
        }
        self.cache = Some(super::cache::CompileCache::new(dir, &self.engine));
        self
    }

    /// Advances the epochs (of both tiers) every [`epoch::EPOCH_TICK`] on a dedicated
    /// thread while guest code runs, for as long as the engine lives (see [`super::epoch`]).
    pub fn start_epoch_ticker(&self) -> std::io::Result<()> {
        let mut engines = vec![self.engine.weak()];
        engines.extend(self.baseline.as_ref().map(|b| b.engine.weak()));
        epoch::WATCH.start(engines, epoch::QUIET).map(drop)
    }
}

/// A linker for `engine` with an empty WASI context: guests' std imports resolve, but
/// reach nothing.
fn linker_for(engine: &Engine) -> wasmtime::Result<Arc<Linker<PluginState>>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    Ok(Arc::new(linker))
}
