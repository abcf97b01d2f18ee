//! The golden fixtures in `tests/fixtures/coze/`, embedded at compile time.

macro_rules! fixtures {
    ($($name:literal),* $(,)?) => {
        /// The text of fixture `name`.
        pub fn text(name: &str) -> &'static str {
            match name {
                $($name => include_str!(concat!("../../../tests/fixtures/coze/", $name)),)*
                _ => panic!("no fixture named {name}; add it to fixtures.rs"),
            }
        }
    };
}

fixtures![
    "coze-error-4100.json",
    "coze-v3-chat.request.json",
    "coze-v3-stream-error.sse",
    "coze-v3-stream-failed.sse",
    "coze-v3-stream-requires-action.sse",
    "coze-v3-stream-verbose-followup.sse",
    "coze-v3-stream.sse",
    "coze-v3-submit-tool-outputs.request.json",
];
