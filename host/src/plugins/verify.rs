//! Everything an adapter hands back is checked here before anyone acts on it. An
//! adapter is code the operator dropped into a folder: a bug or a hostile build must not
//! reach a client as a 200, inject events into a stream, flood `/health` and the logs
//! with megabytes of "version", or answer with a status that is not an error.
//!
//! Each function turns one guest result into what the host uses, or a [`GatewayError`]:
//! a fault or a broken rule is the adapter's (502 `adapter_failure`); an `api-error` the
//! adapter built is the upstream's, passed on with its status.

use crate::error::GatewayError;
use crate::plugins::bindings::{
    ApiError, DialectInfo, Endpoint, PluginInfo, StreamOutput, TranslatedResponse, UpstreamRequest,
};
use crate::plugins::registry::{Adapter, Dialect};
use crate::plugins::session::{CallResult, PluginFault};

/// Longest adapter name.
pub const MAX_NAME: usize = 64;
/// Longest adapter version.
pub const MAX_VERSION: usize = 64;
/// Longest adapter description.
pub const MAX_DESCRIPTION: usize = 1024;
/// Longest default base URL.
pub const MAX_BASE_URL: usize = 2048;
/// Longest error message kept from an adapter; the rest is cut (it is logged and sent).
pub const MAX_ERROR_MESSAGE: usize = 2000;
/// Longest error `type`, `code` or `param` kept from an adapter.
const MAX_ERROR_FIELD: usize = 128;

/// A dialect's `info()` answer, or why the dialect is refused at load. Only the
/// endpoints the host routes through dialects may be claimed.
pub fn dialect_info(info: &DialectInfo) -> Result<(), String> {
    text_fields(&[
        ("name", &info.name, MAX_NAME),
        ("version", &info.version, MAX_VERSION),
        ("description", &info.description, MAX_DESCRIPTION),
    ])?;
    name(&info.name)?;
    match info.endpoint {
        Endpoint::Messages | Endpoint::Responses => Ok(()),
        other => Err(format!(
            "info().endpoint is {other:?}; a dialect translates messages or responses"
        )),
    }
}

/// Length and control-character rules for `info()` text.
fn text_fields(fields: &[(&str, &String, usize)]) -> Result<(), String> {
    for (field, value, max) in fields {
        if value.len() > *max {
            return Err(format!(
                "info().{field} is {} bytes long; at most {max} are allowed",
                value.len()
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(format!("info().{field} contains control characters"));
        }
    }
    Ok(())
}

/// Names become file names, metric labels and log fields.
fn name(name: &str) -> Result<(), String> {
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if name_ok {
        Ok(())
    } else {
        Err("info().name must be letters, digits, `-`, `_` or `.`".into())
    }
}

/// `info()`'s answer, or why the adapter is refused at load.
pub fn info(info: &PluginInfo) -> Result<(), String> {
    for (field, value, max) in [
        ("name", &info.name, MAX_NAME),
        ("version", &info.version, MAX_VERSION),
        ("description", &info.description, MAX_DESCRIPTION),
        ("default-base-url", &info.default_base_url, MAX_BASE_URL),
    ] {
        if value.len() > max {
            return Err(format!(
                "info().{field} is {} bytes long; at most {max} are allowed",
                value.len()
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(format!("info().{field} contains control characters"));
        }
    }
    let name_ok = !info.name.is_empty()
        && info
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !name_ok {
        return Err("info().name must be letters, digits, `-`, `_` or `.`".into());
    }
    if !info.default_base_url.is_empty() {
        let url = url::Url::parse(&info.default_base_url)
            .map_err(|err| format!("info().default-base-url is not a URL: {err}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("info().default-base-url must be an http or https URL".into());
        }
    }
    Ok(())
}

/// `transform-request`'s answer.
pub fn request(
    adapter: &Adapter,
    result: CallResult<UpstreamRequest>,
) -> Result<UpstreamRequest, GatewayError> {
    answer(adapter, result)
}

/// `transform-response`'s answer: the body must be a JSON object of at most `max_bytes`.
pub fn response(
    adapter: &Adapter,
    result: CallResult<TranslatedResponse>,
    max_bytes: usize,
) -> Result<TranslatedResponse, GatewayError> {
    let translated = answer(adapter, result)?;
    body(&translated.body, max_bytes).map_err(|why| broke(adapter, why))?;
    Ok(translated)
}

/// Why a translated body is refused, if it is.
fn body(bytes: &[u8], max_bytes: usize) -> Result<(), String> {
    if bytes.len() > max_bytes {
        return Err(format!(
            "its translated body has {} bytes; at most {max_bytes} are allowed",
            bytes.len()
        ));
    }
    json_object(bytes).map_err(|why| format!("its translated body {why}"))
}

/// A stream transformer's output: every chunk must be one JSON object. Line breaks, the
/// only characters that could end an SSE event early, can only be insignificant white
/// space in valid JSON and are removed, so the host's framing stays the only framing.
pub fn stream_output(
    adapter: &Adapter,
    result: CallResult<StreamOutput>,
) -> Result<StreamOutput, GatewayError> {
    let mut output = answer(adapter, result)?;
    for chunk in &mut output.chunks {
        chunk_in_place(chunk).map_err(|why| broke(adapter, why))?;
    }
    Ok(output)
}

/// Checks one chunk and removes its line breaks.
fn chunk_in_place(chunk: &mut String) -> Result<(), String> {
    json_object(chunk.as_bytes()).map_err(|why| format!("a stream chunk {why}"))?;
    if chunk.contains(['\r', '\n']) {
        chunk.retain(|c| !matches!(c, '\r' | '\n'));
    }
    Ok(())
}

/// A fault, an adapter error or an answer; an adapter error is checked and bounded.
fn answer<T>(adapter: &Adapter, result: CallResult<T>) -> Result<T, GatewayError> {
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(api)) => Err(api_error(adapter, api)),
        Err(fault) => Err(GatewayError::plugin(adapter, fault)),
    }
}

/// An adapter's `api-error`: its status must be an error status (4xx or 5xx); overlong
/// text is cut so one answer cannot flood the logs.
pub fn api_error(adapter: &Adapter, api: ApiError) -> GatewayError {
    match bounded(api) {
        Ok(api) => GatewayError::Upstream(api),
        Err(why) => broke(adapter, why),
    }
}

/// A dialect's own error answer, as the client will see it (bounded like an adapter's).
pub fn dialect_error(dialect: &Dialect, api: ApiError) -> GatewayError {
    match bounded(api) {
        Ok(api) => GatewayError::Upstream(api),
        Err(why) => GatewayError::dialect(dialect, PluginFault::Contract(why)),
    }
}

/// `api` with its text cut to size, or why its status is refused.
fn bounded(mut api: ApiError) -> Result<ApiError, String> {
    if !(400..=599).contains(&api.status) {
        return Err(format!(
            "it answered an error with HTTP status {}; errors must be 4xx or 5xx",
            api.status
        ));
    }
    cut(&mut api.message, MAX_ERROR_MESSAGE);
    cut(&mut api.error_type, MAX_ERROR_FIELD);
    for field in [&mut api.code, &mut api.param].into_iter().flatten() {
        cut(field, MAX_ERROR_FIELD);
    }
    Ok(api)
}

fn broke(adapter: &Adapter, rule: String) -> GatewayError {
    GatewayError::plugin(adapter, PluginFault::Contract(rule))
}

/// Cuts `text` to at most `max` bytes on a character boundary, marking the cut.
fn cut(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(" [...]");
}

/// Why `bytes` is not one JSON object, if it is not.
fn json_object(bytes: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "is not UTF-8".to_string())?;
    if !text.trim_start().starts_with('{') {
        return Err(if text.trim().is_empty() {
            "is empty".into()
        } else {
            "is not a JSON object".into()
        });
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map(drop)
        .map_err(|err| format!("is not valid JSON ({err})"))
}

#[cfg(test)]
mod tests;
