//! The hosted `web_search` tool → chat's own search parameter, `web_search_options`,
//! on the platforms whose adapters run a search of their own ([`WEB_SEARCH_PLATFORMS`]).
//!
//! | Responses | Chat `web_search_options` |
//! |---|---|
//! | a `web_search`, `web_search_2025_08_26`, `web_search_preview` or `web_search_preview_2025_03_11` tool (in `tools`, or in an `additional_tools` or `tool_search_output` item; the first one counts) | `{}` |
//! | its `search_context_size` | `search_context_size` |
//! | its `user_location` (`city`, `region`, `country`, `timezone`) | `user_location: {type: approximate, approximate: {...}}` (only the members given) |
//! | its `filters`, `external_web_access`, `search_content_types` | dropped: chat has no place for them |
//!
//! The shape is the `openai` SDK's `WebSearchOptions` (`types/chat/completion_create_params.py`).
//! On any other platform the tool is left out, as every hosted tool is ([`super::tools`]).
//! The answer needs nothing: the platform's search results reach the client as the
//! answer's text, and its sources as `url_citation` annotations ([`crate::citations`]).

use serde::{Deserialize, Serialize};

use crate::text::Text;

/// The platforms whose adapters turn `web_search_options` into their own search tool:
/// Anthropic's server tool `web_search`, Gemini's `google_search` grounding.
pub const WEB_SEARCH_PLATFORMS: &[&str] = &["anthropic", "gemini"];

/// The Responses tool types that ask for a web search.
pub const WEB_SEARCH_TOOLS: &[&str] = &[
    "web_search",
    "web_search_2025_08_26",
    "web_search_preview",
    "web_search_preview_2025_03_11",
];

/// Whether a Responses tool `type` is a web search.
pub fn is_web_search(kind: &str) -> bool {
    WEB_SEARCH_TOOLS.contains(&kind)
}

/// Whether the adapter of `platform` can run a web search.
pub fn platform_searches(platform: &str) -> bool {
    WEB_SEARCH_PLATFORMS.contains(&platform)
}

/// A web search tool's `user_location`, as the Responses tool carries it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Location<'a> {
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    city: Option<Text<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    region: Option<Text<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    country: Option<Text<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    timezone: Option<Text<'a>>,
}

/// Chat's `web_search_options`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WebSearchOptions<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    search_context_size: Option<Text<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_location: Option<UserLocation<'a>>,
}

/// `web_search_options.user_location`.
#[derive(Debug, Clone, Serialize)]
struct UserLocation<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    approximate: Location<'a>,
}

impl<'a> WebSearchOptions<'a> {
    /// The options for a web search tool with these members.
    pub fn new(search_context_size: Option<Text<'a>>, location: Option<Location<'a>>) -> Self {
        Self {
            search_context_size,
            user_location: location.map(|approximate| UserLocation {
                kind: "approximate",
                approximate,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::bindings::ApiError;
    use crate::fixtures::ctx;
    use crate::request::to_chat;

    /// The chat body for `request` on `platform`.
    fn chat_on(platform: &str, request: &Value) -> Result<Value, ApiError> {
        let mut ctx = ctx();
        ctx.platform = platform.into();
        let body = to_chat(&ctx, request.to_string().as_bytes())?;
        Ok(serde_json::from_slice(&body).expect("chat body is JSON"))
    }

    #[test]
    fn a_web_search_tool_becomes_web_search_options_where_the_platform_searches() {
        let request = json!({"input": "news?", "tools": [
            {"type": "function", "name": "f", "parameters": {"type": "object"}},
            {"type": "web_search", "search_context_size": "low", "filters": {"allowed_domains": ["a.test"]},
             "user_location": {"type": "approximate", "city": "Paris", "country": "FR", "timezone": "Europe/Paris"}},
            {"type": "web_search_preview", "search_context_size": "high"}
        ]});
        for platform in super::WEB_SEARCH_PLATFORMS {
            let out = chat_on(platform, &request).expect("translates");
            assert_eq!(
                out["web_search_options"],
                json!({"search_context_size": "low", "user_location": {"type": "approximate",
                       "approximate": {"city": "Paris", "country": "FR", "timezone": "Europe/Paris"}}}),
                "{platform}: the first search tool counts, filters have no place"
            );
            let names: Vec<&str> = out["tools"]
                .as_array()
                .expect("tools")
                .iter()
                .filter_map(|t| t["function"]["name"].as_str())
                .collect();
            assert_eq!(names, ["f"], "{platform}: the search is no function");
        }
        for platform in ["openai", "azure", "coze"] {
            let out = chat_on(platform, &request).expect("translates");
            assert!(out.get("web_search_options").is_none(), "{platform}: {out}");
        }
    }

    #[test]
    fn a_search_alone_offers_no_tools_and_forcing_it_is_no_error() {
        let request = json!({"input": "news?", "tool_choice": {"type": "web_search_preview_2025_03_11"},
            "parallel_tool_calls": false, "tools": [{"type": "web_search_preview_2025_03_11"}]});
        let out = chat_on("gemini", &request).expect("a forced search is offered");
        assert_eq!(
            out,
            json!({"messages": [{"role": "user", "content": "news?"}], "web_search_options": {}}),
            "chat refuses tool_choice and parallel_tool_calls without tools"
        );
        let error = chat_on("openai", &request).expect_err("openai cannot run it here");
        assert_eq!(error.param.as_deref(), Some("tool_choice"));
        assert!(error.message.contains("\"openai\""), "{}", error.message);
    }

    #[test]
    fn a_search_handed_over_in_additional_tools_counts_too() {
        let out = chat_on(
            "anthropic",
            &json!({"input": [
                {"type": "additional_tools", "role": "developer", "tools": [
                    {"type": "web_search", "external_web_access": false, "user_location": {"type": "approximate", "region": "Bavaria"}}
                ]},
                {"role": "user", "content": "weather in Munich?"}
            ]}),
        )
        .expect("translates");
        assert_eq!(
            out["web_search_options"],
            json!({"user_location": {"type": "approximate", "approximate": {"region": "Bavaria"}}})
        );
    }

    #[test]
    fn a_misfit_search_option_names_its_field() {
        let error = chat_on(
            "anthropic",
            &json!({"input": "x", "tools": [{"type": "web_search", "user_location": {"city": 7}}]}),
        )
        .expect_err("a city is text");
        assert_eq!(error.param.as_deref(), Some("tools[0].user_location.city"));
    }
}
