//! Tool-call fragments → tool call items.
//!
//! | call of … ([`crate::calls`]) | events |
//! |---|---|
//! | a function | `output_item.added` (`arguments: ""`, `in_progress`) once the name is known, `function_call_arguments.delta` per fragment (buffered ones first), then `function_call_arguments.done` and `output_item.done` |
//! | a custom tool | `output_item.added` (`input: ""`), `custom_tool_call_input.delta`s of the decoded input ([`crate::custom_input`]), `custom_tool_call_input.done`, `output_item.done` |
//! | `tool_search`, `local_shell` (no delta events exist) | buffered; `output_item.added` and `output_item.done` together when the call closes |
//!
//! Chat sends fragments by `index`, usually one call after the other. When a new call
//! starts, the open calls whose arguments are already complete JSON close first (nothing
//! valid can follow them), so ordinary answers read one item after the other; calls
//! that truly interleave stay open side by side, each fragment going to its own item.
//! The rest close at the `finish_reason` (or when text or reasoning follows). Empty
//! arguments close as `{}` (with a delta, so the deltas always add up). A fragment
//! (other than whitespace) for a call already closed is an upstream error.

use std::borrow::Cow;

use serde::de::IgnoredAny;

use super::chunk::ToolCallDelta;
use super::event::Event;
use super::{Converter, Out};
use crate::bindings::ApiError;
use crate::calls::{self, Resolved};
use crate::custom_input::InputDecoder;
use crate::error::bad_upstream;
use crate::output::{IN_PROGRESS, Item, ToolCall, item_id, tool_prefix};
use crate::state::ToolKind;

/// Where a call's item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Not added yet: the name has not come, or the kind has no delta events.
    Waiting,
    /// Added, at this output index.
    Open(usize),
    Closed,
}

/// One chat tool call.
#[derive(Debug)]
struct Call {
    chat_index: u64,
    id: Option<String>,
    name: Option<String>,
    resolved: Option<Resolved>,
    arguments: String,
    decoder: InputDecoder,
    stage: Stage,
}

/// The answer's tool calls, in the order of their first fragment (which numbers their
/// items: `fc_<call>_<n>`).
#[derive(Debug, Default)]
pub struct ToolCalls {
    calls: Vec<Call>,
}

impl ToolCalls {
    /// Whether the answer called no tool.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The position of the call with this chat index, added if new.
    fn position(&mut self, chat_index: u64) -> usize {
        if let Some(position) = self.calls.iter().position(|c| c.chat_index == chat_index) {
            return position;
        }
        self.calls.push(Call {
            chat_index,
            id: None,
            name: None,
            resolved: None,
            arguments: String::new(),
            decoder: InputDecoder::default(),
            stage: Stage::Waiting,
        });
        self.calls.len().saturating_sub(1)
    }

    /// The chat index of a fragment that has none (some servers send each call whole,
    /// without `index`): a fragment with an `id` starts a new call, one without
    /// continues the last.
    fn implied_index(&self, has_id: bool) -> u64 {
        let count = u64::try_from(self.calls.len()).unwrap_or(u64::MAX);
        match self.calls.last() {
            Some(last) if !has_id => last.chat_index,
            _ => count,
        }
    }
}

/// Whether `arguments` are one whole JSON value.
fn complete(arguments: &str) -> bool {
    !arguments.trim().is_empty() && serde_json::from_str::<IgnoredAny>(arguments).is_ok()
}

/// Whether calls of `kind` stream their arguments.
fn streams(kind: ToolKind) -> bool {
    matches!(kind, ToolKind::Function | ToolKind::Custom)
}

impl Converter {
    /// One `tool_calls[]` fragment.
    pub(super) fn tool_fragment(
        &mut self,
        delta: &ToolCallDelta<'_>,
        out: &mut Out,
    ) -> Result<(), ApiError> {
        let chat_index = delta
            .index
            .unwrap_or_else(|| self.tools.implied_index(delta.id.is_some()));
        let is_new = !self.tools.calls.iter().any(|c| c.chat_index == chat_index);
        if is_new {
            self.close_complete(out)?;
        }
        let position = self.tools.position(chat_index);
        let function = delta.function.as_ref();
        let fragment = function.and_then(|f| f.arguments.as_deref()).unwrap_or("");
        let Some(call) = self.tools.calls.get_mut(position) else {
            return Ok(());
        };
        if call.id.is_none() {
            call.id = delta.id.as_deref().map(str::to_owned);
        }
        if call.name.is_none() {
            let name = function
                .and_then(|f| f.name.as_deref())
                .filter(|n| !n.is_empty());
            call.name = name.map(str::to_owned);
        }
        match call.stage {
            Stage::Closed if fragment.trim().is_empty() => Ok(()),
            Stage::Closed => Err(bad_upstream(format!(
                "the upstream sent arguments for tool call {chat_index} after its item ended"
            ))),
            Stage::Open(index) => {
                call.arguments.push_str(fragment);
                let id = self.item_id(position);
                let Some(call) = self.tools.calls.get_mut(position) else {
                    return Ok(());
                };
                emit_delta(call, &id, index, fragment, out)
            }
            Stage::Waiting => {
                call.arguments.push_str(fragment);
                let Some(name) = call.name.as_deref() else {
                    return Ok(());
                };
                let resolved = calls::resolve(&self.call.tools, name);
                let kind = resolved.kind;
                call.resolved = Some(resolved);
                if streams(kind) {
                    self.add_item(position, out)?;
                }
                Ok(())
            }
        }
    }

    /// The item id of the call at `position`.
    fn item_id(&self, position: usize) -> String {
        let kind = self
            .tools
            .calls
            .get(position)
            .and_then(|c| c.resolved.as_ref())
            .map_or(ToolKind::Function, |r| r.kind);
        item_id(tool_prefix(kind), &self.call_id, Some(position))
    }

    /// `output_item.added` for the call at `position`, then the deltas of what it
    /// buffered.
    fn add_item(&mut self, position: usize, out: &mut Out) -> Result<(), ApiError> {
        let index = self.reserve();
        let id = self.item_id(position);
        let call_id = &self.call_id;
        let Some(call) = self.tools.calls.get_mut(position) else {
            return Ok(());
        };
        call.stage = Stage::Open(index);
        let item = tool_item(call, call_id, position, &id, IN_PROGRESS, None);
        out.emit(&Event::ItemAdded {
            output_index: index,
            item: &Item::Tool(item),
        })?;
        let buffered = call.arguments.clone();
        if call.resolved.as_ref().is_some_and(|r| streams(r.kind)) {
            emit_delta(call, &id, index, &buffered, out)?;
        }
        Ok(())
    }

    /// Closes the open calls whose arguments are complete, before a new call starts.
    fn close_complete(&mut self, out: &mut Out) -> Result<(), ApiError> {
        let ready: Vec<usize> = (0..self.tools.calls.len())
            .filter(|&p| {
                self.tools.calls.get(p).is_some_and(|c| {
                    c.stage != Stage::Closed && c.name.is_some() && complete(&c.arguments)
                })
            })
            .collect();
        for position in ready {
            self.close_tool(position, super::COMPLETED, out)?;
        }
        Ok(())
    }

    /// Closes every call: the open ones in output order, then the waiting ones.
    pub(super) fn close_tools(
        &mut self,
        status: &'static str,
        out: &mut Out,
    ) -> Result<(), ApiError> {
        let mut open: Vec<(usize, usize)> = Vec::new();
        let mut waiting = Vec::new();
        for (position, call) in self.tools.calls.iter().enumerate() {
            match call.stage {
                Stage::Open(index) => open.push((index, position)),
                Stage::Waiting => waiting.push(position),
                Stage::Closed => {}
            }
        }
        open.sort_unstable();
        for position in open.into_iter().map(|(_, p)| p).chain(waiting) {
            self.close_tool(position, status, out)?;
        }
        Ok(())
    }

    /// Closes the call at `position`: its `.done` events and `output_item.done` (and
    /// `output_item.added` first, for a call not added yet).
    fn close_tool(
        &mut self,
        position: usize,
        status: &'static str,
        out: &mut Out,
    ) -> Result<(), ApiError> {
        let Some(call) = self.tools.calls.get_mut(position) else {
            return Ok(());
        };
        if call.resolved.is_none() {
            let name = call.name.as_deref().unwrap_or("");
            call.resolved = Some(calls::resolve(&self.call.tools, name));
        }
        if call.stage == Stage::Waiting {
            self.add_item(position, out)?;
        }
        let id = self.item_id(position);
        let call_id = &self.call_id;
        let Some(call) = self.tools.calls.get_mut(position) else {
            return Ok(());
        };
        let Stage::Open(index) = call.stage else {
            return Ok(());
        };
        call.stage = Stage::Closed;
        let kind = call
            .resolved
            .as_ref()
            .map_or(ToolKind::Function, |r| r.kind);
        let payload = match kind {
            ToolKind::Function => {
                if call.arguments.trim().is_empty() {
                    call.arguments = "{}".to_owned();
                    emit_delta_raw(kind, &id, index, "{}", out)?;
                }
                out.emit(&Event::ArgumentsDone {
                    item_id: &id,
                    output_index: index,
                    arguments: &call.arguments,
                })?;
                call.arguments.clone()
            }
            ToolKind::Custom => {
                let input = call.decoder.input().into_owned();
                if !call.decoder.recognized() && !input.is_empty() {
                    emit_delta_raw(kind, &id, index, &input, out)?;
                }
                out.emit(&Event::InputDone {
                    item_id: &id,
                    output_index: index,
                    input: &input,
                })?;
                input
            }
            ToolKind::ToolSearch | ToolKind::LocalShell => calls::payload(kind, &call.arguments),
        };
        let item =
            Item::Tool(tool_item(call, call_id, position, &id, status, Some(payload)).into_owned());
        self.done(index, item, out)
    }
}

/// A call's item; `payload` `None` is the empty payload of `output_item.added`.
fn tool_item<'a>(
    call: &'a Call,
    call_id: &str,
    position: usize,
    id: &'a str,
    status: &'static str,
    payload: Option<String>,
) -> ToolCall<'a> {
    let kind = call
        .resolved
        .as_ref()
        .map_or(ToolKind::Function, |r| r.kind);
    let empty = match kind {
        ToolKind::Function | ToolKind::Custom => String::new(),
        ToolKind::ToolSearch | ToolKind::LocalShell => calls::payload(kind, ""),
    };
    ToolCall {
        kind,
        id: Cow::Borrowed(id),
        status,
        call_id: match &call.id {
            Some(chat_id) => Cow::Borrowed(chat_id),
            None => Cow::Owned(calls::implied_call_id(call_id, position)),
        },
        name: Cow::Borrowed(
            call.resolved
                .as_ref()
                .map_or_else(|| call.name.as_deref().unwrap_or(""), |r| r.name.as_str()),
        ),
        namespace: call
            .resolved
            .as_ref()
            .and_then(|r| r.namespace.as_deref())
            .map(Cow::Borrowed),
        payload: Cow::Owned(payload.unwrap_or(empty)),
    }
}

/// The delta event of a fragment of an open call's arguments.
fn emit_delta(
    call: &mut Call,
    id: &str,
    index: usize,
    fragment: &str,
    out: &mut Out,
) -> Result<(), ApiError> {
    let kind = call
        .resolved
        .as_ref()
        .map_or(ToolKind::Function, |r| r.kind);
    match kind {
        ToolKind::Function => emit_delta_raw(kind, id, index, fragment, out),
        ToolKind::Custom => {
            let decoded = call.decoder.push(fragment).to_owned();
            emit_delta_raw(kind, id, index, &decoded, out)
        }
        ToolKind::ToolSearch | ToolKind::LocalShell => Ok(()),
    }
}

/// `function_call_arguments.delta` or `custom_tool_call_input.delta`, unless empty.
fn emit_delta_raw(
    kind: ToolKind,
    item_id: &str,
    output_index: usize,
    delta: &str,
    out: &mut Out,
) -> Result<(), ApiError> {
    if delta.is_empty() {
        return Ok(());
    }
    out.emit(&match kind {
        ToolKind::Custom => Event::InputDelta {
            item_id,
            output_index,
            delta,
        },
        _ => Event::ArgumentsDelta {
            item_id,
            output_index,
            delta,
        },
    })
}

#[cfg(test)]
mod tests;
