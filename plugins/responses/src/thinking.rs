//! Signed thinking blocks carried through a reasoning item's `encrypted_content`.
//!
//! This gateway's Anthropic adapter returns Claude's thinking whole, with its
//! signature, as chat `thinking_blocks`, and takes them back on an assistant message:
//! Claude needs them replayed when it thinks across tool calls. A Responses client
//! replays reasoning items as it got them (Codex asks for
//! `include: ["reasoning.encrypted_content"]` and sends them back), so the blocks ride
//! in `encrypted_content`, opaque to the client:
//!
//! | direction | mapping |
//! |---|---|
//! | chat `thinking_blocks` → reasoning item | `encrypted_content` = [`MARKER`] + the blocks as a JSON array |
//! | reasoning item → chat | `encrypted_content` with the marker → the next assistant message's `thinking_blocks` |
//! | reasoning item with OpenAI's own `encrypted_content` | ignored (only OpenAI can read it) |

use std::borrow::Borrow;

use serde_json::value::RawValue;

/// What starts an `encrypted_content` this dialect wrote.
pub const MARKER: &str = "switchyard.thinking.v1:";

/// The `encrypted_content` for these blocks (each a whole JSON block); `None` for none.
pub fn encode<B: Borrow<RawValue>>(blocks: &[B]) -> Option<String> {
    if blocks.is_empty() {
        return None;
    }
    let mut out = String::from(MARKER);
    out.push('[');
    for (i, block) in blocks.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(block.borrow().get());
    }
    out.push(']');
    Some(out)
}

/// The blocks an `encrypted_content` this dialect wrote carries; empty for any other.
pub fn decode(encrypted: &str) -> Vec<&RawValue> {
    encrypted
        .strip_prefix(MARKER)
        .and_then(|json| serde_json::from_str::<Vec<&RawValue>>(json).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip() {
        let blocks: Vec<&RawValue> = serde_json::from_str(
            r#"[{"type":"thinking","thinking":"t","signature":"s"},{"type":"redacted_thinking","data":"d"}]"#,
        )
        .unwrap();
        let encrypted = encode(&blocks).unwrap();
        assert!(encrypted.starts_with(MARKER));
        let back: Vec<&str> = decode(&encrypted).iter().map(|b| b.get()).collect();
        let sent: Vec<&str> = blocks.iter().map(|b| b.get()).collect();
        assert_eq!(back, sent);
        assert_eq!(encode::<&RawValue>(&[]), None);
    }

    #[test]
    fn foreign_content_is_ignored() {
        assert!(decode("gAAAAABoOpenAI").is_empty());
        assert!(decode("switchyard.thinking.v1:not json").is_empty());
    }
}
