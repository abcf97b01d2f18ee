//! The `stream-transformer` resource around an adapter's plain stream state.
//!
//! The bindings call a resource through `&self`; an adapter's per-stream state is
//! naturally `&mut self`. [`Stream`] bridges the two once for every adapter: the
//! adapter implements [`StreamState`] on its state type and declares
//! `type StreamTransformer = Stream<MyState>;`. [`end`] is how every adapter's stream
//! ends: its terminal event, a truncation, or an error.

pub mod end;

use std::cell::RefCell;

use crate::error::bad_gateway;
use crate::{ApiError, CallContext, GuestStreamTransformer, StreamEvent, StreamOutput};

/// One stream's translation state, as plain Rust (tested natively).
pub trait StreamState: Sized + 'static {
    /// State for a new stream of the call described by `ctx`.
    fn start(ctx: &CallContext) -> Self;
    /// Translates complete upstream events into OpenAI chunks.
    fn push(&mut self, events: Vec<StreamEvent>) -> Result<StreamOutput, ApiError>;
    /// The upstream ended: flushes what is left.
    fn finish(&mut self) -> Result<StreamOutput, ApiError>;
}

/// The exported resource: a [`StreamState`] behind the `&self` methods the
/// bindings call.
pub struct Stream<S>(RefCell<S>);

impl<S: StreamState> Stream<S> {
    fn with<T>(&self, f: impl FnOnce(&mut S) -> Result<T, ApiError>) -> Result<T, ApiError> {
        // Calls into one resource never overlap; this only keeps a broken host from
        // turning into a panic.
        let mut state = self
            .0
            .try_borrow_mut()
            .map_err(|_| bad_gateway("stream transformer called re-entrantly"))?;
        f(&mut state)
    }
}

impl<S: StreamState> GuestStreamTransformer for Stream<S> {
    fn new(ctx: CallContext, _status: u16, _headers: Vec<(String, String)>) -> Self {
        Stream(RefCell::new(S::start(&ctx)))
    }

    fn push(&self, events: Vec<StreamEvent>) -> Result<StreamOutput, ApiError> {
        self.with(|state| state.push(events))
    }

    fn finish(&self) -> Result<StreamOutput, ApiError> {
        self.with(S::finish)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(u32);

    impl StreamState for Counter {
        fn start(_ctx: &CallContext) -> Self {
            Counter(0)
        }
        fn push(&mut self, events: Vec<StreamEvent>) -> Result<StreamOutput, ApiError> {
            self.0 += u32::try_from(events.len()).unwrap_or(u32::MAX);
            Ok(StreamOutput {
                chunks: vec![self.0.to_string()],
                usage: None,
            })
        }
        fn finish(&mut self) -> Result<StreamOutput, ApiError> {
            Ok(StreamOutput {
                chunks: vec![format!("done {}", self.0)],
                usage: None,
            })
        }
    }

    fn ctx() -> CallContext {
        CallContext {
            endpoint: crate::Endpoint::ChatCompletions,
            public_model: "m".into(),
            upstream_model: "m".into(),
            streaming: true,
            include_usage: false,
            client_id: "c".into(),
            options: Vec::new(),
        }
    }

    #[test]
    fn state_is_kept_across_calls_of_one_stream() {
        let stream = <Stream<Counter> as GuestStreamTransformer>::new(ctx(), 200, Vec::new());
        let event = || StreamEvent {
            event: None,
            data: "{}".into(),
        };
        assert_eq!(stream.push(vec![event(), event()]).unwrap().chunks, ["2"]);
        assert_eq!(stream.push(vec![event()]).unwrap().chunks, ["3"]);
        assert_eq!(stream.finish().unwrap().chunks, ["done 3"]);
    }
}
