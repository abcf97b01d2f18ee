//! Assembling the application (state, adapters, watcher, router with its layers) and
//! serving it until shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use http::{HeaderName, HeaderValue, Method, header};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Level;

use crate::access::auth::Auth;
use crate::access::keys::{self, IssuedKey, KeyRing};
use crate::access::limits::redis::RedisLimits;
use crate::access::limits::{Limiter, MemoryLimits};
use crate::access::session::Sessions;
use crate::config::Config;
use crate::dispatch::models::ModelTable;
use crate::dispatch::upstream::Upstream;
use crate::plugins::Plugins;
use crate::record::ledger::Ledger;
use crate::record::metrics;
use crate::state::{AppState, Services};
use crate::store::{self, NewKey, SharedStore};

/// How often expired conversations are deleted.
const RETENTION_SWEEP: Duration = Duration::from_secs(3600);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A built application: the router plus what must live as long as it.
pub struct App {
    /// The router, ready to serve.
    pub router: Router,
    /// The shared state (tests inspect it).
    pub state: AppState,
    /// The key created on first start with client auth on and no keys: its secret is
    /// shown to the operator once, here.
    pub default_key: Option<IssuedKey>,
}

impl App {
    /// Builds the router and starts loading adapters in the background (built-ins,
    /// then the plugin folder, then the watcher) as soon as the engine exists. Until
    /// that is done `/health/ready` answers 503 and calls to models get 503
    /// `adapter_unavailable`.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // Counters start at process start, not at the first scrape.
        if metrics::handle().is_none() {
            tracing::warn!("another metrics recorder is installed; /metrics will be empty");
        }
        if let Some(admin) = &config.auth.admin_key {
            crate::redact::register_secret(admin.expose_secret());
        }
        let plugins = Plugins::new(&config.plugins, adapter_cache_dir(&config))?;
        let config = Arc::new(config);
        // Loading (on a first start, compiling) runs alongside the store's opening.
        tokio::spawn(crate::plugins::start::load(
            Arc::clone(&plugins),
            Arc::clone(&config),
        ));
        let prices = crate::spend::price::PriceTable::new(&config.prices)?;
        let models = ModelTable::from_config(
            &config.models,
            &config.routing,
            &config.upstream,
            &prices,
            &|var| std::env::var(var).ok(),
        );
        if !models.iter().any(|m| m.is_servable()) {
            let unset: std::collections::BTreeSet<&str> =
                models.iter().filter_map(|m| m.unset_key()).collect();
            tracing::warn!(
                "no model can be served yet: set {} for the configured models, or run a \
                 one-model quick start with TYPE, API_KEY, BASE_URL and ACTUAL_NAME, or add \
                 [[models]] to config.toml (see the README's Quick start)",
                if unset.is_empty() {
                    "their API keys".to_string()
                } else {
                    unset.into_iter().collect::<Vec<_>>().join(", ")
                }
            );
        }
        let url = config.storage.database_url.clone();
        let options = config.storage.open_options();
        let store: SharedStore =
            tokio::task::spawn_blocking(move || store::open_with(&url, &options))
                .await?
                .map_err(|err| {
                    let message = format!("cannot open {}: {err}", config.storage.database_url);
                    anyhow::anyhow!("{}", crate::redact::url_password(&message))
                })?;
        let default_key = if config.auth.enable_client_auth {
            store::blocking(&store, create_default_key).await?
        } else {
            None
        };
        let ring_store = Arc::clone(&store);
        let ring = tokio::task::spawn_blocking(move || KeyRing::load(ring_store)).await??;
        ring.spawn_refresher();
        if !config.storage.redis_url.is_empty() {
            ring.broadcast_through(&config.storage.redis_url)
                .map_err(|err| {
                    let err = err.to_string();
                    anyhow::anyhow!(
                        "storage.redis_url is not usable: {}",
                        crate::redact::url_password(&err)
                    )
                })?;
        }
        let limits = limiter(&config.storage)?;
        let spend = spend(&config, &limits)?;
        let ledger = Ledger::start(
            Arc::clone(&store),
            config.storage.write_queue,
            config.storage.request_log,
            spend.calendar.clone(),
        )?;
        if config.conversations.retention_days > 0 {
            tokio::spawn(sweep_conversations(
                Arc::downgrade(&store),
                config.conversations.retention_days,
            ));
        }
        let mut auth = Auth::new(&config.auth, ring);
        if config.console.enabled
            && let Some(admin) = &config.auth.admin_key
        {
            let sessions = Sessions::new(
                admin,
                config.console.session_ttl_secs,
                config.console.secure_cookie,
            );
            auth = auth.with_console(sessions, Arc::clone(&store));
        }
        let state = AppState::new(Services {
            upstream: Upstream::new(&config.upstream)?,
            models: Arc::new(models),
            plugins: Arc::clone(&plugins),
            auth: Arc::new(auth),
            store,
            ledger: Arc::new(ledger),
            limits: Arc::new(limits),
            spend: Arc::new(spend),
            config,
        });
        // The layers that need no route wrap the router once, before routing
        // (`Router::layer` would box them around every route, and each request clones
        // its route's whole stack).
        let layered = ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    .on_request(())
                    .on_response(log_response)
                    .on_failure(log_failure),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(cors(&state.config.server.cors_allowed_origins)?)
            .service(crate::http::router(state.clone()));
        let router = Router::new().fallback_service(layered);
        Ok(Self {
            router,
            state,
            default_key,
        })
    }

    /// Resolves once the adapters are loaded and the gateway is ready.
    pub async fn ready(&self) {
        self.state.plugins.wait_ready().await;
    }

    /// After the server stopped: writes every log row and exchange still queued.
    pub async fn close(&self) {
        self.state.ledger.close().await;
    }
}

/// Where compiled adapters are kept: `plugins.cache_dir`, else `adapter-cache` beside
/// the SQLite database (so it goes wherever the data goes), else `data/adapter-cache`.
pub fn adapter_cache_dir(config: &Config) -> Option<std::path::PathBuf> {
    match &config.plugins.cache_dir {
        Some(dir) if dir.as_os_str().is_empty() => None,
        Some(dir) => Some(dir.clone()),
        None => {
            let file = store::url::sqlite_path(&config.storage.database_url).ok();
            let folder = file
                .as_deref()
                .and_then(std::path::Path::parent)
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("data"));
            Some(folder.join("adapter-cache"))
        }
    }
}

/// With client auth on and no key ever created, creates one so the operator is not
/// locked out.
fn create_default_key(store: &dyn store::Store) -> store::StoreResult<Option<IssuedKey>> {
    if !store.list_keys(true)?.is_empty() {
        return Ok(None);
    }
    let key = keys::create(
        store,
        NewKey {
            name: "default".into(),
            ..NewKey::default()
        },
    )?;
    Ok(Some(key))
}

/// The rate limiter: shared through Redis when `storage.redis_url` names one.
fn limiter(storage: &crate::config::StorageConfig) -> anyhow::Result<Limiter> {
    if storage.redis_url.is_empty() {
        return Ok(Limiter::Local(MemoryLimits::new()));
    }
    let shared = RedisLimits::new(&storage.redis_url, storage.redis_failure).map_err(|err| {
        anyhow::anyhow!(
            "storage.redis_url is not usable: {}",
            crate::redact::url_password(&err.to_string())
        )
    })?;
    tracing::info!(
        redis = %crate::redact::url_password(&storage.redis_url),
        "rate limits are shared through Redis"
    );
    Ok(Limiter::Shared(shared))
}

/// Spend tracking: budgets shared on the rate limiter's Redis, when there is one.
fn spend(config: &Config, limits: &Limiter) -> anyhow::Result<crate::spend::Spend> {
    let shared = match limits {
        Limiter::Shared(redis) => Some(crate::spend::shared::RedisBook::new(
            redis.link(),
            std::time::Duration::from_secs(config.spend.reservation_ttl_secs),
        )),
        Limiter::Local(_) => None,
    };
    Ok(crate::spend::Spend::new(&config.spend, shared)?)
}

/// Deletes conversations and stored responses past their retention, now and then every
/// hour, until the store is dropped.
async fn sweep_conversations(store: std::sync::Weak<dyn store::Store>, days: u32) {
    let mut tick = tokio::time::interval(RETENTION_SWEEP);
    loop {
        tick.tick().await;
        let Some(store) = store.upgrade() else { break };
        let cutoff = store::now_millis() - i64::from(days) * 86_400_000;
        let purged = store::blocking(&store, move |s| {
            Ok((s.purge_conversations(cutoff)?, s.purge_responses(cutoff)?))
        })
        .await;
        match purged {
            Ok((0, 0)) => {}
            Ok((conversations, responses)) => tracing::info!(
                conversations,
                responses,
                days,
                "expired conversations and stored responses deleted"
            ),
            Err(err) => tracing::warn!(error = %err, "cannot delete expired conversations"),
        }
    }
}

/// CORS for the configured origins; none configured means no CORS headers at all.
fn cors(origins: &[String]) -> anyhow::Result<CorsLayer> {
    if origins.is_empty() {
        return Ok(CorsLayer::new());
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let values = origins
            .iter()
            .map(|o| {
                HeaderValue::from_str(o).map_err(|_| anyhow::anyhow!("invalid CORS origin `{o}`"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        AllowOrigin::list(values)
    };
    Ok(CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::DELETE,
            Method::PATCH,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            REQUEST_ID,
            HeaderName::from_static("x-conversation-id"),
        ])
        .expose_headers([
            REQUEST_ID,
            HeaderName::from_static(metrics::OVERHEAD_HEADER),
        ])
        .max_age(Duration::from_secs(600)))
}

/// Paths that monitoring polls every few seconds: logged at debug level only, so a 1 s
/// scrape or a readiness probe during start-up does not fill the log.
const PROBES: &[&str] = &["/health", "/health/live", "/health/ready", "/metrics"];

/// One span per request: its id, method and path (never the query, which could carry a
/// key), plus the client, model and adapter that `proxy` records once resolved.
fn request_span(request: &http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let path = request.uri().path();
    if PROBES.contains(&path) {
        return tracing::debug_span!("switchyard.probe", request_id = %id, path = %path);
    }
    tracing::info_span!(
        "switchyard.request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
        client = tracing::field::Empty,
        model = tracing::field::Empty,
        adapter = tracing::field::Empty,
        adapter_version = tracing::field::Empty,
    )
}

/// Whether `span` is a probe's (or disabled): its answer is not worth an info line.
fn quiet(span: &tracing::Span) -> bool {
    span.metadata().is_none_or(|m| *m.level() == Level::DEBUG)
}

/// The line that closes a request: its status and latency (in microseconds).
fn log_response<B>(response: &http::Response<B>, latency: Duration, span: &tracing::Span) {
    let status = response.status().as_u16();
    let latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    if quiet(span) {
        tracing::debug!(status, latency_us, "answered");
    } else {
        tracing::info!(status, latency_us, "answered");
    }
}

/// A 5xx or a failed response body; the error itself was logged where it happened.
fn log_failure(failure: ServerErrorsFailureClass, latency: Duration, span: &tracing::Span) {
    let latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    if quiet(span) {
        tracing::debug!(%failure, latency_us, "failed");
    } else {
        tracing::warn!(%failure, latency_us, "failed");
    }
}

/// Serves `config` on `listener` until `shutdown` resolves, then drains in-flight
/// requests (for at most `routing.shutdown_grace_secs`) and flushes the request log.
/// The binary and the tests both run the gateway through here.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = App::build(config).await?;
    app.serve(listener, shutdown).await;
    Ok(())
}

impl App {
    /// Serves on `listener` until `shutdown` resolves; then stops accepting, gives the
    /// requests and streams in flight `routing.shutdown_grace_secs` to finish, and
    /// writes what the request log still holds.
    pub async fn serve(&self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        match crate::http::connections::raise_open_file_limit() {
            Ok(limit) => tracing::debug!(limit, "open-file limit"),
            Err(err) => tracing::warn!(error = %err, "cannot raise the open-file limit"),
        }
        let grace = Duration::from_secs(self.state.config.routing.shutdown_grace_secs);
        let stopping = Arc::new(tokio::sync::Notify::new());
        let signalled = Arc::clone(&stopping);
        let limits = crate::http::connections::Limits::from(&self.state.config.server);
        let served =
            crate::http::connections::serve(listener, self.router.clone(), limits, async move {
                shutdown.await;
                signalled.notify_one();
            });
        let drain_over = async {
            stopping.notified().await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            () = served => {}
            () = drain_over => {
                tracing::warn!(
                    grace_secs = grace.as_secs(),
                    "drain time is over; closing what is still open"
                );
            }
        }
        // Every answered request is in the log before the caller moves on.
        self.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_database_url_password_never_reaches_the_startup_error() {
        // Port 1: nothing listens, so the store cannot connect.
        let config = Config::from_toml_str(
            "[storage]\ndatabase_url = \"postgres://app:hunter2-secret@127.0.0.1:1/gw\"\n",
        )
        .unwrap();
        let Err(err) = App::build(config).await else {
            panic!("no Postgres server listens on port 1");
        };
        let message = format!("{err:#}");
        assert!(!message.contains("hunter2-secret"), "{message}");
        assert!(
            message.contains("postgres://app:[REDACTED]@127.0.0.1:1/gw"),
            "{message}"
        );
        assert!(
            message.contains("cannot reach the Postgres server at 127.0.0.1:1/gw"),
            "{message}"
        );
    }
}
