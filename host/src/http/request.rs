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

/// Parses the fields the host acts on; the adapter gets the untouched body. Errors
/// name the offending field, as OpenAI's do, and set `param` to its path.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, GatewayError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            Category::Syntax | Category::Eof => not_json(&inner),
            Category::Data | Category::Io if path == "." => {
                // A missing field is reported at the top level; serde names it.
                let field = missing_field(&inner.to_string());
                GatewayError::bad_request(
                    format!("invalid request body: {inner}"),
                    field.as_deref(),
                )
            }
            Category::Data | Category::Io => GatewayError::bad_request(
                format!("invalid value for `{path}`: {inner}"),
                Some(&path),
            ),
        }
    })?;
    de.end().map_err(|err| not_json(&err))?;
    Ok(value)
}

fn not_json(err: &serde_json::Error) -> GatewayError {
    GatewayError::bad_request(format!("the request body is not valid JSON: {err}"), None)
}

/// "missing field `messages`" -> `messages`.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Head {
        model: String,
        messages: Vec<serde::de::IgnoredAny>,
        #[serde(default)]
        stream: Option<bool>,
    }

    fn message_and_param(body: &str) -> (String, Option<String>) {
        let GatewayError::BadRequest { message, param } =
            parse::<Head>(body.as_bytes()).unwrap_err()
        else {
            panic!("expected a 400");
        };
        (message, param)
    }

    #[test]
    fn wrong_types_name_the_field() {
        for (body, field) in [
            (r#"{"model":"m","messages":"hello"}"#, "messages"),
            (r#"{"model":42,"messages":[]}"#, "model"),
            (r#"{"model":"m","messages":[],"stream":"yes"}"#, "stream"),
        ] {
            let (message, param) = message_and_param(body);
            assert!(message.contains(field), "{message}");
            assert_eq!(param.as_deref(), Some(field));
        }
    }

    #[test]
    fn missing_fields_and_bad_json_are_explained() {
        let (message, param) = message_and_param(r#"{"model":"m"}"#);
        assert!(message.contains("missing field `messages`"), "{message}");
        assert_eq!(param.as_deref(), Some("messages"));
        let (message, param) = message_and_param(r#"{"model":"#);
        assert!(message.contains("not valid JSON"), "{message}");
        assert_eq!(param, None);
        let (message, _) = message_and_param(r#"{"model":"m","messages":[]} trailing"#);
        assert!(message.contains("not valid JSON"), "{message}");
    }
}
