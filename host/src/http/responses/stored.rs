//! Stored responses as the Responses API shows them: `GET /v1/responses/{id}`,
//! `DELETE /v1/responses/{id}` and `GET /v1/responses/{id}/input_items`, each scoped
//! to the calling key (another key's id is a 404, as an unknown one).

use axum::Extension;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::access::auth::Principal;
use crate::error::GatewayError;
use crate::http::render;
use crate::state::AppState;
use crate::store::{self, StoredResponse};

/// Page size when none is asked for, and the largest allowed (OpenAI's).
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

fn not_found(id: &str) -> GatewayError {
    GatewayError::NotFound {
        message: format!("Response with id '{id}' not found."),
        code: "response_not_found",
    }
}

async fn find(
    state: &AppState,
    principal: &Principal,
    id: String,
) -> Result<StoredResponse, GatewayError> {
    let client = principal.client_id().to_owned();
    let key = id.clone();
    store::blocking(&state.store, move |s| s.get_response(&client, &key))
        .await?
        .ok_or_else(|| not_found(&id))
}

/// `GET /v1/responses/{id}`: the Response as the client received it.
pub async fn show(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, GatewayError> {
    let stored = find(&state, &principal, id).await?;
    Ok(render::json(Bytes::from(stored.response)))
}

/// `DELETE /v1/responses/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    let client = principal.client_id().to_owned();
    let key = id.clone();
    let deleted = store::blocking(&state.store, move |s| s.delete_response(&client, &key)).await?;
    if !deleted {
        return Err(not_found(&id));
    }
    Ok(Json(
        json!({ "id": id, "object": "response", "deleted": true }),
    ))
}

/// `?limit=&order=&after=` of the input-items listing.
#[derive(Debug, Deserialize)]
pub struct ItemsQuery {
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    order: Option<Order>,
    #[serde(default)]
    after: Option<String>,
    /// Accepted for compatibility; items are stored whole.
    #[serde(default, rename = "include[]")]
    _include: Option<String>,
}

/// Listing order: OpenAI's default is newest first.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Order {
    Asc,
    #[default]
    Desc,
}

/// `GET /v1/responses/{id}/input_items`: the request's own input items, paginated.
pub async fn input_items(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    query: Result<Query<ItemsQuery>, QueryRejection>,
) -> Result<Json<Value>, GatewayError> {
    let Query(query) = query.map_err(crate::http::bad_query)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(GatewayError::bad_request(
            format!("`limit` must be 1 to {MAX_LIMIT}"),
            Some("limit"),
        ));
    }
    let stored = find(&state, &principal, id).await?;
    let mut items: Vec<Value> =
        serde_json::from_str(&stored.input).map_err(|err| GatewayError::Internal(Box::new(err)))?;
    if matches!(query.order.unwrap_or_default(), Order::Desc) {
        items.reverse();
    }
    let id_of = |item: &Value| item.get("id").and_then(Value::as_str).map(str::to_owned);
    let start = match &query.after {
        None => 0,
        Some(after) => {
            items
                .iter()
                .position(|item| id_of(item).as_deref() == Some(after))
                .ok_or_else(|| {
                    GatewayError::bad_request(
                        format!("`after` names no item: {after}"),
                        Some("after"),
                    )
                })?
                + 1
        }
    };
    let page: Vec<Value> = items.iter().skip(start).take(limit).cloned().collect();
    let has_more = items.len() > start + page.len();
    Ok(Json(json!({
        "object": "list",
        "first_id": page.first().and_then(id_of),
        "last_id": page.last().and_then(id_of),
        "has_more": has_more,
        "data": page,
    })))
}
