//! Chat `annotations` → Responses `output_text.annotations`: the sources a platform's
//! web search cited ([`crate::request::search`]).
//!
//! | Chat (`message.annotations[]`, or a chunk's `delta.annotations[]`) | Responses (`output_text.annotations[]`) |
//! |---|---|
//! | `{type: url_citation, url_citation: {url, title, start_index, end_index}}` | `{type: url_citation, url, title, start_index, end_index}` |
//! | no `title` | `title: ""` |
//! | no `url`, another `type`, not an object | dropped |
//!
//! Shapes: the `openai` SDK's `chat/chat_completion_message.py` (`Annotation`) and
//! `responses/response_output_text.py` (`AnnotationURLCitation`). The indices are
//! kept as they came: a message's text is one `output_text` part, so they point into
//! the same text.

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::text::Text;

/// A `url_citation` annotation of an `output_text` part: which span of the text a web
/// page supports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UrlCitation {
    #[serde(rename = "type")]
    kind: &'static str,
    /// The page.
    pub url: String,
    /// Its title.
    pub title: String,
    /// The first character of the span.
    pub start_index: u64,
    /// The character after the span.
    pub end_index: u64,
}

/// One entry of a chat `annotations` list; anything but a URL citation is ignored.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ChatAnnotation<'a> {
    /// `{type: url_citation, url_citation: {...}}`.
    Url {
        /// `url_citation`.
        #[serde(rename = "type", borrow)]
        kind: Text<'a>,
        /// The page and the span.
        #[serde(borrow)]
        url_citation: ChatUrlCitation<'a>,
    },
    /// Anything else.
    Other(IgnoredAny),
}

/// `url_citation`.
#[derive(Debug, Deserialize)]
pub struct ChatUrlCitation<'a> {
    #[serde(default, borrow)]
    url: Option<Text<'a>>,
    #[serde(default, borrow)]
    title: Option<Text<'a>>,
    #[serde(default)]
    start_index: Option<u64>,
    #[serde(default)]
    end_index: Option<u64>,
}

/// The URL citations among chat `annotations`, in order.
pub fn from_chat(annotations: &[ChatAnnotation<'_>]) -> Vec<UrlCitation> {
    annotations
        .iter()
        .filter_map(|annotation| match annotation {
            ChatAnnotation::Url { kind, url_citation } if &**kind == "url_citation" => {
                let url = url_citation.url.as_deref().filter(|u| !u.is_empty())?;
                Some(UrlCitation {
                    kind: "url_citation",
                    url: url.to_owned(),
                    title: url_citation.title.as_deref().unwrap_or("").to_owned(),
                    start_index: url_citation.start_index.unwrap_or(0),
                    end_index: url_citation.end_index.unwrap_or(0),
                })
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_citations_are_kept_and_the_rest_dropped() {
        let annotations: Vec<ChatAnnotation> = serde_json::from_str(
            r#"[{"type":"url_citation","url_citation":{"url":"https://a.test","title":"A","start_index":0,"end_index":5}},
                {"type":"url_citation","url_citation":{"url":"https://b.test","start_index":6,"end_index":9}},
                {"type":"url_citation","url_citation":{"title":"no url"}},
                {"type":"file_citation","url_citation":{"url":"https://c.test"}},
                {"type":"url_citation"},
                "text", 7, null]"#,
        )
        .expect("any list reads");
        let out = serde_json::to_value(from_chat(&annotations)).expect("JSON");
        assert_eq!(
            out,
            serde_json::json!([
                {"type": "url_citation", "url": "https://a.test", "title": "A", "start_index": 0, "end_index": 5},
                {"type": "url_citation", "url": "https://b.test", "title": "", "start_index": 6, "end_index": 9}
            ])
        );
    }
}
