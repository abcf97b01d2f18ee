//! Anthropic SSE events → OpenAI `chat.completion.chunk`s, for one stream.
//!
//! | Anthropic event | OpenAI chunk |
//! |---|---|
//! | `message_start` | the role chunk (`delta: {role, content: ""}`), once, first |
//! | `content_block_start` `tool_use` | `tool_calls[{index, id, type, function: {name, arguments: ""}}]` |
//! | `text_delta` / `thinking_delta` | `delta.content` / `delta.reasoning_content` |
//! | `input_json_delta` | `tool_calls[{index, function: {arguments}}]` (empty fragments skipped) |
//! | `message_delta` | nothing; its `stop_reason` and cumulative usage are kept |
//! | `message_stop` | the finish chunk, then the usage chunk (`choices: []`) if asked for |
//! | `content_block_stop` of a `tool_use` whose arguments streamed empty | `arguments: "{}"` |
//! | `content_block_stop` of a `thinking` block | `thinking_blocks: [{type, thinking, signature}]`, the whole block, to echo back |
//! | `content_block_start` of a `redacted_thinking` block | `thinking_blocks: [{type, data}]` |
//! | `content_block_start` of a `server_tool_use` (a web search Anthropic runs), `web_search_tool_result` or any other block type, and their deltas (the search's `input_json_delta`s) | nothing: never a tool call; text after them starts with a blank line ([`crate::citations`]) |
//! | `citations_delta` of a text block | kept; when the block stops, a chunk whose delta is `annotations` (its `url_citation`s, spanning the block's text) |
//! | `ping`, `signature_delta` (kept for the block), other `content_block_stop`s, unknown events | nothing |
//! | `error` | the error that ends the stream ([`super::error::from_stream_error`]) |
//!
//! The OpenAI tool-call `index` counts tool calls only: a text or thinking block
//! before a `tool_use` block shifts Anthropic's block index, not the tool index.
//!
//! A complete stream ends with `message_stop`. One that closes after a `message_delta`
//! with a `stop_reason` lost only that marker (the reason and the final usage came in
//! the delta), so it still gets its finish chunk; one that closes earlier was cut, and
//! [`Transformer::finish`] says so (502 `upstream_stream_truncated`).

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};
use switchyard_guest_kit::chunk;
use switchyard_guest_kit::error::{bad_gateway, snippet};
use switchyard_guest_kit::{
    ApiError, CallContext, ChunkWriter, Delta, StreamEnd, StreamEvent, StreamState, ToolCall, Usage,
};

use super::citations::Citation;
use super::error::{SNIPPET_CHARS, from_stream_error};
use super::response::{finish_reason, now_secs};
use super::usage::AnthropicUsage;
use text::Text;

mod text;

/// One Anthropic stream event, as far as the translation reads it.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: u64,
        content_block: StartBlock,
    },
    ContentBlockDelta {
        index: u64,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: u64,
    },
    MessageDelta {
        #[serde(default)]
        delta: MessageDeltaBody,
        #[serde(default)]
        usage: Option<AnthropicUsage>,
    },
    MessageStop {},
    Error {},
    #[serde(other)]
    Other,
}

/// `message_start.message`.
#[derive(Debug, Deserialize)]
struct StartMessage {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<AnthropicUsage>,
}

/// `content_block_start.content_block`; only `tool_use` starts emit anything.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StartBlock {
    Text {},
    ToolUse {
        id: String,
        name: String,
    },
    Thinking {},
    RedactedThinking {
        data: String,
    },
    #[serde(other)]
    Other,
}

/// `content_block_delta.delta`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    #[serde(rename = "text_delta")]
    Text { text: String },
    #[serde(rename = "input_json_delta")]
    InputJson {
        #[serde(default)]
        partial_json: String,
    },
    #[serde(rename = "thinking_delta")]
    Thinking { thinking: String },
    #[serde(rename = "signature_delta")]
    Signature { signature: String },
    #[serde(rename = "citations_delta")]
    Citations { citation: Citation },
    #[serde(other)]
    Other,
}

/// `message_delta.delta`.
#[derive(Debug, Default, Deserialize)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<String>,
}

/// Per-stream state.
#[derive(Debug)]
pub struct Transformer {
    /// The client asked for a usage chunk.
    include_usage: bool,
    /// `id` of every chunk (the Anthropic message id).
    id: String,
    /// `model` of every chunk.
    model: String,
    /// `created` of every chunk.
    created: u64,
    /// The role chunk went out.
    started: bool,
    /// Tool calls seen so far (the next OpenAI tool index).
    tool_calls: u32,
    /// Anthropic block index → OpenAI tool index, for `tool_use` blocks, and whether
    /// any argument fragment of it went out.
    tool_index: HashMap<u64, (u32, bool)>,
    /// Thinking blocks being streamed, by block index: their text and signature, sent
    /// whole as a `thinking_blocks` delta when the block stops, for the client to echo.
    thinking: HashMap<u64, (String, String)>,
    /// The answer text's length, skipped blocks and citations.
    text: Text,
    /// The latest `stop_reason`.
    stop_reason: Option<String>,
    /// Cumulative usage.
    usage: AnthropicUsage,
    /// Whether any usage arrived.
    has_usage: bool,
    /// Whether `message_stop` arrived (later events are ignored).
    end: StreamEnd,
}

/// What a complete Anthropic stream ends with.
pub const TERMINAL: &str = "`message_stop`";

impl StreamState for Transformer {
    fn start(ctx: &CallContext) -> Self {
        Transformer {
            include_usage: ctx.include_usage,
            id: String::new(),
            model: ctx.upstream_model.clone(),
            created: now_secs(),
            started: false,
            tool_calls: 0,
            tool_index: HashMap::new(),
            thinking: HashMap::new(),
            text: Text::default(),
            stop_reason: None,
            usage: AnthropicUsage::default(),
            has_usage: false,
            end: StreamEnd::new("Anthropic", TERMINAL),
        }
    }

    fn event(&mut self, event: StreamEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        self.translate(&event, out)
    }

    /// A stream cut before `message_stop` still gets its finish (and usage) chunk if
    /// `message_delta` said why it stopped; otherwise it is truncated, never a silent
    /// cut.
    fn finish(&mut self, out: &mut Vec<String>) -> Result<(), ApiError> {
        if !self.end.reached() && self.stop_reason.is_some() {
            self.stop(out)?;
        }
        self.end.finish()
    }

    fn usage(&self) -> Option<Usage> {
        self.has_usage.then(|| self.usage.to_wit())
    }
}

impl Transformer {
    /// One event → the chunks it produces.
    fn translate(&mut self, event: &StreamEvent, chunks: &mut Vec<String>) -> Result<(), ApiError> {
        let data = event.data.trim();
        if event.event.as_deref() == Some("error") {
            return Err(from_stream_error(data));
        }
        if self.end.reached() || data.is_empty() {
            return Ok(());
        }
        let parsed: Event = serde_json::from_str(data).map_err(|e| {
            bad_gateway(format!(
                "upstream sent a stream event that is not an Anthropic event ({e}): {}",
                snippet(data.as_bytes(), SNIPPET_CHARS)
            ))
        })?;
        match parsed {
            Event::Error {} => return Err(from_stream_error(data)),
            Event::MessageStart { message } => {
                if !message.id.is_empty() {
                    self.id = message.id;
                }
                if let Some(model) = message.model {
                    self.model = model;
                }
                if let Some(usage) = message.usage {
                    self.usage.update(&usage);
                    self.has_usage = true;
                }
                self.start(chunks)?;
            }
            Event::ContentBlockStart {
                index,
                content_block: StartBlock::ToolUse { id, name },
            } => {
                self.start(chunks)?;
                let tool = self.tool_calls;
                self.tool_calls += 1;
                self.tool_index.insert(index, (tool, false));
                let call = [ToolCall::start(tool.into(), &id, &name, "")];
                chunks.push(self.writer().delta(0, &Delta::tool_calls(&call))?);
            }
            Event::ContentBlockStart {
                index,
                content_block: StartBlock::Text {},
            } => self.text.block_start(index),
            // A web search's `server_tool_use` (which the client cannot run),
            // `web_search_tool_result`, and anything newer: skipped whole, deltas too.
            Event::ContentBlockStart {
                content_block: StartBlock::Other,
                ..
            } => self.text.skipped_block(),
            Event::ContentBlockStart {
                index,
                content_block: StartBlock::Thinking {},
            } => {
                self.thinking.insert(index, (String::new(), String::new()));
            }
            Event::ContentBlockStart {
                content_block: StartBlock::RedactedThinking { data },
                ..
            } => {
                self.start(chunks)?;
                let block = json!({"type": "redacted_thinking", "data": data});
                chunks.push(self.thinking_blocks(&block)?);
            }
            Event::ContentBlockDelta {
                index,
                delta: BlockDelta::Signature { signature },
            } => {
                if let Some((_, sent)) = self.thinking.get_mut(&index) {
                    sent.push_str(&signature);
                }
            }
            Event::ContentBlockDelta {
                index,
                delta: BlockDelta::Citations { citation },
            } => self.text.cite(index, citation),
            Event::ContentBlockDelta {
                index,
                delta: BlockDelta::Text { text },
            } => {
                self.start(chunks)?;
                if !text.is_empty() {
                    let content = self.text.delta(index, &text);
                    chunks.push(self.writer().delta(0, &Delta::content(&content))?);
                }
            }
            Event::ContentBlockDelta { index, delta } => {
                self.start(chunks)?;
                let writer = self.writer();
                let mut argued = None;
                let mut thought = None;
                match delta {
                    BlockDelta::Thinking { thinking } if !thinking.is_empty() => {
                        chunks.push(writer.delta(0, &Delta::reasoning(&thinking))?);
                        thought = Some(thinking);
                    }
                    BlockDelta::InputJson { partial_json } if !partial_json.is_empty() => {
                        if let Some(&(tool, _)) = self.tool_index.get(&index) {
                            let call = [ToolCall::arguments(tool.into(), &partial_json)];
                            chunks.push(writer.delta(0, &Delta::tool_calls(&call))?);
                            argued = Some(index);
                        }
                    }
                    _ => {}
                }
                if let Some((_, sent)) = argued.and_then(|i| self.tool_index.get_mut(&i)) {
                    *sent = true;
                }
                if let (Some(text), Some((kept, _))) = (thought, self.thinking.get_mut(&index)) {
                    kept.push_str(&text);
                }
            }
            // A tool called without arguments streams none: its arguments are `{}`,
            // as in a whole answer, so a client parsing them gets an object.
            Event::ContentBlockStop { index } if self.thinking.contains_key(&index) => {
                if let Some((thinking, signature)) = self.thinking.remove(&index) {
                    let block =
                        json!({"type": "thinking", "thinking": thinking, "signature": signature});
                    chunks.push(self.thinking_blocks(&block)?);
                }
            }
            Event::ContentBlockStop { index } => {
                if let Some((tool, sent @ false)) = self.tool_index.get_mut(&index) {
                    *sent = true;
                    let call = [ToolCall::arguments((*tool).into(), "{}")];
                    chunks.push(self.writer().delta(0, &Delta::tool_calls(&call))?);
                }
                let annotations = self.text.block_stop(index);
                if !annotations.is_empty() {
                    let delta = json!({"annotations": annotations});
                    chunks.push(self.delta_only(&delta)?);
                }
            }
            Event::MessageDelta { delta, usage } => {
                if delta.stop_reason.is_some() {
                    self.stop_reason = delta.stop_reason;
                }
                if let Some(usage) = usage {
                    self.usage.update(&usage);
                    self.has_usage = true;
                }
            }
            Event::MessageStop {} => {
                self.start(chunks)?;
                self.stop(chunks)?;
            }
            Event::Other => {}
        }
        Ok(())
    }

    /// A chunk whose delta is one whole thinking block, as `thinking_blocks`.
    fn thinking_blocks(&self, block: &Value) -> Result<String, ApiError> {
        self.delta_only(&json!({"thinking_blocks": [block]}))
    }

    /// A chunk with this delta, which [`Delta`] has no field for.
    fn delta_only(&self, delta: &Value) -> Result<String, ApiError> {
        self.writer()
            .choices(&[chunk::Choice::new(0, delta, None::<&str>)])
    }

    /// The role chunk, once.
    fn start(&mut self, chunks: &mut Vec<String>) -> Result<(), ApiError> {
        if !self.started {
            chunks.push(self.writer().role(0)?);
            self.started = true;
        }
        Ok(())
    }

    /// The finish chunk and, when asked for, the usage chunk.
    fn stop(&mut self, chunks: &mut Vec<String>) -> Result<(), ApiError> {
        self.end.reach();
        let writer = self.writer();
        chunks.push(writer.finish(0, finish_reason(self.stop_reason.as_deref()))?);
        if self.include_usage {
            chunks.push(writer.usage(&self.usage.to_openai())?);
        }
        Ok(())
    }

    /// Chunks as OpenAI writes them: `logprobs: null` in the choice, `usage: null`
    /// when the client asked for usage.
    fn writer(&self) -> ChunkWriter<'_> {
        ChunkWriter::new(&self.id, self.created, &self.model)
            .usage_null(self.include_usage)
            .logprobs_null()
    }
}

#[cfg(test)]
mod tests;
