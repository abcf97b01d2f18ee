//! The admin API under `/admin`, behind the admin key (or a console session): client
//! keys, usage, spend and budgets, the request log and its traffic series, models and
//! their deployments, components (listed and uploaded), every client's conversations
//! and stored responses.

pub mod components;
pub mod keys;
pub mod models;
pub mod responses;
pub mod spend;
pub mod traffic;
pub mod usage;

use axum::Router;
use axum::routing::{get, post, put};

use crate::state::AppState;

/// The `/admin` routes (the caller adds the admin guard).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/keys", post(keys::create).get(keys::list))
        .route(
            "/admin/keys/{id}",
            get(keys::show).patch(keys::update).delete(keys::revoke),
        )
        .route("/admin/keys/{id}/rotate", post(keys::rotate))
        .route("/admin/usage", get(usage::summary))
        .route("/admin/spend", get(spend::report))
        .route("/admin/budgets", post(spend::create).get(spend::list))
        .route(
            "/admin/budgets/{id}",
            get(spend::show).patch(spend::update).delete(spend::delete),
        )
        .route("/admin/requests", get(usage::requests))
        .route("/admin/traffic", get(traffic::series))
        .route("/admin/models", get(models::list))
        .route("/admin/plugins", get(components::list))
        .route("/admin/plugins/{name}", put(components::upload))
        .route("/admin/responses", get(responses::list))
        .route("/admin/responses/{client_id}/{id}", get(responses::show))
        .route("/admin/conversations", get(super::conversations::list_all))
        .route(
            "/admin/conversations/{client_id}/{id}",
            get(super::conversations::show_any).delete(super::conversations::delete_any),
        )
}
