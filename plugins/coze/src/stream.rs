//! Coze v3 chat events → OpenAI chunks, for one stream.
//!
//! The host frames Coze's SSE (`event:NAME` / `data:JSON`, no space after the colon)
//! into named events ([`super::request::FRAMING`]). A failing stream request is
//! answered with a JSON body instead of events (`{"code":4100,…}`, HTTP 200,
//! `application/json`); the host hands that to `transform-response` whole
//! ([`super::response`]), so it never reaches this transformer. A nameless event that
//! is a Coze error object is still an error.
//!
//! | Coze event | OpenAI |
//! |---|---|
//! | `conversation.chat.created` | role chunk (id = chat id) |
//! | `conversation.chat.in_progress` | nothing |
//! | `conversation.message.delta`, type `answer` | `delta.content` (and `reasoning_content`) |
//! | `conversation.message.completed`, type `answer` | its text only if no delta of that message came |
//! | a second answer message of the same chat | its text after a blank line (`\n\n`), not run into the first |
//! | other message types (`verbose`, `follow_up`, `function_call`, …) | nothing |
//! | `conversation.chat.completed` | finish `stop`; usage (chunk only if the client asked) |
//! | `conversation.chat.requires_action` | `tool_calls` (ids per [`super::tool_id`]), finish `tool_calls` |
//! | `conversation.chat.failed` | the error that ends the stream (`last_error`) |
//! | `conversation.chat.canceled` | an error: the chat was canceled |
//! | `error` | the error that ends the stream |
//! | `done` | nothing (the host sends `[DONE]`) |
//!
//! A complete stream reaches `conversation.chat.completed` (or `requires_action`),
//! which carries the finish and the usage; `done` follows it. A stream that closes
//! before was cut, and [`Transformer::finish`] says so (502
//! `upstream_stream_truncated`); `done` alone does not complete it, since the chat's
//! outcome and usage never came.

use serde::Deserialize;
use serde_json::{Value, json};
use switchyard_guest_kit::error::{bad_gateway, snippet};
use switchyard_guest_kit::usage::saturate;
use switchyard_guest_kit::{
    ApiError, CallContext, ChunkWriter, Delta, StreamEnd, StreamEvent, StreamState, ToolCall, Usage,
};

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
    /// The answer message whose text went out last: a chat can answer in several
    /// messages, which are set apart by a blank line rather than run together.
    last_answer: Option<String>,
    usage: Option<Usage>,
    /// Whether the chat reached `completed` or `requires_action`.
    end: StreamEnd,
}

/// What a complete Coze stream reaches.
pub const TERMINAL: &str = "`conversation.chat.completed` or `conversation.chat.requires_action`";

impl StreamState for Transformer {
    fn start(ctx: &CallContext) -> Self {
        Transformer {
            include_usage: ctx.include_usage,
            model: ctx.public_model.clone(),
            chat_id: None,
            conversation_id: None,
            created: 0,
            role_sent: false,
            streamed: Vec::new(),
            last_answer: None,
            usage: None,
            end: StreamEnd::new("Coze", TERMINAL),
        }
    }

    fn event(&mut self, event: StreamEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        let data = event.data.trim();
        match event.event.as_deref().map(str::trim) {
            Some(name) => self.coze_event(name, data, out),
            // A nameless event: only an error object means something.
            None => CozeError::parse(data).map_or(Ok(()), |e| Err(e.to_api_error())),
        }
    }

    /// Nothing is buffered: the stream is complete once the chat completed.
    fn finish(&mut self, _out: &mut Vec<String>) -> Result<(), ApiError> {
        self.end.finish()
    }

    fn usage(&self) -> Option<Usage> {
        self.usage
    }
}

impl Transformer {
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
                self.finish_chat(&chat, "stop", chunks)
            }
            "conversation.chat.requires_action" => {
                let chat = parse::<Chat>(name, data)?;
                self.remember(&chat);
                self.role(chunks)?;
                self.tool_calls(&chat, chunks)?;
                self.finish_chat(&chat, "tool_calls", chunks)
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
            chunks.push(self.writer().role(0)?);
            self.role_sent = true;
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
        let mut content = None;
        if !message.content.is_empty() {
            let next_message = self
                .last_answer
                .as_ref()
                .is_some_and(|last| *last != message.id);
            content = Some(if next_message {
                format!("\n\n{}", message.content)
            } else {
                message.content.clone()
            });
            self.last_answer = Some(message.id.clone());
        }
        let delta = Delta {
            content: content.as_deref(),
            reasoning_content: reasoning,
            ..Delta::default()
        };
        chunks.push(self.writer().delta(0, &delta)?);
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
        // Ids and argument texts first: the deltas borrow them.
        let written: Vec<(String, String)> = calls
            .iter()
            .map(|call| {
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
                (id.encode(), arguments)
            })
            .collect();
        // Coze hands over every call whole, in one event: one chunk announces them all.
        let deltas: Vec<ToolCall<'_>> = calls
            .iter()
            .zip(&written)
            .zip(0u64..)
            .map(|((call, (id, arguments)), index)| {
                ToolCall::start(index, id, &call.function.name, arguments)
            })
            .collect();
        chunks.push(self.writer().delta(0, &Delta::tool_calls(&deltas))?);
        Ok(())
    }

    /// The finish chunk, usage, and the usage chunk when asked for.
    fn finish_chat(
        &mut self,
        chat: &Chat,
        reason: &str,
        chunks: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        self.end.reach();
        if let Some(usage) = chat.usage {
            self.usage = Some(Usage {
                prompt_tokens: saturate(usage.input_count),
                completion_tokens: saturate(usage.output_count),
                cached_tokens: None,
                reasoning_tokens: None,
            });
        }
        chunks.push(self.writer().finish(0, reason)?);
        if self.include_usage
            && let Some(usage) = self.usage
        {
            chunks.push(self.writer().usage(&json!({
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": u64::from(usage.prompt_tokens) + u64::from(usage.completion_tokens),
            }))?);
        }
        Ok(())
    }

    /// Chunks under the chat's id; Coze's carry no `usage: null`.
    fn writer(&self) -> ChunkWriter<'_> {
        let id = self.chat_id.as_deref().unwrap_or("chat-coze");
        ChunkWriter::new(id, self.created, &self.model)
    }
}

fn parse<'a, T: Deserialize<'a>>(name: &str, data: &'a str) -> Result<T, ApiError> {
    serde_json::from_str(data).map_err(|e| {
        bad_gateway(format!(
            "Coze sent a `{name}` event that cannot be read ({e}): {}",
            snippet(data.as_bytes(), SNIPPET_CHARS)
        ))
    })
}

#[cfg(test)]
mod tests;
