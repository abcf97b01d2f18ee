//! Shared state handed to every handler. axum clones it for each extractor and
//! middleware that asks for it, several times per request, so it is one `Arc`: a
//! clone is one reference count, not one per service.

use std::ops::Deref;
use std::sync::Arc;

use crate::access::auth::Auth;
use crate::access::limits::SharedLimits;
use crate::config::Config;
use crate::dispatch::models::ModelTable;
use crate::dispatch::upstream::Upstream;
use crate::plugins::Plugins;
use crate::record::ledger::Ledger;
use crate::store::SharedStore;

/// Everything a request needs, behind one reference count; fields are read through
/// `Deref` (`state.config`).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    /// The state serving `services`.
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The parts of the gateway a request may use.
pub struct Services {
    /// The configuration the server started with.
    pub config: Arc<Config>,
    /// Public model names -> deployments.
    pub models: Arc<ModelTable>,
    /// The adapter runtime and its live registry.
    pub plugins: Arc<Plugins>,
    /// The upstream HTTP client.
    pub upstream: Upstream,
    /// Keys, logs and conversations.
    pub store: SharedStore,
    /// Who may call.
    pub auth: Arc<Auth>,
    /// The request-log and conversation writer.
    pub ledger: Arc<Ledger>,
    /// Per-key rate limits.
    pub limits: SharedLimits,
    /// Prices, the calendar and budgets.
    pub spend: Arc<crate::spend::Spend>,
}
