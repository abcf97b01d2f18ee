//! What dispatch tells the record about one request: [`CallInfo`], left in the
//! response's extensions, and for streams a [`StreamOutcome`] the relay fills in when
//! the stream ends. Metrics and the request log read both; neither needs the other.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::plugins::bindings::Usage;
use crate::store::Exchange;

/// What the proxy learned about a call, left in the response extensions for the
/// metrics and the request log.
#[derive(Debug, Clone, Default)]
pub struct CallInfo {
    /// Public model name, as the client sent it (cut to `metrics::MAX_LOGGED_MODEL` characters).
    pub model: String,
    /// Whether `model` names a configured model. Only configured names become metric
    /// labels: every other name a client invents is counted as `unknown`, so clients
    /// cannot grow the label set (and `/metrics`) without bound.
    pub configured: bool,
    /// Adapter (platform) name.
    pub platform: String,
    /// Adapter version.
    pub adapter_version: String,
    /// Upstream time before the response head was ready.
    pub upstream: Option<Duration>,
    /// The client asked for a stream.
    pub streamed: bool,
    /// Tokens, when the answer was whole.
    pub usage: Option<Usage>,
    /// The conversation exchange to store, when the answer was whole.
    pub exchange: Option<Box<Exchange>>,
    /// Filled in by the relay when a streamed answer ends.
    pub stream: Option<Arc<StreamOutcome>>,
}

/// What a stream's relay reports when it ends, for the request log and conversations.
#[derive(Debug, Default)]
pub struct StreamOutcome {
    state: Mutex<OutcomeState>,
}

/// How a stream ended, as reported.
#[derive(Debug, Default)]
pub struct OutcomeState {
    /// The relay reported an end (normal or failed); `false`: the client went away.
    pub ended: bool,
    /// The last usage the adapter reported.
    pub usage: Option<Usage>,
    /// The error type of a failed stream.
    pub error_type: Option<String>,
    /// The exchange to store, when the conversation was captured.
    pub exchange: Option<Exchange>,
}

impl StreamOutcome {
    /// The stream ended normally.
    pub fn ended(&self, usage: Option<Usage>, exchange: Option<Exchange>) {
        if let Ok(mut state) = self.state.lock() {
            state.ended = true;
            state.usage = usage;
            state.exchange = exchange;
        }
    }

    /// The stream ended with an error event.
    pub fn failed(&self, error_type: &str, usage: Option<Usage>) {
        if let Ok(mut state) = self.state.lock() {
            state.ended = true;
            state.usage = usage;
            state.error_type = Some(error_type.to_string());
        }
    }

    /// What was reported, once (later calls get nothing).
    pub fn take(&self) -> OutcomeState {
        self.state
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
}
