//! A mock OpenAI upstream on loopback that speaks the recorded wire format.
//!
//! Every answer is built from the request and from the recorded fixtures in
//! `tests/fixtures/openai`, never from the gateway's code, so a test that passes
//! through it checks the gateway against OpenAI's shapes rather than against itself.
//!
//! The behaviour is chosen by the request body's `model` (see [`chat`] for the list).
//! Answers that lie about what they are (a 200 around an error, a stream cut short, a
//! redirect, ...) are picked the same way on every platform; see [`dishonest`].
//!
//! Every request except the `/__mock/*` control routes is recorded and can be read
//! back with [`MockUpstream::requests`] or `GET /__mock/requests`.

mod agent;
mod anthropic;
mod azure;
mod chat;
mod coze;
pub mod dishonest;
mod embeddings;
mod gemini;
mod responses;
mod wire;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use anthropic::search::{
    NO_SEARCH_TEXT as CLAUDE_NO_SEARCH_TEXT, SEARCH_TEXT as CLAUDE_SEARCH_TEXT,
};
pub use chat::{RETRY_AFTER_SECS, SLOW_DELAY};
pub use embeddings::DIMENSIONS as EMBEDDING_DIMENSIONS;
pub use gemini::search::{
    NO_SEARCH_TEXT as GEMINI_NO_SEARCH_TEXT, SEARCH_TEXT as GEMINI_SEARCH_TEXT,
};

/// The only upstream key the mock accepts (`Authorization: Bearer <key>`).
pub const MOCK_API_KEY: &str = "sk-mock-upstream";

/// One request the mock received, as the tests inspect it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path and query, e.g. `/v1/chat/completions`.
    pub path: String,
    /// Headers with lower-cased names; repeated headers are joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON; `null` when empty, a JSON string when not JSON.
    pub body: Value,
    /// The body as it came (members in the order they were sent).
    pub raw: String,
}

impl RecordedRequest {
    /// The value of a header (name in any case), if it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// Shared state of one mock server: the request log and an id counter.
#[derive(Clone, Default)]
pub struct MockState {
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    next_id: Arc<AtomicU64>,
    /// Requests `mock-flaky` has seen.
    flaky: Arc<AtomicU64>,
    /// `mock-hang` requests whose client went away.
    cancelled: Arc<AtomicU64>,
}

impl MockState {
    /// A copy of every recorded request, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets the recorded requests.
    pub fn clear(&self) {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    fn record(&self, request: RecordedRequest) {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
    }

    /// Counts one `mock-flaky` request; true for every other one (1st, 3rd, ...).
    fn flaky_fails(&self) -> bool {
        self.flaky.fetch_add(1, Ordering::Relaxed).is_multiple_of(2)
    }

    /// Counts a `mock-hang` request abandoned by its client.
    fn count_cancelled(&self) {
        self.cancelled.fetch_add(1, Ordering::Relaxed);
    }

    /// A fresh `chatcmpl-…`-style id suffix, unique within this server.
    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// A running mock upstream; the server stops when this handle is dropped.
pub struct MockUpstream {
    addr: SocketAddr,
    state: MockState,
    task: JoinHandle<()>,
}

impl MockUpstream {
    /// Starts the mock on `127.0.0.1:0` and returns once it accepts connections.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = MockState::default();
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            // The server only ends when the task is aborted; an accept error ends it early
            // and the tests then see connection failures that name the cause.
            if let Err(err) = axum::serve(listener, app).await {
                eprintln!("mock-upstream stopped: {err}");
            }
        });
        Ok(Self { addr, state, task })
    }

    /// The OpenAI base URL of the mock, `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The socket address the mock listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// The recorded requests to `POST /v1/chat/completions`, oldest first.
    pub fn chat_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.starts_with("/v1/chat/completions"))
            .collect()
    }

    /// Forgets the recorded requests.
    pub fn clear(&self) {
        self.state.clear();
    }

    /// How many `mock-hang` requests were abandoned by the caller (connection closed).
    pub fn cancelled(&self) -> u64 {
        self.state.cancelled.load(Ordering::Relaxed)
    }
}

impl Drop for MockUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The mock's routes: the control routes under `/__mock` and the recorded API.
pub fn router(state: MockState) -> Router {
    Router::new()
        .route(
            "/__mock/requests",
            get(list_requests).delete(clear_requests),
        )
        .fallback(api)
        .with_state(state)
}

async fn list_requests(State(state): State<MockState>) -> Response {
    axum::Json(state.requests()).into_response()
}

async fn clear_requests(State(state): State<MockState>) -> StatusCode {
    state.clear();
    StatusCode::NO_CONTENT
}

/// Records the request, checks the key, and answers the OpenAI route it names.
async fn api(
    State(state): State<MockState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let json = parse_body(&body);
    state.record(RecordedRequest {
        method: method.to_string(),
        path,
        headers: header_map(&headers),
        body: json.clone().unwrap_or_else(Value::String),
        raw: String::from_utf8_lossy(&body).into_owned(),
    });

    if let Some(response) = dishonest::answer(&uri, &json) {
        return response;
    }
    // Other platforms' routes: each module checks its own credential and wire format.
    let request = PlatformRequest {
        state: &state,
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &json,
    };
    if anthropic::matches(&uri) {
        return anthropic::answer(request).await;
    }
    if gemini::matches(&uri) {
        return gemini::answer(request).await;
    }
    if azure::matches(&uri) {
        return azure::answer(request).await;
    }
    if coze::matches(&uri) {
        return coze::answer(request).await;
    }

    if !authorized(&headers) {
        return wire::fixture_error(wire::ERROR_401, None);
    }
    let Ok(json) = json else {
        return wire::error_response(
            StatusCode::BAD_REQUEST,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
            "invalid_request_error",
            None,
        );
    };
    match (method.as_str(), uri.path()) {
        ("POST", "/v1/chat/completions") => chat::completions(&state, &json).await,
        ("POST", "/v1/embeddings") => embeddings::create(&json),
        ("POST", "/v1/responses") => responses::create(&state, &json),
        ("GET", "/v1/models") => wire::model_list(),
        (method, path) => wire::error_response(
            StatusCode::NOT_FOUND,
            &format!("Invalid URL ({method} {path})"),
            "invalid_request_error",
            None,
        ),
    }
}

/// A recorded request handed to a platform module of the mock.
pub struct PlatformRequest<'a> {
    /// The mock's state (ids, request log).
    pub state: &'a MockState,
    /// HTTP method.
    pub method: &'a Method,
    /// Path and query.
    pub uri: &'a Uri,
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// The body as JSON, or its text when it is not JSON.
    pub body: &'a Result<Value, String>,
}

/// The body as JSON; `Ok(Null)` when empty, `Err(text)` when it is not JSON.
fn parse_body(body: &Bytes) -> Result<Value, String> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|_| String::from_utf8_lossy(body).into_owned())
}

fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        map.entry(name.as_str().to_owned())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(&value);
            })
            .or_insert(value);
    }
    map
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {MOCK_API_KEY}"))
}
