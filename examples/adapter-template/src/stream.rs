//! The platform's stream → OpenAI chunks, for one streamed call.
//!
//! The gateway frames the upstream bytes (here server-sent events, as the request
//! asked with `StreamFraming::Sse`) and calls [`Transformer::push`] with complete
//! events; each event's `data` is one JSON chunk. The gateway sends its own
//! `data: [DONE]` at the end, so the platform's is dropped.

use crate::error::{bad_gateway, from_stream_error, snippet};
use crate::openai::{ChatChunk, ChunkChoice, CompletionUsage, Delta};
use crate::wire::{self, StreamData};
use crate::{ApiError, CallContext, StreamEvent, StreamOutput};

/// The state of one stream.
#[derive(Debug)]
pub struct Transformer {
    /// The client asked for the final usage chunk (`stream_options.include_usage`).
    include_usage: bool,
    /// The latest usage seen, reported to the gateway for accounting.
    usage: Option<CompletionUsage>,
    /// An error met after other chunks of the same batch: those chunks go out first,
    /// the error with the next call.
    pending_error: Option<ApiError>,
}

impl Transformer {
    /// Starts a stream for the call described by `ctx`.
    pub fn new(ctx: &CallContext) -> Self {
        Transformer {
            include_usage: ctx.include_usage,
            usage: None,
            pending_error: None,
        }
    }

    /// Translates a batch of complete events.
    pub fn push(&mut self, events: &[StreamEvent]) -> Result<StreamOutput, ApiError> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        let mut chunks = Vec::with_capacity(events.len());
        for event in events {
            match self.event(&event.data) {
                Ok(Some(chunk)) => chunks.push(chunk),
                Ok(None) => {}
                Err(error) if chunks.is_empty() => return Err(error),
                Err(error) => {
                    self.pending_error = Some(error);
                    break;
                }
            }
        }
        Ok(self.output(chunks))
    }

    /// The upstream ended. Nothing is buffered here, so this reports the final usage
    /// (or the error still pending).
    pub fn finish(&mut self) -> Result<StreamOutput, ApiError> {
        match self.pending_error.take() {
            Some(error) => Err(error),
            None => Ok(self.output(Vec::new())),
        }
    }

    fn output(&self, chunks: Vec<String>) -> StreamOutput {
        StreamOutput {
            chunks,
            usage: self.usage.map(crate::Usage::from),
        }
    }

    /// One event's data → the chunk to send, if any.
    fn event(&mut self, data: &str) -> Result<Option<String>, ApiError> {
        let data = data.trim();
        if data.is_empty() || data == "[DONE]" {
            return Ok(None);
        }
        let chunk = match serde_json::from_str::<StreamData>(data) {
            Ok(StreamData::Chunk(chunk)) => chunk,
            Ok(StreamData::Error(body)) => return Err(from_stream_error(body)),
            Err(e) => {
                return Err(bad_gateway(format!(
                    "upstream sent a stream event this adapter cannot read ({e}): {}",
                    snippet(data.as_bytes())
                )));
            }
        };
        let usage = chunk
            .usage
            .map(|u| CompletionUsage::new(u.prompt_tokens, u.completion_tokens));
        if usage.is_some() {
            self.usage = usage;
        }
        // Usage was asked for upstream on every stream; the client sees it only if it
        // asked too.
        let usage = usage.filter(|_| self.include_usage);
        if chunk.choices.is_empty() && usage.is_none() {
            return Ok(None);
        }
        let out = chunk_to_openai(chunk, usage);
        serde_json::to_string(&out)
            .map(Some)
            .map_err(|e| bad_gateway(format!("cannot encode a chunk: {e}")))
    }
}

fn chunk_to_openai(chunk: wire::Chunk, usage: Option<CompletionUsage>) -> ChatChunk {
    ChatChunk {
        id: chunk.id,
        object: "chat.completion.chunk",
        created: chunk.created,
        model: chunk.model,
        choices: chunk
            .choices
            .into_iter()
            .map(|choice| ChunkChoice {
                index: choice.index,
                delta: Delta {
                    role: choice.delta.role,
                    content: choice.delta.content,
                },
                finish_reason: choice.finish_reason,
            })
            .collect(),
        usage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_ctx;
    use serde_json::{Value, json};

    fn events(lines: &[&str]) -> Vec<StreamEvent> {
        lines
            .iter()
            .map(|data| StreamEvent {
                event: None,
                data: (*data).to_owned(),
            })
            .collect()
    }

    fn parsed(output: &StreamOutput) -> Vec<Value> {
        output
            .chunks
            .iter()
            .map(|c| serde_json::from_str(c).expect("chunks are JSON"))
            .collect()
    }

    const ROLE: &str = r#"{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}"#;
    const TEXT: &str = r#"{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}"#;
    const STOP: &str = r#"{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#;
    const USAGE: &str = r#"{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#;

    #[test]
    fn chunks_are_rebuilt_and_usage_hidden_unless_asked() {
        let mut stream = Transformer::new(&test_ctx(true, false));
        let out = stream
            .push(&events(&[ROLE, TEXT, STOP, USAGE, "[DONE]"]))
            .expect("translates");
        let chunks = parsed(&out);
        assert_eq!(chunks.len(), 3, "the usage event is dropped: {chunks:?}");
        assert_eq!(
            chunks[1],
            json!({"id":"c1","object":"chat.completion.chunk","created":7,"model":"m",
                   "choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]})
        );
        assert_eq!(chunks[2]["choices"][0]["finish_reason"], "stop");
        let usage = out.usage.expect("usage is still accounted");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (3, 1));
        assert!(stream.finish().expect("ends").chunks.is_empty());
    }

    #[test]
    fn the_usage_chunk_goes_out_when_asked() {
        let mut stream = Transformer::new(&test_ctx(true, true));
        let out = stream.push(&events(&[TEXT, USAGE])).expect("translates");
        let chunks = parsed(&out);
        assert_eq!(
            chunks[1],
            json!({"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[],
                   "usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}})
        );
        assert!(
            chunks[0].get("usage").is_none(),
            "content chunks carry no usage"
        );
    }

    #[test]
    fn an_error_after_chunks_waits_for_the_next_call() {
        let mut stream = Transformer::new(&test_ctx(true, false));
        let error =
            r#"{"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}"#;
        let out = stream
            .push(&events(&[TEXT, error, STOP]))
            .expect("chunks first");
        assert_eq!(out.chunks.len(), 1);
        let e = stream.finish().expect_err("then the error");
        assert_eq!((e.status, e.message.as_str()), (502, "overloaded"));

        let mut stream = Transformer::new(&test_ctx(true, false));
        let e = stream.push(&events(&[error])).expect_err("alone, at once");
        assert_eq!(e.status, 502);
    }

    #[test]
    fn garbage_is_a_502_quoting_it() {
        let mut stream = Transformer::new(&test_ctx(true, false));
        let e = stream.push(&events(&["not json"])).expect_err("refused");
        assert_eq!(e.status, 502);
        assert!(e.message.ends_with("not json"), "{}", e.message);
    }
}
