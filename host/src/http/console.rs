//! The console at `/ui`: an operator's pages, served by the binary itself (DESIGN.md
//! decision 12). The pages are plain HTML, CSS and JavaScript modules embedded at build
//! time ([`assets`]); they call the same admin API a script does (`/admin/...`),
//! signed in by a session cookie instead of the admin key ([`signin`],
//! `access/session.rs`). The playground's calls go through one console-only route,
//! `POST /ui/api/chat/completions`: the chat completions API authenticated by the
//! session (and its CSRF token), so the admin key never reaches the page's script;
//! they are logged under the client `console`.

mod assets;
mod signin;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{get, post};
use http::{HeaderValue, header};

use crate::access::gate;
use crate::state::AppState;

/// What the console's pages may load and talk to: only this origin, no inline script
/// or style, no framing, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The `/ui` routes; none when the console is turned off.
pub fn router(state: &AppState) -> Router<AppState> {
    if !state.config.console.enabled {
        return Router::new();
    }
    let playground = Router::new()
        .route("/ui/api/chat/completions", post(super::chat::completions))
        .route_layer(from_fn_with_state(state.clone(), gate::console));
    Router::new()
        .route("/ui", get(assets::home))
        .route("/ui/", get(assets::home))
        .route("/ui/{page}", get(assets::page))
        .route("/ui/assets/{build}/{*path}", get(assets::asset))
        .route(
            "/ui/api/session",
            get(signin::current)
                .post(signin::sign_in)
                .delete(signin::sign_out),
        )
        .merge(playground)
        .layer(from_fn(protect))
}

/// Headers on everything under `/ui`: the content policy, no sniffing, no framing, no
/// referrer; and API answers are never cached.
async fn protect(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/ui/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests;
