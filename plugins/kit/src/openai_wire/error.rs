//! OpenAI error bodies → [`ApiError`], for non-2xx answers, 2xx answers that carry an
//! error, and mid-stream errors; a [`Platform`] with other error bodies supplies its
//! own reading and keeps the rest.

use serde::Deserialize;
use serde_json::Value;

use super::Platform;
use crate::error::{error_status, from_status, snippet, status_hint};
use crate::headers::retry_after;
use crate::{ApiError, UpstreamResponse};

/// How much of a foreign error body goes into the message, in characters.
pub const SNIPPET_CHARS: usize = 200;

/// Status of a mid-stream error that carries no better hint.
pub const STREAM_ERROR_STATUS: u16 = 502;

/// `{"error": ...}`: an object as OpenAI sends it, or a bare message as some
/// OpenAI-compatible servers do.
#[derive(Deserialize)]
struct Envelope {
    error: Option<ErrorValue>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorValue {
    Object(ErrorObject),
    Message(String),
}

/// The inside of an OpenAI error body. `code` and `param` are strings in OpenAI's
/// answers, but compatible servers send numbers too.
#[derive(Deserialize)]
struct ErrorObject {
    message: Option<String>,
    #[serde(rename = "type")]
    error_type: Option<String>,
    param: Option<Value>,
    code: Option<Value>,
}

/// A non-2xx upstream answer as the client should see it: the upstream status, the
/// platform's error when the body is one ([`Platform::error_body`]), else a message
/// naming the status with the start of the body; `retry-after` from the headers. A
/// status that is no error status (a redirect) becomes 502 ([`error_status`]).
pub fn from_upstream<P: Platform>(response: &UpstreamResponse) -> ApiError {
    let status = error_status(response.status);
    let mut error = P::error_body(status, &response.body).unwrap_or_else(|| {
        let message = foreign_message(P::NAME, response.status, &response.body);
        from_status(status, message, None, None)
    });
    error.retry_after = retry_after(&response.headers);
    error
}

/// A 2xx answer whose body is `{"error": ...}` (`error_json` is that member's value):
/// an error like a mid-stream one, with `retry-after` from the headers.
///
/// Some OpenAI-compatible servers and proxies answer failures with 200; passing such a
/// body through would give the client an empty success.
pub fn from_error_in_answer<P: Platform>(
    error_json: &str,
    headers: &[(String, String)],
) -> ApiError {
    let mut error = P::stream_error(error_json);
    error.retry_after = retry_after(headers);
    error
}

/// OpenAI's reading of a non-2xx body: an error object with a message, or a non-empty
/// bare message; `who` names the upstream when the object has no message of its own.
pub fn openai_error_body(who: &str, status: u16, body: &[u8]) -> Option<ApiError> {
    match serde_json::from_slice::<Envelope>(body).ok()?.error? {
        ErrorValue::Object(object) if object.message.is_some() => {
            Some(to_api_error(who, status, object))
        }
        ErrorValue::Message(message) if !message.is_empty() => {
            Some(from_status(status, message, None, None))
        }
        _ => None,
    }
}

/// OpenAI's reading of an error value that came without an error status.
///
/// The status is 502 (the upstream failed after answering 2xx) unless the error says
/// better: an HTTP status as its numeric `code`, or a type or code the client can act
/// on (`invalid_request_error` 400, `invalid_api_key` 401, `model_not_found` 404, a
/// rate limit or `insufficient_quota` 429; [`status_hint`]).
pub fn openai_stream_error(who: &str, error_json: &str) -> ApiError {
    let object = match serde_json::from_str::<ErrorValue>(error_json) {
        Ok(ErrorValue::Object(object)) => object,
        Ok(ErrorValue::Message(message)) => ErrorObject {
            message: Some(message),
            error_type: None,
            param: None,
            code: None,
        },
        Err(_) => ErrorObject {
            message: Some(unreadable_stream_error(error_json)),
            error_type: None,
            param: None,
            code: None,
        },
    };
    let code = object.code.as_ref().and_then(scalar_text);
    let status =
        status_hint(object.error_type.as_deref(), code.as_deref()).unwrap_or(STREAM_ERROR_STATUS);
    to_api_error(who, status, object)
}

fn to_api_error(who: &str, status: u16, object: ErrorObject) -> ApiError {
    let code = object.code.as_ref().and_then(scalar_text);
    let message = message_or_status(object.message, who, status);
    let mut error = from_status(
        status,
        message,
        object.error_type.as_deref(),
        code.as_deref(),
    );
    error.param = object.param.as_ref().and_then(scalar_text);
    error
}

/// The error's own message, or, when it has none, `"{who} answered HTTP {status}"`.
pub fn message_or_status(message: Option<String>, who: &str, status: u16) -> String {
    message
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("{who} answered HTTP {status}"))
}

/// The message for a mid-stream error value that cannot be read as an error object.
pub fn unreadable_stream_error(error_json: &str) -> String {
    format!(
        "upstream stream failed: {}",
        snippet(error_json.as_bytes(), SNIPPET_CHARS)
    )
}

/// A string or number as text; `null` and structures as nothing.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The message for a non-2xx body that is no error of the platform: the status and
/// the start of the body.
pub fn foreign_message(who: &str, status: u16, body: &[u8]) -> String {
    let text = snippet(body, SNIPPET_CHARS);
    if text.is_empty() {
        format!("{who} answered HTTP {status} with an empty body")
    } else {
        format!("{who} answered HTTP {status}: {text}")
    }
}
