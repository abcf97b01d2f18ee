//! OpenAI chat's `web_search_options` → Anthropic's server tool `web_search`, which
//! Anthropic runs itself within the one call (the answer's side is in
//! [`crate::citations`]).
//!
//! | Chat | Anthropic |
//! |---|---|
//! | `web_search_options` (an object, even `{}`) | one more `tools[]` entry, after the client's functions: `{type: web_search_20250305, name: web_search, max_uses: 5}` |
//! | `web_search_options.user_location.approximate` (`city`, `region`, `country`, `timezone`) | the tool's `user_location: {type: approximate, ...}` with the members given |
//! | `web_search_options.search_context_size` | dropped: Anthropic has no equivalent |
//! | `web_search_options: null` | no search |
//! | a client function already named `web_search` | no server tool (tool names must be unique; the client's function wins) |
//!
//! The type is `web_search_20250305`, which every Claude model with web search takes
//! and which is eligible for zero data retention. `web_search_20260209` (dynamic
//! filtering, Opus and Sonnet 4.6 and later) runs code server-side to filter results;
//! choose it with the model option `web-search-tool`. Its extra server blocks
//! (code execution and their results) are skipped like the search's own. The
//! organisation's administrator must have enabled web search in the Claude Console.
//!
//! Sources: Anthropic's "Web search tool" guide (tool fields, versions, supported
//! models) and the `openai` SDK's `WebSearchOptions`.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use switchyard_guest_kit::options::{bad_option, option};
use switchyard_guest_kit::{ApiError, CallContext};

/// Option: the server tool `type` sent for a web search (e.g. `web_search_20260209`).
pub const OPTION_WEB_SEARCH_TOOL: &str = "web-search-tool";
/// Option: the tool's `max_uses`, the searches one call may run (a positive integer).
pub const OPTION_WEB_SEARCH_MAX_USES: &str = "web-search-max-uses";

/// The server tool type sent when the model's options name none.
pub const WEB_SEARCH_TOOL: &str = "web_search_20250305";
/// The name Anthropic requires of its web search tool.
pub const WEB_SEARCH_NAME: &str = "web_search";
/// The searches one call may run when the model's options say nothing.
pub const WEB_SEARCH_MAX_USES: u64 = 5;

/// Chat's `web_search_options`, as far as Anthropic can use them.
#[derive(Debug, Default, Deserialize)]
pub struct WebSearchOptions {
    #[serde(default)]
    user_location: Option<UserLocation>,
}

/// `web_search_options.user_location`.
#[derive(Debug, Default, Deserialize)]
struct UserLocation {
    #[serde(default)]
    approximate: Option<Approximate>,
}

/// `user_location.approximate`, which is Anthropic's `user_location` but for `type`.
#[derive(Debug, Default, Deserialize)]
struct Approximate {
    #[serde(default)]
    city: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
}

/// The server tool for `options`, unless a client function has its name.
pub fn tool(
    ctx: &CallContext,
    options: &WebSearchOptions,
    function_names: &[&str],
) -> Result<Option<Value>, ApiError> {
    if function_names.contains(&WEB_SEARCH_NAME) {
        return Ok(None);
    }
    let kind = match option(ctx, OPTION_WEB_SEARCH_TOOL).map(str::trim) {
        None => WEB_SEARCH_TOOL,
        Some(kind) if kind.starts_with("web_search_") => kind,
        Some(other) => {
            return Err(bad_option(
                OPTION_WEB_SEARCH_TOOL,
                other,
                "a web search tool type such as web_search_20250305",
            ));
        }
    };
    let max_uses = match option(ctx, OPTION_WEB_SEARCH_MAX_USES) {
        None => WEB_SEARCH_MAX_USES,
        Some(text) => match text.trim().parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(bad_option(
                    OPTION_WEB_SEARCH_MAX_USES,
                    text,
                    "a positive integer",
                ));
            }
        },
    };
    let mut tool = json!({"type": kind, "name": WEB_SEARCH_NAME, "max_uses": max_uses});
    let location = options
        .user_location
        .as_ref()
        .and_then(|l| l.approximate.as_ref());
    if let (Some(location), Some(object)) = (location, tool.as_object_mut()) {
        let mut user_location = Map::new();
        user_location.insert("type".into(), json!("approximate"));
        for (key, value) in [
            ("city", &location.city),
            ("region", &location.region),
            ("country", &location.country),
            ("timezone", &location.timezone),
        ] {
            if let Some(value) = value {
                user_location.insert(key.into(), json!(value));
            }
        }
        object.insert("user_location".into(), Value::Object(user_location));
    }
    Ok(Some(tool))
}

#[cfg(test)]
mod tests;
