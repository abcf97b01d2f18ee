//! One attempt's working set: the deployment, the adapter version and the instance
//! serving it, held until the answer is complete.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::OwnedSemaphorePermit;

use crate::dispatch::models::Deployment;
use crate::plugins::bindings::CallContext;
use crate::plugins::registry::Adapter;
use crate::plugins::session::Session;

/// Everything a call needs after resolution.
pub struct Call {
    /// When the gateway received the request.
    pub started: Instant,
    /// The resolved model.
    pub route: Arc<Deployment>,
    /// The adapter version serving this call, held to the end.
    pub adapter: Arc<Adapter>,
    /// The context passed to every adapter call.
    pub ctx: CallContext,
    /// The adapter instance.
    pub session: Session,
    /// The capacity slot this call occupies until it ends.
    pub permit: OwnedSemaphorePermit,
}

impl Call {
    /// Ends a call that completed normally: its instance may serve again.
    pub fn recycle(self) {
        self.adapter.pool.put(self.session);
    }
}
