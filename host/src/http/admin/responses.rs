//! `/admin/responses`: every client's stored Responses (the Responses API's
//! `store: true`), listed newest first and read one at a time, for the console.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::GatewayError;
use crate::state::AppState;
use crate::store::{self, ResponsePage};

/// Page size when none is asked for, and the largest allowed.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

/// `?client_id=&limit=&after=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    after: Option<String>,
}

/// A page of stored responses, newest first.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<ResponsePage>, GatewayError> {
    let Query(query) = query.map_err(crate::http::bad_query)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(GatewayError::bad_request(
            format!("`limit` must be 1 to {MAX_LIMIT}"),
            Some("limit"),
        ));
    }
    let client = query.client_id.filter(|c| !c.trim().is_empty());
    let after = query.after.filter(|a| !a.is_empty());
    let page = store::blocking(&state.store, move |store| {
        store.list_responses(client.as_deref(), limit, after.as_deref())
    })
    .await?;
    Ok(Json(page))
}

/// One stored response: what went in and the Response as the client received it.
pub async fn show(
    State(state): State<AppState>,
    Path((client, id)): Path<(String, String)>,
) -> Result<Json<Value>, GatewayError> {
    let (lookup_client, lookup_id) = (client.clone(), id.clone());
    let stored = store::blocking(&state.store, move |store| {
        store.get_response(&lookup_client, &lookup_id)
    })
    .await?
    .ok_or_else(|| GatewayError::NotFound {
        message: format!("no stored response `{id}` of client `{client}`"),
        code: "response_not_found",
    })?;
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    Ok(Json(json!({
        "id": stored.id,
        "object": "response",
        "client_id": stored.client_id,
        "previous_id": stored.previous_id,
        "model": stored.model,
        "created_at": stored.created_at_ms / 1000,
        "input": parse(&stored.input),
        "response": parse(&stored.response),
    })))
}
