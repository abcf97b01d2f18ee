//! Reading a JSON request body: content type, size limit, nesting depth, and the
//! fields the host needs, each failure a 4xx with a message that says what to fix.

use std::fmt;

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue};
use bytes::Bytes;
use http::StatusCode;
use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::error::Category;

use crate::error::GatewayError;
use crate::state::AppState;

/// Deepest nesting of arrays and objects accepted in a request body. Adapters parse
/// the body with serde_json, whose limit is 128; bounding it lower here, before any
/// parser recurses, turns a hostile body into a 400 instead of an adapter failure (or
/// a stack overflow in a parser without a limit), and leaves adapters room to wrap it.
pub const MAX_DEPTH: usize = 100;

/// A JSON request body: the fields the host reads (`head`, parsed with field-naming
/// 400s) and the untouched bytes for the adapter. A handler takes it as its last
/// argument instead of reading, checking and parsing the body itself.
pub struct JsonBody<T> {
    /// The fields the host acts on.
    pub head: T,
    /// The body as the client sent it.
    pub raw: Bytes,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for JsonBody<T> {
    type Rejection = GatewayError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, GatewayError> {
        let content_type = request.headers().get(http::header::CONTENT_TYPE).cloned();
        let body = Bytes::from_request(request, state).await;
        let raw = checked_body(
            content_type.as_ref(),
            body,
            state.config.server.max_body_bytes,
        )?;
        let head = parse(&raw)?;
        Ok(Self { head, raw })
    }
}

/// Checks the content type and the size, returning the raw body.
pub fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Bytes, GatewayError> {
    checked_body(headers.get(http::header::CONTENT_TYPE), body, limit)
}

/// The body, when it is JSON (or untyped) and within the size limit.
fn checked_body(
    content_type: Option<&HeaderValue>,
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Bytes, GatewayError> {
    if let Some(content_type) = content_type {
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
    if nested_deeper_than(body, MAX_DEPTH) {
        return Err(GatewayError::bad_request(
            format!("the request body nests arrays or objects deeper than {MAX_DEPTH} levels"),
            None,
        ));
    }
    // Tracking the path costs an allocation per field on every request; only a body
    // that fails is parsed again to say where.
    serde_json::from_slice(body).or_else(|_| explain(body))
}

/// Parses `body` again, tracking the path, for the error that names the field.
fn explain<T: DeserializeOwned>(body: &[u8]) -> Result<T, GatewayError> {
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

/// Whether `body` opens more than `max` arrays or objects inside one another, without
/// parsing it. Most bodies hold fewer than `max` brackets in all, which a vectorised
/// count settles at once; otherwise brackets are counted outside strings, jumping from
/// quote to quote (so the text of a message costs little).
fn nested_deeper_than(body: &[u8], max: usize) -> bool {
    if memchr::memchr2_iter(b'[', b'{', body).nth(max).is_none() {
        return false;
    }
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(&byte) = body.get(at) {
        match byte {
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'"' => at = string_end(body, at + 1),
            _ => {}
        }
        at += 1;
    }
    false
}

/// The index of the quote closing the string whose text starts at `from` (a quote
/// preceded by an even number of backslashes), or the end of `body`.
fn string_end(body: &[u8], from: usize) -> usize {
    let mut search = from;
    while let Some(found) = body
        .get(search..)
        .and_then(|rest| memchr::memchr(b'"', rest))
    {
        let quote = search + found;
        let backslashes = body.get(from..quote).map_or(0, |text| {
            text.iter().rev().take_while(|&&b| b == b'\\').count()
        });
        if backslashes % 2 == 0 {
            return quote;
        }
        search = quote + 1;
    }
    body.len()
}

/// One item of `messages`, checked: an object with a string `role` (any role; the
/// rest is the adapter's business). Arrays are refused, although serde would read a
/// struct from one.
#[derive(Debug)]
pub struct MessageHead;

impl<'de> Deserialize<'de> for MessageHead {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MessageVisitor)
    }
}

struct MessageVisitor;

impl<'de> Visitor<'de> for MessageVisitor {
    type Value = MessageHead;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a message object with a string `role`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MessageHead, A::Error> {
        let mut has_role = false;
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Role => {
                    map.next_value::<String>()?;
                    has_role = true;
                }
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if has_role {
            Ok(MessageHead)
        } else {
            Err(de::Error::missing_field("role"))
        }
    }
}

/// A key of a message object: `role` or anything else, read without allocating.
enum Field {
    Role,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

struct FieldVisitor;

impl Visitor<'_> for FieldVisitor {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Field, E> {
        Ok(if name == "role" {
            Field::Role
        } else {
            Field::Other
        })
    }
}

fn not_json(err: &serde_json::Error) -> GatewayError {
    GatewayError::bad_request(format!("the request body is not valid JSON: {err}"), None)
}

/// "missing field `messages`" -> `messages`.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_string)
}

/// A token limit (`max_tokens` and the like) as far as the host needs it, for budget
/// reservations: a non-negative integer, or `None` for anything else. Never an error:
/// whether the value is valid is the platform's call, in its own words.
pub fn token_limit<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    struct Limit;
    impl<'de> Visitor<'de> for Limit {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(u64::try_from(v).ok())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(Limit)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    deserializer.deserialize_any(Limit)
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

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Chat {
        model: String,
        messages: Vec<MessageHead>,
    }

    fn chat_error(body: &str) -> (String, Option<String>) {
        let GatewayError::BadRequest { message, param } =
            parse::<Chat>(body.as_bytes()).unwrap_err()
        else {
            panic!("expected a 400");
        };
        (message, param)
    }

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn each_message_must_be_an_object_with_a_string_role() {
        let ok = r#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]},{"content":"y","role":"tool"}]}"#;
        assert_eq!(parse::<Chat>(ok.as_bytes()).unwrap().messages.len(), 2);
        let user = r#"{"role":"user","content":"hi"}"#;
        for (item, param) in [
            ("\"hello\"", "messages[3]"),
            ("42", "messages[3]"),
            ("null", "messages[3]"),
            (r#"["user","hi"]"#, "messages[3]"),
            (&nested(50), "messages[3]"),
            (r#"{"content":"hi"}"#, "messages[3]"),
            (r#"{"role":5,"content":"hi"}"#, "messages[3].role"),
            (r#"{"role":null}"#, "messages[3].role"),
        ] {
            let body = format!(r#"{{"model":"m","messages":[{user},{user},{user},{item}]}}"#);
            let (message, got) = chat_error(&body);
            assert_eq!(got.as_deref(), Some(param), "{item}: {message}");
            assert!(message.contains(param), "{message}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let body = format!(r#"{{"model":"m","messages":{}}}"#, nested(100_000));
        let (message, param) = chat_error(&body);
        assert!(message.contains("deeper than 100"), "{message}");
        assert_eq!(param, None);
        // Right at the bound: parsed (and refused for what it is, not for its depth).
        let body = format!(
            r#"{{"model":"m","messages":[{{"role":"user","content":{}}}]}}"#,
            nested(MAX_DEPTH - 3)
        );
        assert!(parse::<Chat>(body.as_bytes()).is_ok());
        // Brackets in strings, escaped quotes included, are text.
        let text = format!(r#"\"{}\\\"{}"#, "[".repeat(500), "{".repeat(500));
        let body = format!(r#"{{"model":"m","messages":[{{"role":"user","content":"{text}"}}]}}"#);
        assert!(parse::<Chat>(body.as_bytes()).is_ok(), "{body}");
    }

    /// Prints what the depth check costs on 10 KB chat bodies, against the head parse
    /// it precedes: `cargo test --release -p switchyard --lib depth_check_cost --
    /// --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn depth_check_cost() {
        let body = |text: &str| {
            let turns: Vec<String> = (0..20)
                .map(|i| {
                    let role = if i % 2 == 0 { "user" } else { "assistant" };
                    format!(r#"{{"role":"{role}","content":"{text}"}}"#)
                })
                .collect();
            format!(
                r#"{{"model":"gpt-4o","stream":true,"messages":[{}]}}"#,
                turns.join(",")
            )
        };
        let plain = body(&r#"The quick brown fox jumps over the lazy dog.\nA tab\t"#.repeat(9));
        let quoted = body(&r#"The quick brown fox; \"quoted\" [x]. "#.repeat(13));
        for (label, body) in [("plain text", plain), ("quotes and brackets", quoted)] {
            let rounds = 20_000u32;
            let started = std::time::Instant::now();
            for _ in 0..rounds {
                assert!(!nested_deeper_than(
                    std::hint::black_box(body.as_bytes()),
                    MAX_DEPTH
                ));
            }
            let scan = started.elapsed() / rounds;
            let started = std::time::Instant::now();
            for _ in 0..rounds {
                let _: Chat =
                    serde_json::from_slice(std::hint::black_box(body.as_bytes())).unwrap();
            }
            let head = started.elapsed() / rounds;
            println!(
                "{label}, {} bytes: depth check {scan:?}, head parse {head:?}",
                body.len()
            );
        }
    }
}
