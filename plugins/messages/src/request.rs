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

pub mod content;
pub mod tools;

use serde::Deserialize;
use serde_json::{Map, Number, Value, json};

use crate::bindings::ApiError;
use crate::error::bad_request;
use content::{Message, SystemBlock};
use tools::{Tool, ToolChoice};

/// `thinking.budget_tokens` below this is `reasoning_effort: low`.
pub const LOW_BUDGET_BELOW: u64 = 4096;
/// `thinking.budget_tokens` below this (and not low) is `reasoning_effort: medium`.
pub const MEDIUM_BUDGET_BELOW: u64 = 16384;
/// `reasoning_effort` for adaptive thinking with no `output_config.effort`.
pub const DEFAULT_ADAPTIVE_EFFORT: &str = "medium";
/// The `json_schema.name` of a structured output (Messages names none).
pub const SCHEMA_NAME: &str = "output";

/// A Messages request, as far as the translation reads it. Unknown fields are ignored.
#[derive(Debug, Deserialize)]
pub struct Request {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    messages: Option<Vec<Message>>,
    #[serde(default)]
    system: Option<System>,
    #[serde(default)]
    stop_sequences: Option<Vec<String>>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    temperature: Option<Number>,
    #[serde(default)]
    top_p: Option<Number>,
    #[serde(default)]
    tools: Option<Vec<Tool>>,
    #[serde(default)]
    tool_choice: Option<ToolChoice>,
    #[serde(default)]
    thinking: Option<Thinking>,
    #[serde(default)]
    output_config: Option<OutputConfig>,
    #[serde(default)]
    metadata: Option<Metadata>,
}

/// `system`: a string or text blocks.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum System {
    Text(String),
    Blocks(Vec<SystemBlock>),
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
struct OutputConfig {
    #[serde(default)]
    effort: Option<String>,
    #[serde(default)]
    format: Option<OutputFormat>,
}

/// `output_config.format`.
#[derive(Debug, Deserialize)]
struct OutputFormat {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    schema: Option<Value>,
}

/// `metadata`.
#[derive(Debug, Deserialize)]
struct Metadata {
    #[serde(default)]
    user_id: Option<String>,
}

/// Translates a Messages request body into a chat completions body.
pub fn to_chat(body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let request = parse(body)?;
    let chat = translate(request)?;
    Ok(chat.to_string().into_bytes())
}

/// Reads the body, naming the field at fault when it cannot.
pub fn parse(body: &[u8]) -> Result<Request, ApiError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(bad_request("the request body must be a JSON object", None));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let param = (path != ".").then_some(path.as_str());
        bad_request(format!("invalid request body: {}", error.inner()), param)
    })
}

/// The chat completions body for `request`.
pub fn translate(request: Request) -> Result<Value, ApiError> {
    let Some(max_tokens) = request.max_tokens else {
        return Err(bad_request("`max_tokens` is required", Some("max_tokens")));
    };
    let Some(messages) = request.messages else {
        return Err(bad_request("`messages` is required", Some("messages")));
    };
    let mut chat = Map::new();
    if let Some(model) = request.model {
        chat.insert("model".into(), json!(model));
    }
    let mut chat_messages = system_messages(request.system)?;
    chat_messages.extend(content::convert(messages)?);
    chat.insert("messages".into(), Value::Array(chat_messages));
    chat.insert("max_completion_tokens".into(), json!(max_tokens));
    if let Some(stop) = request.stop_sequences.filter(|s| !s.is_empty()) {
        chat.insert("stop".into(), json!(stop));
    }
    if let Some(temperature) = request.temperature {
        chat.insert("temperature".into(), Value::Number(temperature));
    }
    if let Some(top_p) = request.top_p {
        chat.insert("top_p".into(), Value::Number(top_p));
    }
    if let Some(tools) = request.tools.filter(|t| !t.is_empty()) {
        chat.insert("tools".into(), tools::convert(tools)?);
    }
    if let Some(choice) = request.tool_choice {
        let (choice, parallel) = tools::choice(&choice)?;
        chat.insert("tool_choice".into(), choice);
        if let Some(parallel) = parallel {
            chat.insert("parallel_tool_calls".into(), json!(parallel));
        }
    }
    let output = request.output_config.unwrap_or_default();
    if let Some(effort) = reasoning_effort(request.thinking.as_ref(), output.effort.as_deref())? {
        chat.insert("reasoning_effort".into(), json!(effort));
    }
    if let Some(format) = output.format {
        chat.insert("response_format".into(), response_format(format)?);
    }
    if let Some(user) = request.metadata.and_then(|m| m.user_id) {
        chat.insert("user".into(), json!(user));
    }
    if request.stream == Some(true) {
        chat.insert("stream".into(), json!(true));
        chat.insert("stream_options".into(), json!({"include_usage": true}));
    }
    Ok(Value::Object(chat))
}

/// `system` as chat `system` messages, one per block, in order.
fn system_messages(system: Option<System>) -> Result<Vec<Value>, ApiError> {
    match system {
        None => Ok(Vec::new()),
        Some(System::Text(text)) if text.is_empty() => Ok(Vec::new()),
        Some(System::Text(text)) => Ok(vec![json!({"role": "system", "content": text})]),
        Some(System::Blocks(blocks)) => {
            let mut messages = Vec::new();
            for (i, block) in blocks.iter().enumerate() {
                let text = block.text(&format!("system[{i}]"))?;
                if !text.is_empty() {
                    messages.push(json!({"role": "system", "content": text}));
                }
            }
            Ok(messages)
        }
    }
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
fn response_format(format: OutputFormat) -> Result<Value, ApiError> {
    match (format.kind.as_str(), format.schema) {
        ("json_schema", Some(schema)) => Ok(json!({
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": schema, "strict": true}
        })),
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
