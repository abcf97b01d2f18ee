//! Chat `finish_reason` → Messages `stop_reason`.
//!
//! | finish_reason | stop_reason |
//! |---|---|
//! | `length` | `max_tokens` (even with tool calls: their arguments may be cut) |
//! | `content_filter`, or the answer was a `refusal` | `refusal` |
//! | any other, when the answer called tools | `tool_use` |
//! | `tool_calls`, `function_call` | `tool_use` |
//! | `stop` with a matched stop string (vLLM's `stop_reason`) | `stop_sequence`, and `stop_sequence` names it |
//! | `stop`, and anything unknown | `end_turn` |
//!
//! Chat does not say which stop sequence ended an answer, so `stop` is `end_turn`
//! unless the server names the match (vLLM sets `choices[].stop_reason` to it).

/// What ended an answer, as chat reports it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Ending<'a> {
    /// `finish_reason`.
    pub finish_reason: &'a str,
    /// Whether the answer called a tool.
    pub tool_calls: bool,
    /// Whether the answer was a refusal.
    pub refused: bool,
    /// The stop string that matched, when the server names it.
    pub stop_sequence: Option<&'a str>,
}

/// The Messages `stop_reason` and `stop_sequence`.
pub fn stop_reason<'a>(ending: &Ending<'a>) -> (&'static str, Option<&'a str>) {
    match ending.finish_reason {
        "length" => ("max_tokens", None),
        "content_filter" => ("refusal", None),
        _ if ending.refused => ("refusal", None),
        _ if ending.tool_calls => ("tool_use", None),
        "tool_calls" | "function_call" => ("tool_use", None),
        "stop" if ending.stop_sequence.is_some() => ("stop_sequence", ending.stop_sequence),
        _ => ("end_turn", None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(finish_reason: &str, tool_calls: bool) -> &'static str {
        let ending = Ending {
            finish_reason,
            tool_calls,
            ..Ending::default()
        };
        stop_reason(&ending).0
    }

    #[test]
    fn finish_reasons_map() {
        assert_eq!(reason("stop", false), "end_turn");
        assert_eq!(reason("length", false), "max_tokens");
        assert_eq!(reason("length", true), "max_tokens");
        assert_eq!(reason("tool_calls", true), "tool_use");
        assert_eq!(reason("function_call", false), "tool_use");
        assert_eq!(reason("stop", true), "tool_use");
        assert_eq!(reason("content_filter", false), "refusal");
        assert_eq!(reason("something_new", false), "end_turn");
    }

    #[test]
    fn a_named_stop_string_is_a_stop_sequence() {
        let ending = Ending {
            finish_reason: "stop",
            stop_sequence: Some("###"),
            ..Ending::default()
        };
        assert_eq!(stop_reason(&ending), ("stop_sequence", Some("###")));
    }

    #[test]
    fn a_refusal_is_a_refusal() {
        let ending = Ending {
            finish_reason: "stop",
            refused: true,
            ..Ending::default()
        };
        assert_eq!(stop_reason(&ending).0, "refusal");
    }
}
