//! What a whole answer and a stream share: finish reasons, tool calls, blocked
//! prompts, ids.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use switchyard_guest_kit::error::SERVER;
use switchyard_guest_kit::options::flag;
use switchyard_guest_kit::{ApiError, CallContext};

use super::tool_id;
use super::wire::{FunctionCall, PromptFeedback};

/// Option: `false` drops thought parts instead of sending them as `reasoning_content`.
pub const OPTION_REASONING_CONTENT: &str = "reasoning-content";

/// Status of an answer Gemini could not finish (`MALFORMED_FUNCTION_CALL`): the
/// platform failed, not the client.
pub const MALFORMED_CALL_STATUS: u16 = 502;

/// Whether thought parts reach the client as `reasoning_content`.
pub fn emits_reasoning(ctx: &CallContext) -> bool {
    flag(ctx, OPTION_REASONING_CONTENT) != Some(false)
}

/// The OpenAI `finish_reason` for a Gemini one; `MALFORMED_FUNCTION_CALL` is an error,
/// never a silent stop.
pub fn finish_reason(
    reason: &str,
    has_tool_calls: bool,
    finish_message: Option<&str>,
) -> Result<&'static str, ApiError> {
    Ok(match reason {
        "MALFORMED_FUNCTION_CALL" => {
            let detail =
                finish_message.unwrap_or("the model produced a function call that is not valid");
            return Err(ApiError {
                status: MALFORMED_CALL_STATUS,
                message: format!("Gemini stopped with MALFORMED_FUNCTION_CALL: {detail}"),
                error_type: SERVER.to_owned(),
                param: None,
                code: Some("malformed_function_call".to_owned()),
                retry_after: None,
            });
        }
        "MAX_TOKENS" => "length",
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "LANGUAGE"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION"
        | "IMAGE_OTHER" => "content_filter",
        _ if has_tool_calls => "tool_calls",
        _ => "stop",
    })
}

/// The refusal text for a blocked prompt.
pub fn blocked_message(feedback: &PromptFeedback) -> Option<String> {
    let reason = feedback.block_reason.as_deref()?;
    Some(match feedback.block_reason_message.as_deref() {
        Some(message) if !message.is_empty() => {
            format!("Gemini blocked the prompt ({reason}): {message}")
        }
        _ => format!("Gemini blocked the prompt ({reason})"),
    })
}

/// An OpenAI tool call (without the stream's `index`) for a Gemini function call.
pub fn tool_call(call: &FunctionCall, signature: Option<&str>, seed: &str, index: usize) -> Value {
    json!({
        "id": tool_id::encode(call.id.as_deref(), seed, index, signature),
        "type": "function",
        "function": { "name": call.name, "arguments": arguments(call) },
    })
}

/// A function call's arguments as the JSON text OpenAI carries (`{}` when it has none).
pub fn arguments(call: &FunctionCall) -> String {
    match &call.args {
        Some(args) if !args.is_null() => args.to_string(),
        _ => "{}".to_owned(),
    }
}

/// The completion id, from Gemini's `responseId` when it sent one.
pub fn completion_id(response_id: Option<&str>) -> String {
    match response_id.filter(|id| !id.is_empty()) {
        Some(id) => format!("chatcmpl-{id}"),
        None => format!("chatcmpl-gemini{}", now_nanos()),
    }
}

/// Seconds since the epoch (0 if the clock is unavailable).
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The seed of synthesised tool call ids: Gemini's `responseId`, made safe for an id.
pub fn id_seed(response_id: Option<&str>) -> String {
    let seed: String = response_id
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if seed.is_empty() {
        format!("{:x}", now_nanos())
    } else {
        seed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_reasons_map_like_openai() {
        assert_eq!(finish_reason("STOP", false, None).ok(), Some("stop"));
        assert_eq!(finish_reason("STOP", true, None).ok(), Some("tool_calls"));
        assert_eq!(finish_reason("MAX_TOKENS", true, None).ok(), Some("length"));
        for filtered in [
            "SAFETY",
            "RECITATION",
            "BLOCKLIST",
            "PROHIBITED_CONTENT",
            "SPII",
        ] {
            assert_eq!(
                finish_reason(filtered, false, None).ok(),
                Some("content_filter")
            );
        }
        assert_eq!(finish_reason("OTHER", false, None).ok(), Some("stop"));
    }

    #[test]
    fn malformed_function_call_is_an_error() {
        let e = finish_reason("MALFORMED_FUNCTION_CALL", false, Some("Malformed call: x("))
            .expect_err("error");
        assert_eq!(e.status, 502);
        assert_eq!(e.code.as_deref(), Some("malformed_function_call"));
        assert!(e.message.contains("Malformed call: x("), "{}", e.message);
    }
}
