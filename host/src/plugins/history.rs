//! What happened to each component since start: loaded, rejected, optimized, removed.
//! `/health` says what serves now and the last error; this says how it got there
//! (the console's components page). Kept in memory, per process, the latest
//! [`CAPACITY`] events.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

/// Events kept at most; older ones are dropped first.
pub const CAPACITY: usize = 256;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A version loaded and now serves.
    Loaded,
    /// A version was refused; the previous one (if any) keeps serving.
    Rejected,
    /// The optimized build of a version replaced its quick baseline build.
    Optimized,
    /// Its file went away; the built-in of the same name (if any) serves again.
    Removed,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReloadEvent {
    /// When, unix milliseconds.
    pub at_ms: i64,
    /// The component's name.
    pub component: String,
    /// What happened.
    pub outcome: Outcome,
    /// The version it declared, when it loaded.
    pub version: Option<String>,
    /// `builtin` or `file`.
    pub source: &'static str,
    /// SHA-256 of the bytes, hex, when known.
    pub digest: Option<String>,
    /// Why it was refused.
    pub error: Option<String>,
}

/// The event log.
#[derive(Debug, Default)]
pub struct History {
    events: Mutex<VecDeque<ReloadEvent>>,
}

impl History {
    /// Appends an event, dropping the oldest beyond [`CAPACITY`].
    pub fn record(&self, event: ReloadEvent) {
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        if events.len() >= CAPACITY {
            events.pop_front();
        }
        events.push_back(event);
    }

    /// Every event kept, newest first.
    pub fn newest_first(&self) -> Vec<ReloadEvent> {
        let events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        events.iter().rev().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: usize) -> ReloadEvent {
        ReloadEvent {
            at_ms: i64::try_from(n).unwrap(),
            component: "openai".into(),
            outcome: Outcome::Loaded,
            version: None,
            source: "file",
            digest: None,
            error: None,
        }
    }

    #[test]
    fn keeps_the_latest_events_newest_first() {
        let history = History::default();
        for n in 0..CAPACITY + 5 {
            history.record(event(n));
        }
        let events = history.newest_first();
        assert_eq!(events.len(), CAPACITY);
        assert_eq!(events[0].at_ms, i64::try_from(CAPACITY + 4).unwrap());
        assert_eq!(events[CAPACITY - 1].at_ms, 5);
    }
}
