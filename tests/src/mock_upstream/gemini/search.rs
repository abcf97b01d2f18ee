//! The mock's grounding with Google Search: the search tools a request may offer,
//! checked as Gemini checks them, and `gemini-search`, which answers like a grounded
//! Gemini.
//!
//! `gemini-search` needs a `tools[]` entry with `google_search` (or `googleSearch`);
//! without one it answers the text [`NO_SEARCH_TEXT`]. With one, it answers
//! `tests/fixtures/gemini/gemini-search.response.json`, or streamed
//! `gemini-stream-search.sse` (three events, the grounding on the last): the text
//! [`SEARCH_TEXT`] with `groundingMetadata` (query `switchyard llm gateway`, two web
//! chunks, two supports whose indices are UTF-8 bytes).

use axum::response::Response;
use serde_json::Value;

use super::{raw_stream, text_answer, whole};
use crate::mock_upstream::wire;

/// What `gemini-search` answers when no `google_search` tool was offered.
pub const NO_SEARCH_TEXT: &str = "no google_search tool was offered";
/// The text of `gemini-search`'s grounded answer.
pub const SEARCH_TEXT: &str =
    "Switchyard is a self-hosted LLM gateway \u{2014} it serves OpenAI clients on any platform.";

const SEARCH_RESPONSE: &str = include_str!("../../../fixtures/gemini/gemini-search.response.json");
const SEARCH_STREAM: &str = include_str!("../../../fixtures/gemini/gemini-stream-search.sse");

/// Whether a `tools[]` entry is grounding with Google Search.
fn is_search(tool: &Value) -> bool {
    tool.get("google_search").is_some() || tool.get("googleSearch").is_some()
}

fn tools(body: &Value) -> &[Value] {
    body.get("tools")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The 400 message for search tools Gemini refuses: the retired
/// `google_search_retrieval`, and Google Search beside function declarations without
/// `toolConfig.includeServerSideToolInvocations` (Gemini 2.x refuses the pair outright;
/// Gemini 3 takes it only with that flag).
pub(super) fn check_tools(body: &Value) -> Result<(), String> {
    let tools = tools(body);
    let has = |key: &str, camel: &str| {
        tools
            .iter()
            .any(|t| t.get(key).is_some() || t.get(camel).is_some())
    };
    if has("google_search_retrieval", "googleSearchRetrieval") {
        return Err(
            "google_search_retrieval is not supported. Please use google_search tool instead."
                .into(),
        );
    }
    let combined =
        tools.iter().any(is_search) && has("function_declarations", "functionDeclarations");
    let flagged = body
        .pointer("/toolConfig/includeServerSideToolInvocations")
        .and_then(Value::as_bool)
        == Some(true);
    if combined && !flagged {
        return Err("Tool use with function calling is unsupported".into());
    }
    Ok(())
}

/// `gemini-search`'s answer (module doc).
pub(super) fn answer(body: &Value, prompt_tokens: usize, model: &str, stream: bool) -> Response {
    if !tools(body).iter().any(is_search) {
        return text_answer(NO_SEARCH_TEXT, prompt_tokens, model, stream);
    }
    if stream {
        return raw_stream(SEARCH_STREAM.split_inclusive("\r\n\r\n").map(str::as_bytes));
    }
    match serde_json::from_str::<Value>(SEARCH_RESPONSE) {
        Ok(answer) => whole(answer),
        Err(_) => wire::broken_fixture("gemini search fixture is not JSON"),
    }
}
