//! The golden fixtures in `tests/fixtures/gemini/`, embedded at compile time.

macro_rules! fixtures {
    ($($name:literal),* $(,)?) => {
        /// The text of fixture `name`.
        pub fn text(name: &str) -> &'static str {
            match name {
                $($name => include_str!(concat!("../../../tests/fixtures/gemini/", $name)),)*
                _ => panic!("no fixture named {name}; add it to fixtures.rs"),
            }
        }
    };
}

fixtures![
    "gemini-blocked.response.json",
    "gemini-chat.request.json",
    "gemini-chat.response.json",
    "gemini-error-400-api-key.json",
    "gemini-error-400-function-response-count.json",
    "gemini-error-400-thought-signature.json",
    "gemini-error-429.json",
    "gemini-function-response.request.json",
    "gemini-function-response.sse",
    "gemini-max-tokens-no-parts.request.json",
    "gemini-max-tokens-no-parts.response.json",
    "gemini-search.response.json",
    "gemini-stream-search.sse",
    "gemini-stream-thinking-max-tokens.request.json",
    "gemini-stream-thinking-max-tokens.sse",
    "gemini-stream-tool.request.json",
    "gemini-stream-tool.sse",
    "gemini-stream.request.json",
    "gemini-stream.sse",
    "gemini-tool-thought-signature.request.json",
    "gemini-tool-thought-signature.response.json",
    "gemini-tool.request.json",
    "gemini-tool.response.json",
];

/// A recorded fixture's `body` (or the whole file when it has no `body` wrapper).
pub fn body(name: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(text(name)).expect("fixture is JSON");
    match value.get("body") {
        Some(body) => body.clone(),
        None => value,
    }
}

/// A recorded fixture's `_status` (200 when it has none).
pub fn status(name: &str) -> u16 {
    let value: serde_json::Value = serde_json::from_str(text(name)).expect("fixture is JSON");
    value
        .get("_status")
        .and_then(serde_json::Value::as_u64)
        .map_or(200, |s| s as u16)
}

/// The events of an `.sse` fixture, framed the way the host frames them (CRLF).
pub fn events(name: &str) -> Vec<switchyard_guest_kit::StreamEvent> {
    text(name)
        .replace("\r\n", "\n")
        .split("\n\n")
        .filter_map(|block| {
            let data: Vec<&str> = block
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect();
            (!data.is_empty()).then(|| switchyard_guest_kit::StreamEvent {
                event: None,
                data: data.join("\n"),
            })
        })
        .collect()
}
