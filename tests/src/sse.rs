//! Reading an OpenAI-style SSE answer the way a client library does: events are
//! separated by a blank line, `data:` lines carry a JSON chunk, an `{"error":…}`
//! object, or the `[DONE]` terminator.

use serde_json::Value;

/// One event of a chat stream, in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// A `chat.completion.chunk` (or any JSON object without `error`).
    Chunk(Value),
    /// An object with a top-level `error`.
    Error(Value),
    /// `data: [DONE]`.
    Done,
    /// A `data:` payload that is not JSON.
    Garbage(String),
}

/// A whole chat stream as received.
#[derive(Debug, Clone, Default)]
pub struct ChatStream {
    /// The events, in order.
    pub items: Vec<StreamItem>,
}

impl ChatStream {
    /// Splits SSE text into events and classifies their `data:` payloads. Accepts LF
    /// and CRLF; ignores comments and events without data.
    pub fn parse(text: &str) -> Self {
        let normalized = text.replace("\r\n", "\n");
        let items = normalized
            .split("\n\n")
            .filter_map(|event| {
                let data: Vec<&str> = event
                    .lines()
                    .filter_map(|line| line.strip_prefix("data:"))
                    .map(|d| d.strip_prefix(' ').unwrap_or(d))
                    .collect();
                if data.is_empty() {
                    return None;
                }
                let data = data.join("\n");
                Some(if data == "[DONE]" {
                    StreamItem::Done
                } else {
                    match serde_json::from_str::<Value>(&data) {
                        Ok(v) if v.get("error").is_some() => StreamItem::Error(v),
                        Ok(v) => StreamItem::Chunk(v),
                        Err(_) => StreamItem::Garbage(data),
                    }
                })
            })
            .collect();
        Self { items }
    }

    /// The chunks, in order.
    pub fn chunks(&self) -> Vec<&Value> {
        self.items
            .iter()
            .filter_map(|i| match i {
                StreamItem::Chunk(v) => Some(v),
                _ => None,
            })
            .collect()
    }

    /// The error events, in order.
    pub fn errors(&self) -> Vec<&Value> {
        self.items
            .iter()
            .filter_map(|i| match i {
                StreamItem::Error(v) => Some(v),
                _ => None,
            })
            .collect()
    }

    /// Whether the stream's last event is `[DONE]`.
    pub fn ends_with_done(&self) -> bool {
        self.items.last() == Some(&StreamItem::Done)
    }

    /// How many `[DONE]` events arrived.
    pub fn done_count(&self) -> usize {
        self.items
            .iter()
            .filter(|i| **i == StreamItem::Done)
            .count()
    }

    /// The `delta.content` of choice 0 across all chunks, concatenated.
    pub fn content(&self) -> String {
        self.chunks()
            .iter()
            .filter_map(|c| c.pointer("/choices/0/delta/content"))
            .filter_map(Value::as_str)
            .collect()
    }

    /// The `delta.reasoning_content` of choice 0 across all chunks, concatenated.
    pub fn reasoning(&self) -> String {
        self.chunks()
            .iter()
            .filter_map(|c| c.pointer("/choices/0/delta/reasoning_content"))
            .filter_map(Value::as_str)
            .collect()
    }

    /// How many `data:` payloads were neither JSON nor `[DONE]`.
    pub fn garbage_count(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i, StreamItem::Garbage(_)))
            .count()
    }

    /// What a client reads from the stream: content, reasoning, tool calls, finish
    /// reason, usage, and how it ended. Chunk ids, models and timestamps are left out,
    /// so two requests for the same answer compare equal however the bytes were cut.
    pub fn observed(&self) -> Value {
        serde_json::json!({
            "content": self.content(),
            "reasoning": self.reasoning(),
            "tool_calls": self.tool_calls(),
            "finish_reason": self.finish_reason(),
            "usage": self.usage_chunks().iter().map(|c| c["usage"].clone()).collect::<Vec<_>>(),
            "errors": self.errors().len(),
            "garbage": self.garbage_count(),
            "done": self.done_count(),
            "ends_with_done": self.ends_with_done(),
        })
    }

    /// The last non-null `finish_reason` of choice 0.
    pub fn finish_reason(&self) -> Option<String> {
        self.chunks()
            .iter()
            .filter_map(|c| c.pointer("/choices/0/finish_reason"))
            .filter_map(Value::as_str)
            .next_back()
            .map(str::to_owned)
    }

    /// Chunks that carry a non-null `usage`.
    pub fn usage_chunks(&self) -> Vec<&Value> {
        self.chunks()
            .into_iter()
            .filter(|c| c.get("usage").is_some_and(|u| !u.is_null()))
            .collect()
    }

    /// Tool calls of choice 0 reassembled from their deltas, keyed by `index`:
    /// `(id, name, arguments)` in index order.
    pub fn tool_calls(&self) -> Vec<(String, String, String)> {
        let mut calls: std::collections::BTreeMap<u64, (String, String, String)> =
            std::collections::BTreeMap::new();
        for chunk in self.chunks() {
            let Some(deltas) = chunk
                .pointer("/choices/0/delta/tool_calls")
                .and_then(Value::as_array)
            else {
                continue;
            };
            for delta in deltas {
                let index = delta.get("index").and_then(Value::as_u64).unwrap_or(0);
                let call = calls.entry(index).or_default();
                if let Some(id) = delta.get("id").and_then(Value::as_str) {
                    call.0.push_str(id);
                }
                if let Some(name) = delta.pointer("/function/name").and_then(Value::as_str) {
                    call.1.push_str(name);
                }
                if let Some(args) = delta.pointer("/function/arguments").and_then(Value::as_str) {
                    call.2.push_str(args);
                }
            }
        }
        calls.into_values().collect()
    }
}
