//! The gateway's own estimate for `count_tokens` on platforms that count nothing.
//!
//! No tokenizer of every platform ships with the gateway, so the estimate is the rule
//! of thumb the platforms' documents give for English text: one token per four
//! characters (rounded up) of every string the model reads (system, message text,
//! tool inputs and results, tool names, descriptions and schemas), plus 4 tokens per
//! message and 1,600 per image or document page source (Anthropic's figure for an
//! image of about 1.15 megapixels). It is meant for budgeting a context window, not
//! for billing: billing uses the usage the platform reports.

use serde_json::Value;

use crate::error::GatewayError;

/// Characters per token in the estimate.
const CHARS_PER_TOKEN: usize = 4;
/// Tokens added per message (role and framing).
const PER_MESSAGE: u64 = 4;
/// Tokens counted per image or document source.
const PER_MEDIA: u64 = 1_600;

/// The estimated input tokens of a Messages request body.
pub fn input_tokens(body: &[u8]) -> Result<u64, GatewayError> {
    let request: Value = serde_json::from_slice(body)
        .map_err(|err| GatewayError::bad_request(format!("invalid request body: {err}"), None))?;
    let Some(messages) = request.get("messages").and_then(Value::as_array) else {
        return Err(GatewayError::bad_request(
            "`messages` must be an array of messages",
            Some("messages"),
        ));
    };
    let mut tally = Tally::default();
    if let Some(system) = request.get("system") {
        tally.content(system);
    }
    for message in messages {
        tally.fixed += PER_MESSAGE;
        if let Some(content) = message.get("content") {
            tally.content(content);
        }
    }
    for tool in request
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        tally.all_text(tool);
    }
    Ok(tally.tokens())
}

/// Characters and fixed costs seen so far.
#[derive(Default)]
struct Tally {
    chars: usize,
    fixed: u64,
}

impl Tally {
    /// Message content: a string, or blocks whose media count as a fixed cost.
    fn content(&mut self, content: &Value) {
        match content {
            Value::String(text) => self.chars += text.chars().count(),
            Value::Array(blocks) => blocks.iter().for_each(|block| self.block(block)),
            _ => {}
        }
    }

    fn block(&mut self, block: &Value) {
        match block.get("type").and_then(Value::as_str) {
            Some("image" | "document")
                if block.pointer("/source/type").and_then(Value::as_str) != Some("text") =>
            {
                self.fixed += PER_MEDIA;
            }
            Some("text") => {
                if let Some(text) = block.get("text").and_then(Value::as_str) {
                    self.chars += text.chars().count();
                }
            }
            Some("tool_result") => {
                if let Some(content) = block.get("content") {
                    self.content(content);
                }
            }
            _ => self.all_text(block),
        }
    }

    /// Every string and key in `value` (tool definitions and inputs, thinking text,
    /// text document sources).
    fn all_text(&mut self, value: &Value) {
        match value {
            Value::String(text) => self.chars += text.chars().count(),
            Value::Array(items) => items.iter().for_each(|item| self.all_text(item)),
            Value::Object(map) => {
                for (key, item) in map {
                    if key == "signature" || key == "cache_control" {
                        continue;
                    }
                    self.chars += key.len();
                    self.all_text(item);
                }
            }
            Value::Number(number) => self.chars += number.to_string().len(),
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn tokens(&self) -> u64 {
        let text = self.chars.div_ceil(CHARS_PER_TOKEN);
        u64::try_from(text)
            .unwrap_or(u64::MAX)
            .saturating_add(self.fixed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_counts_a_token_per_four_characters_plus_framing() {
        let body =
            br#"{"model":"m","system":"abcd","messages":[{"role":"user","content":"abcdefgh"}]}"#;
        // 4 + 8 characters -> 3 tokens, one message -> 4 more.
        assert_eq!(input_tokens(body).ok(), Some(7));
    }

    #[test]
    fn images_are_a_fixed_cost_and_tools_count_their_text() {
        let body = br#"{"model":"m","messages":[{"role":"user","content":[
            {"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}},
            {"type":"text","text":"what?"}]}],
            "tools":[{"name":"get","description":"d","input_schema":{"type":"object"}}]}"#;
        let tokens = input_tokens(body).expect("counts");
        assert!(tokens > PER_MEDIA + PER_MESSAGE, "{tokens}");
        assert!(tokens < PER_MEDIA + PER_MESSAGE + 20, "{tokens}");
    }

    #[test]
    fn a_body_without_messages_is_a_400() {
        assert!(input_tokens(br#"{"model":"m"}"#).is_err());
        assert!(input_tokens(b"nope").is_err());
    }
}
