//! What a finished request is billed for: its usage (or, for a stream that never
//! reported one, what it reported and relayed) as a line of the daily spend rollup.

use crate::plugins::bindings::Usage;
use crate::spend::cost::Buckets;
use crate::store::SpendLine;

/// The rollup line of one request of `client` served by `model`, costing `cost`
/// (`None`: unknown); its day is filled in by the writer.
pub(super) fn spend_line(client: &str, model: &str, b: &Buckets, cost: Option<i64>) -> SpendLine {
    SpendLine {
        day: String::new(),
        client_id: client.to_string(),
        model: model.to_string(),
        requests: 1,
        input_tokens: count(b.uncached_input),
        cached_tokens: count(b.cached_input),
        cache_write_tokens: count(b.cache_write),
        output_tokens: count(b.output),
        cost_nanos: cost.unwrap_or(0),
        unpriced_requests: i64::from(cost.is_none()),
    }
}

/// A token count as the rollup keeps it.
fn count(tokens: u64) -> i64 {
    i64::try_from(tokens).unwrap_or(i64::MAX)
}

/// Characters of text per token assumed when billing a cut stream's output.
const CHARS_PER_TOKEN: u64 = 4;

/// The usage of a stream that never reported its own: what it reported so far, its
/// prompt (estimated when it said nothing), and at least the text it relayed.
pub(super) fn partial_usage(
    so_far: Option<Usage>,
    prompt_estimate: u64,
    chars: u64,
) -> Option<Usage> {
    if so_far.is_none() && chars == 0 {
        return None;
    }
    let relayed = u32::try_from(chars.div_ceil(CHARS_PER_TOKEN)).unwrap_or(u32::MAX);
    Some(match so_far {
        Some(usage) => Usage {
            completion_tokens: usage.completion_tokens.max(relayed),
            ..usage
        },
        None => Usage {
            prompt_tokens: u32::try_from(prompt_estimate).unwrap_or(u32::MAX),
            completion_tokens: relayed,
            cached_tokens: None,
            reasoning_tokens: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_stream_is_billed_for_what_it_reported_and_relayed() {
        assert!(partial_usage(None, 100, 0).is_none(), "nothing happened");
        let guessed = partial_usage(None, 100, 9).expect("relayed text");
        assert_eq!((guessed.prompt_tokens, guessed.completion_tokens), (100, 3));
        let reported = Usage {
            prompt_tokens: 42,
            completion_tokens: 1,
            cached_tokens: Some(40),
            reasoning_tokens: None,
        };
        let billed = partial_usage(Some(reported), 100, 20).expect("reported");
        assert_eq!(billed.prompt_tokens, 42, "the platform's count wins");
        assert_eq!(billed.cached_tokens, Some(40));
        assert_eq!(billed.completion_tokens, 5, "at least the text relayed");
    }
}
