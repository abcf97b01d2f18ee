//! `previous_response_id`, served by the gateway's own store on every platform.
//!
//! A stored response keeps the input items of its own request (each given an `id`,
//! as `GET /v1/responses/{id}/input_items` shows them) and its output. Continuing it
//! sends the platform, in order, every earlier response's input and output items, then
//! the new request's input; `instructions` are not carried over (as on OpenAI).
//!
//! The body is rewritten member by member ([`Members`]): only `input` (and, for a
//! platform that speaks Responses natively, `previous_response_id`, which names an id
//! the platform never saw) changes; every other member keeps its bytes and its place.
//! On that native path, carried items lose the `id` the gateway or another platform
//! gave them, and reasoning items that carry no `encrypted_content` are left out: a
//! platform can only resume reasoning from its encrypted form.

use indexmap::IndexMap;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::error::GatewayError;
use crate::store::StoredResponse;

/// Longest chain followed; older responses are left out of the input.
pub const MAX_CHAIN: usize = 1_000;

/// A request body's members in their order, each value as the client wrote it.
pub type Members = IndexMap<String, Box<RawValue>>;

/// The body's members; a body that is not a JSON object is a 400.
pub fn members(body: &[u8]) -> Result<Members, GatewayError> {
    serde_json::from_slice(body).map_err(|err| {
        GatewayError::bad_request(
            format!("the request body is not a JSON object: {err}"),
            None,
        )
    })
}

/// The body written back from its members.
pub fn body(members: &Members) -> Result<Vec<u8>, GatewayError> {
    serde_json::to_vec(members).map_err(|err| GatewayError::Internal(Box::new(err)))
}

/// This request's `input` as items, each with an `id` (a string is one user message).
/// `seed` makes the ids unique to the request.
pub fn own_items(input: Option<&RawValue>, seed: &str) -> Result<Vec<Value>, GatewayError> {
    let Some(input) = input else {
        return Ok(Vec::new());
    };
    let value: Value = serde_json::from_str(input.get()).map_err(|err| {
        GatewayError::bad_request(format!("`input` is not valid JSON: {err}"), Some("input"))
    })?;
    let items = match value {
        Value::String(text) => vec![json!({
            "type": "message",
            "role": "user",
            "content": [{ "type": "input_text", "text": text }],
        })],
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        _ => {
            return Err(GatewayError::bad_request(
                "`input` must be a string or an array of items",
                Some("input"),
            ));
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(n, item)| match item {
            Value::Object(item) => Ok(Value::Object(with_id(item, seed, n))),
            _ => Err(GatewayError::bad_request(
                format!("`input[{n}]` must be an object"),
                Some(&format!("input[{n}]")),
            )),
        })
        .collect()
}

/// An input item in the shape the input-items listing shows: typed, its text content
/// as parts, with an `id`.
fn with_id(mut item: Map<String, Value>, seed: &str, n: usize) -> Map<String, Value> {
    if !item.contains_key("type") && item.contains_key("role") {
        item.insert("type".into(), Value::from("message"));
    }
    let kind = item
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("item")
        .to_owned();
    if kind == "message"
        && let Some(Value::String(text)) = item.get("content")
    {
        let part = match item.get("role").and_then(Value::as_str) {
            Some("assistant") => json!({ "type": "output_text", "text": text, "annotations": [] }),
            _ => json!({ "type": "input_text", "text": text }),
        };
        item.insert("content".into(), Value::Array(vec![part]));
    }
    if !item.contains_key("id") {
        let prefix = match kind.as_str() {
            "message" => "msg",
            "function_call" => "fc",
            "function_call_output" => "fco",
            _ => "item",
        };
        item.insert("id".into(), Value::from(format!("{prefix}_{seed}{n:03}")));
    }
    item
}

/// The items a continuation sends before its own input: each stored response's input
/// and output, oldest first.
pub fn carried_items(chain: &[StoredResponse], native: bool) -> Vec<Value> {
    let mut items = Vec::new();
    for stored in chain {
        let input: Vec<Value> = serde_json::from_str(&stored.input).unwrap_or_default();
        let output = serde_json::from_str::<Value>(&stored.response)
            .ok()
            .and_then(
                |mut response| match response.get_mut("output").map(Value::take) {
                    Some(Value::Array(output)) => Some(output),
                    _ => None,
                },
            )
            .unwrap_or_default();
        items.extend(
            input
                .into_iter()
                .chain(output)
                .filter_map(|item| if native { for_native(item) } else { Some(item) }),
        );
    }
    items
}

/// A carried item as a platform that speaks Responses natively can take it.
fn for_native(item: Value) -> Option<Value> {
    let Value::Object(mut item) = item else {
        return None;
    };
    if item.get("type").and_then(Value::as_str) == Some("reasoning") {
        let encrypted = item
            .get("encrypted_content")
            .is_some_and(|content| content.is_string());
        return encrypted.then_some(Value::Object(item));
    }
    item.remove("id");
    Some(Value::Object(item))
}

/// The request's members with `input` replaced by the carried items and its own
/// (as the client sent them); `previous_response_id` removed when `native`.
pub fn continued(
    mut members: Members,
    carried: Vec<Value>,
    native: bool,
) -> Result<Members, GatewayError> {
    let own = match members.get("input") {
        None => Vec::new(),
        Some(raw) => match serde_json::from_str::<Value>(raw.get()) {
            Ok(Value::Array(items)) => items,
            Ok(Value::String(text)) => vec![json!({ "role": "user", "content": text })],
            _ => Vec::new(),
        },
    };
    let input: Vec<Value> = carried.into_iter().chain(own).collect();
    let raw = serde_json::value::to_raw_value(&input)
        .map_err(|err| GatewayError::Internal(Box::new(err)))?;
    members.insert("input".into(), raw);
    if native {
        members.shift_remove("previous_response_id");
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    fn stored(id: &str, input: Value, output: Value) -> StoredResponse {
        StoredResponse {
            id: id.into(),
            client_id: "c".into(),
            previous_id: None,
            model: "m".into(),
            created_at_ms: 0,
            input: input.to_string(),
            response: json!({ "id": id, "output": output }).to_string(),
        }
    }

    #[test]
    fn a_string_input_is_one_user_message_with_an_id() {
        let items = own_items(Some(&raw(r#""hi""#)), "abc").unwrap();
        assert_eq!(
            items,
            [json!({
                "type": "message", "role": "user", "id": "msg_abc000",
                "content": [{ "type": "input_text", "text": "hi" }],
            })]
        );
    }

    #[test]
    fn items_are_typed_and_keep_their_own_ids() {
        let input = raw(
            r#"[{"role":"assistant","content":"yes"},{"type":"function_call_output","call_id":"c1","output":"42","id":"mine"}]"#,
        );
        let items = own_items(Some(&input), "s").unwrap();
        assert_eq!(items[0]["type"], "message");
        assert_eq!(items[0]["content"][0]["type"], "output_text");
        assert_eq!(items[0]["id"], "msg_s000");
        assert_eq!(items[1]["id"], "mine");
    }

    #[test]
    fn misfit_input_is_a_400_naming_it() {
        let err = own_items(Some(&raw("[1]")), "s").unwrap_err();
        assert_eq!(err.status(), http::StatusCode::BAD_REQUEST);
        assert!(err.to_string().contains("input[0]"), "{err}");
        assert!(own_items(Some(&raw("7")), "s").is_err());
    }

    #[test]
    fn a_continuation_carries_every_turn_in_order_and_keeps_other_members() {
        let chain = [
            stored(
                "r1",
                json!([{ "type": "message", "role": "user", "id": "m1", "content": "one" }]),
                json!([
                    { "type": "reasoning", "id": "rs1", "summary": [] },
                    { "type": "message", "role": "assistant", "id": "o1", "content": [] },
                ]),
            ),
            stored(
                "r2",
                json!([{ "type": "message", "role": "user", "id": "m2", "content": "two" }]),
                json!([{ "type": "function_call", "id": "fc", "call_id": "c", "name": "f", "arguments": "{}" }]),
            ),
        ];
        let body = br#"{"model":"x","previous_response_id":"r2","input":"three","store":true}"#;
        let native = continued(members(body).unwrap(), carried_items(&chain, true), true).unwrap();
        let text = String::from_utf8(super::body(&native).unwrap()).unwrap();
        assert!(text.starts_with(r#"{"model":"x","input":["#), "{text}");
        assert!(text.ends_with(r#""store":true}"#), "{text}");
        let value: Value = serde_json::from_str(&text).unwrap();
        let input = value["input"].as_array().unwrap();
        assert_eq!(
            input.len(),
            5,
            "reasoning without encrypted content is left out"
        );
        assert!(input.iter().all(|item| item.get("id").is_none()));
        assert_eq!(input[4], json!({ "role": "user", "content": "three" }));

        let translated =
            continued(members(body).unwrap(), carried_items(&chain, false), false).unwrap();
        assert!(translated.contains_key("previous_response_id"));
        let input: Vec<Value> = serde_json::from_str(translated["input"].get()).unwrap();
        assert_eq!(input.len(), 6);
        assert_eq!(input[1]["id"], "rs1");
    }

    #[test]
    fn encrypted_reasoning_survives_the_native_path() {
        let chain = [stored(
            "r1",
            json!([]),
            json!([{ "type": "reasoning", "id": "rs", "summary": [], "encrypted_content": "gAAA" }]),
        )];
        let items = carried_items(&chain, true);
        assert_eq!(items[0]["encrypted_content"], "gAAA");
        assert_eq!(items[0]["id"], "rs");
    }
}
