//! `GET /health`: overall status and each adapter's name, version, source and last
//! load error. It answers 503 while the gateway cannot serve yet (adapters loading), so
//! a check that only looks at the status code (Docker's, an orchestrator's, `curl -f`)
//! is told the truth.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::dispatch::breaker::BreakerState;
use crate::plugins::registry::AdapterSource;
use crate::state::AppState;

/// One adapter's status.
#[derive(Debug, Serialize)]
pub struct AdapterStatus {
    /// Adapter name.
    pub name: String,
    /// Version serving now (`null` when none loaded).
    pub version: Option<String>,
    /// `builtin` or `file` (`null` when none loaded).
    pub source: Option<&'static str>,
    /// The file serving it, when it came from one.
    pub path: Option<String>,
    /// Why the last load attempt failed, if it did.
    pub last_error: Option<String>,
    /// The contract version it targets (`null` when none loaded).
    pub contract: Option<String>,
    /// `optimized`, or `baseline` while its optimized code is still compiling (a file
    /// swapped in moments ago, or a built-in on a first start; `null` when none loaded).
    pub tier: Option<&'static str>,
}

/// One deployment's circuit.
#[derive(Debug, Serialize)]
pub struct DeploymentStatus {
    /// Public model name.
    pub model: String,
    /// Deployment label.
    pub deployment: String,
    /// Its adapter.
    pub adapter: String,
    /// `closed` (serving), `open` (out for a cool-down) or `half_open` (probing).
    pub state: BreakerState,
    /// Consecutive failures.
    pub consecutive_failures: u32,
}

/// The health document.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `loading` until adapters are loaded; then `ok`, or `degraded` when an adapter
    /// file was rejected.
    pub status: &'static str,
    /// Whether adapters are loaded (what `/health/ready` reports).
    pub ready: bool,
    /// Every adapter loaded or attempted.
    pub adapters: Vec<AdapterStatus>,
    /// Every dialect component loaded (`messages`), in the same shape.
    pub dialects: Vec<AdapterStatus>,
    /// Adapter sessions that could start right now.
    pub available_sessions: usize,
    /// Every deployment's circuit.
    pub deployments: Vec<DeploymentStatus>,
}

/// Reports the registry as it is now: 200 once the gateway serves, 503 before.
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let registry = state.plugins.snapshot();
    let names: BTreeSet<&String> = registry
        .active
        .keys()
        .chain(registry.errors.keys())
        .filter(|name| !registry.dialects.contains_key(*name))
        .collect();
    let adapters: Vec<AdapterStatus> = names
        .into_iter()
        .map(|name| {
            let active = registry.active.get(name);
            AdapterStatus {
                name: name.clone(),
                version: active.map(|a| a.info.version.clone()),
                source: active.map(|a| a.source.kind()),
                path: active.and_then(|a| file(&a.source)),
                last_error: registry.errors.get(name).cloned(),
                contract: active.map(|a| a.contract.clone()),
                tier: active.map(|a| a.tier.name()),
            }
        })
        .collect();
    let dialects: Vec<AdapterStatus> = registry
        .dialects
        .iter()
        .map(|(name, dialect)| AdapterStatus {
            name: name.clone(),
            version: Some(dialect.info.version.clone()),
            source: Some(dialect.source.kind()),
            path: file(&dialect.source),
            last_error: registry.errors.get(name).cloned(),
            contract: Some(dialect.contract.clone()),
            tier: Some(dialect.tier.name()),
        })
        .collect();
    let ready = state.plugins.is_ready();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let health = Health {
        status: match (ready, registry.errors.is_empty()) {
            (false, _) => "loading",
            (true, true) => "ok",
            (true, false) => "degraded",
        },
        ready,
        adapters,
        dialects,
        available_sessions: state.plugins.available_permits(),
        deployments: state
            .models
            .iter()
            .flat_map(|model| model.deployments.iter())
            .map(|d| {
                let (state, consecutive_failures) = d.breaker.snapshot();
                DeploymentStatus {
                    model: d.name.clone(),
                    deployment: d.deployment.clone(),
                    adapter: d.adapter.clone(),
                    state,
                    consecutive_failures,
                }
            })
            .collect(),
    };
    (status, Json(health))
}

/// `GET /health/live`: the process answers (for restarts by a supervisor).
pub async fn live() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "alive" }))
}

/// `GET /health/ready`: 200 once adapters are loaded, 503 before (for load balancers).
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    if state.plugins.is_ready() {
        (
            StatusCode::OK,
            Json(serde_json::json!({ "status": "ready" })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "loading" })),
        )
    }
}

/// The file a component came from, if any.
fn file(source: &AdapterSource) -> Option<String> {
    match source {
        AdapterSource::File(path) => Some(path.display().to_string()),
        AdapterSource::Builtin => None,
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use http::Request;
    use tower::ServiceExt;

    use crate::app::App;
    use crate::config::Config;

    async fn status(app: &App, path: &str) -> u16 {
        let request = Request::get(path).body(Body::empty()).unwrap();
        app.router
            .clone()
            .oneshot(request)
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    #[tokio::test]
    async fn ready_only_once_adapters_are_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_toml_str(&format!(
            "[storage]\ndatabase_url = \"sqlite://{}\"\n[auth]\nenable_client_auth = false\n[plugins]\ndir = {:?}\n[[models]]\nname = 'm'\nadapter = 'openai'\nbase_url = 'http://127.0.0.1:9/v1'\n",
            dir.path().join("db.sqlite").display(),
            dir.path().join("plugins")
        ))
        .unwrap();
        let app = App::build(config).await.unwrap();
        // On this single-threaded runtime the loading task has not run yet.
        assert_eq!(
            status(&app, "/health/ready").await,
            503,
            "not ready while loading"
        );
        assert_eq!(
            status(&app, "/health").await,
            503,
            "/health does not say 200 while models cannot be served"
        );
        assert_eq!(
            status(&app, "/health/live").await,
            200,
            "alive while loading"
        );
        let chat = Request::post("/v1/chat/completions")
            .header("content-type", "application/json")
            .body(Body::from(
                r#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#,
            ))
            .unwrap();
        let response = app.router.clone().oneshot(chat).await.unwrap();
        assert_eq!(
            response.status(),
            503,
            "calls wait for adapters with a clear 503"
        );

        app.ready().await;
        assert_eq!(status(&app, "/health/ready").await, 200);
        assert_eq!(status(&app, "/health").await, 200);
    }
}
