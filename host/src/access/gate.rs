//! The one middleware in front of each proxied route (and the console's playground):
//! it marks the request for the request log, identifies the caller, admits it under
//! its key's limits and adds the `x-ratelimit-*` headers to the answer. One layer
//! instead of three: each layer costs every request a boxed service clone and a boxed
//! future.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::access::auth::{self, Principal};
use crate::access::limits;
use crate::record::call_record::CallRecord;
use crate::state::AppState;

/// The API's proxied routes: a client key (per `[auth]`), then its limits. Refused
/// requests are logged too.
pub async fn clients(State(state): State<AppState>, request: Request, next: Next) -> Response {
    keep_in_log(&request);
    match state.auth.identify(request.headers()).await {
        Ok(principal) => admit(&state, principal, request, next).await,
        Err(err) => err.into_response(),
    }
}

/// The console's playground: a console session with its CSRF token, or 401/403. The
/// caller is [`Principal::Console`], so its requests are logged under the client
/// `console`.
pub async fn console(State(state): State<AppState>, request: Request, next: Next) -> Response {
    keep_in_log(&request);
    match state
        .auth
        .console_session(request.method(), request.headers())
        .await
    {
        Ok(_) => admit(&state, Principal::Console, request, next).await,
        Err(err) => err.into_response(),
    }
}

fn keep_in_log(request: &Request) {
    if let Some(record) = request.extensions().get::<CallRecord>() {
        record.keep_in_log();
    }
}

/// Names the caller, admits it under its key's limits (429 when over) and serves the
/// request with the caller in its extensions.
async fn admit(
    state: &AppState,
    principal: Principal,
    mut request: Request,
    next: Next,
) -> Response {
    let record = request.extensions().get::<CallRecord>();
    auth::name_caller(&principal, record);
    let headers = match limits::admit(&state.limits, principal.key(), record).await {
        Ok(headers) => headers,
        Err(refused) => return refused,
    };
    request.extensions_mut().insert(principal);
    let mut response = next.run(request).await;
    headers.write_to(response.headers_mut());
    response
}
