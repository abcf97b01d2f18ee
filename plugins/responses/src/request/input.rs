//! Responses `input` items → chat `messages`.
//!
//! | Responses item | Chat |
//! |---|---|
//! | `message` (or no `type`, with `role`) `user` | `user` message: a string (also for one text part), or parts ([`super::content`]) |
//! | `message` `system` / `developer` | `system` message (text only) |
//! | `message` `assistant` (`output_text`, `refusal`) | assistant `content` |
//! | `function_call` (`call_id`, `name`, `namespace`, `arguments`) | assistant `tool_calls[]` (the chat name of a namespaced tool) |
//! | `custom_tool_call` (`call_id`, `name`, `input`) | assistant tool call, arguments `{"input": <input>}` |
//! | `tool_search_call` (`call_id`, `arguments`) | assistant tool call of `tool_search`, arguments = the object |
//! | `local_shell_call` (`call_id`, `action`) | assistant tool call of `local_shell`, arguments = the action |
//! | `function_call_output`, `custom_tool_call_output`, `local_shell_call_output` | `tool` message (images and files move to a user message after it) |
//! | `tool_search_output` (`tools`) | `tool` message naming the tools it loaded (the tools themselves are offered: [`super::tools`]) |
//! | `reasoning` | the next assistant message's `reasoning_content` (summary and content texts), and its `thinking_blocks` when `encrypted_content` is this gateway's ([`crate::thinking`]); dropped when no assistant turn follows |
//! | `agent_message` (Codex multi-agent) | `user` message with its text (an encrypted one says it could not be delivered, as Codex does) |
//! | `additional_tools` | nothing here: its tools are offered ([`super::tools`]) |
//! | `item_reference` | 400: there is no stored item to refer to |
//! | hosted tool calls and server state ([`super::item::DROPPED`]: `web_search_call`, `file_search_call`, `image_generation_call`, `code_interpreter_call`, `computer_call*`, `mcp_*`, `shell_call*`, `apply_patch_call*`, `compaction`, …) and unknown types | dropped |
//!
//! Assistant turns merge as chat wants them: consecutive assistant-side items (text,
//! reasoning, calls) form one assistant message, so tool messages always follow the
//! message that holds their calls. A call without its
//! `call_id` is a 400 naming it; a `tool_search_call` or `local_shell_call` without one
//! pairs with its output by order.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::chat::{
    AssistantMessage, ChatMessage, FUNCTION, FunctionCall, Part as ChatPart, ToolCall, UserContent,
};
use super::content::{self, Part};
use super::item::Item;
use super::param::Param;
use super::tools::TOOL_SEARCH;
use crate::bindings::ApiError;
use crate::error::bad_request;
use crate::local_shell;
use crate::names;
use crate::state::{ToolKind, ToolMap};
use crate::text::{Text, TextOr};
use crate::thinking;

/// Translates items into chat messages, in order.
pub struct Conversation<'a, 'm> {
    out: &'m mut Vec<ChatMessage<'a>>,
    tools: &'m ToolMap,
    /// The assistant turn being written, added to `out` when something else comes.
    turn: Option<AssistantMessage<'a>>,
    /// Images and files of tool outputs, for the user message after the tool messages.
    moved: Vec<super::chat::Part<'a>>,
    /// `tool_search_call`s and their outputs seen, to pair those without a `call_id`.
    searches: (usize, usize),
    /// `local_shell_call`s and their outputs seen, likewise.
    shells: (usize, usize),
    /// The tool message of each `tool_search_output`, by item position.
    loaded: Vec<(usize, String)>,
}

impl<'a, 'm> Conversation<'a, 'm> {
    /// A conversation appended to `out`.
    pub fn new(
        out: &'m mut Vec<ChatMessage<'a>>,
        tools: &'m ToolMap,
        loaded: Vec<(usize, String)>,
    ) -> Self {
        Self {
            out,
            tools,
            turn: None,
            moved: Vec::new(),
            searches: (0, 0),
            shells: (0, 0),
            loaded,
        }
    }

    /// Translates `items` (table in the module doc).
    pub fn convert(mut self, items: &'a [Item<'a>]) -> Result<(), ApiError> {
        let root = Param::root("input");
        for (i, item) in items.iter().enumerate() {
            self.item(item, i, root.element(i))?;
        }
        self.flush_turn();
        self.flush_moved();
        Ok(())
    }

    /// One item.
    fn item(&mut self, item: &'a Item<'a>, position: usize, at: Param<'_>) -> Result<(), ApiError> {
        match item.kind() {
            "message" => self.message(item, at),
            "function_call" => {
                let arguments = match item.arguments {
                    Some(raw) => super::parse_member::<Text>(raw, at.member("arguments"))?.0,
                    None => Cow::Borrowed("{}"),
                };
                let name = self.chat_name(item, at)?;
                self.call(call_id(item, at)?, name, arguments);
                Ok(())
            }
            "custom_tool_call" => {
                let input = item.input.as_deref().unwrap_or("");
                let arguments = serde_json::to_string(&InputArgument { input })
                    .map_err(|e| bad_request(e.to_string(), Some(&at.to_string())))?;
                let name = self.chat_name(item, at)?;
                self.call(call_id(item, at)?, name, Cow::Owned(arguments));
                Ok(())
            }
            "tool_search_call" => {
                let id = paired_id(item, "tool_search", &mut self.searches.0);
                let name = self.kind_name(ToolKind::ToolSearch, TOOL_SEARCH);
                let arguments = item.arguments.map_or("{}", RawValue::get);
                self.call(id, name, Cow::Borrowed(arguments));
                Ok(())
            }
            "local_shell_call" => {
                let id = paired_id(item, "local_shell", &mut self.shells.0);
                let name = self.kind_name(ToolKind::LocalShell, local_shell::NAME);
                let arguments = item.action.map_or("{}", RawValue::get);
                self.call(id, name, Cow::Borrowed(arguments));
                Ok(())
            }
            "function_call_output" | "custom_tool_call_output" => {
                let id = call_id(item, at)?;
                self.tool_message(id, item, at)
            }
            "local_shell_call_output" => {
                let id = paired_id(item, "local_shell", &mut self.shells.1);
                self.tool_message(id, item, at)
            }
            "tool_search_output" => {
                let id = paired_id(item, "tool_search", &mut self.searches.1);
                let content = match self.loaded.iter().position(|(p, _)| *p == position) {
                    Some(found) => Cow::Owned(self.loaded.swap_remove(found).1),
                    None => Cow::Borrowed(super::tools::NOTHING_LOADED),
                };
                self.flush_turn();
                self.out.push(ChatMessage::Tool {
                    tool_call_id: id,
                    content,
                });
                Ok(())
            }
            "reasoning" => {
                self.reasoning(item);
                Ok(())
            }
            "agent_message" => self.agent_message(item, at),
            "item_reference" => Err(bad_request(
                "`item_reference` items cannot be resolved: this gateway keeps no items; send the item itself, or use `previous_response_id`",
                Some(&at.to_string()),
            )),
            "" => Err(bad_request(
                "an input item needs a `type` (or a `role`, for a message)",
                Some(&at.to_string()),
            )),
            // Hosted tool calls and server state (`item::DROPPED`), and types this dialect
            // does not know, which are the same kind of thing: nothing for chat.
            _ => Ok(()),
        }
    }

    /// A `message` item.
    fn message(&mut self, item: &'a Item<'a>, at: Param<'_>) -> Result<(), ApiError> {
        let role = item.role.as_deref().unwrap_or("");
        let at_content = at.member("content");
        let Some(content) = &item.content else {
            return Err(bad_request(
                "a message needs `content`",
                Some(&at_content.to_string()),
            ));
        };
        match role {
            "user" => {
                let content = match content {
                    TextOr::Text(text) => UserContent::Text(Cow::Borrowed(text)),
                    TextOr::List(parts) => {
                        let mut out = Vec::with_capacity(parts.len());
                        for (j, part) in parts.iter().enumerate() {
                            out.push(part.to_chat(at_content.element(j))?);
                        }
                        match out.pop() {
                            Some(ChatPart::Text { text }) if out.is_empty() => {
                                UserContent::Text(text)
                            }
                            Some(last) => {
                                out.push(last);
                                UserContent::Parts(out)
                            }
                            None => UserContent::Parts(out),
                        }
                    }
                };
                self.user(content);
            }
            "system" | "developer" => {
                let content = content::text_only(content, at_content)?;
                self.push(ChatMessage::System { content });
            }
            "assistant" => {
                let text = content::text_only(content, at_content)?;
                let message = self.assistant();
                match &mut message.content {
                    Some(existing) if !existing.is_empty() => {
                        existing.push('\n');
                        existing.push_str(&text);
                    }
                    slot => *slot = Some(text.into_owned()),
                }
            }
            other => {
                return Err(bad_request(
                    format!(
                        "unsupported message role {other:?}; expected user, assistant, system or developer"
                    ),
                    Some(&at.member("role").to_string()),
                ));
            }
        }
        Ok(())
    }

    /// The chat name of the tool a `function_call` or `custom_tool_call` names.
    fn chat_name(&self, item: &'a Item<'a>, at: Param<'_>) -> Result<Cow<'a, str>, ApiError> {
        let Some(name) = item.name.as_deref().filter(|n| !n.is_empty()) else {
            return Err(bad_request(
                "a tool call needs its `name`",
                Some(&at.member("name").to_string()),
            ));
        };
        let namespace = item.namespace.as_deref();
        if let Some(chat_name) = self.tools.chat_name(namespace, name) {
            return Ok(Cow::Owned(chat_name.to_owned()));
        }
        Ok(match namespace {
            Some(namespace) => Cow::Owned(names::flatten(namespace, name)),
            None => Cow::Borrowed(name),
        })
    }

    /// The chat name of the tool of `kind`, or `default`.
    fn kind_name(&self, kind: ToolKind, default: &'static str) -> Cow<'a, str> {
        match self.tools.chat_name_of_kind(kind) {
            Some(name) => Cow::Owned(name.to_owned()),
            None => Cow::Borrowed(default),
        }
    }

    /// Adds a tool call to the assistant turn.
    fn call(&mut self, id: Cow<'a, str>, name: Cow<'a, str>, arguments: Cow<'a, str>) {
        let call = ToolCall {
            id,
            kind: FUNCTION,
            function: FunctionCall { name, arguments },
        };
        self.assistant().tool_calls.push(call);
    }

    /// A tool output as a `tool` message.
    fn tool_message(
        &mut self,
        id: Cow<'a, str>,
        item: &'a Item<'a>,
        at: Param<'_>,
    ) -> Result<(), ApiError> {
        let content =
            content::tool_output(item.output.as_ref(), at.member("output"), &mut self.moved)?;
        self.flush_turn();
        self.out.push(ChatMessage::Tool {
            tool_call_id: id,
            content,
        });
        Ok(())
    }

    /// A `reasoning` item: into the assistant turn it opens.
    fn reasoning(&mut self, item: &'a Item<'a>) {
        let texts: Vec<&str> = item
            .summary
            .iter()
            .flatten()
            .chain(match &item.content {
                Some(TextOr::List(parts)) => parts.as_slice(),
                _ => &[],
            })
            .filter_map(Part::text)
            .filter(|text| !text.is_empty())
            .collect();
        let blocks = item
            .encrypted_content
            .as_deref()
            .map(thinking::decode)
            .unwrap_or_default();
        if texts.is_empty() && blocks.is_empty() {
            return;
        }
        let message = self.assistant();
        for text in texts {
            if !message.reasoning_content.is_empty() {
                message.reasoning_content.push('\n');
            }
            message.reasoning_content.push_str(text);
        }
        message.thinking_blocks.extend(blocks);
    }

    /// An `agent_message` as a user message.
    fn agent_message(&mut self, item: &'a Item<'a>, at: Param<'_>) -> Result<(), ApiError> {
        let text = match &item.content {
            Some(TextOr::List(parts)) if parts.iter().any(|p| p.text().is_none()) => {
                Cow::Owned(format!(
                    "Agent message from {} to {} could not be delivered: the selected provider does not support encrypted agent messages.",
                    item.author.as_deref().unwrap_or("an agent"),
                    item.recipient.as_deref().unwrap_or("an agent"),
                ))
            }
            Some(content) => content::text_only(content, at.member("content"))?,
            None => Cow::Borrowed(""),
        };
        self.user(UserContent::Text(text));
        Ok(())
    }

    /// The open assistant turn, or a new one. Consecutive assistant-side items
    /// (text, reasoning, calls) form one chat assistant message, so that tool messages
    /// always follow the message with their calls.
    fn assistant(&mut self) -> &mut AssistantMessage<'a> {
        if self.turn.is_none() {
            self.flush_moved();
        }
        self.turn.get_or_insert_with(AssistantMessage::default)
    }

    /// A user message.
    fn user(&mut self, content: UserContent<'a>) {
        self.push(ChatMessage::User { content });
    }

    /// Adds a message that is not a tool message, after the open turn and any moved
    /// attachments.
    fn push(&mut self, message: ChatMessage<'a>) {
        self.flush_turn();
        self.flush_moved();
        self.out.push(message);
    }

    /// Adds the open assistant turn to the messages; one that holds only reasoning has
    /// nowhere to go in chat and is dropped.
    fn flush_turn(&mut self) {
        if let Some(turn) = self.turn.take()
            && (turn.content.is_some() || !turn.tool_calls.is_empty())
        {
            self.out.push(ChatMessage::Assistant(turn));
        }
    }

    /// The moved attachments of the tool messages before, as a user message.
    fn flush_moved(&mut self) {
        if !self.moved.is_empty() {
            let parts = std::mem::take(&mut self.moved);
            self.out.push(ChatMessage::User {
                content: UserContent::Parts(parts),
            });
        }
    }
}

/// `{"input": ...}`: a custom tool call's arguments in chat.
#[derive(serde::Serialize)]
struct InputArgument<'a> {
    input: &'a str,
}

/// A call's or output's `call_id`, which it must have.
fn call_id<'a>(item: &'a Item<'a>, at: Param<'_>) -> Result<Cow<'a, str>, ApiError> {
    match item.call_id.as_deref() {
        Some(id) if !id.is_empty() => Ok(Cow::Borrowed(id)),
        _ => Err(bad_request(
            "this item needs its `call_id`",
            Some(&at.member("call_id").to_string()),
        )),
    }
}

/// The `call_id` of an item that may lack one: its own, its `id`, or
/// `<prefix>_<n>` for the n-th of its kind (calls and outputs counted apart, so they
/// pair by order).
fn paired_id<'a>(item: &'a Item<'a>, prefix: &str, count: &mut usize) -> Cow<'a, str> {
    let n = *count;
    *count = count.saturating_add(1);
    match (item.call_id.as_deref(), item.id.as_deref()) {
        (Some(id), _) if !id.is_empty() => Cow::Borrowed(id),
        (_, Some(id)) if !id.is_empty() && item.kind() == "local_shell_call_output" => {
            Cow::Borrowed(id)
        }
        _ => Cow::Owned(format!("{prefix}_{n}")),
    }
}
