//! The OpenAI conversation → Ollama messages.
//!
//! - `developer` becomes `system`; content parts are joined into one text.
//! - Images (`image_url` parts with a `data:…;base64,` URL) become the message's
//!   `images`; Ollama cannot fetch an http(s) URL, so that is a 400.
//! - An assistant turn's tool calls get their arguments as objects; a `tool` message
//!   names its tool in `tool_name`, found through the call id it answers.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::error::bad_request;
use crate::openai::{self, Content};
use crate::{ApiError, wire};

/// Translates the whole conversation.
pub fn to_ollama(messages: Vec<openai::Message>) -> Result<Vec<wire::Message>, ApiError> {
    // Tool call id → function name, from the assistant turns seen so far.
    let mut tool_names: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(messages.len());
    for (i, message) in messages.into_iter().enumerate() {
        let role = match message.role.as_str() {
            "system" | "developer" => "system",
            "user" => "user",
            "assistant" => "assistant",
            "tool" => "tool",
            other => {
                return Err(bad_request(
                    format!("messages[{i}]: role `{other}` is not supported by Ollama"),
                    Some(format!("messages[{i}].role")),
                ));
            }
        };
        let (content, images) = content(i, message.content, role == "user")?;
        let mut tool_calls = Vec::new();
        if role == "assistant" {
            for (j, call) in message.tool_calls.into_iter().flatten().enumerate() {
                if let Some(id) = call.id {
                    tool_names.insert(id, call.function.name.clone());
                }
                tool_calls.push(wire::ToolCall {
                    function: wire::FunctionCall {
                        arguments: arguments(&call.function.arguments).ok_or_else(|| {
                            bad_request(
                                format!(
                                    "messages[{i}].tool_calls[{j}]: `arguments` must be a JSON object"
                                ),
                                Some(format!("messages[{i}].tool_calls[{j}].function.arguments")),
                            )
                        })?,
                        name: call.function.name,
                    },
                });
            }
        }
        let tool_name = match (role, &message.tool_call_id) {
            ("tool", Some(id)) => tool_names.get(id).cloned(),
            _ => None,
        };
        out.push(wire::Message {
            role: role.to_owned(),
            content,
            images,
            tool_calls,
            tool_name,
        });
    }
    Ok(out)
}

/// A message's text and, on user turns, its images.
fn content(
    index: usize,
    content: Option<Content>,
    images_allowed: bool,
) -> Result<(String, Vec<String>), ApiError> {
    let parts = match content {
        None => return Ok((String::new(), Vec::new())),
        Some(Content::Text(text)) => return Ok((text, Vec::new())),
        Some(Content::Parts(parts)) => parts,
    };
    let (mut texts, mut images) = (Vec::new(), Vec::new());
    for (j, part) in parts.into_iter().enumerate() {
        let param = || Some(format!("messages[{index}].content[{j}]"));
        match (part.kind.as_str(), part.text, part.image_url) {
            ("text", Some(text), _) => texts.push(text),
            ("image_url", _, Some(image)) if images_allowed => {
                let data = base64_data(&image.url).ok_or_else(|| {
                    bad_request(
                        format!(
                            "messages[{index}].content[{j}]: Ollama takes images inline; send a `data:<type>;base64,…` URL"
                        ),
                        param(),
                    )
                })?;
                images.push(data.to_owned());
            }
            (kind, _, _) => {
                return Err(bad_request(
                    format!(
                        "messages[{index}].content[{j}]: a `{kind}` part is not supported here"
                    ),
                    param(),
                ));
            }
        }
    }
    Ok((texts.join("\n"), images))
}

/// The base64 payload of a `data:<type>;base64,<payload>` URL.
fn base64_data(url: &str) -> Option<&str> {
    let (header, data) = url.strip_prefix("data:")?.split_once(',')?;
    (header.ends_with(";base64") && !data.is_empty()).then_some(data)
}

/// OpenAI's arguments text → the object Ollama wants; empty text is `{}`.
fn arguments(text: &str) -> Option<Map<String, Value>> {
    if text.trim().is_empty() {
        return Some(Map::new());
    }
    serde_json::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn translate(messages: Value) -> Result<Value, ApiError> {
        let messages: Vec<openai::Message> = serde_json::from_value(messages).unwrap();
        to_ollama(messages).map(|m| serde_json::to_value(m).unwrap())
    }

    #[test]
    fn roles_text_and_images() {
        let out = translate(json!([
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is in this image?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                {"type": "text", "text": "And this one?"},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ", "detail": "low"}}
            ]}
        ]))
        .unwrap();
        assert_eq!(
            out,
            json!([
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "What is in this image?\nAnd this one?",
                 "images": ["iVBORw0KGgo=", "/9j/4AAQ"]}
            ])
        );
    }

    #[test]
    fn tool_rounds_carry_objects_and_tool_names() {
        let out = translate(json!([
            {"role": "user", "content": "Weather in Toronto?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\"city\": \"Toronto\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "11 degrees celsius"},
            {"role": "tool", "tool_call_id": "call_unknown", "content": "?"}
        ]))
        .unwrap();
        assert_eq!(
            out[1],
            json!({"role": "assistant", "content": "",
                   "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Toronto"}}}]})
        );
        assert_eq!(
            out[2],
            json!({"role": "tool", "content": "11 degrees celsius", "tool_name": "get_weather"})
        );
        assert_eq!(
            out[3],
            json!({"role": "tool", "content": "?"}),
            "no name known"
        );
    }

    #[test]
    fn what_ollama_cannot_take_is_a_400_naming_the_field() {
        let cases = [
            (
                json!([{"role": "function", "content": "x"}]),
                "messages[0].role",
            ),
            (
                json!([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]),
                "messages[0].content[0]",
            ),
            (
                json!([{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]),
                "messages[0].content[0]",
            ),
            (
                json!([{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]),
                "messages[0].content[0]",
            ),
            (
                json!([{"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "[1]"}}]}]),
                "messages[0].tool_calls[0].function.arguments",
            ),
        ];
        for (messages, param) in cases {
            let e = translate(messages).expect_err("refused");
            assert_eq!(e.status, 400);
            assert_eq!(e.param.as_deref(), Some(param), "{}", e.message);
        }
    }

    #[test]
    fn data_urls_need_base64() {
        assert_eq!(base64_data("data:image/png;base64,QUJD"), Some("QUJD"));
        assert_eq!(base64_data("data:text/plain,hello"), None);
        assert_eq!(base64_data("data:image/png;base64,"), None);
        assert_eq!(base64_data("https://x/y.png"), None);
        assert_eq!(arguments(""), Some(Map::new()));
        assert_eq!(arguments("null"), None);
    }
}
