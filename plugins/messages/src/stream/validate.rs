//! A strict checker of Messages event sequences, run on every stream the tests make.

use serde_json::Value;

/// Checks the rules every Messages stream must keep:
/// - `message_start` first, exactly once; `message_delta` (with a `stop_reason` and
///   `usage.output_tokens`) once, after every block stopped; `message_stop` last, once.
/// - Block indices start at 0 and count up by one in the order blocks start; one block
///   open at a time; each delta and stop names the open block.
/// - Deltas fit their block (`text_delta` in `text`, `thinking_delta` and
///   `signature_delta` in `thinking`, `input_json_delta` in `tool_use`); `tool_use`
///   starts with `input: {}` and its `partial_json` fragments join into a JSON object;
///   no `text` block stays empty; `redacted_thinking` has no deltas.
/// - A stream that ends with an `error` event is checked up to it.
pub fn validate(events: &[Value]) -> Result<(), String> {
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e.get("type").and_then(Value::as_str).unwrap_or(""))
        .collect();
    if kinds.first() != Some(&"message_start") {
        return Err(format!(
            "the first event is {:?}, not message_start",
            kinds.first()
        ));
    }
    let failed = kinds.last() == Some(&"error");
    if !failed && kinds.last() != Some(&"message_stop") {
        return Err(format!(
            "the last event is {:?}, not message_stop",
            kinds.last()
        ));
    }
    let mut next_index = 0u64;
    // (index, kind, accumulated text or json)
    let mut open: Option<(u64, String, String)> = None;
    let mut delta_seen = false;
    for (n, event) in events.iter().enumerate() {
        let at = |what: &str| format!("event {n}: {what}");
        let index = event.get("index").and_then(Value::as_u64);
        match kinds.get(n).copied().unwrap_or("") {
            "message_start" if n == 0 => {
                let message = &event["message"];
                if message["content"] != Value::Array(Vec::new())
                    || !message["stop_reason"].is_null()
                {
                    return Err(at(
                        "message_start must have empty content and no stop_reason",
                    ));
                }
            }
            "message_start" => return Err(at("a second message_start")),
            "ping" => {}
            "content_block_start" => {
                if delta_seen {
                    return Err(at("a block starts after message_delta"));
                }
                if let Some((open_index, _, _)) = &open {
                    return Err(at(&format!("block {open_index} is still open")));
                }
                if index != Some(next_index) {
                    return Err(at(&format!("block index {index:?}, expected {next_index}")));
                }
                next_index += 1;
                let block = &event["content_block"];
                let kind = block["type"].as_str().unwrap_or("").to_owned();
                match kind.as_str() {
                    "text" if block["text"] == "" => {}
                    "thinking" if block["thinking"] == "" && block["signature"].is_string() => {}
                    "redacted_thinking" if block["data"].is_string() => {}
                    "tool_use"
                        if block["id"].is_string()
                            && block["name"].is_string()
                            && block["input"] == serde_json::json!({}) => {}
                    _ => return Err(at(&format!("bad content_block {block}"))),
                }
                open = Some((next_index - 1, kind, String::new()));
            }
            "content_block_delta" => {
                let Some((open_index, kind, acc)) = &mut open else {
                    return Err(at("a delta with no open block"));
                };
                if index != Some(*open_index) {
                    return Err(at(&format!("delta for {index:?}, open is {open_index}")));
                }
                let delta = &event["delta"];
                match (kind.as_str(), delta["type"].as_str()) {
                    ("text", Some("text_delta")) => {
                        acc.push_str(delta["text"].as_str().ok_or(at("text"))?)
                    }
                    ("thinking", Some("thinking_delta")) => {
                        acc.push_str(delta["thinking"].as_str().ok_or(at("thinking"))?)
                    }
                    ("thinking", Some("signature_delta")) if delta["signature"].is_string() => {}
                    ("tool_use", Some("input_json_delta")) => {
                        acc.push_str(delta["partial_json"].as_str().ok_or(at("partial_json"))?)
                    }
                    _ => return Err(at(&format!("delta {delta} does not fit a {kind} block"))),
                }
            }
            "content_block_stop" => {
                let Some((open_index, kind, acc)) = open.take() else {
                    return Err(at("a stop with no open block"));
                };
                if index != Some(open_index) {
                    return Err(at(&format!("stop for {index:?}, open is {open_index}")));
                }
                match kind.as_str() {
                    "text" if acc.is_empty() => return Err(at("an empty text block")),
                    "tool_use" => {
                        let input: Value = serde_json::from_str(&acc)
                            .map_err(|e| at(&format!("tool input {acc:?} is not JSON: {e}")))?;
                        if !input.is_object() {
                            return Err(at(&format!("tool input {acc:?} is not an object")));
                        }
                    }
                    _ => {}
                }
            }
            "message_delta" => {
                if delta_seen {
                    return Err(at("a second message_delta"));
                }
                if let Some((open_index, _, _)) = &open {
                    return Err(at(&format!(
                        "message_delta while block {open_index} is open"
                    )));
                }
                if !event["delta"]["stop_reason"].is_string() {
                    return Err(at("message_delta has no stop_reason"));
                }
                if !event["usage"]["output_tokens"].is_u64() {
                    return Err(at("message_delta has no usage.output_tokens"));
                }
                delta_seen = true;
            }
            "message_stop" => {
                if !delta_seen {
                    return Err(at("message_stop before message_delta"));
                }
                if n + 1 != events.len() {
                    return Err(at("events after message_stop"));
                }
            }
            "error" if n + 1 == events.len() => {
                if !event["error"]["type"].is_string() || !event["error"]["message"].is_string() {
                    return Err(at("an error event needs error.type and error.message"));
                }
            }
            other => return Err(at(&format!("unexpected event {other:?}"))),
        }
    }
    Ok(())
}
