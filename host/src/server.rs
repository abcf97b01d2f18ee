//! Assembling the application (state, adapters, watcher, router with its layers) and
//! serving it until shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use http::HeaderName;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::models::ModelTable;
use crate::plugins::Plugins;
use crate::plugins::watch::{Reconciler, spawn_watcher};
use crate::routes;
use crate::state::AppState;
use crate::upstream::Upstream;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A built application: the router plus what must live as long as it.
pub struct App {
    /// The router, ready to serve.
    pub router: Router,
    /// The shared state (tests inspect it).
    pub state: AppState,
    /// Keeps the plugin folder watched; dropping it stops hot reload.
    _watcher: Option<notify::RecommendedWatcher>,
}

impl App {
    /// Loads adapters (built-ins, then the plugin folder), starts the watcher and
    /// builds the router.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let plugins = Plugins::start(&config.plugins).await?;
        let mut reconciler = Reconciler::new(Arc::clone(&plugins));
        reconciler.reconcile().await;
        let watcher = if config.plugins.hot_reload {
            if let Err(err) = std::fs::create_dir_all(&plugins.dir) {
                tracing::warn!(dir = %plugins.dir.display(), error = %err, "cannot create the plugin folder; hot reload is off");
                None
            } else {
                let debounce = Duration::from_millis(config.plugins.reload_debounce_ms);
                Some(spawn_watcher(reconciler, debounce)?)
            }
        } else {
            None
        };
        let models = ModelTable::from_config(&config.models, &|var| std::env::var(var).ok());
        let state = AppState {
            upstream: Upstream::new(&config.upstream)?,
            config: Arc::new(config),
            models: Arc::new(models),
            plugins,
        };
        let router = routes::router(state.clone()).layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http())
                .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
        );
        Ok(Self {
            router,
            state,
            _watcher: watcher,
        })
    }
}

/// Serves `config` on `listener` until `shutdown` resolves, then drains in-flight
/// requests.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = App::build(config).await?;
    axum::serve(listener, app.router)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
