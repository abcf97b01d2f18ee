//! Tool-call fragments → `tool_use` blocks (see "Tool calls that interleave" in the
//! parent module).

use serde::de::IgnoredAny;

use super::chunk::ToolCallDelta;
use super::event::BlockDelta;
use super::{Converter, Open, block_delta, block_start};
use crate::bindings::ApiError;
use crate::error::bad_upstream;
use crate::message::{Block, ToolInput};

/// Where a tool call's block stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not started: another call's block is open, or the name has not come yet.
    Waiting,
    Open,
    Closed,
}

/// One chat tool call.
#[derive(Debug)]
struct Call {
    chat_index: u64,
    id: Option<String>,
    name: Option<String>,
    /// Waiting: the buffered arguments. Open: all arguments sent so far. Closed: empty.
    arguments: String,
    state: State,
}

/// The answer's tool calls, in the order of their first fragment.
#[derive(Debug, Default)]
pub struct ToolCalls {
    calls: Vec<Call>,
}

impl ToolCalls {
    /// Whether the answer called no tool.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The first waiting call.
    pub fn next_waiting(&self) -> Option<usize> {
        self.calls.iter().position(|c| c.state == State::Waiting)
    }

    /// Marks a call closed; true when its arguments were empty (it needs `{}`).
    pub fn close(&mut self, position: usize) -> bool {
        let Some(call) = self.calls.get_mut(position) else {
            return false;
        };
        call.state = State::Closed;
        let empty = call.arguments.trim().is_empty();
        call.arguments = String::new();
        empty
    }

    /// Whether an open call's arguments so far are one whole JSON value (nothing valid
    /// can follow them).
    fn complete(&self, position: usize) -> bool {
        self.calls.get(position).is_some_and(|call| {
            !call.arguments.trim().is_empty()
                && serde_json::from_str::<IgnoredAny>(&call.arguments).is_ok()
        })
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
            arguments: String::new(),
            state: State::Waiting,
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

impl Converter {
    /// One `tool_calls[]` fragment.
    pub(super) fn tool_fragment(
        &mut self,
        call: &ToolCallDelta<'_>,
        out: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        let chat_index = call
            .index
            .unwrap_or_else(|| self.tools.implied_index(call.id.is_some()));
        let position = self.tools.position(chat_index);
        let function = call.function.as_ref();
        let name = function.and_then(|f| f.name.as_deref());
        let fragment = function.and_then(|f| f.arguments.as_deref()).unwrap_or("");
        let Some(state) = self.tools.calls.get_mut(position).map(|entry| {
            if entry.id.is_none() {
                entry.id = call.id.as_deref().map(str::to_owned);
            }
            if entry.name.is_none() {
                entry.name = name.filter(|n| !n.is_empty()).map(str::to_owned);
            }
            entry.state
        }) else {
            return Ok(());
        };
        match state {
            State::Open => {
                if !fragment.is_empty() {
                    if let Some(entry) = self.tools.calls.get_mut(position) {
                        entry.arguments.push_str(fragment);
                    }
                    if let Some(Open::Tool(index, _)) = self.open {
                        let delta = BlockDelta::InputJson {
                            partial_json: fragment,
                        };
                        block_delta(out, index, delta)?;
                    }
                }
            }
            State::Closed => {
                if !fragment.trim().is_empty() {
                    return Err(bad_upstream(format!(
                        "the upstream sent arguments for tool call {chat_index} after its block ended"
                    )));
                }
            }
            State::Waiting => {
                let named = self.tools.calls.get_mut(position).is_some_and(|entry| {
                    entry.arguments.push_str(fragment);
                    entry.name.is_some()
                });
                let may_start = match self.open {
                    Some(Open::Tool(_, open)) => self.tools.complete(open),
                    _ => true,
                };
                if named && may_start {
                    self.close_open(out)?;
                    self.open_tool(position, out)?;
                }
            }
        }
        Ok(())
    }

    /// Starts the block of a waiting call, with its buffered arguments; the open block
    /// has been stopped.
    pub(super) fn open_tool(
        &mut self,
        position: usize,
        out: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        let Some(call) = self.tools.calls.get_mut(position) else {
            return Ok(());
        };
        call.state = State::Open;
        let implied_id;
        let id = match &call.id {
            Some(id) => id.as_str(),
            None => {
                implied_id = format!("toolu_{}_{}", self.call_id, call.chat_index);
                &implied_id
            }
        };
        let block = Block::ToolUse {
            id,
            name: call.name.as_deref().unwrap_or(""),
            input: ToolInput::Empty,
        };
        let index = self.next_index.take();
        block_start(out, index, block)?;
        if !call.arguments.is_empty() {
            let delta = BlockDelta::InputJson {
                partial_json: &call.arguments,
            };
            block_delta(out, index, delta)?;
        }
        self.open = Some(Open::Tool(index, position));
        Ok(())
    }
}
