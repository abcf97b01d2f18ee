//! The `id`, `created` and tool call ids of answers whose platform sends none.
//!
//! OpenAI clients key streams and tool results by these: a completion id must differ
//! between calls, and a tool call id between the calls of one conversation. They are
//! made from the clock (adapters run with a live clock and no other entropy they can
//! count on) and a per-instance counter, so two answers in the same nanosecond differ
//! too.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    static SEQUENCE: Cell<u64> = const { Cell::new(0) };
}

/// Seconds since the Unix epoch: the `created` of an answer (0 if the clock is unset).
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// A completion id: the platform's id made safe for an id, with `chatcmpl-` before it
/// unless it has it already; `chatcmpl-<unique>` when the platform sent none.
pub fn completion_id(platform_id: Option<&str>) -> String {
    match platform_id.map(safe).filter(|id| !id.is_empty()) {
        Some(id) if id.starts_with("chatcmpl-") => id,
        Some(id) => format!("chatcmpl-{id}"),
        None => format!("chatcmpl-{}", unique()),
    }
}

/// A tool call id, `call_<unique>`, for platforms that do not name their calls.
pub fn tool_call_id() -> String {
    format!("call_{}", unique())
}

/// Hex digits that differ between every two calls of one instance, and between
/// instances unless they run in the same nanosecond.
fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let sequence = SEQUENCE.with(|cell| {
        let next = cell.get().wrapping_add(1);
        cell.set(next);
        next
    });
    format!("{nanos:x}{sequence:04x}")
}

/// The ASCII letters, digits, `-` and `_` of a platform's id.
fn safe(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_between_calls() {
        assert_ne!(completion_id(None), completion_id(None));
        assert_ne!(tool_call_id(), tool_call_id());
        assert!(tool_call_id().starts_with("call_"));
    }

    #[test]
    fn a_platform_id_is_kept_but_made_safe() {
        assert_eq!(completion_id(Some("r/12 3")), "chatcmpl-r123");
        assert_eq!(completion_id(Some("chatcmpl-9")), "chatcmpl-9");
        assert!(completion_id(Some("///")).len() > "chatcmpl-".len());
    }

    #[test]
    fn the_clock_is_live() {
        assert!(now() > 1_700_000_000, "seconds since the epoch");
    }
}
