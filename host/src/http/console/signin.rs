//! `/ui/api/session`: sign in with the admin key (`POST`), read the session's CSRF
//! token (`GET`), sign out (`DELETE`). See `access/session.rs` for the cookie.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, header};
use serde::Deserialize;
use serde_json::json;

use crate::access::session::{self, Session, Sessions};
use crate::error::GatewayError;
use crate::http::request::JsonBody;
use crate::state::AppState;
use crate::store;

/// How long a wrong admin key waits for its answer: guessing stays slow.
const REFUSAL_DELAY: Duration = Duration::from_millis(300);

/// `POST /ui/api/session` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    admin_key: String,
}

fn sessions(state: &AppState) -> Result<&Sessions, GatewayError> {
    state
        .auth
        .sessions()
        .ok_or_else(|| GatewayError::Forbidden {
            message: "signing in needs an admin key: set auth.admin_key (or the ADMIN_KEY \
                  variable) and restart the gateway"
                .into(),
            code: "admin_api_disabled",
        })
}

/// The session's token and expiry, as the page keeps them.
fn describe(sessions: &Sessions, session: &Session) -> serde_json::Value {
    json!({
        "object": "console_session",
        "csrf_token": sessions.csrf_token(session),
        "expires_at": session.expires_at,
        "ttl_seconds": sessions.ttl_secs(),
    })
}

/// Signs in: the admin key for a session cookie, or 401.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody { head: sign_in, .. }: JsonBody<SignIn>,
) -> Result<Response, GatewayError> {
    let sessions = sessions(&state)?;
    if !session::from_this_site(&Method::POST, &headers) {
        return Err(GatewayError::Forbidden {
            message: "a cross-site request cannot sign in".into(),
            code: "cross_site_request",
        });
    }
    if !state.auth.is_admin(sign_in.admin_key.trim()) {
        tracing::warn!("console sign-in refused: wrong admin key");
        tokio::time::sleep(REFUSAL_DELAY).await;
        return Err(GatewayError::Unauthorized {
            message: "incorrect admin key".into(),
            code: "invalid_api_key",
        });
    }
    let (session, value) = sessions
        .mint(store::now_secs())
        .map_err(|err| GatewayError::Internal(err.to_string().into()))?;
    let cookie = sessions
        .cookie(&value, &headers)
        .ok_or_else(|| GatewayError::Internal("a session cookie is not a header".into()))?;
    tracing::info!("console sign-in");
    let mut response = Json(describe(sessions, &session)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// The current session's token, or 401 (the page then shows the sign-in form).
pub async fn current(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, GatewayError> {
    let sessions = sessions(&state)?;
    let session = state.auth.console_session(&Method::GET, &headers).await?;
    Ok(Json(describe(sessions, &session)))
}

/// Signs out: the session ends in every process, and the browser forgets the cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, GatewayError> {
    let sessions = sessions(&state)?;
    let session = state
        .auth
        .console_session(&Method::DELETE, &headers)
        .await?;
    state.auth.end_console_session(session).await?;
    tracing::info!("console sign-out");
    let mut response =
        Json(json!({"object": "console_session", "signed_out": true})).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, sessions.clearing_cookie(&headers));
    Ok(response)
}
