//! Anthropic `usage` → OpenAI `usage` and the WIT [`Usage`].
//!
//! Anthropic's `input_tokens` excludes cache reads and writes; OpenAI's `prompt_tokens`
//! includes cached tokens, so the prompt count is the sum of the three, and
//! `prompt_tokens_details.cached_tokens` is the cache reads.
//!
//! `server_tool_use.web_search_requests` (the searches a web search ran, which
//! Anthropic bills per search) has no OpenAI or WIT counterpart and is not read; the
//! search results Claude read are already in `input_tokens`.

use serde::Deserialize;
use serde_json::{Value, json};
use switchyard_guest_kit::Usage;
use switchyard_guest_kit::usage::saturate;

/// An Anthropic `usage` object; missing counts are `None` (a stream's `message_delta`
/// may carry only `output_tokens`).
#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct AnthropicUsage {
    /// Uncached input tokens.
    #[serde(default)]
    pub input_tokens: Option<u64>,
    /// Input tokens written to the cache.
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    /// Input tokens read from the cache.
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
    /// Output tokens, thinking included.
    #[serde(default)]
    pub output_tokens: Option<u64>,
}

impl AnthropicUsage {
    /// Takes every count `later` reports (stream usage is cumulative: the later
    /// count replaces the earlier one).
    pub fn update(&mut self, later: &AnthropicUsage) {
        let take = |mine: &mut Option<u64>, theirs: Option<u64>| {
            if theirs.is_some() {
                *mine = theirs;
            }
        };
        take(&mut self.input_tokens, later.input_tokens);
        take(
            &mut self.cache_creation_input_tokens,
            later.cache_creation_input_tokens,
        );
        take(
            &mut self.cache_read_input_tokens,
            later.cache_read_input_tokens,
        );
        take(&mut self.output_tokens, later.output_tokens);
    }

    /// Prompt tokens in OpenAI terms: uncached, cache writes and cache reads.
    pub fn prompt_tokens(&self) -> u64 {
        self.input_tokens
            .unwrap_or(0)
            .saturating_add(self.cache_creation_input_tokens.unwrap_or(0))
            .saturating_add(self.cache_read_input_tokens.unwrap_or(0))
    }

    /// Completion tokens in OpenAI terms.
    pub fn completion_tokens(&self) -> u64 {
        self.output_tokens.unwrap_or(0)
    }

    /// The OpenAI `usage` object.
    pub fn to_openai(&self) -> Value {
        let prompt = self.prompt_tokens();
        let completion = self.completion_tokens();
        json!({
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt.saturating_add(completion),
            "prompt_tokens_details": {
                "cached_tokens": self.cache_read_input_tokens.unwrap_or(0)
            }
        })
    }

    /// The usage the host accounts.
    pub fn to_wit(&self) -> Usage {
        Usage {
            prompt_tokens: saturate(self.prompt_tokens()),
            completion_tokens: saturate(self.completion_tokens()),
            cached_tokens: self.cache_read_input_tokens.map(saturate),
            reasoning_tokens: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_tokens_count_cache_reads_and_writes() {
        let usage: AnthropicUsage = serde_json::from_str(
            r#"{"input_tokens":10,"cache_creation_input_tokens":200,"cache_read_input_tokens":3000,"output_tokens":7,"service_tier":"standard"}"#,
        )
        .expect("usage");
        let openai = usage.to_openai();
        assert_eq!(openai["prompt_tokens"], 3210);
        assert_eq!(openai["completion_tokens"], 7);
        assert_eq!(openai["total_tokens"], 3217);
        assert_eq!(openai["prompt_tokens_details"]["cached_tokens"], 3000);
        let wit = usage.to_wit();
        assert_eq!((wit.prompt_tokens, wit.completion_tokens), (3210, 7));
        assert_eq!(wit.cached_tokens, Some(3000));
    }

    #[test]
    fn later_counts_replace_earlier_ones() {
        let mut usage: AnthropicUsage =
            serde_json::from_str(r#"{"input_tokens":11,"output_tokens":1}"#).expect("usage");
        usage.update(&serde_json::from_str(r#"{"output_tokens":6}"#).expect("usage"));
        assert_eq!((usage.prompt_tokens(), usage.completion_tokens()), (11, 6));
    }
}
