//! `/admin/keys`: create, list, show, update, revoke and rotate client keys. Every
//! change is committed before the answer and takes effect at once in this process
//! (other processes on the same database pick it up within a second).

use axum::Json;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::request::{self, JsonBody};
use crate::access::keys::{self, IssuedKey};
use crate::error::GatewayError;
use crate::state::AppState;
use crate::store::{self, ClientKey, KeyLimits, KeyPage, KeyPatch, KeyQuery, KeyStatus, NewKey};

/// `POST /admin/keys` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateKey {
    name: String,
    #[serde(default)]
    models: Option<Vec<String>>,
    #[serde(default)]
    limits: KeyLimits,
    #[serde(default)]
    expires_at: Option<i64>,
    #[serde(default)]
    expires_in_days: Option<u32>,
    #[serde(default)]
    store_conversations: Option<bool>,
    #[serde(default)]
    team: Option<String>,
}

/// `POST /admin/keys/{id}/rotate` body (optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateKey {
    #[serde(default)]
    grace_seconds: Option<u64>,
}

/// `GET /admin/keys` query: a page of keys, newest first.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Same as `status=all` (the original flag).
    #[serde(default)]
    include_revoked: bool,
    /// `live` (default: not revoked), `active`, `disabled`, `expired`, `revoked`, `all`.
    #[serde(default)]
    status: Option<KeyStatus>,
    /// Part of a name (any case), an id, a secret's prefix, or a whole secret.
    #[serde(default)]
    search: Option<String>,
    /// Keys per page, 1 to [`MAX_PAGE`] (default [`DEFAULT_PAGE`]).
    #[serde(default)]
    limit: Option<usize>,
    /// The previous page's `last_id`.
    #[serde(default)]
    after: Option<String>,
}

/// Keys per page when none is asked for.
pub const DEFAULT_PAGE: usize = 100;
/// The most keys one page holds.
pub const MAX_PAGE: usize = 1000;

fn not_found(id: &str) -> GatewayError {
    GatewayError::NotFound {
        message: format!("no client key `{id}`"),
        code: "key_not_found",
    }
}

/// Refuses what [`keys::check_settings`] refuses, as a 400 naming the field.
fn validate(
    state: &AppState,
    name: Option<&str>,
    models: Option<&Vec<String>>,
    expires_at: Option<i64>,
) -> Result<(), GatewayError> {
    keys::check_settings(name, models.map(Vec::as_slice), expires_at, |m| {
        state.models.resolve(m).is_ok()
    })
    .map_err(|invalid| GatewayError::bad_request(invalid.message, Some(invalid.field)))
}

/// Longest team name accepted.
const MAX_TEAM: usize = 100;

/// A team name, trimmed: 1 to [`MAX_TEAM`] characters.
fn checked_team(team: Option<String>) -> Result<Option<String>, GatewayError> {
    let Some(team) = team else { return Ok(None) };
    let team = team.trim();
    if team.is_empty() || team.chars().count() > MAX_TEAM {
        return Err(GatewayError::bad_request(
            format!("`team` must be 1 to {MAX_TEAM} characters"),
            Some("team"),
        ));
    }
    Ok(Some(team.to_string()))
}

/// Creates a key; the answer (201) holds its secret, shown this once.
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonBody { head: create, .. }: JsonBody<CreateKey>,
) -> Result<(StatusCode, Json<IssuedKey>), GatewayError> {
    let expires_at = match (create.expires_at, create.expires_in_days) {
        (Some(_), Some(_)) => {
            return Err(GatewayError::bad_request(
                "give `expires_at` or `expires_in_days`, not both",
                Some("expires_in_days"),
            ));
        }
        (at, None) => at,
        (None, Some(days)) => Some(store::now_secs() + i64::from(days) * 86_400),
    };
    validate(
        &state,
        Some(&create.name),
        create.models.as_ref(),
        expires_at,
    )?;
    let new = NewKey {
        name: create.name.trim().to_string(),
        models: create.models,
        limits: create.limits,
        expires_at,
        store_conversations: create.store_conversations,
        team: checked_team(create.team)?,
        prefix: String::new(),
    };
    let issued = store::blocking(&state.store, move |store| keys::create(store, new)).await?;
    refresh(&state).await;
    tracing::info!(key = %issued.key.id, name = %issued.key.name, "client key created");
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Lists keys (without secrets), a page at a time, filtered on the server.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<KeyPage>, GatewayError> {
    let Query(query) = query.map_err(crate::http::bad_query)?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(GatewayError::bad_request(
            format!("`limit` must be 1 to {MAX_PAGE}"),
            Some("limit"),
        ));
    }
    let status = match (query.status, query.include_revoked) {
        (Some(status), _) => status,
        (None, true) => KeyStatus::All,
        (None, false) => KeyStatus::Live,
    };
    let page = KeyQuery {
        search: query.search,
        status,
        limit,
        after: query.after.filter(|a| !a.is_empty()),
        now: store::now_secs(),
    };
    let keys = store::blocking(&state.store, move |store| store.key_page(&page)).await?;
    Ok(Json(keys))
}

/// One key, with the budgets covering it and `budget_alert` when one is past its soft
/// threshold or spent.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    let lookup = id.clone();
    let key = store::blocking(&state.store, move |store| store.get_key(&lookup))
        .await?
        .ok_or_else(|| not_found(&id))?;
    let mut budgets = Vec::new();
    for budget in state.auth.ring().budgets().covering(&key) {
        budgets.push(super::spend::budget_json(&state, &budget).await?);
    }
    let alert = budgets.iter().any(|b| {
        b["soft_threshold_exceeded"] == Value::Bool(true) || b["exceeded"] == Value::Bool(true)
    });
    let mut value = serde_json::to_value(&key).map_err(|err| GatewayError::Internal(err.into()))?;
    if let Some(map) = value.as_object_mut() {
        map.insert("budgets".into(), Value::Array(budgets));
        map.insert("budget_alert".into(), Value::Bool(alert));
    }
    Ok(Json(value))
}

/// Changes a key's name, models, limits, expiry, enabled flag or conversation storage.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody {
        head: mut patch, ..
    }: JsonBody<KeyPatch>,
) -> Result<Json<ClientKey>, GatewayError> {
    if let Some(team) = patch.team.take() {
        patch.team = Some(checked_team(team)?);
    }
    validate(
        &state,
        patch.name.as_deref(),
        patch.models.as_ref().and_then(Option::as_ref),
        patch.expires_at.flatten(),
    )?;
    let lookup = id.clone();
    let updated = store::blocking(&state.store, move |store| store.update_key(&lookup, &patch))
        .await?
        .ok_or_else(|| not_found(&id))?;
    refresh(&state).await;
    tracing::info!(key = %id, "client key updated");
    Ok(Json(updated))
}

/// Revokes a key for good.
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    let lookup = id.clone();
    let found = store::blocking(&state.store, move |store| store.revoke_key(&lookup)).await?;
    if !found {
        return Err(not_found(&id));
    }
    refresh(&state).await;
    tracing::info!(key = %id, "client key revoked");
    Ok(Json(
        json!({"id": id, "object": "client_key", "revoked": true}),
    ))
}

/// Gives a key a new secret (shown once); the old one works for the grace period.
pub async fn rotate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IssuedKey>, GatewayError> {
    let body = request::json_body(&headers, body, state.config.server.max_body_bytes)?;
    let rotate: RotateKey = if body.iter().all(u8::is_ascii_whitespace) {
        RotateKey::default()
    } else {
        request::parse(&body)?
    };
    let grace = rotate
        .grace_seconds
        .unwrap_or(state.config.auth.rotation_grace_secs);
    let lookup = id.clone();
    let issued = store::blocking(&state.store, move |store| {
        keys::rotate(store, &lookup, grace)
    })
    .await?
    .ok_or_else(|| not_found(&id))?;
    refresh(&state).await;
    tracing::info!(key = %id, grace_seconds = grace, "client key rotated");
    Ok(Json(issued))
}

/// Makes a change visible to this process's key ring at once, and to the other
/// processes' as soon as they hear of it.
pub(super) async fn refresh(state: &AppState) {
    let ring = std::sync::Arc::clone(state.auth.ring());
    let outcome = tokio::task::spawn_blocking(move || ring.reload()).await;
    if let Ok(Err(err)) = outcome {
        tracing::warn!(error = %err, "cannot reload client keys");
    }
    state.auth.ring().announce().await;
}
