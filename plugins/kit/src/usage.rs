//! OpenAI `usage` JSON into the WIT [`Usage`].

use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::Usage;

/// An OpenAI `usage` object as platforms send it. Missing counts read as zero, so the
/// embeddings form (`prompt_tokens` and `total_tokens` only) parses too.
#[derive(Debug, Default, Deserialize)]
pub struct OpenAiUsage {
    /// `prompt_tokens`, cached ones included.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// `completion_tokens`, reasoning ones included.
    #[serde(default)]
    pub completion_tokens: u64,
    /// `prompt_tokens_details` (`cached_tokens`).
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    /// `completion_tokens_details` (`reasoning_tokens`).
    #[serde(default)]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
}

/// `usage.prompt_tokens_details`.
#[derive(Debug, Default, Deserialize)]
pub struct PromptTokensDetails {
    /// Prompt tokens served from the cache.
    #[serde(default)]
    pub cached_tokens: Option<u64>,
}

/// `usage.completion_tokens_details`.
#[derive(Debug, Default, Deserialize)]
pub struct CompletionTokensDetails {
    /// Reasoning tokens within `completion_tokens`.
    #[serde(default)]
    pub reasoning_tokens: Option<u64>,
}

impl From<OpenAiUsage> for Usage {
    fn from(usage: OpenAiUsage) -> Self {
        Usage {
            prompt_tokens: saturate(usage.prompt_tokens),
            completion_tokens: saturate(usage.completion_tokens),
            cached_tokens: usage
                .prompt_tokens_details
                .and_then(|d| d.cached_tokens)
                .map(saturate),
            reasoning_tokens: usage
                .completion_tokens_details
                .and_then(|d| d.reasoning_tokens)
                .map(saturate),
        }
    }
}

/// A platform's token count as the WIT's `u32`; an absurd count saturates rather than
/// wrapping into a small one.
pub fn saturate(count: u64) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// Usage from a platform's input and output counts (cached and reasoning tokens
/// unknown); counts beyond `u32` saturate.
pub fn counts(prompt_tokens: u64, completion_tokens: u64) -> Usage {
    Usage {
        prompt_tokens: saturate(prompt_tokens),
        completion_tokens: saturate(completion_tokens),
        cached_tokens: None,
        reasoning_tokens: None,
    }
}

/// Parses one `usage` object; `None` for `null` or anything that is not a usage object.
pub fn parse(json: &str) -> Option<Usage> {
    serde_json::from_str::<Option<OpenAiUsage>>(json)
        .ok()
        .flatten()
        .map(Usage::from)
}

/// A [`Usage`] written as OpenAI's `usage` object: the three counts, and the cached
/// and reasoning details when the platform reported them.
#[derive(Clone, Copy, Debug)]
pub struct UsageJson<'a>(pub &'a Usage);

impl Serialize for UsageJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let usage = self.0;
        let details = usize::from(usage.cached_tokens.is_some())
            + usize::from(usage.reasoning_tokens.is_some());
        let mut object = serializer.serialize_struct("Usage", 3 + details)?;
        object.serialize_field("prompt_tokens", &usage.prompt_tokens)?;
        object.serialize_field("completion_tokens", &usage.completion_tokens)?;
        let total = u64::from(usage.prompt_tokens) + u64::from(usage.completion_tokens);
        object.serialize_field("total_tokens", &total)?;
        if let Some(cached_tokens) = usage.cached_tokens {
            object.serialize_field("prompt_tokens_details", &Details { cached_tokens })?;
        }
        if let Some(reasoning_tokens) = usage.reasoning_tokens {
            object.serialize_field(
                "completion_tokens_details",
                &ReasoningDetails { reasoning_tokens },
            )?;
        }
        object.end()
    }
}

#[derive(serde::Serialize)]
struct Details {
    cached_tokens: u32,
}

#[derive(serde::Serialize)]
struct ReasoningDetails {
    reasoning_tokens: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chat_usage_with_details() {
        let json = r#"{"prompt_tokens":12,"completion_tokens":100,"total_tokens":112,
            "prompt_tokens_details":{"cached_tokens":3,"audio_tokens":0},
            "completion_tokens_details":{"reasoning_tokens":100,"audio_tokens":0}}"#;
        let usage = parse(json).expect("a usage object");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (12, 100));
        assert_eq!(usage.cached_tokens, Some(3));
        assert_eq!(usage.reasoning_tokens, Some(100));
    }

    #[test]
    fn parses_embeddings_usage_and_null_details() {
        let usage = parse(r#"{"prompt_tokens":8,"total_tokens":8,"prompt_tokens_details":null}"#)
            .expect("a usage object");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (8, 0));
        assert_eq!((usage.cached_tokens, usage.reasoning_tokens), (None, None));
    }

    #[test]
    fn null_and_garbage_are_no_usage() {
        assert!(parse("null").is_none());
        assert!(parse(r#""lots""#).is_none());
        assert!(parse(r#"{"prompt_tokens":-1}"#).is_none());
    }

    #[test]
    fn usage_is_written_with_its_total_and_only_the_details_reported() {
        let plain = Usage {
            prompt_tokens: 3,
            completion_tokens: 4,
            cached_tokens: None,
            reasoning_tokens: None,
        };
        assert_eq!(
            serde_json::to_string(&UsageJson(&plain)).expect("writes"),
            r#"{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}"#
        );
        let detailed = Usage {
            cached_tokens: Some(1),
            reasoning_tokens: Some(2),
            ..plain
        };
        let json = serde_json::to_string(&UsageJson(&detailed)).expect("writes");
        assert!(json.ends_with(
            r#""prompt_tokens_details":{"cached_tokens":1},"completion_tokens_details":{"reasoning_tokens":2}}"#
        ));
        assert_eq!(parse(&json).map(|u| u.reasoning_tokens), Some(Some(2)));
    }

    #[test]
    fn counts_saturate_instead_of_wrapping() {
        let usage = counts(7, u64::MAX);
        assert_eq!(
            (usage.prompt_tokens, usage.completion_tokens),
            (7, u32::MAX)
        );
        assert_eq!((usage.cached_tokens, usage.reasoning_tokens), (None, None));
    }

    #[test]
    fn huge_counts_saturate() {
        let usage = parse(r#"{"prompt_tokens":99999999999,"completion_tokens":1}"#)
            .expect("a usage object");
        assert_eq!(usage.prompt_tokens, u32::MAX);
    }
}
