//! How one upstream stream ends, kept the same way by every adapter.
//!
//! A complete stream closes with its platform's terminal event (`data: [DONE]`,
//! `message_stop`, a `finishReason`, `conversation.chat.completed`). A connection that
//! closes before it lost the rest of the answer, so the host must not end the client's
//! stream with a `[DONE]` as if nothing happened: `finish` reports [`truncated`].
//!
//! An error that ended the stream earlier wins over a truncation: the kit's
//! [`Driver`](super::Driver) reports it before `finish` is ever asked.

use crate::ApiError;
use crate::error::SERVER;

/// `code` of the error for a stream that closed before its terminal event.
pub const TRUNCATED: &str = "upstream_stream_truncated";

/// Status of that error: the upstream failed, the gateway could not complete the answer.
pub const TRUNCATED_STATUS: u16 = 502;

/// The error for a `platform` stream that closed before `terminal`, its terminal event.
pub fn truncated(platform: &str, terminal: &str) -> ApiError {
    ApiError {
        status: TRUNCATED_STATUS,
        message: format!(
            "the upstream {platform} stream ended before its terminal event ({terminal}); \
             the answer is incomplete"
        ),
        error_type: SERVER.to_owned(),
        param: None,
        code: Some(TRUNCATED.to_owned()),
        retry_after: None,
    }
}

/// Whether one stream reached its terminal event.
#[derive(Debug)]
pub struct StreamEnd {
    /// The platform, for the truncation message (`OpenAI`, `Gemini`, …).
    platform: &'static str,
    /// What a complete stream ends with, for the truncation message.
    terminal: &'static str,
    /// The terminal event arrived.
    reached: bool,
}

impl StreamEnd {
    /// A stream of `platform` that is complete once `terminal` arrives.
    pub const fn new(platform: &'static str, terminal: &'static str) -> Self {
        StreamEnd {
            platform,
            terminal,
            reached: false,
        }
    }

    /// The terminal event arrived: the answer is complete.
    pub fn reach(&mut self) {
        self.reached = true;
    }

    /// Whether the terminal event arrived.
    pub fn reached(&self) -> bool {
        self.reached
    }

    /// Call last in [`StreamState::finish`](super::StreamState::finish): a stream that
    /// never reached its terminal event is [`truncated`]. (An error met earlier has
    /// ended the stream before: the kit's [`Driver`](super::Driver) reports that one.)
    pub fn finish(&self) -> Result<(), ApiError> {
        if self.reached {
            Ok(())
        } else {
            Err(truncated(self.platform, self.terminal))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_without_its_terminal_event_is_truncated() {
        let end = StreamEnd::new("OpenAI", "`data: [DONE]`");
        let e = end.finish().expect_err("no [DONE] means the answer is cut");
        assert_eq!(
            (e.status, e.error_type.as_str(), e.code.as_deref()),
            (502, "server_error", Some("upstream_stream_truncated")),
            "a truncation is the upstream's failure, with a code clients can match"
        );
        assert!(
            e.message.contains("OpenAI") && e.message.contains("`data: [DONE]`"),
            "the message names the platform and what was missing: {}",
            e.message
        );
    }

    #[test]
    fn a_stream_that_reached_its_terminal_event_finishes() {
        let mut end = StreamEnd::new("Gemini", "a `finishReason`");
        end.reach();
        assert!(end.reached());
        assert!(end.finish().is_ok(), "a complete stream ends normally");
    }
}
