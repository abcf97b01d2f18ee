//! The golden fixtures in `tests/fixtures/azure/`, embedded at compile time.

macro_rules! fixtures {
    ($($name:literal),* $(,)?) => {
        /// The text of fixture `name`.
        pub fn text(name: &str) -> &'static str {
            match name {
                $($name => include_str!(concat!("../../../tests/fixtures/azure/", $name)),)*
                _ => panic!("no fixture named {name}; add it to fixtures.rs"),
            }
        }
    };
}

fixtures![
    "azure-chat.request.json",
    "azure-chat.response.json",
    "azure-error-400-content-filter.json",
    "azure-error-429.json",
    "azure-responses-error-400-model-not-found.json",
    "azure-responses-stream-failed.sse",
    "azure-responses-stream-truncated.sse",
    "azure-responses-stream.sse",
    "azure-responses.request.json",
    "azure-responses.response.json",
    "azure-stream-content-filter-async.sse",
];

/// The `body` of a recorded `{"_status", "_headers", "body"}` fixture, as bytes.
pub fn body(name: &str) -> Vec<u8> {
    let fixture: serde_json::Value = serde_json::from_str(text(name)).expect("fixture is JSON");
    serde_json::to_vec(&fixture["body"]).expect("serializes")
}
