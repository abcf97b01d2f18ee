//! An Ollama NDJSON stream → OpenAI chunks, for one streamed call.
//!
//! The gateway splits the stream into lines (the request asked for
//! `StreamFraming::Ndjson`) and calls [`Transformer::push`] with them. Each line is a
//! JSON object carrying a piece of `message` (text, thinking, whole tool calls);
//! the last has `done: true`, `done_reason` and the token counts, and becomes the
//! finish chunk, then the usage chunk when the client asked for it. A line
//! `{"error": "…"}` ends the stream with an error. A stream that stops before its
//! `done` line is an error too, so a cut connection never looks like a whole answer.

use crate::error::{bad_gateway, from_stream_error, snippet};
use crate::ids::{completion_id, unix_seconds};
use crate::openai::{ChatChunk, ChunkChoice, CompletionUsage, Delta};
use crate::response::{finish_reason, model_name, tool_calls, usage};
use crate::wire::{self, StreamLine};
use crate::{ApiError, CallContext, StreamEvent, StreamOutput};

/// What every chunk of the stream repeats, fixed by its first line.
#[derive(Debug)]
struct Head {
    id: String,
    created: u64,
    model: String,
    created_at: String,
}

/// The state of one stream.
#[derive(Debug)]
pub struct Transformer {
    /// The call's context (the client's `include_usage`, the configured model).
    ctx: CallContext,
    head: Option<Head>,
    /// The first chunk (with `role`) has gone out.
    role_sent: bool,
    /// Tool calls seen so far; the next one's index.
    tool_calls: u32,
    /// The `done` line arrived.
    done: bool,
    /// Usage from the `done` line.
    usage: Option<CompletionUsage>,
    /// An error met after chunks of the same batch, reported by the next call.
    pending_error: Option<ApiError>,
}

impl Transformer {
    /// Starts a stream for the call described by `ctx`.
    pub fn new(ctx: &CallContext) -> Self {
        Transformer {
            ctx: ctx.clone(),
            head: None,
            role_sent: false,
            tool_calls: 0,
            done: false,
            usage: None,
            pending_error: None,
        }
    }

    /// Translates a batch of lines.
    pub fn push(&mut self, events: &[StreamEvent]) -> Result<StreamOutput, ApiError> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        let mut chunks = Vec::with_capacity(events.len());
        for event in events {
            match self.line(&event.data) {
                Ok(more) => chunks.extend(more),
                Err(error) if chunks.is_empty() => return Err(error),
                Err(error) => {
                    self.pending_error = Some(error);
                    break;
                }
            }
        }
        Ok(self.output(chunks))
    }

    /// The upstream ended: fine after the `done` line, an error before it.
    pub fn finish(&mut self) -> Result<StreamOutput, ApiError> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        if !self.done {
            return Err(bad_gateway(
                "the upstream stream ended before its last line (`done: true`)",
            ));
        }
        Ok(self.output(Vec::new()))
    }

    fn output(&self, chunks: Vec<String>) -> StreamOutput {
        StreamOutput {
            chunks,
            usage: self.usage.map(crate::Usage::from),
        }
    }

    /// One line → the chunks it makes.
    fn line(&mut self, data: &str) -> Result<Vec<String>, ApiError> {
        let data = data.trim();
        if data.is_empty() || self.done {
            return Ok(Vec::new());
        }
        let line = match serde_json::from_str::<StreamLine>(data) {
            Ok(StreamLine::Chunk(line)) => line,
            Ok(StreamLine::Error(body)) => return Err(from_stream_error(body)),
            Err(e) => {
                return Err(bad_gateway(format!(
                    "upstream sent a stream line this adapter cannot read ({e}): {}",
                    snippet(data.as_bytes())
                )));
            }
        };
        let wire::ChatResponse {
            model,
            created_at,
            message,
            done,
            done_reason,
            prompt_eval_count,
            eval_count,
        } = line;
        let head = self.head.get_or_insert_with(|| {
            let model = model_name(&self.ctx, model);
            Head {
                id: completion_id(&created_at, &model),
                created: unix_seconds(&created_at).unwrap_or_default(),
                model,
                created_at,
            }
        });

        let message = message.unwrap_or_default();
        let calls = tool_calls(
            &head.created_at,
            self.tool_calls,
            message.tool_calls.unwrap_or_default(),
            true,
        );
        self.tool_calls = self
            .tool_calls
            .saturating_add(u32::try_from(calls.len()).unwrap_or(u32::MAX));
        let first = !self.role_sent;
        let delta = Delta {
            role: first.then_some("assistant"),
            // The first chunk carries `content: ""` like OpenAI's, unless it calls tools.
            content: (!message.content.is_empty() || (first && calls.is_empty()))
                .then_some(message.content),
            reasoning_content: message.thinking.filter(|t| !t.is_empty()),
            tool_calls: calls,
        };

        let mut chunks = Vec::new();
        if !delta.is_empty() {
            self.role_sent = true;
            chunks.push(self.chunk(delta, None)?);
        }
        if done {
            self.done = true;
            let usage = usage(prompt_eval_count, eval_count);
            self.usage = Some(usage);
            let reason = finish_reason(done_reason.as_deref(), self.tool_calls > 0);
            chunks.push(self.chunk(Delta::default(), Some(reason))?);
            if self.ctx.include_usage {
                chunks.push(self.usage_chunk(usage)?);
            }
        }
        Ok(chunks)
    }

    fn chunk(&self, delta: Delta, finish_reason: Option<&'static str>) -> Result<String, ApiError> {
        let choice = ChunkChoice {
            index: 0,
            delta,
            finish_reason,
        };
        self.encode(vec![choice], None)
    }

    fn usage_chunk(&self, usage: CompletionUsage) -> Result<String, ApiError> {
        self.encode(Vec::new(), Some(usage))
    }

    fn encode(
        &self,
        choices: Vec<ChunkChoice>,
        usage: Option<CompletionUsage>,
    ) -> Result<String, ApiError> {
        let (id, created, model) = match &self.head {
            Some(head) => (head.id.clone(), head.created, head.model.clone()),
            None => (String::new(), 0, self.ctx.upstream_model.clone()),
        };
        let chunk = ChatChunk {
            id,
            object: "chat.completion.chunk",
            created,
            model,
            choices,
            usage,
        };
        serde_json::to_string(&chunk)
            .map_err(|e| bad_gateway(format!("cannot encode a chunk: {e}")))
    }
}

#[cfg(test)]
mod tests;
