//! One [`Target`] per platform: the mock's modes for it and what a client must see.
//! The error rows are the platforms' recorded errors (see each mock module's table).

use super::{Midstream, Replay, Target, UpstreamError, WRONG_KEY};
use crate::mock_upstream::dishonest::Platform;

/// A row of an error table, with a null `error.code`.
const fn error(mode: &'static str, status: u16, kind: &'static str) -> UpstreamError {
    UpstreamError {
        mode,
        status,
        kind,
        code: None,
        retry_after: None,
        message: None,
    }
}

impl UpstreamError {
    /// The same row, with the `error.code` the client must get.
    const fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// The same row, with the `retry-after` the client must get.
    const fn retry_after(mut self, seconds: &'static str) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The same row, with text the message must contain.
    const fn message(mut self, text: &'static str) -> Self {
        self.message = Some(text);
        self
    }
}

/// A replayed stream: the echo and the tool calls are replayed on every platform.
const fn replay(mode: &'static str, tools: bool, usage: bool) -> Replay {
    Replay { mode, tools, usage }
}

/// The echo, with usage.
const ECHO: Replay = replay("echo", false, true);
/// The tool call, with usage.
const TOOLS: Replay = replay("tools", true, true);

/// OpenAI's recorded errors (streamed requests get the same).
const OPENAI_ERRORS: &[UpstreamError] = &[
    error(WRONG_KEY, 401, "invalid_request_error").code("invalid_api_key"),
    error("400", 400, "invalid_request_error")
        .code("unsupported_parameter")
        .message("Use 'max_completion_tokens' instead."),
    error("404", 404, "invalid_request_error")
        .code("model_not_found")
        .message("does not exist or you do not have access to it"),
    error("429", 429, "tokens")
        .code("rate_limit_exceeded")
        .retry_after("7")
        .message("Rate limit reached"),
    error("500", 500, "server_error").message("The server had an error"),
];

/// OpenAI's streams replayed whole, split and byte by byte.
const OPENAI_REPLAYS: &[Replay] = &[ECHO, TOOLS];

/// OpenAI Chat Completions (`mock-*`).
pub fn openai() -> Target {
    Target {
        adapter: "openai",
        platform: Platform::OpenAi,
        wrong_key: "sk-wrong-key-0123456789",
        errors: OPENAI_ERRORS,
        replays: OPENAI_REPLAYS,
        midstream: Some(Midstream {
            mode: "midstream-error",
            content: "Partial answer",
            message: "The server had an error",
        }),
    }
}

/// Azure's recorded errors (streamed requests get the same).
const AZURE_ERRORS: &[UpstreamError] = &[
    error(WRONG_KEY, 401, "authentication_error").code("invalid_api_key"),
    error("blocked", 400, "invalid_request_error")
        .code("content_filter")
        .message("sexual"),
    error("429", 429, "rate_limit_exceeded")
        .code("rate_limit_exceeded")
        .retry_after("86400"),
    error("missing", 404, "invalid_request_error").code("model_not_found"),
];

/// Azure's streams replayed whole, split and byte by byte.
const AZURE_REPLAYS: &[Replay] = &[ECHO, replay("filtered", false, false), TOOLS];

/// Azure OpenAI, deployments path with `api-key` (`azure-*`).
pub fn azure() -> Target {
    Target {
        adapter: "azure",
        platform: Platform::Azure,
        wrong_key: "wrong-key",
        errors: AZURE_ERRORS,
        replays: AZURE_REPLAYS,
        midstream: None,
    }
}

/// Anthropic's recorded errors (streamed requests get the same).
const ANTHROPIC_ERRORS: &[UpstreamError] = &[
    error("400", 400, "invalid_request_error"),
    error("401", 401, "invalid_request_error").code("invalid_api_key"),
    error(WRONG_KEY, 401, "invalid_request_error").code("invalid_api_key"),
    error("403", 403, "permission_error"),
    error("404", 404, "invalid_request_error").code("model_not_found"),
    error("413", 413, "invalid_request_error").code("request_too_large"),
    error("429", 429, "rate_limit_exceeded")
        .code("rate_limit_exceeded")
        .retry_after("7"),
    error("500", 500, "server_error"),
    error("529", 503, "server_error").code("overloaded"),
];

/// Anthropic's streams replayed whole, split and byte by byte.
const ANTHROPIC_REPLAYS: &[Replay] = &[
    ECHO,
    TOOLS,
    replay("text-tool", true, true),
    replay("thinking", false, true),
];

/// Anthropic Messages (`claude-*`).
pub fn anthropic() -> Target {
    Target {
        adapter: "anthropic",
        platform: Platform::Anthropic,
        wrong_key: "sk-wrong",
        errors: ANTHROPIC_ERRORS,
        replays: ANTHROPIC_REPLAYS,
        midstream: Some(Midstream {
            mode: "midstream-error",
            content: "Partial answer",
            message: "Overloaded",
        }),
    }
}

/// Gemini's recorded errors (streamed requests get the same).
const GEMINI_ERRORS: &[UpstreamError] = &[
    error(WRONG_KEY, 401, "authentication_error")
        .code("invalid_api_key")
        .message("API key not valid"),
    error("429", 429, "rate_limit_exceeded")
        .code("rate_limit_exceeded")
        .retry_after("37"),
    error("404", 404, "not_found_error").code("model_not_found"),
    error("503", 503, "server_error"),
];

/// Gemini's streams replayed whole, split and byte by byte.
const GEMINI_REPLAYS: &[Replay] = &[ECHO, TOOLS, replay("thinking", false, true)];

/// Gemini `generateContent` (`gemini-*`).
pub fn gemini() -> Target {
    Target {
        adapter: "gemini",
        platform: Platform::Gemini,
        wrong_key: "AIza-wrong",
        errors: GEMINI_ERRORS,
        replays: GEMINI_REPLAYS,
        midstream: None,
    }
}

/// Coze's recorded errors (streamed requests get the same).
const COZE_ERRORS: &[UpstreamError] = &[
    error(WRONG_KEY, 401, "authentication_error")
        .code("invalid_api_key")
        .message("4100"),
    error("busy", 429, "rate_limit_exceeded").code("rate_limit_exceeded"),
    error("model-error", 503, "server_error").message("4013"),
];

/// Coze's streams replayed whole, split and byte by byte.
const COZE_REPLAYS: &[Replay] = &[
    ECHO,
    replay("recorded", false, true),
    replay("recorded-tools", false, false),
];

/// Coze v3 chat (`bot-*`).
pub fn coze() -> Target {
    Target {
        adapter: "coze",
        platform: Platform::Coze,
        wrong_key: "pat_wrong",
        errors: COZE_ERRORS,
        replays: COZE_REPLAYS,
        midstream: Some(Midstream {
            mode: "failed",
            content: "",
            message: "5000",
        }),
    }
}
