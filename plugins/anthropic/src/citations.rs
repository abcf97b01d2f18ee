//! What the answer to a web search ([`crate::request::search`]) brings besides text:
//! server tool blocks, which are skipped, and citations, which become chat
//! `annotations`.
//!
//! | Anthropic | OpenAI chat |
//! |---|---|
//! | `server_tool_use` (the search Anthropic ran), `web_search_tool_result` (what it found) and any other block this adapter does not translate | nothing: the client did not define that tool and cannot run it, so it never becomes a tool call |
//! | text resumed after such blocks | [`PARAGRAPH`] between the text before and after, which Anthropic sends as separate blocks (`I'll search.` … `Based on the results, …`) |
//! | a text block's `citations[]` of type `web_search_result_location` (`url`, `title`, `cited_text`) | `message.annotations[]`: `{type: url_citation, url_citation: {url, title, start_index, end_index}}`, the span being that text block's place in the message text, in characters (Unicode scalar values) |
//! | other citation types (documents: `char_location`, `page_location`, …) | dropped: they name no URL |
//!
//! Shapes: Anthropic's web search tool guide (the answer's blocks and citations) and
//! the `openai` SDK's `chat_completion_message.py` (`Annotation`).

use serde::Deserialize;
use serde_json::{Value, json};

/// What goes between answer text written before and after a search.
pub const PARAGRAPH: &str = "\n\n";

/// The citation type a web search gives.
pub const WEB_SEARCH_CITATION: &str = "web_search_result_location";

/// One entry of a text block's `citations`, as far as it is read.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Citation {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

impl Citation {
    /// The chat annotation for this citation of the text at `start..end` (characters),
    /// if it cites a web page.
    pub fn annotation(&self, start: u64, end: u64) -> Option<Value> {
        if self.kind != WEB_SEARCH_CITATION {
            return None;
        }
        let url = self.url.as_deref().filter(|u| !u.is_empty())?;
        Some(json!({"type": "url_citation", "url_citation": {
            "url": url,
            "title": self.title.as_deref().unwrap_or(""),
            "start_index": start,
            "end_index": end,
        }}))
    }
}

/// The length of `text` in characters, the unit of annotation indices.
pub fn chars(text: &str) -> u64 {
    u64::try_from(text.chars().count()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_citations_with_a_url_are_annotations() {
        let web: Citation = serde_json::from_value(json!({"type": "web_search_result_location",
            "url": "https://a.test", "title": "A", "cited_text": "a", "encrypted_index": "x"}))
        .expect("citation");
        assert_eq!(
            web.annotation(3, 9),
            Some(json!({"type": "url_citation", "url_citation":
                {"url": "https://a.test", "title": "A", "start_index": 3, "end_index": 9}}))
        );
        let untitled: Citation = serde_json::from_value(
            json!({"type": "web_search_result_location", "url": "https://b.test"}),
        )
        .expect("citation");
        assert_eq!(
            untitled.annotation(0, 1).expect("annotation")["url_citation"]["title"],
            ""
        );
        let document: Citation = serde_json::from_value(json!({"type": "char_location",
            "cited_text": "a", "document_index": 0, "start_char_index": 0, "end_char_index": 1}))
        .expect("citation");
        assert_eq!(document.annotation(0, 1), None);
        assert_eq!(chars("née\n\n"), 5);
    }
}
