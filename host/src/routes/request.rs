//! Reading a JSON request body: content type, size limit, and the fields the host
//! needs, each failure a 4xx with a message that says what to fix.

use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use bytes::Bytes;
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::error::GatewayError;

/// Checks the content type and the size, returning the raw body.
pub fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Bytes, GatewayError> {
    if let Some(content_type) = headers.get(http::header::CONTENT_TYPE) {
        let value = content_type.to_str().unwrap_or_default();
        let essence = value.split(';').next().unwrap_or_default().trim();
        let is_json = essence.eq_ignore_ascii_case("application/json")
            || (essence.len() > 5
                && essence
                    .get(essence.len() - 5..)
                    .is_some_and(|s| s.eq_ignore_ascii_case("+json")));
        if !is_json {
            return Err(GatewayError::UnsupportedMediaType(value.to_string()));
        }
    }
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            GatewayError::PayloadTooLarge { limit }
        } else {
            GatewayError::bad_request(format!("cannot read the request body: {rejection}"), None)
        }
    })
}

/// Parses the fields the host acts on; the adapter gets the untouched body.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, GatewayError> {
    serde_json::from_slice(body).map_err(|err| match err.classify() {
        Category::Syntax | Category::Eof => {
            GatewayError::bad_request(format!("the request body is not valid JSON: {err}"), None)
        }
        Category::Data | Category::Io => {
            let param = missing_or_invalid_field(&err.to_string());
            GatewayError::bad_request(format!("invalid request body: {err}"), param.as_deref())
        }
    })
}

/// `missing field `messages``, `invalid type ... for field` -> the field name.
fn missing_or_invalid_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message.get(start..)?.find('`')?;
    message
        .get(start..start + len)
        .filter(|name| name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_string)
}
