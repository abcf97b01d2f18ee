//! Shared state handed to every handler: cheap clones of `Arc`s.

use std::sync::Arc;

use crate::access::auth::Auth;
use crate::access::limits::SharedLimits;
use crate::config::Config;
use crate::dispatch::models::ModelTable;
use crate::dispatch::upstream::Upstream;
use crate::plugins::Plugins;
use crate::record::ledger::Ledger;
use crate::store::SharedStore;

/// Everything a request needs.
#[derive(Clone)]
pub struct AppState {
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
