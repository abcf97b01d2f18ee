//! One adapter session: a fresh store and instance for one client request, with a
//! deadline on every call, a memory ceiling and a capacity permit. A session is never
//! reused, so a trap or a deadline hit cannot leak into another request.

use std::time::{Duration, Instant};

use tokio::sync::OwnedSemaphorePermit;
use wasmtime::component::{ResourceAny, ResourceTable};
use wasmtime::{Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::{
    AdapterWorld, AdapterWorldPre, ApiError, CallContext, PluginInfo, StreamEvent, StreamOutput,
    TranslatedResponse, UpstreamRequest, UpstreamResponse,
};

/// Per-store data: an empty WASI context, the memory limiter, and the running call's deadline.
pub struct PluginState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    deadline: Instant,
}

impl PluginState {
    /// A state with no preopens, no environment, no sockets and the given memory ceiling.
    pub fn new(memory_limit: usize) -> Self {
        Self {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(memory_limit)
                .trap_on_grow_failure(true)
                .build(),
            deadline: Instant::now(),
        }
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
}

/// A result of an adapter call: the adapter's own answer, or a fault.
pub type CallResult<T> = Result<Result<T, ApiError>, PluginFault>;

/// A live adapter instance serving one request.
pub struct Session {
    store: Store<PluginState>,
    bindings: AdapterWorld,
    call_timeout: Duration,
    poisoned: bool,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Session {
    /// Instantiates an adapter in a fresh store. The permit, when given, bounds live
    /// sessions and is released with the session.
    pub async fn start(
        pre: &AdapterWorldPre<PluginState>,
        permit: Option<OwnedSemaphorePermit>,
        call_timeout: Duration,
        memory_limit: usize,
    ) -> Result<Self, PluginFault> {
        let mut store = Store::new(pre.engine(), PluginState::new(memory_limit));
        store.limiter(|state| &mut state.limits);
        store.epoch_deadline_callback(|ctx| {
            if Instant::now() >= ctx.data().deadline {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store.data_mut().deadline = Instant::now() + call_timeout;
        store.set_epoch_deadline(1);
        let bindings = pre
            .instantiate_async(&mut store)
            .await
            .map_err(|err| PluginFault::Instantiate(format!("{err:#}")))?;
        Ok(Self {
            store,
            bindings,
            call_timeout,
            poisoned: false,
            _permit: permit,
        })
    }

    /// Arms the deadline for the next call.
    fn arm(&mut self) -> Result<(), PluginFault> {
        if self.poisoned {
            return Err(PluginFault::Trap("adapter instance already faulted".into()));
        }
        self.store.data_mut().deadline = Instant::now() + self.call_timeout;
        self.store.set_epoch_deadline(1);
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

    /// `info`.
    pub async fn info(&mut self) -> Result<PluginInfo, PluginFault> {
        self.arm()?;
        let guest = self.bindings.switchyard_adapter_adapter();
        match guest.call_info(&mut self.store).await {
            Ok(info) => Ok(info),
            Err(err) => Err(self.fault(err)),
        }
    }

    /// `transform-request`.
    pub async fn transform_request(
        &mut self,
        ctx: &CallContext,
        body: &[u8],
    ) -> CallResult<UpstreamRequest> {
        self.arm()?;
        let guest = self.bindings.switchyard_adapter_adapter();
        match guest
            .call_transform_request(&mut self.store, ctx, body)
            .await
        {
            Ok(result) => Ok(result),
            Err(err) => Err(self.fault(err)),
        }
    }

    /// `transform-response`.
    pub async fn transform_response(
        &mut self,
        ctx: &CallContext,
        response: &UpstreamResponse,
    ) -> CallResult<TranslatedResponse> {
        self.arm()?;
        let guest = self.bindings.switchyard_adapter_adapter();
        match guest
            .call_transform_response(&mut self.store, ctx, response)
            .await
        {
            Ok(result) => Ok(result),
            Err(err) => Err(self.fault(err)),
        }
    }

    /// Creates the `stream-transformer` resource for this session's stream.
    pub async fn open_stream(
        &mut self,
        ctx: &CallContext,
        status: u16,
        headers: &[(String, String)],
    ) -> Result<ResourceAny, PluginFault> {
        self.arm()?;
        let guest = self.bindings.switchyard_adapter_adapter();
        match guest
            .stream_transformer()
            .call_constructor(&mut self.store, ctx, status, headers)
            .await
        {
            Ok(resource) => Ok(resource),
            Err(err) => Err(self.fault(err)),
        }
    }

    /// `stream-transformer.push`.
    pub async fn push(
        &mut self,
        stream: ResourceAny,
        events: &[StreamEvent],
    ) -> CallResult<StreamOutput> {
        self.arm()?;
        let guest = self.bindings.switchyard_adapter_adapter();
        match guest
            .stream_transformer()
            .call_push(&mut self.store, stream, events)
            .await
        {
            Ok(result) => Ok(result),
            Err(err) => Err(self.fault(err)),
        }
    }

    /// `stream-transformer.finish`.
    pub async fn finish(&mut self, stream: ResourceAny) -> CallResult<StreamOutput> {
        self.arm()?;
        let guest = self.bindings.switchyard_adapter_adapter();
        match guest
            .stream_transformer()
            .call_finish(&mut self.store, stream)
            .await
        {
            Ok(result) => Ok(result),
            Err(err) => Err(self.fault(err)),
        }
    }
}
