//! What runs a case: the adapter and the limits of each instance, and the one-line
//! forms of faults and errors that reports use.

use std::time::Duration;

use super::Failure;
use crate::plugins::bindings::ApiError;
use crate::plugins::session::{PluginFault, Pre, Session};

/// How cases are run: the adapter, and the limits of each instance.
pub struct Runner<'a> {
    /// The loaded adapter, pre-linked.
    pub pre: &'a Pre,
    /// Deadline of each call.
    pub call_timeout: Duration,
    /// Memory ceiling of each instance, in bytes.
    pub memory_limit: usize,
    /// Fuel each instance starts with (a metered engine).
    pub fuel_budget: Option<u64>,
}

impl Runner<'_> {
    /// A fresh instance, as the gateway starts for a request.
    pub async fn session(&self) -> Result<Session, Failure> {
        Session::start_with_fuel(
            self.pre,
            self.call_timeout,
            self.memory_limit,
            self.fuel_budget,
        )
        .await
        .map_err(|fault| Failure::step("instantiate", brief(&fault)))
    }
}

/// A fault in one line: a trap's wasm backtrace (one line per frame, the same for
/// every fixture) is left out, its cause kept.
pub fn brief(fault: &PluginFault) -> String {
    match fault {
        PluginFault::Trap(text) if text.lines().nth(1).is_some() => {
            let cause = text
                .rfind("wasm trap:")
                .and_then(|at| text.get(at..))
                .or_else(|| text.lines().last())
                .unwrap_or_default();
            format!("adapter trapped: {cause}")
        }
        other => other.to_string(),
    }
}

/// `429 rate_limit_exceeded (code) "message"`, for reports.
pub fn describe(error: &ApiError) -> String {
    let code = error
        .code
        .as_deref()
        .map(|code| format!(" ({code})"))
        .unwrap_or_default();
    format!(
        "{} {}{code}: {}",
        error.status, error.error_type, error.message
    )
}
