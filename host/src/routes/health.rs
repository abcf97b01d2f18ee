//! `GET /health`: overall status and each adapter's name, version, source and last
//! load error.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use serde::Serialize;

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
}

/// The health document.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok`, or `degraded` when an adapter file was rejected.
    pub status: &'static str,
    /// Every adapter loaded or attempted.
    pub adapters: Vec<AdapterStatus>,
    /// Adapter sessions that could start right now.
    pub available_sessions: usize,
}

/// Reports the registry as it is now.
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    let registry = state.plugins.snapshot();
    let names: BTreeSet<&String> = registry
        .active
        .keys()
        .chain(registry.errors.keys())
        .collect();
    let adapters: Vec<AdapterStatus> = names
        .into_iter()
        .map(|name| {
            let active = registry.active.get(name);
            AdapterStatus {
                name: name.clone(),
                version: active.map(|a| a.info.version.clone()),
                source: active.map(|a| a.source.kind()),
                path: active.and_then(|a| match &a.source {
                    crate::plugins::registry::AdapterSource::File(path) => {
                        Some(path.display().to_string())
                    }
                    crate::plugins::registry::AdapterSource::Builtin => None,
                }),
                last_error: registry.errors.get(name).cloned(),
            }
        })
        .collect();
    Json(Health {
        status: if registry.errors.is_empty() {
            "ok"
        } else {
            "degraded"
        },
        adapters,
        available_sessions: state.plugins.available_permits(),
    })
}
