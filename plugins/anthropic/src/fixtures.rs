//! The golden fixtures in `tests/fixtures/anthropic/`, embedded at compile time.

macro_rules! fixtures {
    ($($name:literal),* $(,)?) => {
        /// The text of fixture `name`.
        pub fn text(name: &str) -> &'static str {
            match name {
                $($name => include_str!(concat!("../../../tests/fixtures/anthropic/", $name)),)*
                _ => panic!("no fixture named {name}; add it to fixtures.rs"),
            }
        }
    };
}

fixtures![
    "anthropic-error-400.json",
    "anthropic-error-429.json",
    "anthropic-error-529.json",
    "anthropic-ratelimit-headers.txt",
    "anthropic-stream-basic.sse",
    "anthropic-stream-error.sse",
    "anthropic-stream-text-tool.sse",
    "anthropic-stream-thinking.sse",
    "anthropic-stream-tool-result.sse",
    "anthropic-stream-tool.request.json",
    "anthropic-stream-tool.sse",
    "anthropic-stream-web-search.sse",
    "anthropic-tool-result.request.json",
    "anthropic-tool-result.response.json",
    "anthropic-tool.request.json",
    "anthropic-tool.response.json",
    "anthropic-web-search.response.json",
];

/// The `body` of a wrapped fixture (one with `_status`/`_headers`), or the whole file.
pub fn body(name: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(text(name)).expect("fixture is JSON");
    match value.get("body") {
        Some(body) => body.clone(),
        None => value,
    }
}
