//! `streamGenerateContent?alt=sse` events → OpenAI chunks, for one stream.
//!
//! Each Gemini event is a whole `GenerateContentResponse` holding only the new parts,
//! for one or more candidates; a function call arrives whole in one event. Per
//! candidate this sends a role chunk first, then one chunk per part (`content`,
//! `reasoning_content` or one complete `tool_calls` entry), then the finish chunk.
//! `usageMetadata` is cumulative on every event: only the last one counts. Gemini
//! sends no `[DONE]` (the host adds its own); when the client asked for usage, the
//! usage chunk (`choices: []`) comes from [`Transformer::finish`].
//!
//! With no `[DONE]`, the end of a complete stream is its last `finishReason`: a stream
//! is complete once every candidate it started has one (or the prompt was blocked,
//! which has no candidate). A stream that closes earlier was cut, and
//! [`Transformer::finish`] says so (502 `upstream_stream_truncated`) instead of
//! letting the client take a partial answer for a whole one.
//!
//! A Google Search's sources (`groundingMetadata`, on any event of a candidate) are
//! gathered, and go out as one chunk whose delta is `annotations` just before the
//! candidate's finish chunk, their indices pointing into the text streamed
//! ([`super::grounding`]).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use switchyard_guest_kit::chunk;
use switchyard_guest_kit::error::{bad_gateway, snippet};
use switchyard_guest_kit::{
    ApiError, CallContext, ChunkWriter, Delta, StreamEnd, StreamEvent, StreamState, ToolCall, Usage,
};

use super::candidate::{
    arguments, blocked_message, completion_id, emits_reasoning, finish_reason, id_seed, now,
};
use super::error::{SNIPPET_CHARS, from_error_json};
use super::grounding;
use super::tool_id;
use super::wire::{Candidate, GenerateContentResponse, GroundingMetadata, UsageMetadata};

/// What is known about one choice so far.
#[derive(Debug, Default)]
struct ChoiceState {
    role_sent: bool,
    tool_calls: usize,
    /// Its `finishReason` arrived.
    finished: bool,
    /// The answer text sent, which grounding indices point into.
    text: String,
    /// The grounding of its events so far.
    grounding: Option<GroundingMetadata>,
}

/// What a complete Gemini stream ends with.
pub const TERMINAL: &str = "a `finishReason` for every candidate";

/// Per-stream state.
#[derive(Debug)]
pub struct Transformer {
    upstream_model: String,
    include_usage: bool,
    reasoning: bool,
    created: u64,
    /// Completion id, model and tool-id seed, fixed by the first event.
    id: Option<String>,
    model: Option<String>,
    seed: Option<String>,
    choices: BTreeMap<usize, ChoiceState>,
    usage: Option<UsageMetadata>,
    /// Whether every candidate finished.
    end: StreamEnd,
}

impl StreamState for Transformer {
    fn start(ctx: &CallContext) -> Self {
        Transformer {
            upstream_model: ctx.upstream_model.clone(),
            include_usage: ctx.include_usage,
            reasoning: emits_reasoning(ctx),
            created: now(),
            id: None,
            model: None,
            seed: None,
            choices: BTreeMap::new(),
            usage: None,
            end: StreamEnd::new("Gemini", TERMINAL),
        }
    }

    fn event(&mut self, event: StreamEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        self.translate(&event.data, out)
    }

    /// The usage chunk when the client asked for it; the truncation of a stream whose
    /// candidates did not all finish.
    fn finish(&mut self, out: &mut Vec<String>) -> Result<(), ApiError> {
        if !self.choices.is_empty() && self.choices.values().all(|c| c.finished) {
            self.end.reach();
        }
        self.end.finish()?;
        if self.include_usage {
            let usage = self.usage.unwrap_or_default().to_openai();
            out.push(self.writer().usage(&usage)?);
        }
        Ok(())
    }

    fn usage(&self) -> Option<Usage> {
        self.usage.map(|u| u.to_wit())
    }
}

impl Transformer {
    /// One event's data → chunks appended to `out`.
    fn translate(&mut self, data: &str, out: &mut Vec<String>) -> Result<(), ApiError> {
        let trimmed = data.trim();
        if trimmed.is_empty() || trimmed == "[DONE]" {
            return Ok(());
        }
        let value: Value = serde_json::from_str(trimmed).map_err(|e| {
            bad_gateway(format!(
                "Gemini sent a stream event that is not JSON ({e}): {}",
                snippet(trimmed.as_bytes(), SNIPPET_CHARS)
            ))
        })?;
        let error = match &value {
            Value::Array(items) => items.first().and_then(|i| i.get("error")),
            other => other.get("error"),
        };
        if let Some(error) = error.filter(|e| !e.is_null()) {
            return Err(from_error_json(error, None));
        }
        let answer: GenerateContentResponse = serde_json::from_value(value).map_err(|e| {
            bad_gateway(format!(
                "Gemini sent a stream event that is not a GenerateContentResponse ({e}): {}",
                snippet(trimmed.as_bytes(), SNIPPET_CHARS)
            ))
        })?;
        if self.id.is_none() {
            self.id = Some(completion_id(answer.response_id.as_deref()));
            self.seed = Some(id_seed(answer.response_id.as_deref()));
        }
        if self.model.is_none() {
            self.model = answer.model_version.clone();
        }
        if let Some(usage) = answer.usage_metadata {
            self.usage = Some(usage);
        }
        for (position, candidate) in answer.candidates.iter().enumerate() {
            self.candidate(candidate, position, out)?;
        }
        if answer.candidates.is_empty()
            && let Some(refusal) = answer.prompt_feedback.as_ref().and_then(blocked_message)
        {
            self.start(0, out)?;
            let writer = self.writer();
            out.push(writer.delta(0, &Delta::refusal(&refusal))?);
            out.push(writer.finish(0, "content_filter")?);
            self.state(0).finished = true;
        }
        Ok(())
    }

    fn candidate(
        &mut self,
        candidate: &Candidate,
        position: usize,
        out: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        let index = candidate.index.map_or(position, |i| i as usize);
        self.start(index, out)?;
        let parts = candidate
            .content
            .as_ref()
            .map(|c| c.parts.as_slice())
            .unwrap_or_default();
        let choice = index as u64;
        // The event's token log probabilities go with its answer text.
        let mut logprobs = candidate
            .logprobs_result
            .as_ref()
            .map(|result| result.to_openai());
        for part in parts {
            if let Some(call) = &part.function_call {
                let n = self.state(index).tool_calls;
                self.state(index).tool_calls = n + 1;
                let seed = format!("{}_{index}", self.seed.as_deref().unwrap_or("gemini"));
                let signature = part.thought_signature.as_deref();
                let id = tool_id::encode(call.id.as_deref(), &seed, n, signature);
                let arguments = arguments(call);
                // Gemini sends a call whole: announced with all its arguments at once.
                let call = [ToolCall::start(n as u64, &id, &call.name, &arguments)];
                out.push(self.writer().delta(choice, &Delta::tool_calls(&call))?);
            } else if let Some(text) = part.text.as_deref().filter(|t| !t.is_empty()) {
                if !part.thought {
                    self.state(index).text.push_str(text);
                    let delta = Delta::content(text);
                    out.push(match logprobs.take() {
                        Some(values) => {
                            self.writer().delta_with_logprobs(choice, &delta, &values)?
                        }
                        None => self.writer().delta(choice, &delta)?,
                    });
                } else if self.reasoning {
                    out.push(self.writer().delta(choice, &Delta::reasoning(text))?);
                }
            }
        }
        if let Some(more) = &candidate.grounding_metadata {
            grounding::append(&mut self.state(index).grounding, more.clone());
        }
        if let Some(reason) = candidate.finish_reason.as_deref() {
            self.annotations(index, out)?;
            let has_calls = self.state(index).tool_calls > 0;
            let finish = finish_reason(reason, has_calls, candidate.finish_message.as_deref())?;
            out.push(self.writer().finish(choice, finish)?);
            self.state(index).finished = true;
        }
        Ok(())
    }

    /// The chunk of a choice's grounding annotations, if it has any (once).
    fn annotations(&mut self, index: usize, out: &mut Vec<String>) -> Result<(), ApiError> {
        let state = self.state(index);
        let Some(metadata) = state.grounding.take() else {
            return Ok(());
        };
        let annotations = grounding::annotations(&metadata, &state.text);
        if annotations.is_empty() {
            return Ok(());
        }
        let delta = json!({ "annotations": annotations });
        let choice = chunk::Choice::new(index as u64, &delta, None::<&str>);
        out.push(self.writer().choices(&[choice])?);
        Ok(())
    }

    /// The role chunk, once per choice.
    fn start(&mut self, index: usize, out: &mut Vec<String>) -> Result<(), ApiError> {
        if !self.state(index).role_sent {
            out.push(self.writer().role(index as u64)?);
            self.state(index).role_sent = true;
        }
        Ok(())
    }

    fn state(&mut self, index: usize) -> &mut ChoiceState {
        self.choices.entry(index).or_default()
    }

    /// Chunks under the id and model of the first event that named them; `usage: null`
    /// on each when the client asked for usage.
    fn writer(&self) -> ChunkWriter<'_> {
        let id = self.id.as_deref().unwrap_or("chatcmpl-gemini");
        let model = self.model.as_deref().unwrap_or(&self.upstream_model);
        ChunkWriter::new(id, self.created, model).usage_null(self.include_usage)
    }
}

#[cfg(test)]
mod tests;
