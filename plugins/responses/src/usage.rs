//! Chat `usage` → Responses `usage`.
//!
//! | Responses | from chat |
//! |---|---|
//! | `input_tokens` | `prompt_tokens` (cached tokens included, as in chat) |
//! | `input_tokens_details.cached_tokens` | `prompt_tokens_details.cached_tokens`, else 0 |
//! | `input_tokens_details.cache_write_tokens` | 0 (chat does not report cache writes; newer SDKs require the member) |
//! | `output_tokens` | `completion_tokens` (reasoning included, as in chat) |
//! | `output_tokens_details.reasoning_tokens` | `completion_tokens_details.reasoning_tokens`, else 0 |
//! | `total_tokens` | `total_tokens`, else input + output |

use serde::{Deserialize, Serialize};

/// A chat `usage` object.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct ChatUsage {
    /// Prompt tokens, cached ones included.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// Completion tokens, reasoning included.
    #[serde(default)]
    pub completion_tokens: u64,
    /// Both, when the platform sums them.
    #[serde(default)]
    pub total_tokens: Option<u64>,
    /// `prompt_tokens_details`.
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptDetails>,
    /// `completion_tokens_details`.
    #[serde(default)]
    pub completion_tokens_details: Option<CompletionDetails>,
}

/// `usage.prompt_tokens_details`.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct PromptDetails {
    /// Prompt tokens read from a cache.
    #[serde(default)]
    pub cached_tokens: Option<u64>,
}

/// `usage.completion_tokens_details`.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct CompletionDetails {
    /// Completion tokens spent reasoning.
    #[serde(default)]
    pub reasoning_tokens: Option<u64>,
}

impl ChatUsage {
    /// The Responses `usage` object.
    pub fn to_responses(&self) -> Usage {
        let input_tokens = self.prompt_tokens;
        let output_tokens = self.completion_tokens;
        Usage {
            input_tokens,
            input_tokens_details: InputDetails {
                cached_tokens: self
                    .prompt_tokens_details
                    .and_then(|d| d.cached_tokens)
                    .unwrap_or(0),
                cache_write_tokens: 0,
            },
            output_tokens,
            output_tokens_details: OutputDetails {
                reasoning_tokens: self
                    .completion_tokens_details
                    .and_then(|d| d.reasoning_tokens)
                    .unwrap_or(0),
            },
            total_tokens: self
                .total_tokens
                .unwrap_or(input_tokens.saturating_add(output_tokens)),
        }
    }
}

/// A Responses `usage` object.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// `input_tokens_details`.
    pub input_tokens_details: InputDetails,
    /// Output tokens.
    pub output_tokens: u64,
    /// `output_tokens_details`.
    pub output_tokens_details: OutputDetails,
    /// Input and output tokens.
    pub total_tokens: u64,
}

/// `usage.input_tokens_details`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InputDetails {
    /// Input tokens read from a cache.
    pub cached_tokens: u64,
    /// Input tokens written to a cache (unknown to chat: 0).
    pub cache_write_tokens: u64,
}

/// `usage.output_tokens_details`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OutputDetails {
    /// Output tokens spent reasoning.
    pub reasoning_tokens: u64,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn details_map_and_default_to_zero() {
        let usage: ChatUsage = serde_json::from_value(json!({
            "prompt_tokens": 1200, "completion_tokens": 30, "total_tokens": 1230,
            "prompt_tokens_details": {"cached_tokens": 1000},
            "completion_tokens_details": {"reasoning_tokens": 12}
        }))
        .unwrap();
        assert_eq!(
            serde_json::to_value(usage.to_responses()).unwrap(),
            json!({"input_tokens": 1200,
                   "input_tokens_details": {"cached_tokens": 1000, "cache_write_tokens": 0},
                   "output_tokens": 30, "output_tokens_details": {"reasoning_tokens": 12},
                   "total_tokens": 1230})
        );
        let bare: ChatUsage =
            serde_json::from_value(json!({"prompt_tokens": 5, "completion_tokens": 2})).unwrap();
        let usage = bare.to_responses();
        assert_eq!(usage.total_tokens, 7);
        assert_eq!(usage.input_tokens_details.cached_tokens, 0);
        assert_eq!(usage.output_tokens_details.reasoning_tokens, 0);
    }
}
