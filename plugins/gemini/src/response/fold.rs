//! A `streamGenerateContent` answer that came as one JSON array → one
//! `GenerateContentResponse`.
//!
//! Without `alt=sse` (a proxy that drops the query, a server that ignores it),
//! `streamGenerateContent` answers `[event, event, …]` as `application/json`. The host
//! hands such an answer over whole; folding it is cheap and exact, because each
//! element is a stream event: only the new parts of each candidate, the finish reason
//! on its last one, and cumulative usage. Refusing it would fail an answer that is all
//! there.

use switchyard_guest_kit::ApiError;
use switchyard_guest_kit::stream::end::truncated;

use super::super::grounding::append;
use super::super::stream::TERMINAL;
use super::super::wire::{Content, GenerateContentResponse};

/// The events of one answer, in order, as one answer: parts appended per candidate
/// index, the first id, model and prompt feedback, the last usage and finish reason,
/// the grounding of every event ([`append`]).
///
/// Every candidate must have finished, as in a stream ([`TERMINAL`]): a complete array
/// whose candidates did not is an answer the upstream never finished writing.
pub fn fold(events: Vec<GenerateContentResponse>) -> Result<GenerateContentResponse, ApiError> {
    let mut whole = GenerateContentResponse::default();
    for event in events {
        whole.response_id = whole.response_id.or(event.response_id);
        whole.model_version = whole.model_version.or(event.model_version);
        whole.prompt_feedback = whole.prompt_feedback.or(event.prompt_feedback);
        // Cumulative over the stream: the last one is the total, never a sum.
        if event.usage_metadata.is_some() {
            whole.usage_metadata = event.usage_metadata;
        }
        for (position, mut candidate) in event.candidates.into_iter().enumerate() {
            let index = candidate
                .index
                .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
            match whole.candidates.iter_mut().find(|c| c.index == Some(index)) {
                Some(known) => {
                    let parts = candidate.content.map(|c| c.parts).unwrap_or_default();
                    known
                        .content
                        .get_or_insert_with(Content::default)
                        .parts
                        .extend(parts);
                    if candidate.finish_reason.is_some() {
                        known.finish_reason = candidate.finish_reason;
                        known.finish_message = candidate.finish_message;
                    }
                    if let Some(grounding) = candidate.grounding_metadata {
                        append(&mut known.grounding_metadata, grounding);
                    }
                }
                None => {
                    candidate.index = Some(index);
                    whole.candidates.push(candidate);
                }
            }
        }
    }
    if whole.candidates.iter().any(|c| c.finish_reason.is_none()) {
        return Err(truncated("Gemini", TERMINAL));
    }
    Ok(whole)
}
