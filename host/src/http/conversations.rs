//! Stored conversations: `/v1/conversations` for a client's own, and the admin's
//! views of everyone's under `/admin/conversations`.

use axum::Extension;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::access::auth::Principal;
use crate::error::GatewayError;
use crate::state::AppState;
use crate::store::{self, Conversation, ConversationPage};

/// Page size when none is asked for, and the largest allowed.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

/// `?limit=&after=` (and, for the admin, `client_id=`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
}

fn not_found(id: &str) -> GatewayError {
    GatewayError::NotFound {
        message: format!("no conversation `{id}`"),
        code: "conversation_not_found",
    }
}

async fn page(
    state: &AppState,
    client: Option<String>,
    query: PageQuery,
) -> Result<Json<ConversationPage>, GatewayError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(GatewayError::bad_request(
            format!("`limit` must be 1 to {MAX_LIMIT}"),
            Some("limit"),
        ));
    }
    let after = query.after;
    let page = store::blocking(&state.store, move |store| {
        store.list_conversations(client.as_deref(), limit, after.as_deref())
    })
    .await?;
    Ok(Json(page))
}

/// The caller's conversations, most recent first.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<ConversationPage>, GatewayError> {
    let Query(query) = query.map_err(super::bad_query)?;
    if query.client_id.is_some() {
        return Err(GatewayError::bad_request(
            "`client_id` is for the admin API (/admin/conversations)",
            Some("client_id"),
        ));
    }
    page(&state, Some(principal.client_id().to_string()), query).await
}

/// One of the caller's conversations, with its messages.
pub async fn show(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Conversation>, GatewayError> {
    fetch(&state, principal.client_id().to_string(), id).await
}

/// Deletes one of the caller's conversations.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    remove(&state, principal.client_id().to_string(), id).await
}

/// Every client's conversations (optionally one client's), most recent first.
pub async fn list_all(
    State(state): State<AppState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<ConversationPage>, GatewayError> {
    let Query(mut query) = query.map_err(super::bad_query)?;
    let client = query.client_id.take();
    page(&state, client, query).await
}

/// Any client's conversation.
pub async fn show_any(
    State(state): State<AppState>,
    Path((client_id, id)): Path<(String, String)>,
) -> Result<Json<Conversation>, GatewayError> {
    fetch(&state, client_id, id).await
}

/// Deletes any client's conversation.
pub async fn delete_any(
    State(state): State<AppState>,
    Path((client_id, id)): Path<(String, String)>,
) -> Result<Json<Value>, GatewayError> {
    remove(&state, client_id, id).await
}

async fn fetch(
    state: &AppState,
    client: String,
    id: String,
) -> Result<Json<Conversation>, GatewayError> {
    let lookup = id.clone();
    store::blocking(&state.store, move |store| {
        store.get_conversation(&client, &lookup)
    })
    .await?
    .map(Json)
    .ok_or_else(|| not_found(&id))
}

async fn remove(state: &AppState, client: String, id: String) -> Result<Json<Value>, GatewayError> {
    let lookup = id.clone();
    let deleted = store::blocking(&state.store, move |store| {
        store.delete_conversation(&client, &lookup)
    })
    .await?;
    if !deleted {
        return Err(not_found(&id));
    }
    Ok(Json(
        json!({"id": id, "object": "conversation.deleted", "deleted": true}),
    ))
}
