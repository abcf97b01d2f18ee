//! How one upstream stream ends, kept the same way by every adapter.
//!
//! A complete stream closes with its platform's terminal event (`data: [DONE]`,
//! `message_stop`, a `finishReason`, `conversation.chat.completed`). A connection that
//! closes before it lost the rest of the answer, so the host must not end the client's
//! stream with a `[DONE]` as if nothing happened: `finish` reports [`truncated`].
//!
//! [`StreamEnd`] also keeps the rule every adapter shares for errors: an error met
//! after chunks in the same batch is reported by the next call, so those chunks reach
//! the client first, and once reported it is what every later call reports, ahead of
//! any truncation.

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

/// Whether one stream reached its terminal event, and the error that ended it if any.
#[derive(Debug)]
pub struct StreamEnd {
    /// The platform, for the truncation message (`OpenAI`, `Gemini`, …).
    platform: &'static str,
    /// What a complete stream ends with, for the truncation message.
    terminal: &'static str,
    /// The terminal event arrived.
    reached: bool,
    /// An error met after chunks in the same batch, not reported yet.
    pending: Option<ApiError>,
    /// The error already reported: the stream ended with it.
    reported: Option<ApiError>,
}

impl StreamEnd {
    /// A stream of `platform` that is complete once `terminal` arrives.
    pub const fn new(platform: &'static str, terminal: &'static str) -> Self {
        StreamEnd {
            platform,
            terminal,
            reached: false,
            pending: None,
            reported: None,
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

    /// Call first in every `push`: the error that already ended this stream, if any.
    pub fn check(&mut self) -> Result<(), ApiError> {
        if let Some(error) = self.pending.take() {
            self.reported = Some(error.clone());
            return Err(error);
        }
        match &self.reported {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// An error met while translating a batch: returned now when the batch produced no
    /// chunk (`produced` false), else kept for the next call (`Ok`; stop the batch).
    pub fn fail(&mut self, error: ApiError, produced: bool) -> Result<(), ApiError> {
        if produced {
            self.pending = Some(error);
            Ok(())
        } else {
            self.reported = Some(error.clone());
            Err(error)
        }
    }

    /// Call in `finish`: an error met earlier wins; otherwise a stream that never
    /// reached its terminal event is [`truncated`].
    pub fn finish(&mut self) -> Result<(), ApiError> {
        self.check()?;
        if self.reached {
            return Ok(());
        }
        let error = truncated(self.platform, self.terminal);
        self.reported = Some(error.clone());
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::bad_gateway;

    #[test]
    fn a_stream_without_its_terminal_event_is_truncated() {
        let mut end = StreamEnd::new("OpenAI", "`data: [DONE]`");
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

    #[test]
    fn an_error_after_chunks_waits_for_the_next_call_and_wins_over_truncation() {
        let mut end = StreamEnd::new("Anthropic", "`message_stop`");
        assert!(end.check().is_ok());
        assert!(
            end.fail(bad_gateway("overloaded"), true).is_ok(),
            "chunks of the same batch go out first"
        );
        let e = end.finish().expect_err("the pending error");
        assert_eq!(
            e.message, "overloaded",
            "the upstream's own error, not a truncation, explains the end"
        );
    }

    #[test]
    fn an_error_with_nothing_before_it_is_returned_at_once_and_stays_the_answer() {
        let mut end = StreamEnd::new("Coze", "`conversation.chat.completed`");
        let e = end
            .fail(bad_gateway("failed"), false)
            .expect_err("nothing to send first");
        assert_eq!(e.message, "failed");
        assert_eq!(
            end.check().map_err(|e| e.message),
            Err("failed".to_owned()),
            "a stream ends once: later calls report the same error"
        );
        assert_eq!(
            end.finish().map_err(|e| e.message),
            Err("failed".to_owned())
        );
    }
}
