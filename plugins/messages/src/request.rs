//! Anthropic Messages request → OpenAI chat completions request (`to-chat`).
//!
//! | Messages | Chat completions |
//! |---|---|
//! | `model` | `model`, as is (the host maps it) |
//! | `max_tokens` (required) | `max_completion_tokens` |
//! | `system` string | one `system` message |
//! | `system` text blocks | one `system` message **per block, in order, never merged** (Claude Code's first block changes per call; merging it into the others would break the cacheable prefix) |
//! | `messages` | see [`content`] |
//! | `stop_sequences` | `stop` |
//! | `temperature`, `top_p` | copied |
//! | `stream: true` | `stream: true` + `stream_options: {include_usage: true}` (the stream needs the usage for `message_delta`) |
//! | `tools`, `tool_choice` | see [`tools`] |
//! | `thinking` `enabled` + `budget_tokens` | `reasoning_effort`: under 4096 `low`, under 16384 `medium`, else `high` ([`effort_for_budget`]) |
//! | `thinking` `adaptive` | `reasoning_effort` from `output_config.effort`: `low`, `medium`, `high` as is, `max` → `high`; none → `medium` |
//! | `thinking` `disabled` or absent | nothing (also when `output_config.effort` is set) |
//! | `output_config.format` `json_schema` | `response_format: {type: json_schema, json_schema: {name: "output", schema, strict: true}}` |
//! | `metadata.user_id` | `user` |
//!
//! Dropped, because chat completions has nothing to carry them: `top_k`,
//! `cache_control` (everywhere: system, blocks, tools), `citations`,
//! `context_management`, `container`, `mcp_servers`, `service_tier`, and any field this
//! table does not name. Server tools are refused rather than dropped ([`tools`]).
//!
//! A body that is not a JSON object, a missing or ill-typed field, and a block that
//! cannot be translated are answered 400 `invalid_request_error`, with `param` naming
//! the field (`messages[2].content[0].source`).

mod chat;
pub mod content;
mod param;
pub mod tools;

use serde::Deserialize;
use serde_json::Number;
use serde_json::value::RawValue;

use crate::bindings::ApiError;
use crate::error::bad_request;
use crate::text::{Text, TextOr};
use chat::{ChatMessage, ChatRequest, JsonSchema, ResponseFormat, StreamOptions};
use content::{Message, SystemBlock};
use param::Param;
use tools::{Tool, ToolChoice};

/// `thinking.budget_tokens` below this is `reasoning_effort: low`.
pub const LOW_BUDGET_BELOW: u64 = 4096;
/// `thinking.budget_tokens` below this (and not low) is `reasoning_effort: medium`.
pub const MEDIUM_BUDGET_BELOW: u64 = 16384;
/// `reasoning_effort` for adaptive thinking with no `output_config.effort`.
pub const DEFAULT_ADAPTIVE_EFFORT: &str = "medium";
/// The `json_schema.name` of a structured output (Messages names none).
pub const SCHEMA_NAME: &str = "output";

/// A Messages request, as far as the translation reads it, borrowing from the body.
/// Unknown fields are ignored.
#[derive(Debug, Deserialize)]
pub struct Request<'a> {
    #[serde(default, borrow)]
    model: Option<Text<'a>>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default, borrow)]
    messages: Option<Vec<Message<'a>>>,
    #[serde(default, borrow)]
    system: Option<TextOr<'a, SystemBlock<'a>>>,
    #[serde(default, borrow)]
    stop_sequences: Option<Vec<Text<'a>>>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    temperature: Option<Number>,
    #[serde(default)]
    top_p: Option<Number>,
    #[serde(default, borrow)]
    tools: Option<Vec<Tool<'a>>>,
    #[serde(default, borrow)]
    tool_choice: Option<ToolChoice<'a>>,
    #[serde(default)]
    thinking: Option<Thinking>,
    #[serde(default, borrow)]
    output_config: Option<OutputConfig<'a>>,
    #[serde(default, borrow)]
    metadata: Option<Metadata<'a>>,
}

/// `thinking`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Thinking {
    Enabled {
        #[serde(default)]
        budget_tokens: Option<u64>,
    },
    Adaptive {},
    Disabled {},
}

/// `output_config`.
#[derive(Debug, Default, Deserialize)]
struct OutputConfig<'a> {
    #[serde(default, borrow)]
    effort: Option<Text<'a>>,
    #[serde(default, borrow)]
    format: Option<OutputFormat<'a>>,
}

/// `output_config.format`.
#[derive(Debug, Deserialize)]
struct OutputFormat<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    /// Passed on as the client wrote it.
    #[serde(default, borrow)]
    schema: Option<&'a RawValue>,
}

/// `metadata`.
#[derive(Debug, Deserialize)]
struct Metadata<'a> {
    #[serde(default, borrow)]
    user_id: Option<Text<'a>>,
}

/// Translates a Messages request body into a chat completions body.
pub fn to_chat(body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let request = parse(body)?;
    let chat = translate(&request)?;
    serde_json::to_vec(&chat)
        .map_err(|e| bad_request(format!("cannot write the chat request: {e}"), None))
}

/// Reads the body, naming the field at fault when it cannot.
pub fn parse(body: &[u8]) -> Result<Request<'_>, ApiError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(bad_request("the request body must be a JSON object", None));
    }
    // Tracking the path costs a copy of every key, so it is done only to explain a
    // body already known to be at fault.
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    Request::deserialize(&mut deserializer).map_err(|_| invalid(body))
}

/// The 400 for a body that does not read as a [`Request`], naming the field at fault.
fn invalid(body: &[u8]) -> ApiError {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, Request<'_>>(&mut deserializer) {
        Err(error) => {
            let path = error.path().to_string();
            let param = (path != ".").then_some(path.as_str());
            bad_request(format!("invalid request body: {}", error.inner()), param)
        }
        Ok(_) => bad_request("invalid request body", None),
    }
}

/// The chat completions body for `request`.
fn translate<'a>(request: &'a Request<'a>) -> Result<ChatRequest<'a>, ApiError> {
    let Some(max_tokens) = request.max_tokens else {
        return Err(bad_request("`max_tokens` is required", Some("max_tokens")));
    };
    let Some(messages) = &request.messages else {
        return Err(bad_request("`messages` is required", Some("messages")));
    };
    let mut chat = ChatRequest {
        model: request.model.as_deref(),
        max_completion_tokens: max_tokens,
        stop: request.stop_sequences.as_deref().filter(|s| !s.is_empty()),
        temperature: request.temperature.as_ref(),
        top_p: request.top_p.as_ref(),
        user: request.metadata.as_ref().and_then(|m| m.user_id.as_deref()),
        ..ChatRequest::default()
    };
    system_messages(request.system.as_ref(), &mut chat.messages)?;
    content::convert(messages, &mut chat.messages)?;
    if let Some(tools) = request.tools.as_deref().filter(|t| !t.is_empty()) {
        chat.tools = Some(tools::convert(tools)?);
    }
    if let Some(choice) = &request.tool_choice {
        let (choice, parallel) = tools::choice(choice)?;
        chat.tool_choice = Some(choice);
        chat.parallel_tool_calls = parallel;
    }
    let output = request.output_config.as_ref();
    let effort = output.and_then(|o| o.effort.as_deref());
    chat.reasoning_effort = reasoning_effort(request.thinking.as_ref(), effort)?;
    if let Some(format) = output.and_then(|o| o.format.as_ref()) {
        chat.response_format = Some(response_format(format)?);
    }
    if request.stream == Some(true) {
        chat.stream = Some(true);
        chat.stream_options = Some(StreamOptions {
            include_usage: true,
        });
    }
    Ok(chat)
}

/// Adds `system` to `out` as chat `system` messages, one per block, in order.
fn system_messages<'a>(
    system: Option<&'a TextOr<'a, SystemBlock<'a>>>,
    out: &mut Vec<ChatMessage<'a>>,
) -> Result<(), ApiError> {
    match system {
        None => {}
        Some(TextOr::Text(content)) if content.is_empty() => {}
        Some(TextOr::Text(content)) => out.push(ChatMessage::System { content }),
        Some(TextOr::List(blocks)) => {
            let root = Param::root("system");
            for (i, block) in blocks.iter().enumerate() {
                let content = block.text(root.element(i))?;
                if !content.is_empty() {
                    out.push(ChatMessage::System { content });
                }
            }
        }
    }
    Ok(())
}

/// `reasoning_effort` for a budget of thinking tokens.
pub fn effort_for_budget(budget: u64) -> &'static str {
    if budget < LOW_BUDGET_BELOW {
        "low"
    } else if budget < MEDIUM_BUDGET_BELOW {
        "medium"
    } else {
        "high"
    }
}

/// `reasoning_effort` for `thinking` and `output_config.effort` (table in the module doc).
fn reasoning_effort(
    thinking: Option<&Thinking>,
    effort: Option<&str>,
) -> Result<Option<&'static str>, ApiError> {
    match thinking {
        None | Some(Thinking::Disabled {}) => Ok(None),
        Some(Thinking::Enabled { budget_tokens }) => {
            let Some(budget) = budget_tokens else {
                return Err(bad_request(
                    "`thinking.budget_tokens` is required when thinking is enabled",
                    Some("thinking.budget_tokens"),
                ));
            };
            Ok(Some(effort_for_budget(*budget)))
        }
        Some(Thinking::Adaptive {}) => match effort {
            None => Ok(Some(DEFAULT_ADAPTIVE_EFFORT)),
            Some("low") => Ok(Some("low")),
            Some("medium") => Ok(Some("medium")),
            Some("high" | "max") => Ok(Some("high")),
            Some(other) => Err(bad_request(
                format!(
                    "unknown `output_config.effort` {other:?}; expected low, medium, high or max"
                ),
                Some("output_config.effort"),
            )),
        },
    }
}

/// `output_config.format` as `response_format`.
fn response_format<'a>(format: &'a OutputFormat<'a>) -> Result<ResponseFormat<'a>, ApiError> {
    match (&*format.kind, format.schema) {
        ("json_schema", Some(schema)) => Ok(ResponseFormat {
            kind: "json_schema",
            json_schema: JsonSchema {
                name: SCHEMA_NAME,
                schema,
                strict: true,
            },
        }),
        ("json_schema", None) => Err(bad_request(
            "`output_config.format.schema` is required",
            Some("output_config.format.schema"),
        )),
        (other, _) => Err(bad_request(
            format!("unsupported output format type {other:?}"),
            Some("output_config.format.type"),
        )),
    }
}

#[cfg(test)]
mod tests;
