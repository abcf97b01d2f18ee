//! `GET /admin/models`: every public model with its deployments, each with its
//! adapter (and the version serving it now), where it goes, its share of traffic and
//! its health (breaker state and consecutive failures), for the console's models page.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::state::AppState;

/// Every model and deployment, as configured and as they fare now.
pub async fn list(State(state): State<AppState>) -> Json<Value> {
    let registry = state.plugins.snapshot();
    let data: Vec<Value> = state
        .models
        .iter()
        .map(|model| {
            let deployments: Vec<Value> = model
                .deployments
                .iter()
                .map(|d| {
                    let (breaker, failures) = d.breaker.snapshot();
                    let adapter = registry.active.get(&d.adapter);
                    json!({
                        "deployment": d.deployment,
                        "adapter": d.adapter,
                        "adapter_version": adapter.map(|a| a.version.to_string()),
                        "adapter_loaded": adapter.is_some(),
                        "upstream_model": d.upstream_model,
                        "base_url": d.base_url.as_ref().map(|u| {
                            crate::redact::url_password(u.as_str()).into_owned()
                        }),
                        "weight": d.weight,
                        "priority": d.priority,
                        "missing_key": d.missing_key,
                        "state": breaker,
                        "consecutive_failures": failures,
                    })
                })
                .collect();
            json!({
                "name": &*model.name,
                "object": "model",
                "servable": model.is_servable(),
                "unset_key": model.unset_key(),
                "fallbacks": model.fallbacks,
                "max_attempts": model.max_attempts,
                "timeouts_ms": {
                    "first_byte": u64::try_from(model.timeouts.first_byte.as_millis()).unwrap_or(u64::MAX),
                    "total": u64::try_from(model.timeouts.total.as_millis()).unwrap_or(u64::MAX),
                    "stream_idle": u64::try_from(model.timeouts.stream_idle.as_millis()).unwrap_or(u64::MAX),
                },
                "deployments": deployments,
            })
        })
        .collect();
    Json(json!({"object": "list", "data": data}))
}
