//! A request's cost: its usage split into exclusive buckets, each priced once.
//!
//! Adapters report usage in the contract's shape (OpenAI's): `prompt-tokens` counts
//! every prompt token, cached ones included, and `cached-tokens` says how many of them
//! were read from the cache; `completion-tokens` includes reasoning. Each adapter maps
//! its platform's shape onto it (Anthropic adds its cache reads and writes to
//! `input_tokens`; Gemini's `promptTokenCount` already includes
//! `cachedContentTokenCount`, and its `thoughtsTokenCount` is added to the
//! candidates). So here the buckets never overlap: a cached token is billed as cached
//! and only as cached.
//!
//! Contract 0.2 has no field for cache *writes*: they arrive as uncached prompt
//! tokens and are billed at the input price (Anthropic charges 1.25x for them).

use super::price::Price;
use crate::plugins::bindings::Usage;

/// Tokens per price unit (prices are per million).
const PER: i128 = 1_000_000;

/// A request's tokens, each in exactly one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Buckets {
    /// Prompt tokens not read from a cache.
    pub uncached_input: u64,
    /// Prompt tokens read from the cache.
    pub cached_input: u64,
    /// Prompt tokens written to the cache.
    pub cache_write: u64,
    /// Completion tokens, reasoning included.
    pub output: u64,
}

impl Buckets {
    /// The buckets of an adapter's usage report. A cached count above the prompt
    /// count (a platform's rounding, a faulty adapter) is capped at the prompt.
    pub fn of(usage: &Usage) -> Self {
        let prompt = u64::from(usage.prompt_tokens);
        let cached = u64::from(usage.cached_tokens.unwrap_or(0)).min(prompt);
        Self {
            uncached_input: prompt - cached,
            cached_input: cached,
            cache_write: 0,
            output: u64::from(usage.completion_tokens),
        }
    }

    /// Every prompt token, whatever its bucket.
    pub fn prompt(&self) -> u64 {
        self.uncached_input + self.cached_input + self.cache_write
    }
}

impl Price {
    /// What `buckets` cost, in nanodollars, rounded to the nearest nanodollar once.
    pub fn cost(&self, buckets: &Buckets) -> i64 {
        let micro = i128::from(buckets.uncached_input) * i128::from(self.input)
            + i128::from(buckets.cached_input) * i128::from(self.cached_input)
            + i128::from(buckets.cache_write) * i128::from(self.cache_write)
            + i128::from(buckets.output) * i128::from(self.output);
        i64::try_from((micro + PER / 2) / PER).unwrap_or(i64::MAX)
    }
}

/// The JSON members whose string values are generated text, in every dialect's
/// events: chat deltas (`content`, `reasoning_content`, tool `arguments`), Messages
/// (`text`, `thinking`, `partial_json`) and Responses (`delta`).
const TEXT_MEMBERS: &[&[u8]] = &[
    b"\"content\":\"",
    b"\"reasoning_content\":\"",
    b"\"arguments\":\"",
    b"\"text\":\"",
    b"\"thinking\":\"",
    b"\"partial_json\":\"",
    b"\"delta\":\"",
];

/// Characters of generated text in one relayed event (escapes count as one), so
/// that a stream the client leaves before its usage arrives is billed for what it got.
pub fn relayed_chars(event: &str) -> usize {
    let bytes = event.as_bytes();
    let mut total = 0;
    for member in TEXT_MEMBERS {
        for start in memchr::memmem::find_iter(bytes, member) {
            total += string_chars(&bytes[start + member.len()..]);
        }
    }
    total
}

/// The characters of a JSON string's body up to its closing quote.
fn string_chars(body: &[u8]) -> usize {
    let mut chars = 0;
    let mut i = 0;
    while let Some(&b) = body.get(i) {
        match b {
            b'"' => break,
            b'\\' => i += 2,
            _ => i += 1,
        }
        // Count characters, not bytes: skip UTF-8 continuation bytes.
        if b & 0xC0 != 0x80 {
            chars += 1;
        }
    }
    chars
}

/// Nanodollars as dollars, for people and JSON.
pub fn usd(nanos: i64) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "display only")]
    let dollars = nanos as f64 / super::price::NANOS_PER_USD;
    dollars
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(prompt: u32, completion: u32, cached: Option<u32>, reasoning: Option<u32>) -> Usage {
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            cached_tokens: cached,
            reasoning_tokens: reasoning,
        }
    }

    /// gpt-4o-mini: $0.15 in, $0.075 cached, $0.60 out per million.
    const MINI: Price = Price {
        input: 150_000_000,
        cached_input: 75_000_000,
        cache_write: 150_000_000,
        output: 600_000_000,
    };

    #[test]
    fn a_plain_request_costs_its_prompt_and_its_answer() {
        // 1,000 prompt tokens at $0.15/M = $0.00015; 500 out at $0.60/M = $0.0003.
        let cost = MINI.cost(&Buckets::of(&usage(1000, 500, None, None)));
        assert_eq!(cost, 150_000 + 300_000);
        assert!((usd(cost) - 0.000_45).abs() < 1e-12);
    }

    #[test]
    fn cached_tokens_are_billed_once_at_the_cached_price() {
        // OpenAI's shape: 1,000 prompt tokens of which 800 cached.
        let buckets = Buckets::of(&usage(1000, 10, Some(800), None));
        assert_eq!(buckets.uncached_input, 200);
        assert_eq!(buckets.cached_input, 800);
        assert_eq!(buckets.prompt(), 1000, "no token counted twice");
        // 200 x 0.15 + 800 x 0.075 + 10 x 0.60 (dollars per million) = 96 microdollars.
        assert_eq!(MINI.cost(&buckets), 30_000 + 60_000 + 6_000);
    }

    #[test]
    fn reasoning_is_output_and_is_not_added_again() {
        // o-series shape: 300 completion tokens of which 250 reasoning.
        let buckets = Buckets::of(&usage(100, 300, None, Some(250)));
        assert_eq!(buckets.output, 300);
        assert_eq!(MINI.cost(&buckets), 15_000 + 180_000);
    }

    #[test]
    fn a_cached_count_above_the_prompt_is_capped() {
        let buckets = Buckets::of(&usage(10, 0, Some(50), None));
        assert_eq!((buckets.uncached_input, buckets.cached_input), (0, 10));
    }

    #[test]
    fn fractions_of_a_nanodollar_round_once_over_the_whole_request() {
        // $0.0375 per million is 37.5 nanodollars a token.
        let price = Price {
            cached_input: 37_500_000,
            ..MINI
        };
        let buckets = Buckets {
            cached_input: 3,
            ..Buckets::default()
        };
        assert_eq!(price.cost(&buckets), 113, "112.5 rounds once, not 3 x 38");
    }

    #[test]
    fn relayed_text_is_counted_in_every_dialect() {
        let chat = r#"{"choices":[{"delta":{"content":"Hello"}}]}"#;
        assert_eq!(relayed_chars(chat), 5);
        let escaped = r#"{"choices":[{"delta":{"content":"a\"b\n"}}]}"#;
        assert_eq!(relayed_chars(escaped), 4);
        let messages =
            r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"héllo"}}"#;
        assert_eq!(relayed_chars(messages), 5);
        let responses = r#"{"type":"response.output_text.delta","delta":"abc"}"#;
        assert_eq!(relayed_chars(responses), 3);
        let tool =
            r#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"{\"a\":1}"}}]}}]}"#;
        assert_eq!(relayed_chars(tool), 7);
        assert_eq!(relayed_chars(r#"{"usage":{"prompt_tokens":3}}"#), 0);
    }

    #[test]
    fn huge_counts_do_not_overflow() {
        let buckets = Buckets {
            output: u64::MAX,
            ..Buckets::default()
        };
        assert_eq!(MINI.cost(&buckets), i64::MAX);
    }
}
