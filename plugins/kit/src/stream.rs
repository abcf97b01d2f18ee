//! The `stream-transformer` resource around an adapter's plain stream state.
//!
//! An adapter says how one event becomes chunks ([`StreamState`]); the kit keeps the
//! rules every adapter shares ([`Driver`]): the chunks met before an error reach the
//! client first and the error comes with the next call; once a stream ended with an
//! error, every later call reports that error again. [`Stream`] is the exported
//! resource: the bindings call it through `&self`, a stream's state is naturally
//! `&mut self`, and it bridges the two once. The adapter declares
//! `type StreamTransformer = Stream<MyState>;` (or lets [`crate::impl_guest!`] do it).
//! [`end`] is how a stream that did not fail ends: its terminal event or a truncation.

pub mod end;

use std::cell::RefCell;

use crate::error::bad_gateway;
use crate::{ApiError, CallContext, GuestStreamTransformer, StreamEvent, StreamOutput, Usage};

/// One stream's translation, as plain Rust (tested natively through [`Driver`]).
///
/// Every method that takes `out` appends the chunks it translated to it. An `Err` ends
/// the stream; the chunks appended before it still reach the client, first.
pub trait StreamState: Sized + 'static {
    /// State for a new stream of the call described by `ctx`.
    fn start(ctx: &CallContext) -> Self;

    /// Translates one complete upstream event.
    fn event(&mut self, event: StreamEvent, out: &mut Vec<String>) -> Result<(), ApiError>;

    /// Translates one batch of events, stopping at the first error. Override only for
    /// output that depends on the batch rather than on each event.
    fn push(&mut self, events: Vec<StreamEvent>, out: &mut Vec<String>) -> Result<(), ApiError> {
        events
            .into_iter()
            .try_for_each(|event| self.event(event, out))
    }

    /// The upstream closed and no error ended the stream: appends what is still owed (a
    /// finish or usage chunk), or fails a stream that never reached its terminal event
    /// ([`end::StreamEnd::finish`]). Chunks appended before such an error are dropped:
    /// no later call could deliver the error after them.
    fn finish(&mut self, out: &mut Vec<String>) -> Result<(), ApiError>;

    /// The usage seen so far, reported with every output.
    fn usage(&self) -> Option<Usage>;
}

/// Drives one [`StreamState`] the way the host calls the resource, and keeps the
/// ordering of errors after chunks.
#[derive(Debug)]
pub struct Driver<S> {
    state: S,
    /// An error met after chunks of the same batch: the next call reports it.
    pending: Option<ApiError>,
    /// The error that ended the stream: every later call reports it again.
    ended: Option<ApiError>,
}

impl<S: StreamState> Driver<S> {
    /// A new stream of the call described by `ctx`.
    pub fn new(ctx: &CallContext) -> Self {
        Driver {
            state: S::start(ctx),
            pending: None,
            ended: None,
        }
    }

    /// Translates a batch of complete upstream events.
    pub fn push(&mut self, events: Vec<StreamEvent>) -> Result<StreamOutput, ApiError> {
        self.check()?;
        let mut chunks = Vec::with_capacity(events.len());
        if let Err(error) = self.state.push(events, &mut chunks) {
            if chunks.is_empty() {
                return Err(self.end_with(error));
            }
            self.pending = Some(error);
        }
        Ok(self.output(chunks))
    }

    /// The upstream closed: what is still owed, or the error that ended the stream.
    pub fn finish(&mut self) -> Result<StreamOutput, ApiError> {
        self.check()?;
        let mut chunks = Vec::new();
        if let Err(error) = self.state.finish(&mut chunks) {
            return Err(self.end_with(error));
        }
        Ok(self.output(chunks))
    }

    /// The error that already ended this stream, if any.
    fn check(&mut self) -> Result<(), ApiError> {
        if let Some(error) = self.pending.take() {
            return Err(self.end_with(error));
        }
        match &self.ended {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// Ends the stream with `error`: returned now, and by every later call.
    fn end_with(&mut self, error: ApiError) -> ApiError {
        self.ended = Some(error.clone());
        error
    }

    fn output(&self, chunks: Vec<String>) -> StreamOutput {
        StreamOutput {
            chunks,
            usage: self.state.usage(),
        }
    }
}

/// The exported resource: a [`Driver`] behind the `&self` methods the bindings call.
pub struct Stream<S>(RefCell<Driver<S>>);

impl<S: StreamState> Stream<S> {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Driver<S>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        // Calls into one resource never overlap; this only keeps a broken host from
        // turning into a panic.
        let mut driver = self
            .0
            .try_borrow_mut()
            .map_err(|_| bad_gateway("stream transformer called re-entrantly"))?;
        f(&mut driver)
    }
}

impl<S: StreamState> GuestStreamTransformer for Stream<S> {
    fn new(ctx: CallContext, _status: u16, _headers: Vec<(String, String)>) -> Self {
        Stream(RefCell::new(Driver::new(&ctx)))
    }

    fn push(&self, events: Vec<StreamEvent>) -> Result<StreamOutput, ApiError> {
        self.with(|driver| driver.push(events))
    }

    fn finish(&self) -> Result<StreamOutput, ApiError> {
        self.with(Driver::finish)
    }
}

#[cfg(test)]
mod tests;
