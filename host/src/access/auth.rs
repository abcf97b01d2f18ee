//! Who is calling: a client key, the admin (by key, or signed in to the console), or
//! nobody. The API middleware (and `access::gate`, on the proxied routes) puts the
//! [`Principal`] in the request's extensions (for handlers and limits) and names the
//! caller in the request's record; the admin middleware guards `/admin`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, header};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::access::keys::{KeyRing, Refusal};
use crate::access::session::{self, Invalid, Session, Sessions};
use crate::config::AuthConfig;
use crate::error::GatewayError;
use crate::record::call_record::CallRecord;
use crate::store::{self, ClientKey, SharedStore};

/// The caller of a request.
#[derive(Debug, Clone)]
pub enum Principal {
    /// No key (client auth off, or anonymous access allowed).
    Anonymous,
    /// A client key.
    Client(Arc<ClientKey>),
    /// The admin key.
    Admin,
    /// The admin, signed in to the console (the playground's calls).
    Console,
}

impl Principal {
    /// The id the request log and conversations use.
    pub fn client_id(&self) -> &str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Client(key) => &key.id,
            Self::Admin => "admin",
            Self::Console => "console",
        }
    }

    /// The client key, if any.
    pub fn key(&self) -> Option<&ClientKey> {
        match self {
            Self::Client(key) => Some(key),
            _ => None,
        }
    }

    /// Refuses a model outside the key's allowlist (403).
    pub fn check_model(&self, model: &str) -> Result<(), GatewayError> {
        match self.key() {
            Some(key) if !key.allows_model(model) => Err(GatewayError::Forbidden {
                message: format!("this API key may not use the model `{model}`"),
                code: "model_not_allowed",
            }),
            _ => Ok(()),
        }
    }

    /// Whether this caller's exchanges are stored, given the global setting.
    pub fn stores_conversations(&self, globally: bool) -> bool {
        self.key()
            .and_then(|key| key.store_conversations)
            .unwrap_or(globally)
    }
}

/// The authentication policy.
pub struct Auth {
    ring: Arc<KeyRing>,
    client_auth: bool,
    anonymous: bool,
    admin_digest: Option<[u8; 32]>,
    console: Option<ConsoleSessions>,
}

/// The console's sessions and where ended ones are recorded.
struct ConsoleSessions {
    sessions: Sessions,
    store: SharedStore,
}

impl Auth {
    /// The policy of `config`, checking client keys against `ring`.
    pub fn new(config: &AuthConfig, ring: Arc<KeyRing>) -> Self {
        Self {
            ring,
            client_auth: config.enable_client_auth,
            anonymous: config.allow_anonymous_access,
            admin_digest: config
                .admin_key
                .as_ref()
                .map(|key| Sha256::digest(key.expose_secret().trim().as_bytes()).into()),
            console: None,
        }
    }

    /// Accepts console sessions (see [`session`]) wherever the admin key is accepted,
    /// ended ones recorded in `store`. Needs the admin key the sessions are signed
    /// under: without one there is nothing to sign in with.
    pub fn with_console(mut self, sessions: Sessions, store: SharedStore) -> Self {
        self.console = Some(ConsoleSessions { sessions, store });
        self
    }

    /// The console's sessions, when the console is on and an admin key is set.
    pub fn sessions(&self) -> Option<&Sessions> {
        self.console.as_ref().map(|c| &c.sessions)
    }

    /// The console session a request carries, checked: its signature and expiry, that
    /// it was not signed out, and for a state change its CSRF token and that it came
    /// from this site. Each refusal says what to do.
    pub async fn console_session(
        &self,
        method: &http::Method,
        headers: &HeaderMap,
    ) -> Result<Session, GatewayError> {
        let Some(console) = &self.console else {
            return Err(missing_admin_key());
        };
        let Some(value) = session::cookie_value(headers) else {
            return Err(missing_admin_key());
        };
        let unauthorized = |message: &str, code| GatewayError::Unauthorized {
            message: message.into(),
            code,
        };
        let session = match console.sessions.verify(value, store::now_secs()) {
            Ok(session) => session,
            Err(Invalid::Expired) => {
                return Err(unauthorized(
                    "the console session has expired: sign in again",
                    "session_expired",
                ));
            }
            Err(Invalid::Forged) => {
                return Err(unauthorized(
                    "the console session is not valid: sign in again",
                    "session_invalid",
                ));
            }
        };
        let id = session.id.clone();
        if store::blocking(&console.store, move |s| s.session_ended(&id)).await? {
            return Err(unauthorized(
                "the console session was signed out: sign in again",
                "session_ended",
            ));
        }
        if !session::from_this_site(method, headers) {
            return Err(GatewayError::Forbidden {
                message: "a cross-site request cannot change anything".into(),
                code: "cross_site_request",
            });
        }
        if !session::is_safe(method) {
            let token = headers
                .get(session::CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !console.sessions.csrf_matches(&session, token) {
                return Err(GatewayError::Forbidden {
                    message: format!(
                        "missing or wrong CSRF token: send the session's token \
                         (GET /ui/api/session) in `{}`",
                        session::CSRF_HEADER
                    ),
                    code: "csrf_token_invalid",
                });
            }
        }
        Ok(session)
    }

    /// Ends a session everywhere: every process refuses it from the next request.
    pub async fn end_console_session(&self, session: Session) -> Result<(), GatewayError> {
        let Some(console) = &self.console else {
            return Ok(());
        };
        store::blocking(&console.store, move |s| {
            s.end_session(&session.id, session.expires_at)
        })
        .await?;
        Ok(())
    }

    /// The live key ring.
    pub fn ring(&self) -> &Arc<KeyRing> {
        &self.ring
    }

    /// Whether `secret` is the admin key (compared in constant time).
    pub fn is_admin(&self, secret: &str) -> bool {
        self.admin_digest.is_some_and(|expected| {
            let presented: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
            bool::from(presented.ct_eq(&expected))
        })
    }

    /// Identifies the caller of an API request. A key the in-memory ring does not know
    /// is looked up in the store first (see [`KeyRing::authenticate`]).
    pub async fn identify(&self, headers: &HeaderMap) -> Result<Principal, GatewayError> {
        let Some(secret) = presented_key(headers) else {
            if self.client_auth && !self.anonymous {
                return Err(GatewayError::Unauthorized {
                    message: "missing API key: send it as `Authorization: Bearer <key>`".into(),
                    code: "missing_api_key",
                });
            }
            return Ok(Principal::Anonymous);
        };
        if self.is_admin(secret) {
            return Ok(Principal::Admin);
        }
        match self.ring.authenticate(secret).await {
            Ok(key) => Ok(Principal::Client(key)),
            // With client auth off, any key is accepted; a known one still names the client.
            Err(_) if !self.client_auth => Ok(Principal::Anonymous),
            Err(refusal) => Err(refused(refusal, secret)),
        }
    }
}

fn refused(refusal: Refusal, secret: &str) -> GatewayError {
    let shown: String = secret.chars().take(6).collect();
    let (message, code) = match refusal {
        Refusal::Unknown => (
            format!("incorrect API key provided: {shown}****"),
            "invalid_api_key",
        ),
        Refusal::Disabled => (
            format!("the API key {shown}**** is disabled"),
            "key_disabled",
        ),
        Refusal::Expired => (
            format!("the API key {shown}**** has expired"),
            "key_expired",
        ),
    };
    GatewayError::Unauthorized { message, code }
}

/// The key a request carries: `Authorization: Bearer`, or `x-api-key` / `api-key` as
/// Anthropic's and Azure's SDKs send it.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    bearer
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
        .or_else(|| headers.get("api-key").and_then(|v| v.to_str().ok()))
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

/// Middleware for the API: identifies the caller or answers 401.
pub async fn clients(State(auth): State<Arc<Auth>>, mut request: Request, next: Next) -> Response {
    let principal = match auth.identify(request.headers()).await {
        Ok(principal) => principal,
        Err(err) => return err.into_response(),
    };
    name_caller(&principal, request.extensions().get());
    request.extensions_mut().insert(principal);
    next.run(request).await
}

/// Names `principal` as the request's caller, in its log span and its `record`.
pub fn name_caller(principal: &Principal, record: Option<&CallRecord>) {
    tracing::Span::current().record("client", principal.client_id());
    if let Some(record) = record {
        record.identify(principal.client_id());
    }
}

/// Middleware for `/admin`: the admin key, or a console session (with its CSRF token
/// for a change), or 401; 403 when no admin key is configured.
pub async fn admin(State(auth): State<Arc<Auth>>, request: Request, next: Next) -> Response {
    if auth.admin_digest.is_none() {
        return GatewayError::Forbidden {
            message: "the admin API is off: set auth.admin_key (or the ADMIN_KEY variable)".into(),
            code: "admin_api_disabled",
        }
        .into_response();
    }
    match presented_key(request.headers()) {
        Some(secret) if auth.is_admin(secret) => next.run(request).await,
        Some(_) => GatewayError::Unauthorized {
            message: "incorrect admin key".into(),
            code: "invalid_api_key",
        }
        .into_response(),
        None => match auth
            .console_session(request.method(), request.headers())
            .await
        {
            Ok(_) => next.run(request).await,
            Err(err) => err.into_response(),
        },
    }
}

fn missing_admin_key() -> GatewayError {
    GatewayError::Unauthorized {
        message: "missing admin key: send it as `Authorization: Bearer <admin key>`, or sign in \
                  to the console at /ui"
            .into(),
        code: "missing_api_key",
    }
}
