//! One adapter instance in its own store, with a deadline on every call and a memory
//! ceiling. A session that faulted is poisoned and never called again; the pool
//! (`pool.rs`) decides whether a clean one may serve another request.

use std::time::{Duration, Instant};

use wasmtime::component::{ResourceAny, ResourceTable};
use wasmtime::{ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::{ApiError, v0_1, v0_2};
use super::epoch;

mod adapter_calls;
mod dialect_calls;

/// Tables may hold this many elements; adapters need a handful.
const TABLE_ELEMENT_LIMIT: usize = 100_000;

/// Per-store data: an empty WASI context, the memory limiter, and the running call's deadline.
pub struct PluginState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: Limiter,
    deadline: Instant,
}

impl PluginState {
    /// A state with no preopens, no environment, no sockets and the given memory ceiling.
    pub fn new(memory_limit: usize) -> Self {
        Self {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            limiter: Limiter {
                memory_limit,
                memory_size: 0,
            },
            deadline: Instant::now(),
        }
    }
}

/// Enforces the memory ceiling (a growth past it traps) and remembers how large the
/// instance's memory has become, so the pool can recycle instances that grew.
struct Limiter {
    memory_limit: usize,
    memory_size: usize,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            return Err(wasmtime::Error::msg(format!(
                "memory limit of {} MiB exceeded",
                self.memory_limit / (1024 * 1024)
            )));
        }
        self.memory_size = self.memory_size.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= TABLE_ELEMENT_LIMIT)
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Why an adapter call failed without answering.
#[derive(Debug, thiserror::Error)]
pub enum PluginFault {
    /// The call ran past its deadline.
    #[error("adapter call exceeded its {0:?} deadline")]
    Deadline(Duration),
    /// The guest trapped (a panic, an out-of-bounds access, a failed memory growth...).
    #[error("adapter trapped: {0}")]
    Trap(String),
    /// The instance could not be created.
    #[error("adapter could not be instantiated: {0}")]
    Instantiate(String),
    /// The adapter answered, but with something the contract does not allow (a path
    /// that leaves the base URL, a header the host owns, a body that is not a JSON
    /// object, a status that is not an error...). The host refuses it before it has any
    /// effect.
    #[error("adapter broke the contract: {0}")]
    Contract(String),
}

/// A result of an adapter call: the adapter's own answer, or a fault.
pub type CallResult<T> = Result<Result<T, ApiError>, PluginFault>;

/// A component linked against the host and ready to instantiate, by what it is.
pub enum Pre {
    /// A platform adapter built for contract 0.1.
    AdapterV0_1(v0_1::AdapterWorldPre<PluginState>),
    /// A platform adapter built for contract 0.2.
    Adapter(v0_2::adapter::AdapterWorldPre<PluginState>),
    /// A dialect component (contract 0.2).
    Dialect(v0_2::dialect::DialectWorldPre<PluginState>),
}

impl Pre {
    fn engine(&self) -> &wasmtime::Engine {
        match self {
            Self::AdapterV0_1(pre) => pre.engine(),
            Self::Adapter(pre) => pre.engine(),
            Self::Dialect(pre) => pre.engine(),
        }
    }

    async fn instantiate(&self, store: &mut Store<PluginState>) -> wasmtime::Result<Instance> {
        Ok(match self {
            Self::AdapterV0_1(pre) => Instance::AdapterV0_1(pre.instantiate_async(store).await?),
            Self::Adapter(pre) => Instance::Adapter(pre.instantiate_async(store).await?),
            Self::Dialect(pre) => Instance::Dialect(pre.instantiate_async(store).await?),
        })
    }
}

/// An instantiated component's exports.
enum Instance {
    AdapterV0_1(v0_1::AdapterWorld),
    Adapter(v0_2::adapter::AdapterWorld),
    Dialect(v0_2::dialect::DialectWorld),
}

/// A live component instance (an adapter or a dialect).
pub struct Session {
    store: Store<PluginState>,
    instance: Instance,
    call_timeout: Duration,
    fuel_budget: Option<u64>,
    poisoned: bool,
    open_streams: u32,
    requests: u32,
}

impl Session {
    /// Instantiates a component in a fresh store.
    pub async fn start(
        pre: &Pre,
        call_timeout: Duration,
        memory_limit: usize,
    ) -> Result<Self, PluginFault> {
        Self::start_with_fuel(pre, call_timeout, memory_limit, None).await
    }

    /// Like [`Session::start`]; with `Some(fuel)` (an engine built by
    /// `PluginEngine::metered`, see `PluginEngine::fuel_budget`) the store gets that
    /// much fuel, and [`Session::fuel_consumed`] counts the instructions run.
    pub async fn start_with_fuel(
        pre: &Pre,
        call_timeout: Duration,
        memory_limit: usize,
        fuel_budget: Option<u64>,
    ) -> Result<Self, PluginFault> {
        let mut store = Store::new(pre.engine(), PluginState::new(memory_limit));
        if let Some(fuel) = fuel_budget {
            store
                .set_fuel(fuel)
                .map_err(|err| PluginFault::Instantiate(format!("{err:#}")))?;
        }
        store.limiter(|state| &mut state.limiter);
        store.epoch_deadline_callback(|ctx| {
            // A guest that runs for long keeps the ticker awake by itself.
            epoch::WATCH.guest_running();
            if Instant::now() >= ctx.data().deadline {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store.data_mut().deadline = Instant::now() + call_timeout;
        store.set_epoch_deadline(1);
        epoch::WATCH.guest_running();
        let instance = pre
            .instantiate(&mut store)
            .await
            .map_err(|err| PluginFault::Instantiate(format!("{err:#}")))?;
        Ok(Self {
            store,
            instance,
            call_timeout,
            fuel_budget,
            poisoned: false,
            open_streams: 0,
            requests: 0,
        })
    }

    /// Whether the instance is in the state a fresh one would be in, as far as the
    /// host can tell: no fault, no stream resource left open.
    pub fn is_clean(&self) -> bool {
        !self.poisoned && self.open_streams == 0
    }

    /// Requests this instance has served.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// Counts one more request served.
    pub fn begin_request(&mut self) {
        self.requests = self.requests.saturating_add(1);
    }

    /// The largest linear memory the instance has grown to, in bytes.
    pub fn memory_size(&self) -> usize {
        self.store.data().limiter.memory_size
    }

    /// Instructions (wasmtime fuel) the instance has run so far; `None` unless the
    /// session was started with fuel.
    pub fn fuel_consumed(&self) -> Option<u64> {
        let budget = self.fuel_budget?;
        let left = self.store.get_fuel().ok()?;
        Some(budget.saturating_sub(left))
    }

    /// Drops a stream resource (an adapter's transformer or a dialect's converter),
    /// running the guest's destructor, so the instance can serve again.
    pub async fn close_stream(&mut self, stream: ResourceAny) -> Result<(), PluginFault> {
        self.arm()?;
        match stream.resource_drop_async(&mut self.store).await {
            Ok(()) => {
                self.open_streams = self.open_streams.saturating_sub(1);
                Ok(())
            }
            Err(err) => Err(self.fault(err)),
        }
    }

    /// Arms the deadline for the next call (and wakes the epoch ticker if it rests).
    fn arm(&mut self) -> Result<(), PluginFault> {
        if self.poisoned {
            return Err(PluginFault::Trap("adapter instance already faulted".into()));
        }
        self.store.data_mut().deadline = Instant::now() + self.call_timeout;
        self.store.set_epoch_deadline(1);
        epoch::WATCH.guest_running();
        Ok(())
    }

    /// Turns a wasmtime error into a fault and poisons the session.
    fn fault(&mut self, err: wasmtime::Error) -> PluginFault {
        self.poisoned = true;
        match err.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::Interrupt) => PluginFault::Deadline(self.call_timeout),
            _ => PluginFault::Trap(format!("{err:#}")),
        }
    }
}

/// The fault for a call the component's kind does not export (an adapter call on a
/// dialect, or the reverse): a host bug, refused without touching the instance.
fn wrong_kind(call: &str) -> PluginFault {
    PluginFault::Contract(format!(
        "`{call}` is not exported by this kind of component"
    ))
}
