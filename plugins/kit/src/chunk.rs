//! Writing OpenAI `chat.completion.chunk`s, for adapters whose platform streams
//! something else.
//!
//! The shapes OpenAI clients rely on, kept once here:
//! - the first chunk of a choice carries the role: `{"role":"assistant","content":""}`;
//! - content, reasoning and refusals arrive as deltas of their own member;
//! - a tool call is announced once, with its `id`, `"type":"function"` and
//!   `function.name`; its arguments then follow as fragments under the same `index`
//!   (or all at once in the announcing delta, for platforms that send calls whole);
//! - the last chunk of a choice has an empty delta and its `finish_reason`;
//! - the usage chunk, sent only when the client asked for it, has `choices: []`.
//!
//! Chunks are written from typed structs, member order as OpenAI sends them, without
//! building a `serde_json::Value` first.

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::ApiError;
use crate::error::bad_gateway;

/// `object` of every chunk.
pub const CHUNK_OBJECT: &str = "chat.completion.chunk";

/// Writes the chunks of one stream: the `id`, `created` and `model` every chunk
/// repeats, and which optional `null` members this adapter's chunks carry.
#[derive(Clone, Copy, Debug)]
pub struct ChunkWriter<'a> {
    id: &'a str,
    created: u64,
    model: &'a str,
    usage_null: bool,
    logprobs_null: bool,
}

impl<'a> ChunkWriter<'a> {
    /// A writer for chunks with these `id`, `created` and `model`.
    pub fn new(id: &'a str, created: u64, model: &'a str) -> Self {
        ChunkWriter {
            id,
            created,
            model,
            usage_null: false,
            logprobs_null: false,
        }
    }

    /// With `on`, choice chunks carry `"usage": null`, as OpenAI's do when the client
    /// asked for usage.
    pub fn usage_null(self, on: bool) -> Self {
        ChunkWriter {
            usage_null: on,
            ..self
        }
    }

    /// Choices carry `"logprobs": null`, as OpenAI's do.
    pub fn logprobs_null(self) -> Self {
        ChunkWriter {
            logprobs_null: true,
            ..self
        }
    }

    /// The role chunk that opens choice `index`.
    pub fn role(&self, index: u64) -> Result<String, ApiError> {
        self.delta(index, &Delta::role())
    }

    /// A chunk with one `delta` for choice `index`.
    pub fn delta(&self, index: u64, delta: &Delta<'_>) -> Result<String, ApiError> {
        self.choices(&[Choice::<_>::new(index, delta, None)])
    }

    /// The chunk that ends choice `index` with `reason`.
    pub fn finish(&self, index: u64, reason: &str) -> Result<String, ApiError> {
        self.choices(&[Choice::new(index, Delta::default(), Some(reason))])
    }

    /// A chunk of several choices; their deltas may be anything that serializes (a
    /// platform's own delta, passed through).
    pub fn choices<D: Serialize, F: Serialize>(
        &self,
        choices: &[Choice<'_, D, F>],
    ) -> Result<String, ApiError> {
        self.write(
            &Choices {
                choices,
                logprobs_null: self.logprobs_null,
            },
            self.usage_null.then_some(&()),
        )
    }

    /// The usage chunk: `choices: []` and the OpenAI `usage` object.
    pub fn usage(&self, usage: &impl Serialize) -> Result<String, ApiError> {
        self.write(&[(); 0], Some(usage))
    }

    /// A delta chunk of choice `index` with its token log probabilities (OpenAI's
    /// `choices[].logprobs`, `{"content": [...]}`).
    pub fn delta_with_logprobs(
        &self,
        index: u64,
        delta: &Delta<'_>,
        logprobs: &serde_json::Value,
    ) -> Result<String, ApiError> {
        let choice = Choice::new(index, delta, None::<&str>).with_logprobs(logprobs);
        self.choices(&[choice])
    }

    fn write<C: Serialize, U: Serialize>(
        &self,
        choices: &C,
        usage: Option<&U>,
    ) -> Result<String, ApiError> {
        let chunk = Chunk {
            head: self,
            choices,
            usage,
        };
        serde_json::to_string(&chunk).map_err(|e| bad_gateway(format!("cannot write a chunk: {e}")))
    }
}

/// One choice of a chunk.
#[derive(Debug)]
pub struct Choice<'l, D, F = &'static str> {
    index: u64,
    delta: D,
    finish_reason: Option<F>,
    logprobs: Option<&'l serde_json::Value>,
}

impl<'l, D, F> Choice<'l, D, F> {
    /// Choice `index` with its `delta` and, on its last chunk, its `finish_reason`.
    pub fn new(index: u64, delta: D, finish_reason: Option<F>) -> Self {
        Choice {
            index,
            delta,
            finish_reason,
            logprobs: None,
        }
    }

    /// The choice with the log probabilities of the tokens its delta carries.
    pub fn with_logprobs(self, logprobs: &'l serde_json::Value) -> Self {
        Choice {
            logprobs: Some(logprobs),
            ..self
        }
    }
}

/// What a choice's `delta` says; members left `None` (or no tool calls) are not
/// written, so `Delta::default()` is the empty delta of a finish chunk.
#[derive(Debug, Default, serde::Serialize)]
pub struct Delta<'a> {
    /// `role`, on the first chunk of a choice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'a str>,
    /// Answer text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<&'a str>,
    /// Reasoning (thinking) text, as DeepSeek and others name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<&'a str>,
    /// Why the model refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<&'a str>,
    /// Tool call deltas.
    #[serde(skip_serializing_if = "is_empty")]
    pub tool_calls: &'a [ToolCall<'a>],
}

impl<'a> Delta<'a> {
    /// The role delta that opens a choice: `{"role":"assistant","content":""}`.
    pub fn role() -> Self {
        Delta {
            role: Some("assistant"),
            content: Some(""),
            ..Delta::default()
        }
    }

    /// Answer text.
    pub fn content(text: &'a str) -> Self {
        Delta {
            content: Some(text),
            ..Delta::default()
        }
    }

    /// Reasoning text.
    pub fn reasoning(text: &'a str) -> Self {
        Delta {
            reasoning_content: Some(text),
            ..Delta::default()
        }
    }

    /// A refusal.
    pub fn refusal(text: &'a str) -> Self {
        Delta {
            refusal: Some(text),
            ..Delta::default()
        }
    }

    /// Tool call deltas.
    pub fn tool_calls(calls: &'a [ToolCall<'a>]) -> Self {
        Delta {
            tool_calls: calls,
            ..Delta::default()
        }
    }
}

/// One entry of `delta.tool_calls`.
#[derive(Debug, serde::Serialize)]
pub struct ToolCall<'a> {
    index: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    function: Function<'a>,
}

#[derive(Debug, serde::Serialize)]
struct Function<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    arguments: &'a str,
}

impl<'a> ToolCall<'a> {
    /// Announces tool call `index` (counted over tool calls only): its id and name,
    /// with the arguments so far (`""` when fragments follow, all of them when the
    /// platform sends a call whole).
    pub fn start(index: u64, id: &'a str, name: &'a str, arguments: &'a str) -> Self {
        ToolCall {
            index,
            id: Some(id),
            kind: Some("function"),
            function: Function {
                name: Some(name),
                arguments,
            },
        }
    }

    /// A further fragment of the arguments of tool call `index`.
    pub fn arguments(index: u64, fragment: &'a str) -> Self {
        ToolCall {
            index,
            id: None,
            kind: None,
            function: Function {
                name: None,
                arguments: fragment,
            },
        }
    }
}

fn is_empty<T>(items: &&[T]) -> bool {
    items.is_empty()
}

// === impl Serialize for the chunk ===

struct Chunk<'w, 'a, C, U> {
    head: &'w ChunkWriter<'a>,
    choices: &'w C,
    /// `None`: no `usage` member.
    usage: Option<&'w U>,
}

impl<C: Serialize, U: Serialize> Serialize for Chunk<'_, '_, C, U> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = 5 + usize::from(self.usage.is_some());
        let mut chunk = serializer.serialize_struct("Chunk", len)?;
        chunk.serialize_field("id", self.head.id)?;
        chunk.serialize_field("object", CHUNK_OBJECT)?;
        chunk.serialize_field("created", &self.head.created)?;
        chunk.serialize_field("model", self.head.model)?;
        chunk.serialize_field("choices", self.choices)?;
        if let Some(usage) = self.usage {
            chunk.serialize_field("usage", usage)?;
        }
        chunk.end()
    }
}

struct Choices<'c, 'l, D, F> {
    choices: &'c [Choice<'l, D, F>],
    logprobs_null: bool,
}

impl<D: Serialize, F: Serialize> Serialize for Choices<'_, '_, D, F> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.choices.iter().map(|choice| ChoiceOut {
            choice,
            logprobs_null: self.logprobs_null,
        }))
    }
}

struct ChoiceOut<'c, 'l, D, F> {
    choice: &'c Choice<'l, D, F>,
    logprobs_null: bool,
}

impl<D: Serialize, F: Serialize> Serialize for ChoiceOut<'_, '_, D, F> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let logprobs = self.choice.logprobs.is_some() || self.logprobs_null;
        let len = 3 + usize::from(logprobs);
        let mut choice = serializer.serialize_struct("Choice", len)?;
        choice.serialize_field("index", &self.choice.index)?;
        choice.serialize_field("delta", &self.choice.delta)?;
        match self.choice.logprobs {
            Some(values) => choice.serialize_field("logprobs", values)?,
            None if self.logprobs_null => choice.serialize_field("logprobs", &())?,
            None => {}
        }
        choice.serialize_field("finish_reason", &self.choice.finish_reason)?;
        choice.end()
    }
}

#[cfg(test)]
mod tests;
