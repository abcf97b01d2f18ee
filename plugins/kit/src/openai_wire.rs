//! The translation shared by platforms that speak OpenAI's own wire format (OpenAI,
//! Azure OpenAI, OpenAI-compatible servers): the client's body goes up nearly as it
//! came, a 2xx answer comes back untouched, and errors are read from OpenAI's error
//! bodies.
//!
//! An adapter for such a platform implements [`Platform`] (its name, and its error
//! bodies where they differ from OpenAI's) and builds on:
//! - [`request::body`]: the upstream body (`model`, forced stream usage);
//! - [`to_openai`]: a complete answer, passed through or turned into an error;
//! - [`error`]: non-2xx answers, errors inside a 2xx body, mid-stream errors;
//! - [`stream`]: where a stream ends (`[DONE]`) and which events hold chunks;
//! - [`responses`]: OpenAI's Responses API passed through (body, answer, stream).
//!
//! What the platforms do not share stays in their adapters: URLs, credentials, headers,
//! and what their streams do with each chunk.

pub mod answer;
pub mod error;
pub mod object;
pub mod request;
pub mod responses;
pub mod stream;

use crate::error::unusable_answer;
use crate::{ApiError, TranslatedResponse, UpstreamResponse};
use answer::Answer;
use error::SNIPPET_CHARS;

/// What sets one OpenAI-wire platform apart from OpenAI. The defaults are OpenAI's.
pub trait Platform {
    /// How error messages name the upstream (`"upstream"`, `"Azure OpenAI"`).
    const NAME: &'static str;

    /// The error in the body of a non-2xx answer with client status `status`; `None`
    /// when the body is no error of this platform (an HTML page, a proxy's JSON).
    fn error_body(status: u16, body: &[u8]) -> Option<ApiError> {
        error::openai_error_body(Self::NAME, status, body)
    }

    /// An `{"error": …}` value (`error_json`) that came without an error status:
    /// mid-stream, or inside a 2xx body.
    fn stream_error(error_json: &str) -> ApiError {
        error::openai_stream_error(Self::NAME, error_json)
    }
}

/// A complete upstream answer (chat completion or embeddings list) for the client.
///
/// A 2xx completion or list passes through as it came, read once for `usage`, never
/// rebuilt; anything else becomes an OpenAI-shaped error:
/// - a non-2xx answer: its status and error ([`error::from_upstream`]);
/// - a 2xx `{"error": {...}}`: the status its type or code stands for, else 502
///   ([`error::from_error_in_answer`]);
/// - a 2xx body that is not a completion or list (an HTML page, a foreign JSON object):
///   502 naming the content type with the start of the body.
///
/// The host also hands over the whole answer when a streamed request was answered
/// without `text/event-stream` (a server that ignores `stream`, a proxy's error page):
/// the same rules apply, and a completion goes back to the host, which streams it.
pub fn to_openai<P: Platform>(response: UpstreamResponse) -> Result<TranslatedResponse, ApiError> {
    if !(200..300).contains(&response.status) {
        return Err(error::from_upstream::<P>(&response));
    }
    let usage = match answer::read(&response.body) {
        Ok(Answer::Complete(usage)) => usage,
        Ok(Answer::Error(error)) => {
            return Err(error::from_error_in_answer::<P>(
                error.get(),
                &response.headers,
            ));
        }
        Err(reason) => {
            return Err(unusable_answer(P::NAME, &response, &reason, SNIPPET_CHARS));
        }
    };
    Ok(TranslatedResponse {
        body: response.body,
        usage,
    })
}
