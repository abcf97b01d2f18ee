//! `GatewayError`: every way a request can fail, grouped by who failed, rendered as an
//! OpenAI error body (`{"error":{"message","type","param","code"}}`) with its status.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::plugins::bindings::ApiError;
use crate::plugins::registry::{Adapter, Dialect};
use crate::plugins::session::PluginFault;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The client sent something unusable (400).
    #[error("{message}")]
    BadRequest {
        /// What is wrong, for the client.
        message: String,
        /// The offending parameter.
        param: Option<String>,
    },
    /// A request names something the gateway does not have for this client, such as
    /// a `previous_response_id` (400, with the parameter and a code).
    #[error("{message}")]
    BadReference {
        /// What is wrong, for the client.
        message: String,
        /// The parameter that names it.
        param: &'static str,
        /// Machine-readable reason.
        code: &'static str,
    },
    /// No key, or a key that is unknown, disabled or expired (401).
    #[error("{message}")]
    Unauthorized {
        /// What is wrong.
        message: String,
        /// `missing_api_key`, `invalid_api_key`, `key_disabled`, `key_expired`.
        code: &'static str,
    },
    /// The caller is known but may not do this (403).
    #[error("{message}")]
    Forbidden {
        /// What was refused.
        message: String,
        /// Machine-readable reason.
        code: &'static str,
    },
    /// A named resource (key, conversation) does not exist or is not the caller's (404).
    #[error("{message}")]
    NotFound {
        /// What was not found.
        message: String,
        /// Machine-readable reason.
        code: &'static str,
    },
    /// The body is larger than `server.max_body_bytes` (413).
    #[error("request body is larger than the {limit}-byte limit")]
    PayloadTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The body is not JSON (415).
    #[error("unsupported content type `{0}`; send application/json")]
    UnsupportedMediaType(String),
    /// No configured model has this name (404).
    #[error(
        "the model `{}` does not exist or you do not have access to it",
        shortened(.0)
    )]
    ModelNotFound(String),
    /// The model's adapter is not loaded (503), or does not serve this endpoint (404).
    #[error("{0}")]
    AdapterUnavailable(String),
    /// No such route (404).
    #[error("unknown URL: {method} {path}")]
    RouteNotFound {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
    },
    /// The route exists but not for this method (405).
    #[error("method {0} is not allowed here")]
    MethodNotAllowed(String),
    /// The upstream answered an error, translated by the adapter (status passed on).
    #[error("{}", .0.message)]
    Upstream(ApiError),
    /// The upstream could not be reached or broke the connection (502).
    #[error("upstream request for model `{model}` failed: {message}")]
    UpstreamUnreachable {
        /// Public model name.
        model: String,
        /// What went wrong (no secrets: URLs are reported without their query).
        message: String,
    },
    /// The upstream did not answer in time (504).
    #[error("upstream for model `{model}` did not answer in time")]
    UpstreamTimeout {
        /// Public model name.
        model: String,
    },
    /// An adapter or dialect component trapped, overran its deadline or memory, or
    /// returned garbage (502).
    #[error("{kind} `{adapter}` {version} failed: {fault}")]
    Plugin {
        /// `adapter` or `dialect`.
        kind: &'static str,
        /// Component name.
        adapter: String,
        /// Adapter version.
        version: String,
        /// What happened.
        fault: PluginFault,
    },
    /// The model's API key variable is unset, so it cannot be served (503).
    #[error(
        "model `{model}` is not available: its API key variable `{variable}` is not set; set it and restart the gateway"
    )]
    ModelNotConfigured {
        /// Public model name.
        model: String,
        /// The variable to set.
        variable: String,
    },
    /// Every deployment of the model (and its fallbacks) is out of service (503).
    #[error("every deployment of model `{model}` is failing or out of service; retry shortly")]
    NoHealthyDeployment {
        /// Public model name.
        model: String,
    },
    /// Every adapter slot is busy (503).
    #[error("the gateway is at capacity; retry shortly")]
    Overloaded,
    /// Rate limits are shared through Redis, Redis is unreachable, and the policy is
    /// to refuse (503).
    #[error("rate limits and budgets cannot be checked (Redis is unreachable); retry shortly")]
    LimitsUnavailable,
    /// A budget covering the caller's key is spent until its period resets (429).
    #[error("{message}")]
    BudgetExceeded {
        /// Which budget, how much, and when it resets.
        message: String,
        /// Seconds until it resets.
        retry_after_secs: u64,
        /// When it resets, unix seconds.
        resets_at: i64,
    },
    /// The store failed (500).
    #[error("internal error: {0}")]
    Store(#[source] crate::store::StoreError),
    /// A bug or an unexpected local failure (500), with its cause.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<crate::store::StoreError> for GatewayError {
    fn from(err: crate::store::StoreError) -> Self {
        match err {
            crate::store::StoreError::UnknownCursor(_) => {
                Self::bad_request(err.to_string(), Some("after"))
            }
            other => Self::Store(other),
        }
    }
}

impl GatewayError {
    /// A 400 for `param`.
    pub fn bad_request(message: impl Into<String>, param: Option<&str>) -> Self {
        Self::BadRequest {
            message: message.into(),
            param: param.map(str::to_string),
        }
    }

    /// A fault of `adapter`.
    pub fn plugin(adapter: &Adapter, fault: PluginFault) -> Self {
        Self::Plugin {
            kind: "adapter",
            adapter: adapter.info.name.clone(),
            version: adapter.info.version.clone(),
            fault,
        }
    }

    /// A fault of `dialect`.
    pub fn dialect(dialect: &Dialect, fault: PluginFault) -> Self {
        Self::Plugin {
            kind: "dialect",
            adapter: dialect.info.name.clone(),
            version: dialect.info.version.clone(),
            fault,
        }
    }

    /// The HTTP status the client receives.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } | Self::BadReference { .. } => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::ModelNotFound(_) | Self::RouteNotFound { .. } | Self::NotFound { .. } => {
                StatusCode::NOT_FOUND
            }
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::BudgetExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::AdapterUnavailable(_)
            | Self::Overloaded
            | Self::LimitsUnavailable
            | Self::NoHealthyDeployment { .. }
            | Self::ModelNotConfigured { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            // Adapter errors are checked on the way in (`plugins::verify`); an error
            // status is still never anything but 4xx or 5xx on the way out.
            Self::Upstream(err) => StatusCode::from_u16(err.status)
                .ok()
                .filter(|s| s.is_client_error() || s.is_server_error())
                .unwrap_or(StatusCode::BAD_GATEWAY),
            Self::UpstreamUnreachable { .. } | Self::Plugin { .. } => StatusCode::BAD_GATEWAY,
            Self::UpstreamTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            // The shared database is down or restarting: worth retrying shortly.
            Self::Store(crate::store::StoreError::PostgresUnavailable { .. }) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The OpenAI error `type`.
    pub fn error_type(&self) -> &str {
        match self {
            Self::Unauthorized { .. } => "invalid_request_error",
            Self::Forbidden { .. } => "permission_error",
            // OpenAI's type for a spent quota: clients stop retrying on it.
            Self::BudgetExceeded { .. } => "insufficient_quota",
            Self::NotFound { .. }
            | Self::BadRequest { .. }
            | Self::BadReference { .. }
            | Self::PayloadTooLarge { .. }
            | Self::UnsupportedMediaType(_)
            | Self::ModelNotFound(_)
            | Self::RouteNotFound { .. }
            | Self::MethodNotAllowed(_) => "invalid_request_error",
            Self::Upstream(err) => &err.error_type,
            Self::UpstreamUnreachable { .. }
            | Self::UpstreamTimeout { .. }
            | Self::Plugin { .. }
            | Self::AdapterUnavailable(_)
            | Self::NoHealthyDeployment { .. }
            | Self::ModelNotConfigured { .. }
            | Self::Overloaded
            | Self::LimitsUnavailable
            | Self::Store(_)
            | Self::Internal(_) => "server_error",
        }
    }

    /// The OpenAI error `code`.
    fn code(&self) -> Option<&str> {
        match self {
            Self::Unauthorized { code, .. }
            | Self::Forbidden { code, .. }
            | Self::NotFound { code, .. }
            | Self::BadReference { code, .. } => Some(code),
            Self::PayloadTooLarge { .. } => Some("request_too_large"),
            Self::UnsupportedMediaType(_) => Some("unsupported_media_type"),
            Self::ModelNotFound(_) => Some("model_not_found"),
            Self::RouteNotFound { .. } => Some("unknown_url"),
            Self::Upstream(err) => err.code.as_deref(),
            Self::UpstreamUnreachable { .. } => Some("upstream_unreachable"),
            Self::UpstreamTimeout { .. } => Some("upstream_timeout"),
            Self::Plugin { .. } => Some("adapter_failure"),
            Self::AdapterUnavailable(_) => Some("adapter_unavailable"),
            Self::Overloaded => Some("overloaded"),
            Self::LimitsUnavailable => Some("limits_unavailable"),
            Self::BudgetExceeded { .. } => Some("budget_exceeded"),
            Self::NoHealthyDeployment { .. } => Some("no_healthy_deployment"),
            Self::ModelNotConfigured { .. } => Some("model_not_configured"),
            Self::BadRequest { .. }
            | Self::MethodNotAllowed(_)
            | Self::Store(_)
            | Self::Internal(_) => None,
        }
    }

    /// The OpenAI error `param`.
    fn param(&self) -> Option<&str> {
        match self {
            Self::BadRequest { param, .. } => param.as_deref(),
            Self::BadReference { param, .. } => Some(param),
            Self::Upstream(err) => err.param.as_deref(),
            Self::ModelNotFound(_) => Some("model"),
            _ => None,
        }
    }

    /// Seconds to wait before retrying, when known.
    fn retry_after(&self) -> Option<u32> {
        match self {
            Self::Upstream(err) => err.retry_after,
            Self::Overloaded | Self::LimitsUnavailable | Self::NoHealthyDeployment { .. } => {
                Some(1)
            }
            Self::BudgetExceeded {
                retry_after_secs, ..
            } => Some(u32::try_from(*retry_after_secs).unwrap_or(u32::MAX)),
            _ => None,
        }
    }

    /// The message for clients and logs. Text that came from an upstream or an adapter
    /// is scrubbed of secrets (an upstream may echo the key it was sent); the gateway's
    /// own messages are left as written, so its advice ("send it as `Authorization:
    /// Bearer <key>`") reads as meant.
    pub fn message(&self) -> String {
        let text = self.to_string();
        match self {
            Self::Upstream(_) | Self::UpstreamUnreachable { .. } | Self::Plugin { .. } => {
                crate::redact::scrub(&text).into_owned()
            }
            _ => text,
        }
    }

    /// The error as the contract's `api-error`, for a dialect component to render.
    pub fn api_error(&self) -> ApiError {
        ApiError {
            status: self.status().as_u16(),
            message: self.message(),
            error_type: self.error_type().to_string(),
            param: self.param().map(str::to_string),
            code: self.code().map(str::to_string),
            retry_after: self.retry_after(),
        }
    }

    /// The OpenAI error object, for bodies and stream error events.
    pub fn body(&self) -> ErrorBody<'_> {
        ErrorBody {
            error: ErrorObject {
                message: self.message(),
                r#type: self.error_type(),
                param: self.param(),
                code: self.code(),
            },
        }
    }
}

/// A client-chosen name as echoed in a message: at most 200 characters.
fn shortened(name: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 200;
    match name.char_indices().nth(MAX) {
        None => name.into(),
        Some((end, _)) => format!("{}...", name.get(..end).unwrap_or_default()).into(),
    }
}

/// The error `type` of a failed response, left in its extensions for the request log.
#[derive(Debug, Clone)]
pub struct ErrorType(pub String);

/// What an error response says, left in its extensions so that a route serving
/// another dialect (Anthropic Messages) can say the same in its own shape, whichever
/// layer refused the request.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    /// The message.
    pub message: String,
    /// The OpenAI error `type` (an upstream's own type when it passed one through).
    pub error_type: String,
}

/// `{"error": {...}}`
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// The error object.
    pub error: ErrorObject<'a>,
}

/// The OpenAI error object.
#[derive(Debug, Serialize)]
pub struct ErrorObject<'a> {
    /// Human-readable message.
    pub message: String,
    /// Error type.
    pub r#type: &'a str,
    /// Parameter at fault.
    pub param: Option<&'a str>,
    /// Machine-readable code.
    pub code: Option<&'a str>,
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = self.body();
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), error = %body.error.message, "request failed");
        } else {
            tracing::info!(status = status.as_u16(), error = %body.error.message, "request rejected");
        }
        let error_type = ErrorType(body.error.r#type.to_string());
        let report = ErrorReport {
            message: body.error.message.clone(),
            error_type: error_type.0.clone(),
        };
        let mut response = (status, axum::Json(body)).into_response();
        response.extensions_mut().insert(error_type);
        response.extensions_mut().insert(report);
        if let Some(secs) = self.retry_after() {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests;
