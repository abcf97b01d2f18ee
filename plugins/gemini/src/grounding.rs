//! Grounding with Google Search: the sources of an answer (`groundingMetadata`) →
//! OpenAI chat `annotations`, the shape chat gives a web search's citations.
//!
//! | Gemini (`candidates[].groundingMetadata`) | OpenAI chat |
//! |---|---|
//! | each `groundingSupports[]` × each of its `groundingChunkIndices` naming a `groundingChunks[].web` with a `uri` | `message.annotations[]`: `{type: url_citation, url_citation: {url: web.uri, title: web.title (or ""), start_index, end_index}}` |
//! | `segment.startIndex`, `segment.endIndex` (UTF-8 bytes; `startIndex` left out when 0) | `start_index`, `end_index` in characters (Unicode scalar values) of the answer's text (its non-thought text parts joined), clamped to it |
//! | `segment.partIndex` | not read: the indices count in the whole answer text, as Google's own citation example applies them |
//! | supports without `endIndex`, chunks that are no web page, `webSearchQueries`, `searchEntryPoint` | dropped |
//!
//! A whole answer carries its annotations on the message; a stream sends them in one
//! chunk of their own (`delta: {annotations}`) just before the choice's finish chunk,
//! as OpenAI sends a search's annotations late in the stream. The answer's text is
//! unchanged. Google's terms for grounding ask that the Search Suggestions
//! (`searchEntryPoint.renderedContent`, HTML) be shown with grounded answers; chat has
//! no place for them, so that is left to the gateway's operator.
//!
//! Sources: the Gemini API's "Grounding with Google Search" guide and the
//! `GroundingMetadata` / `Segment` reference.

use serde_json::{Value, json};

use super::wire::GroundingMetadata;

/// The chat annotations for `metadata`, whose indices point into `text` (the answer's
/// text so far). Exact repeats are left out.
pub fn annotations(metadata: &GroundingMetadata, text: &str) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for support in &metadata.grounding_supports {
        let Some(segment) = &support.segment else {
            continue;
        };
        let Some(end) = segment.end_index else {
            continue;
        };
        let start = char_index(text, segment.start_index.unwrap_or(0));
        let end = char_index(text, end);
        if end < start {
            continue;
        }
        for &chunk in &support.grounding_chunk_indices {
            let web = usize::try_from(chunk)
                .ok()
                .and_then(|i| metadata.grounding_chunks.get(i))
                .and_then(|c| c.web.as_ref());
            let Some(web) = web else { continue };
            let Some(url) = web.uri.as_deref().filter(|u| !u.is_empty()) else {
                continue;
            };
            let annotation = json!({"type": "url_citation", "url_citation": {
                "url": url,
                "title": web.title.as_deref().unwrap_or(""),
                "start_index": start,
                "end_index": end,
            }});
            if !out.contains(&annotation) {
                out.push(annotation);
            }
        }
    }
    out
}

/// Adds the grounding of a later stream event to what came before: its chunks after
/// the known ones, its supports pointing to them. Whether Gemini repeats earlier
/// sources or sends only new ones, [`annotations`] then lists each citation once.
pub fn append(into: &mut Option<GroundingMetadata>, more: GroundingMetadata) {
    let Some(known) = into else {
        *into = Some(more);
        return;
    };
    let offset = u64::try_from(known.grounding_chunks.len()).unwrap_or(u64::MAX);
    known.grounding_chunks.extend(more.grounding_chunks);
    known
        .grounding_supports
        .extend(more.grounding_supports.into_iter().map(|mut support| {
            for index in &mut support.grounding_chunk_indices {
                *index = index.saturating_add(offset);
            }
            support
        }));
}

/// The character index of byte offset `byte` in `text`: the characters that start
/// before it (all of them past the end).
fn char_index(text: &str, byte: u64) -> u64 {
    let count = text
        .char_indices()
        .take_while(|(i, _)| u64::try_from(*i).is_ok_and(|i| i < byte))
        .count();
    u64::try_from(count).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
