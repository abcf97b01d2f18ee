//! One conformance list for every platform: what an OpenAI client gets through the
//! real gateway from each adapter against the mock of its platform. A plain
//! completion, a stream, usage, tool calls and their results, the platform's
//! recorded errors, a stream that fails after it started, and streams cut at every
//! byte boundary.
//!
//! The cases ([`cases::ALL`]) are written once and expanded for each platform by
//! `e2e::platform_cases!`; the platforms' tables are in `tests/src/platforms`. A
//! platform that cannot run a case skips it here, with the reason, and the skipped case
//! shows as ignored in every run. What only one platform does (its request
//! translation, its options, its own answer shapes) is tested in its own file.

mod chat;
mod errors;
mod replay;
mod tools;

/// The case list, as `e2e::platform_cases!` calls it.
mod cases {
    pub use super::chat::{plain, stream, usage};
    pub use super::errors::{error_mapping, midstream_error};
    pub use super::replay::byte_split;
    pub use super::tools::tools;

    /// Every case; each platform runs or skips each one.
    pub const ALL: &[&str] = &[
        "plain",
        "stream",
        "usage",
        "tools",
        "error_mapping",
        "midstream_error",
        "byte_split",
    ];
}

e2e::platform_cases!(cases; openai: plain, stream, usage, tools, error_mapping,
    midstream_error, byte_split);
e2e::platform_cases!(cases; azure: plain, stream, usage, tools, error_mapping, byte_split;
    skip midstream_error = "the mock has no recorded Azure stream that fails after it started");
e2e::platform_cases!(cases; anthropic: plain, stream, usage, tools, error_mapping,
    midstream_error, byte_split);
e2e::platform_cases!(cases; gemini: plain, stream, usage, tools, error_mapping, byte_split;
    skip midstream_error = "the mock has no recorded Gemini stream that fails after it started");
e2e::platform_cases!(cases; coze: plain, stream, usage, tools, error_mapping,
    midstream_error, byte_split);
