//! A stream transformer for adapters that never ask the host for a streamed upstream
//! answer: every call says so plainly instead of inventing chunks.

use crate::error::bad_gateway;
use crate::{ApiError, CallContext, GuestStreamTransformer, StreamEvent, StreamOutput};

/// `type StreamTransformer = NoStream;` in an adapter that does not stream.
pub struct NoStream;

impl GuestStreamTransformer for NoStream {
    fn new(_ctx: CallContext, _status: u16, _headers: Vec<(String, String)>) -> Self {
        NoStream
    }

    fn push(&self, _events: Vec<StreamEvent>) -> Result<StreamOutput, ApiError> {
        Err(unsupported())
    }

    fn finish(&self) -> Result<StreamOutput, ApiError> {
        Err(unsupported())
    }
}

fn unsupported() -> ApiError {
    bad_gateway("this adapter does not translate streamed answers")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_is_a_clear_error() {
        let err = NoStream.push(Vec::new()).unwrap_err();
        assert_eq!(err.status, 502);
        assert!(err.message.contains("does not translate streamed"));
        assert!(NoStream.finish().is_err());
    }
}
