//! Complete upstream answers. Chat calls are always streamed, so a complete answer is
//! a failure: a non-2xx status, or (rarely) a 2xx that the host did not stream. Either
//! way the result is an OpenAI-shaped error.

use switchyard_guest_kit::{ApiError, TranslatedResponse, UpstreamResponse};

use super::error::from_upstream;

/// Translates a complete upstream answer: always an error for Coze chat.
pub fn to_openai(response: &UpstreamResponse) -> Result<TranslatedResponse, ApiError> {
    Err(from_upstream(response))
}
