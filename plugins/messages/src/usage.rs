//! Chat `usage` → Messages `usage`.
//!
//! Chat's `prompt_tokens` includes cached tokens (`prompt_tokens_details.cached_tokens`);
//! Messages' `input_tokens` excludes cache reads:
//!
//! | Messages | from chat |
//! |---|---|
//! | `input_tokens` | `prompt_tokens - cached_tokens` (never below 0) |
//! | `cache_read_input_tokens` | `cached_tokens` (0 when not reported) |
//! | `cache_creation_input_tokens` | 0 (chat does not report cache writes) |
//! | `output_tokens` | `completion_tokens` (reasoning included) |

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
    /// `prompt_tokens_details`.
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptDetails>,
}

/// `usage.prompt_tokens_details`.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct PromptDetails {
    /// Prompt tokens read from a cache.
    #[serde(default)]
    pub cached_tokens: Option<u64>,
}

impl ChatUsage {
    /// Prompt tokens read from a cache.
    pub fn cached(&self) -> u64 {
        self.prompt_tokens_details
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0)
    }

    /// Uncached prompt tokens: Messages' `input_tokens`.
    pub fn input_tokens(&self) -> u64 {
        self.prompt_tokens.saturating_sub(self.cached())
    }

    /// The Messages `usage` object.
    pub fn to_messages(&self) -> MessagesUsage {
        MessagesUsage {
            input_tokens: self.input_tokens(),
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: self.cached(),
            output_tokens: self.completion_tokens,
        }
    }
}

/// A Messages `usage` object.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MessagesUsage {
    /// Uncached prompt tokens.
    pub input_tokens: u64,
    /// Prompt tokens written to a cache (chat does not say: 0).
    pub cache_creation_input_tokens: u64,
    /// Prompt tokens read from a cache.
    pub cache_read_input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cached_tokens_leave_input_tokens() {
        let usage: ChatUsage = serde_json::from_value(json!({
            "prompt_tokens": 1200, "completion_tokens": 30,
            "prompt_tokens_details": {"cached_tokens": 1000}
        }))
        .unwrap();
        assert_eq!(
            serde_json::to_value(usage.to_messages()).unwrap(),
            json!({"input_tokens": 200, "cache_creation_input_tokens": 0,
                   "cache_read_input_tokens": 1000, "output_tokens": 30})
        );
    }

    #[test]
    fn more_cached_than_prompt_saturates() {
        let usage: ChatUsage = serde_json::from_value(json!({
            "prompt_tokens": 5, "completion_tokens": 1,
            "prompt_tokens_details": {"cached_tokens": 9}
        }))
        .unwrap();
        assert_eq!(usage.input_tokens(), 0);
    }
}
