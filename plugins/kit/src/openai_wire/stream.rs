//! What every OpenAI-wire stream shares, whatever its adapter then does with the
//! chunks (pass them through, hide usage, rebuild annotation chunks).
//!
//! A complete stream ends with `data: [DONE]`. Events after it are ignored, as the
//! OpenAI SDKs stop reading there; the host ends the client's stream with its own
//! `[DONE]`. A chunk with a `finish_reason` is not the end: the usage chunk follows it
//! (and, from some servers, further choices or annotations), so a stream that closes
//! without `[DONE]` was cut.

use crate::StreamEnd;

/// What a complete OpenAI-wire stream ends with.
pub const TERMINAL: &str = "`data: [DONE]`";

/// How a `platform` stream ends: complete once `[DONE]` arrives.
pub const fn end(platform: &'static str) -> StreamEnd {
    StreamEnd::new(platform, TERMINAL)
}

/// The trimmed text of one event's data when it is a chunk to read: `None` for
/// `[DONE]` (which completes the stream), for blank data, and for anything after
/// `[DONE]`.
// Called once per event by every OpenAI-wire stream: worth inlining across crates.
#[inline]
pub fn chunk_text<'a>(data: &'a str, end: &mut StreamEnd) -> Option<&'a str> {
    let trimmed = data.trim();
    if trimmed == "[DONE]" {
        end.reach();
        return None;
    }
    (!trimmed.is_empty() && !end.reached()).then_some(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_completes_the_stream_and_nothing_after_it_is_read() {
        let mut end = end("OpenAI");
        assert_eq!(chunk_text(" {\"id\":1}\n", &mut end), Some("{\"id\":1}"));
        assert_eq!(chunk_text("  ", &mut end), None, "blank data is no chunk");
        assert!(end.finish().is_err(), "no [DONE] yet: truncated");
        assert_eq!(chunk_text(" [DONE] ", &mut end), None);
        assert!(end.reached());
        assert_eq!(chunk_text("{\"late\":true}", &mut end), None);
        assert!(end.finish().is_ok());
    }
}
