//! Test helpers: the golden files in `fixtures/`, a call context, and a stream runner
//! that checks every stream it makes with [`validate`].

use std::path::PathBuf;

use serde_json::Value;

use crate::bindings::{ApiError, DialectContext};
use crate::stream::Converter;
use crate::stream::validate::validate;

/// The path of fixture `name`.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Fixture `name`, parsed.
pub fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(path(name)).expect("fixture exists");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// The context of a test call.
pub fn ctx() -> DialectContext {
    DialectContext {
        public_model: "claude-test".into(),
        platform: "openai".into(),
        streaming: true,
        call_id: "call1".into(),
        created: 1_700_000_000,
    }
}

/// Chunks as the strings the host pushes.
pub fn strings(chunks: &[Value]) -> Vec<String> {
    chunks.iter().map(Value::to_string).collect()
}

/// Events as JSON.
pub fn parse(events: &[String]) -> Vec<Value> {
    events
        .iter()
        .map(|e| serde_json::from_str(e).expect("event is JSON"))
        .collect()
}

/// Runs `chunks` through one converter, `batch` chunks per push, then finishes; the
/// events, checked with [`validate`], or the error.
pub fn run(chunks: &[Value], batch: usize) -> Result<Vec<Value>, ApiError> {
    let mut converter = Converter::new(&ctx());
    let mut events = Vec::new();
    for batch in chunks.chunks(batch) {
        events.extend(converter.push(&strings(batch))?);
    }
    events.extend(converter.finish()?);
    let events = parse(&events);
    if let Err(why) = validate(&events) {
        panic!("invalid stream: {why}\n{}", pretty(&events));
    }
    Ok(events)
}

/// Events one per line, for failure messages.
pub fn pretty(events: &[Value]) -> String {
    events
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
