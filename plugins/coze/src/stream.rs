//! Coze v3 chat events → OpenAI chunks, for one stream.
//!
//! The host hands over lines ([`super::request::FRAMING`]): an `event:NAME` line names
//! the `data:` line that follows it. Events already paired (SSE-framed, `event` set)
//! are accepted too. Any other line is part of a JSON body, which Coze sends instead
//! of events when a stream request fails (`{"code":4100,"msg":…}`, HTTP 200).
//!
//! | Coze event | OpenAI |
//! |---|---|
//! | `conversation.chat.created` | role chunk (id = chat id) |
//! | `conversation.chat.in_progress` | nothing |
//! | `conversation.message.delta`, type `answer` | `delta.content` (and `reasoning_content`) |
//! | `conversation.message.completed`, type `answer` | its text only if no delta of that message came |
//! | other message types (`verbose`, `follow_up`, `function_call`, …) | nothing |
//! | `conversation.chat.completed` | finish `stop`; usage (chunk only if the client asked) |
//! | `conversation.chat.requires_action` | `tool_calls` (ids per [`super::tool_id`]), finish `tool_calls` |
//! | `conversation.chat.failed` | the error that ends the stream (`last_error`) |
//! | `conversation.chat.canceled` | an error: the chat was canceled |
//! | `error` | the error that ends the stream |
//! | `done` | nothing (the host sends `[DONE]`) |

use serde::Deserialize;
use serde_json::{Value, json};
use switchyard_guest_kit::error::{bad_gateway, snippet};
use switchyard_guest_kit::{ApiError, CallContext, StreamEvent, StreamOutput, Usage};

use super::error::{CozeError, SNIPPET_CHARS, from_error_event};
use super::tool_id::ToolCallId;
use super::wire::{Chat, Message};

/// Per-stream state.
#[derive(Debug)]
pub struct Transformer {
    /// The client asked for a usage chunk.
    include_usage: bool,
    /// The public model name, for `model`.
    model: String,
    /// The chat id (the chunks' `id`) and conversation id, from the chat events.
    chat_id: Option<String>,
    conversation_id: Option<String>,
    created: u64,
    role_sent: bool,
    /// Answer messages whose text already went out as deltas.
    streamed: Vec<String>,
    /// The name from the last `event:` line, waiting for its `data:` line.
    event: Option<String>,
    /// Lines that are not SSE fields: a JSON body.
    body: String,
    /// The chat reached `completed` or `requires_action`.
    ended: bool,
    usage: Option<Usage>,
    /// An error met after chunks in the same batch, reported on the next call.
    pending_error: Option<ApiError>,
}

impl Transformer {
    /// Starts a stream for the call described by `ctx`.
    pub fn new(ctx: &CallContext) -> Self {
        Transformer {
            include_usage: ctx.include_usage,
            model: ctx.public_model.clone(),
            chat_id: None,
            conversation_id: None,
            created: 0,
            role_sent: false,
            streamed: Vec::new(),
            event: None,
            body: String::new(),
            ended: false,
            usage: None,
            pending_error: None,
        }
    }

    /// Translates a batch of events (lines).
    pub fn push(&mut self, events: Vec<StreamEvent>) -> Result<StreamOutput, ApiError> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        let mut chunks = Vec::new();
        for event in events {
            let result = match event.event {
                Some(name) => self.coze_event(&name, event.data.trim(), &mut chunks),
                None => self.line(event.data.trim(), &mut chunks),
            };
            if let Err(error) = result {
                if chunks.is_empty() {
                    return Err(error);
                }
                self.pending_error = Some(error);
                break;
            }
        }
        Ok(StreamOutput {
            chunks,
            usage: self.usage,
        })
    }

    /// Ends the stream: an error if the chat never completed (or a body came instead).
    pub fn finish(&mut self) -> Result<StreamOutput, ApiError> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        if !self.body.is_empty() {
            return Err(match CozeError::parse(&self.body) {
                Some(coze) => coze.to_api_error(),
                None => bad_gateway(format!(
                    "Coze answered a stream request with something that is not an event stream: {}",
                    snippet(self.body.as_bytes(), SNIPPET_CHARS)
                )),
            });
        }
        if !self.ended {
            return Err(bad_gateway(
                "the Coze stream ended before the chat completed",
            ));
        }
        Ok(StreamOutput {
            chunks: Vec::new(),
            usage: self.usage,
        })
    }

    /// One line of the upstream body.
    fn line(&mut self, line: &str, chunks: &mut Vec<String>) -> Result<(), ApiError> {
        if line.is_empty() || line.starts_with(':') {
            return Ok(());
        }
        if let Some(name) = line.strip_prefix("event:") {
            self.event = Some(name.trim().to_owned());
            return Ok(());
        }
        if let Some(data) = line.strip_prefix("data:") {
            let data = data.trim();
            return match self.event.take() {
                Some(name) => self.coze_event(&name, data, chunks),
                // A nameless event: only an error object means something.
                None => CozeError::parse(data).map_or(Ok(()), |e| Err(e.to_api_error())),
            };
        }
        if line.starts_with("id:") || line.starts_with("retry:") {
            return Ok(());
        }
        // Not an SSE field: a JSON body instead of a stream.
        if !self.body.is_empty() {
            self.body.push('\n');
        }
        self.body.push_str(line);
        match CozeError::parse(&self.body) {
            Some(coze) => {
                self.body.clear();
                Err(coze.to_api_error())
            }
            None => Ok(()),
        }
    }

    /// One named Coze event.
    fn coze_event(
        &mut self,
        name: &str,
        data: &str,
        chunks: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        match name {
            "conversation.chat.created" | "conversation.chat.in_progress" => {
                self.remember(&parse::<Chat>(name, data)?);
                self.role(chunks)
            }
            "conversation.message.delta" => {
                let message = parse::<Message>(name, data)?;
                if message.kind != "answer" {
                    return Ok(());
                }
                self.remember_message(&message);
                if !self.streamed.contains(&message.id) {
                    self.streamed.push(message.id.clone());
                }
                self.content(&message, chunks)
            }
            "conversation.message.completed" => {
                let message = parse::<Message>(name, data)?;
                if message.kind != "answer" || self.streamed.contains(&message.id) {
                    return Ok(());
                }
                self.remember_message(&message);
                self.streamed.push(message.id.clone());
                self.content(&message, chunks)
            }
            "conversation.chat.completed" => {
                let chat = parse::<Chat>(name, data)?;
                self.remember(&chat);
                self.role(chunks)?;
                self.end(&chat, "stop", chunks)
            }
            "conversation.chat.requires_action" => {
                let chat = parse::<Chat>(name, data)?;
                self.remember(&chat);
                self.role(chunks)?;
                self.tool_calls(&chat, chunks)?;
                self.end(&chat, "tool_calls", chunks)
            }
            "conversation.chat.failed" => {
                let chat = parse::<Chat>(name, data)?;
                let error = chat
                    .last_error
                    .filter(|e| e.code != 0)
                    .unwrap_or(CozeError {
                        code: 0,
                        msg: "the chat failed".into(),
                        detail: None,
                    });
                let mut api = error.to_api_error();
                if error.code == 0 {
                    api.message = "Coze: the chat failed with no reason given".into();
                }
                Err(api)
            }
            "conversation.chat.canceled" => Err(bad_gateway("Coze canceled the chat")),
            "error" => Err(from_error_event(data)),
            // `done`, audio, and events added later carry nothing for the client.
            _ => Ok(()),
        }
    }

    fn remember(&mut self, chat: &Chat) {
        if self.chat_id.is_none() {
            self.chat_id = chat.id.clone();
        }
        if self.conversation_id.is_none() {
            self.conversation_id = chat.conversation_id.clone();
        }
        if self.created == 0 {
            self.created = chat.created_at.unwrap_or(0);
        }
    }

    fn remember_message(&mut self, message: &Message) {
        if self.chat_id.is_none() {
            self.chat_id = message.chat_id.clone();
        }
        if self.conversation_id.is_none() {
            self.conversation_id = message.conversation_id.clone();
        }
    }

    fn role(&mut self, chunks: &mut Vec<String>) -> Result<(), ApiError> {
        if !self.role_sent {
            self.role_sent = true;
            chunks.push(self.chunk(json!([{
                "index": 0,
                "delta": {"role": "assistant", "content": ""},
                "finish_reason": null,
            }]))?);
        }
        Ok(())
    }

    fn content(&mut self, message: &Message, chunks: &mut Vec<String>) -> Result<(), ApiError> {
        let reasoning = message
            .reasoning_content
            .as_deref()
            .filter(|r| !r.is_empty());
        if message.content.is_empty() && reasoning.is_none() {
            return Ok(());
        }
        self.role(chunks)?;
        let mut delta = serde_json::Map::new();
        if let Some(reasoning) = reasoning {
            delta.insert("reasoning_content".into(), json!(reasoning));
        }
        if !message.content.is_empty() {
            delta.insert("content".into(), json!(message.content));
        }
        chunks.push(self.chunk(json!([{"index": 0, "delta": delta, "finish_reason": null}]))?);
        Ok(())
    }

    fn tool_calls(&mut self, chat: &Chat, chunks: &mut Vec<String>) -> Result<(), ApiError> {
        let calls = chat
            .required_action
            .as_ref()
            .and_then(|a| a.submit_tool_outputs.as_ref())
            .map(|s| s.tool_calls.as_slice())
            .unwrap_or_default();
        let (Some(conversation_id), Some(chat_id)) = (&self.conversation_id, &self.chat_id) else {
            return Err(bad_gateway(
                "Coze asked for tool outputs without naming its conversation and chat",
            ));
        };
        if calls.is_empty() {
            return Err(bad_gateway(
                "Coze asked for tool outputs but named no tool call",
            ));
        }
        let deltas: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(index, call)| {
                let id = ToolCallId {
                    conversation_id: conversation_id.clone(),
                    chat_id: chat_id.clone(),
                    call_id: call.id.clone(),
                };
                let arguments = match &call.function.arguments {
                    Value::String(text) => text.clone(),
                    Value::Null => "{}".to_owned(),
                    other => other.to_string(),
                };
                json!({
                    "index": index,
                    "id": id.encode(),
                    "type": "function",
                    "function": {"name": call.function.name, "arguments": arguments},
                })
            })
            .collect();
        chunks.push(self.chunk(json!([{
            "index": 0,
            "delta": {"tool_calls": deltas},
            "finish_reason": null,
        }]))?);
        Ok(())
    }

    /// The finish chunk, usage, and the usage chunk when asked for.
    fn end(&mut self, chat: &Chat, reason: &str, chunks: &mut Vec<String>) -> Result<(), ApiError> {
        self.ended = true;
        if let Some(usage) = chat.usage {
            self.usage = Some(Usage {
                prompt_tokens: saturate(usage.input_count),
                completion_tokens: saturate(usage.output_count),
                cached_tokens: None,
                reasoning_tokens: None,
            });
        }
        chunks.push(self.chunk(json!([{"index": 0, "delta": {}, "finish_reason": reason}]))?);
        if self.include_usage
            && let Some(usage) = self.usage
        {
            let mut chunk = self.base(json!([]));
            chunk["usage"] = json!({
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": u64::from(usage.prompt_tokens) + u64::from(usage.completion_tokens),
            });
            chunks.push(to_string(&chunk)?);
        }
        Ok(())
    }

    fn base(&self, choices: Value) -> Value {
        json!({
            "id": self.chat_id.as_deref().unwrap_or("chat-coze"),
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        })
    }

    fn chunk(&self, choices: Value) -> Result<String, ApiError> {
        to_string(&self.base(choices))
    }
}

fn to_string(value: &Value) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| bad_gateway(format!("cannot write a chunk: {e}")))
}

fn parse<'a, T: Deserialize<'a>>(name: &str, data: &'a str) -> Result<T, ApiError> {
    serde_json::from_str(data).map_err(|e| {
        bad_gateway(format!(
            "Coze sent a `{name}` event that cannot be read ({e}): {}",
            snippet(data.as_bytes(), SNIPPET_CHARS)
        ))
    })
}

fn saturate(count: u64) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
