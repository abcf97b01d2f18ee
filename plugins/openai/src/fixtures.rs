//! The golden fixtures in `tests/fixtures/openai/`, embedded at compile time, so the
//! tests find them from whichever crate compiles these sources (the `shout` test
//! adapter compiles them too).

macro_rules! fixtures {
    ($($name:literal),* $(,)?) => {
        /// The text of fixture `name`.
        pub fn text(name: &str) -> &'static str {
            match name {
                $($name => include_str!(concat!("../../../tests/fixtures/openai/", $name)),)*
                _ => panic!("no fixture named {name}; add it to fixtures.rs"),
            }
        }
    };
}

fixtures![
    "openai-chat.request.json",
    "openai-chat.response.json",
    "openai-error-400-unsupported-param.json",
    "openai-error-401.json",
    "openai-error-404-model-not-found.json",
    "openai-error-429.json",
    "openai-responses-error-400.json",
    "openai-responses-stream-failed.sse",
    "openai-responses-stream-truncated.sse",
    "openai-responses-stream.sse",
    "openai-responses.request.json",
    "openai-responses.response.json",
    "openai-stream-error-midstream.sse",
    "openai-stream-parallel-tools.sse",
    "openai-stream-text.request.json",
    "openai-stream-text.sse",
    "openai-stream-usage.request.json",
    "openai-stream-usage.sse",
    "openai-tools.request.json",
    "openai-tools.response.json",
];

/// The bytes of fixture `name`.
pub fn bytes(name: &str) -> Vec<u8> {
    text(name).as_bytes().to_vec()
}
