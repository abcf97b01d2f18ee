//! What a fixture expects, and checking what the adapter did against it: the
//! upstream request, an OpenAI-shaped error, reported usage. Absent keys are not
//! checked; `null` where a value may be missing means "must be missing".

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::Failure;
use super::diff::{self, Difference};
use crate::plugins::bindings::{ApiError, Method, StreamFraming, UpstreamRequest, Usage};

/// `upstream_request`: the parts of the upstream request to check; absent ones are not.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedRequest {
    /// HTTP method, case-insensitive.
    pub method: Option<String>,
    /// Path and query, exactly.
    pub path_and_query: Option<String>,
    /// Headers that must be present (names case-insensitive), with these values.
    #[serde(default)]
    pub headers: BTreeMap<String, Value>,
    /// The JSON body (`null`: no body).
    #[serde(default, deserialize_with = "present")]
    pub body: Option<Value>,
    /// The response framing asked for (`null`: none, a single answer).
    #[serde(default, deserialize_with = "present")]
    pub framing: Option<Option<Framing>>,
}

/// Stream framing names in fixtures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Framing {
    /// Server-sent events.
    Sse,
    /// One JSON document per line.
    Ndjson,
}

impl From<Framing> for StreamFraming {
    fn from(framing: Framing) -> Self {
        match framing {
            Framing::Sse => StreamFraming::Sse,
            Framing::Ndjson => StreamFraming::Ndjson,
        }
    }
}

/// `expect`: the translated body and usage; absent parts are not checked.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The OpenAI response body.
    #[serde(default, deserialize_with = "present")]
    pub body: Option<Value>,
    /// The usage reported (`null`: none).
    #[serde(default, deserialize_with = "present")]
    pub usage: Option<Option<ExpectedUsage>>,
}

/// Usage counts to check; absent ones are not checked, `null` means not reported.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedUsage {
    /// `prompt-tokens`.
    pub prompt_tokens: Option<u32>,
    /// `completion-tokens`.
    pub completion_tokens: Option<u32>,
    /// `cached-tokens`.
    #[serde(default, deserialize_with = "present")]
    pub cached_tokens: Option<Option<u32>>,
    /// `reasoning-tokens`.
    #[serde(default, deserialize_with = "present")]
    pub reasoning_tokens: Option<Option<u32>>,
}

impl ExpectedUsage {
    /// The checked counts as a JSON object.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut map = Map::new();
        put(&mut map, "prompt_tokens", self.prompt_tokens.map(Some));
        put(
            &mut map,
            "completion_tokens",
            self.completion_tokens.map(Some),
        );
        put(&mut map, "cached_tokens", self.cached_tokens);
        put(&mut map, "reasoning_tokens", self.reasoning_tokens);
        map
    }
}

/// `request_error` / `expect_error`: the parts of an OpenAI-shaped error to check.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedError {
    /// HTTP status.
    pub status: u16,
    /// `error-type`.
    #[serde(rename = "type")]
    pub error_type: Option<String>,
    /// `code` (`null`: none).
    #[serde(default, deserialize_with = "present")]
    pub code: Option<Option<String>>,
    /// `param` (`null`: none).
    #[serde(default, deserialize_with = "present")]
    pub param: Option<Option<String>>,
    /// A part of the message.
    pub message_contains: Option<String>,
    /// `retry-after` seconds (`null`: none).
    #[serde(default, deserialize_with = "present")]
    pub retry_after: Option<Option<u32>>,
}

impl ExpectedError {
    /// The checked fields (all but the message) as a JSON object.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("status".into(), self.status.into());
        put(&mut map, "type", self.error_type.clone().map(Some));
        put(&mut map, "code", self.code.clone());
        put(&mut map, "param", self.param.clone());
        put(&mut map, "retry_after", self.retry_after);
        map
    }
}

fn put<T: Into<Value>>(map: &mut Map<String, Value>, key: &str, value: Option<Option<T>>) {
    if let Some(value) = value {
        map.insert(key.into(), value.map_or(Value::Null, Into::into));
    }
}

/// Tells `"key": null` (`Some(None)`) from an absent key (`None`, via `default`).
pub(super) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Checks the upstream request `transform-request` built.
pub fn check_request(expected: &ExpectedRequest, actual: &UpstreamRequest) -> Result<(), Failure> {
    const STEP: &str = "upstream request";
    let mismatch = |difference| Err(Failure::mismatch(STEP, difference));
    if let Some(method) = &expected.method
        && !method.eq_ignore_ascii_case(method_name(actual.method))
    {
        return mismatch(Difference {
            path: "upstream_request.method".into(),
            expected: Value::String(method.clone()).to_string(),
            actual: Value::String(method_name(actual.method).into()).to_string(),
        });
    }
    if let Some(path) = &expected.path_and_query
        && let Some(difference) = diff::first_difference(
            "upstream_request.path_and_query",
            &Value::String(path.clone()),
            &Value::String(actual.path_and_query.clone()),
        )
    {
        return mismatch(difference);
    }
    for (name, want) in &expected.headers {
        let got = actual
            .headers
            .iter()
            .find(|(actual_name, _)| actual_name.eq_ignore_ascii_case(name))
            .map(|(_, value)| Value::String(value.clone()));
        let path = diff::key_path("upstream_request.headers", name);
        let difference = match got {
            Some(got) => diff::first_difference(&path, want, &got),
            None => Some(Difference {
                path,
                expected: diff::render(Some(want)),
                actual: diff::render(None),
            }),
        };
        if let Some(difference) = difference {
            return mismatch(difference);
        }
    }
    if let Some(body) = &expected.body
        && let Some(difference) =
            diff::first_difference("upstream_request.body", body, &body_json(&actual.body))
    {
        return mismatch(difference);
    }
    if let Some(framing) = expected.framing {
        let want = framing.map(StreamFraming::from);
        if want != actual.response_framing {
            return mismatch(Difference {
                path: "upstream_request.framing".into(),
                expected: framing_name(want),
                actual: framing_name(actual.response_framing),
            });
        }
    }
    Ok(())
}

/// Checks an adapter's error against `expected`; `root` is the fixture key.
pub fn check_error(
    step: &str,
    root: &str,
    expected: &ExpectedError,
    actual: &ApiError,
) -> Result<(), Failure> {
    let want = expected.to_json();
    let got = error_json(actual);
    if let Some(difference) = compare_subset(root, &want, &got) {
        return Err(Failure::mismatch(step, difference));
    }
    if let Some(part) = &expected.message_contains
        && !actual.message.contains(part.as_str())
    {
        return Err(Failure::mismatch(
            step,
            Difference {
                path: diff::key_path(root, "message_contains"),
                expected: format!("a message containing {}", Value::String(part.clone())),
                actual: Value::String(actual.message.clone()).to_string(),
            },
        ));
    }
    Ok(())
}

/// Checks reported usage against `expected` (`None`: none may be reported).
pub fn check_usage(
    step: &str,
    root: &str,
    expected: Option<&ExpectedUsage>,
    actual: Option<Usage>,
) -> Result<(), Failure> {
    let difference = match (expected, actual) {
        (None, None) => None,
        (Some(want), Some(got)) => compare_subset(root, &want.to_json(), &usage_json(&got)),
        (want, got) => Some(Difference {
            path: root.to_string(),
            expected: want.map_or("null".into(), |u| Value::Object(u.to_json()).to_string()),
            actual: got.map_or("null".into(), |u| Value::Object(usage_json(&u)).to_string()),
        }),
    };
    difference.map_or(Ok(()), |difference| {
        Err(Failure::mismatch(step, difference))
    })
}

/// The first difference on the keys `want` has.
fn compare_subset(
    root: &str,
    want: &Map<String, Value>,
    got: &Map<String, Value>,
) -> Option<Difference> {
    let got: Map<String, Value> = want
        .keys()
        .filter_map(|key| got.get(key).map(|value| (key.clone(), value.clone())))
        .collect();
    diff::first_difference(root, &Value::Object(want.clone()), &Value::Object(got))
}

fn error_json(error: &ApiError) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("status".into(), error.status.into());
    map.insert("type".into(), error.error_type.clone().into());
    map.insert("code".into(), error.code.clone().into());
    map.insert("param".into(), error.param.clone().into());
    map.insert("retry_after".into(), error.retry_after.into());
    map
}

fn usage_json(usage: &Usage) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("prompt_tokens".into(), usage.prompt_tokens.into());
    map.insert("completion_tokens".into(), usage.completion_tokens.into());
    map.insert("cached_tokens".into(), usage.cached_tokens.into());
    map.insert("reasoning_tokens".into(), usage.reasoning_tokens.into());
    map
}

/// A body as JSON: `null` when empty, a string when it is not JSON.
pub fn body_json(body: &[u8]) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
    }
}

fn framing_name(framing: Option<StreamFraming>) -> String {
    match framing {
        Some(StreamFraming::Sse) => "\"sse\"",
        Some(StreamFraming::Ndjson) => "\"ndjson\"",
        None => "null",
    }
    .to_string()
}

#[cfg(test)]
mod tests;
