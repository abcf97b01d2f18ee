//! Conversation capture for chat requests: which conversation a request belongs to
//! (the `X-Conversation-Id` header, `metadata.conversation_id`, or a new id the
//! response returns), the messages worth keeping, and the assistant's reply.

use bytes::Bytes;
use http::HeaderMap;
use serde_json::{Map, Value};

use crate::error::GatewayError;
use crate::store::{Exchange, now_millis};

/// The request and response header carrying the conversation id.
pub const HEADER: &str = "x-conversation-id";

/// Longest conversation id accepted.
const MAX_ID_LEN: usize = 128;

/// A chat request whose exchange will be stored once answered.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The conversation id (returned to the client in [`HEADER`]).
    pub conversation_id: String,
    client_id: String,
    model: String,
    messages: Vec<Value>,
}

impl Capture {
    /// The exchange to store, given the assistant's reply message.
    pub fn complete(self, reply: &Value) -> Exchange {
        Exchange {
            client_id: self.client_id,
            conversation_id: self.conversation_id,
            model: self.model,
            at_ms: now_millis(),
            messages: self.messages,
            reply: normalize(reply),
        }
    }

    /// The exchange for a completion body (`choices[0].message`), if it has one.
    pub fn complete_from_body(self, completion: &[u8]) -> Option<Exchange> {
        let body: Value = serde_json::from_slice(completion).ok()?;
        let reply = body.pointer("/choices/0/message")?;
        Some(self.complete(reply))
    }
}

/// Starts capturing for `client_id` when its conversations are `stored`. Returns the
/// capture and the body to forward: `metadata.conversation_id` is the gateway's, so it
/// is removed before the request goes upstream.
pub fn begin(
    client_id: &str,
    stored: bool,
    headers: &HeaderMap,
    model: &str,
    body: Bytes,
) -> Result<(Option<Capture>, Bytes), GatewayError> {
    if !stored {
        return Ok((None, body));
    }
    let Ok(Value::Object(mut request)) = serde_json::from_slice::<Value>(&body) else {
        return Ok((None, body));
    };
    let from_header = match headers.get(HEADER) {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| invalid_id("the X-Conversation-Id header"))?
                .to_string(),
        ),
        None => None,
    };
    let from_metadata = take_metadata_id(&mut request)?;
    let rewritten = from_metadata.is_some();
    let conversation_id = match from_header.or(from_metadata) {
        Some(id) => validate_id(id)?,
        None => uuid::Uuid::new_v4().to_string(),
    };
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .map(|messages| messages.iter().map(normalize).collect())
        .unwrap_or_default();
    let body = if rewritten {
        serde_json::to_vec(&request)
            .map(Bytes::from)
            .map_err(|err| GatewayError::Internal(err.into()))?
    } else {
        body
    };
    let capture = Capture {
        conversation_id,
        client_id: client_id.to_string(),
        model: model.to_string(),
        messages,
    };
    Ok((Some(capture), body))
}

/// Removes `metadata.conversation_id` (and an emptied `metadata`), returning it.
fn take_metadata_id(request: &mut Map<String, Value>) -> Result<Option<String>, GatewayError> {
    let Some(Value::Object(metadata)) = request.get_mut("metadata") else {
        return Ok(None);
    };
    let id = match metadata.remove("conversation_id") {
        None => return Ok(None),
        Some(Value::String(id)) => id,
        Some(_) => return Err(invalid_id("metadata.conversation_id")),
    };
    if metadata.is_empty() {
        request.remove("metadata");
    }
    Ok(Some(id))
}

/// A conversation id: 1 to 128 of `A-Z a-z 0-9 - _ . :`.
pub fn validate_id(id: String) -> Result<String, GatewayError> {
    let valid = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if valid {
        Ok(id)
    } else {
        Err(invalid_id("the conversation id"))
    }
}

fn invalid_id(what: &str) -> GatewayError {
    GatewayError::bad_request(
        format!("{what} must be 1 to {MAX_ID_LEN} characters of A-Z, a-z, 0-9, '-', '_', '.', ':'"),
        Some("conversation_id"),
    )
}

/// A message reduced to what identifies it (role, content, name, tool calls), without
/// nulls, so the reply stored from a response equals the same message resent by the
/// client in its next request, whatever optional fields its SDK adds.
pub fn normalize(message: &Value) -> Value {
    let Value::Object(message) = message else {
        return message.clone();
    };
    let mut kept = Map::new();
    for field in [
        "role",
        "content",
        "name",
        "tool_call_id",
        "reasoning_content",
    ] {
        if let Some(value) = message.get(field).filter(|v| !v.is_null()) {
            kept.insert(field.into(), value.clone());
        }
    }
    if let Some(calls) = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
    {
        let calls = calls
            .iter()
            .map(|call| {
                let function = call.get("function");
                serde_json::json!({
                    "id": call.get("id"),
                    "type": call.get("type").cloned().unwrap_or_else(|| "function".into()),
                    "function": {
                        "name": function.and_then(|f| f.get("name")),
                        "arguments": function.and_then(|f| f.get("arguments")),
                    },
                })
            })
            .collect();
        kept.insert("tool_calls".into(), Value::Array(calls));
    }
    Value::Object(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_reply_and_the_same_message_resent_by_an_sdk_normalize_equal() {
        let reply = json!({"role": "assistant", "content": "Hi", "refusal": null,
                           "annotations": [], "tool_calls": null});
        let resent = json!({"role": "assistant", "content": "Hi", "function_call": null,
                            "audio": null});
        assert_eq!(normalize(&reply), normalize(&resent));
        assert_eq!(
            normalize(&reply),
            json!({"role": "assistant", "content": "Hi"})
        );
    }

    #[test]
    fn ids_outside_the_alphabet_or_too_long_are_refused() {
        assert!(validate_id("conv-1_a.b:c".into()).is_ok());
        assert!(validate_id(String::new()).is_err());
        assert!(validate_id("a/b".into()).is_err());
        assert!(validate_id("x".repeat(129)).is_err());
    }
}
