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
        public_model: "gpt-test".into(),
        platform: "anthropic".into(),
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

/// Runs `chunks` through one converter, `batch` chunks per push, then finishes (or,
/// on an error, fails as the host does); the events, checked with [`validate`].
pub fn run(chunks: &[Value], batch: usize) -> Vec<Value> {
    let mut converter = Converter::new(&ctx());
    let mut events = Vec::new();
    let mut failed = None;
    for batch in chunks.chunks(batch.max(1)) {
        match converter.push(&strings(batch)) {
            Ok(out) => events.extend(out),
            Err(error) => {
                failed = Some(error);
                break;
            }
        }
    }
    let end = match failed {
        Some(error) => Err(error),
        None => converter.finish(),
    };
    match end {
        Ok(out) => events.extend(out),
        Err(error) => events.extend(converter.fail(&error)),
    }
    checked(parse(&events))
}

/// Runs `chunks` in one push, then fails the stream with `error`.
pub fn run_failing(chunks: &[Value], error: &ApiError) -> Vec<Value> {
    let mut converter = Converter::new(&ctx());
    let mut events = converter.push(&strings(chunks)).expect("chunks convert");
    events.extend(converter.fail(error));
    assert!(converter.finish().expect("finish after fail").is_empty());
    checked(parse(&events))
}

/// `events`, after [`validate`] accepted them.
fn checked(events: Vec<Value>) -> Vec<Value> {
    if let Err(why) = validate(&events) {
        panic!("invalid stream: {why}\n{}", pretty(&events));
    }
    dump(&events);
    events
}

/// Events one per line, for failure messages.
pub fn pretty(events: &[Value]) -> String {
    events
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// With `RESPONSES_DUMP=<dir>`, appends each event to `<dir>/events.jsonl`, for
/// checking them against the `openai` SDK's types with `sdk_check.py`.
pub fn dump(events: &[Value]) {
    let Some(dir) = std::env::var_os("RESPONSES_DUMP") else {
        return;
    };
    let dir = PathBuf::from(dir);
    let mut lines = String::new();
    for event in events {
        lines.push_str(&event.to_string());
        lines.push('\n');
    }
    append(&dir.join("events.jsonl"), &lines);
}

/// With `RESPONSES_DUMP=<dir>`, appends a whole Response to `<dir>/responses.jsonl`.
pub fn dump_response(response: &Value) {
    let Some(dir) = std::env::var_os("RESPONSES_DUMP") else {
        return;
    };
    append(
        &PathBuf::from(dir).join("responses.jsonl"),
        &format!("{response}\n"),
    );
}

/// Appends `text` to `path`.
fn append(path: &std::path::Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("dump file opens");
    file.write_all(text.as_bytes()).expect("dump written");
}
