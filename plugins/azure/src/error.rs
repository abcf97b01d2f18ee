//! Azure OpenAI error bodies → [`ApiError`], for non-2xx answers, 2xx answers that
//! carry an error, and mid-stream errors.
//!
//! Azure's bodies are OpenAI's plus quirks: `code` is often the HTTP status as a string
//! (`"429"`, `"401"`) with no `type`; a blocked prompt is `400` with
//! `code: "content_filter"` and an `innererror` (`content_filter_result` per category);
//! an unknown deployment is `404` `DeploymentNotFound`.

use serde::Deserialize;
use serde_json::Value;
use switchyard_guest_kit::error::{INVALID_REQUEST, from_status, status_hint};
use switchyard_guest_kit::openai_wire::error::{
    STREAM_ERROR_STATUS, message_or_status, scalar_text, unreadable_stream_error,
};
use switchyard_guest_kit::openai_wire::{self, Platform};
use switchyard_guest_kit::{ApiError, UpstreamResponse};

use super::Azure;

/// The `code` Azure (and the client) use for content-filter refusals.
pub const CONTENT_FILTER: &str = "content_filter";

#[derive(Deserialize)]
struct Envelope {
    error: Option<ErrorObject>,
}

/// The inside of an Azure error body; every field optional, `code` a string or number.
#[derive(Default, Deserialize)]
struct ErrorObject {
    message: Option<String>,
    #[serde(rename = "type")]
    error_type: Option<String>,
    param: Option<Value>,
    code: Option<Value>,
    /// The wire name; the spec's `inner_error` is accepted too.
    #[serde(alias = "inner_error")]
    innererror: Option<InnerError>,
    /// The HTTP status Azure repeats inside some bodies (`"status": 400`).
    status: Option<Value>,
}

#[derive(Default, Deserialize)]
struct InnerError {
    code: Option<String>,
    /// The wire name; the spec's `content_filter_results` is accepted too.
    #[serde(alias = "content_filter_results")]
    content_filter_result: Option<serde_json::Map<String, Value>>,
}

/// Azure OpenAI: OpenAI's wire, its own error bodies.
impl Platform for Azure {
    const NAME: &'static str = "Azure OpenAI";

    /// An Azure error object with a message or a code.
    fn error_body(status: u16, body: &[u8]) -> Option<ApiError> {
        serde_json::from_slice::<Envelope>(body)
            .ok()?
            .error
            .filter(|object| object.message.is_some() || object.code.is_some())
            .map(|object| to_api_error(status, object))
    }

    fn stream_error(error_json: &str) -> ApiError {
        from_stream_error(error_json)
    }
}

/// A non-2xx upstream answer as the client should see it (a status that is no error
/// status, a redirect, becomes 502), with `retry-after` from the headers.
pub fn from_upstream(response: &UpstreamResponse) -> ApiError {
    openai_wire::error::from_upstream::<Azure>(response)
}

/// A `{"error": {...}}` value that came without an error status (mid-stream, or in a
/// 2xx body) as the error the client gets: 502 unless the error names a status (its
/// code `"429"`, its `status` member) or a kind the client can act on
/// (`DeploymentNotFound` 404, `content_filter` 400, the OpenAI types and codes of
/// [`status_hint`]).
pub fn from_stream_error(error_json: &str) -> ApiError {
    let object = serde_json::from_str::<ErrorObject>(error_json).unwrap_or_else(|_| ErrorObject {
        message: Some(unreadable_stream_error(error_json)),
        ..ErrorObject::default()
    });
    let code = object.code.as_ref().and_then(scalar_text);
    let status = object
        .code
        .as_ref()
        .and_then(status_code)
        .or_else(|| object.status.as_ref().and_then(status_code))
        .or_else(|| azure_code_status(code.as_deref()))
        .or_else(|| status_hint(object.error_type.as_deref(), code.as_deref()))
        .unwrap_or(STREAM_ERROR_STATUS);
    to_api_error(status, object)
}

fn to_api_error(status: u16, object: ErrorObject) -> ApiError {
    let code = object.code.as_ref().and_then(scalar_text);
    let message = message_or_status(object.message, Azure::NAME, status);
    let param = object.param.as_ref().and_then(scalar_text);

    if code.as_deref() == Some(CONTENT_FILTER) {
        return content_filter(status, message, param, object.innererror);
    }
    // `"429"`, `"401"`: a status, not a code; let the status pick type and code.
    let code = code.filter(|c| c.parse::<u16>().is_err());
    let (error_type, code) = match code.as_deref() {
        Some("DeploymentNotFound") => (Some(INVALID_REQUEST), Some("model_not_found")),
        _ => (object.error_type.as_deref(), code.as_deref()),
    };
    let mut error = from_status(status, message, error_type, code);
    error.param = param;
    error
}

/// A blocked prompt (or completion): `content_filter`, with the categories that fired
/// named in the message, since an OpenAI error has no field for them.
fn content_filter(
    status: u16,
    message: String,
    param: Option<String>,
    inner: Option<InnerError>,
) -> ApiError {
    let inner = inner.unwrap_or_default();
    let fired: Vec<String> = inner
        .content_filter_result
        .iter()
        .flatten()
        .filter(|(_, result)| result.get("filtered").and_then(Value::as_bool) == Some(true))
        .map(
            |(category, result)| match result.get("severity").and_then(Value::as_str) {
                Some(severity) => format!("{category} (severity {severity})"),
                None => category.clone(),
            },
        )
        .collect();
    let message = if fired.is_empty() {
        message
    } else {
        format!("{message} [content filter: {}]", fired.join(", "))
    };
    let message = match inner.code {
        Some(inner_code) if !message.contains(&inner_code) => format!("{message} ({inner_code})"),
        _ => message,
    };
    ApiError {
        status,
        message,
        error_type: INVALID_REQUEST.to_owned(),
        param: param.or_else(|| Some("prompt".to_owned())),
        code: Some(CONTENT_FILTER.to_owned()),
        retry_after: None,
    }
}

/// The status of an Azure-specific error code.
fn azure_code_status(code: Option<&str>) -> Option<u16> {
    match code? {
        "DeploymentNotFound" => Some(404),
        CONTENT_FILTER => Some(400),
        _ => None,
    }
}

/// An HTTP error status written as a code (`429` or `"429"`).
fn status_code(code: &Value) -> Option<u16> {
    let number = match code {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    u16::try_from(number)
        .ok()
        .filter(|c| (400..=599).contains(c))
}

#[cfg(test)]
mod tests;
