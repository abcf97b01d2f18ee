//! Messages `tools` and `tool_choice` → chat `tools`, `tool_choice` and
//! `parallel_tool_calls`.
//!
//! | Messages | Chat |
//! |---|---|
//! | custom tool (no `type`, or `type: custom`) | `{type: function, function: {name, description, parameters: input_schema, strict}}` |
//! | server tool (any other `type`, e.g. `web_search_20250305`, `bash_20250124`) | refused: 400 naming the tool (the platform behind chat cannot run it, and dropping it would change what the model can do) |
//! | `cache_control` on a tool | dropped |
//! | `tool_choice` `auto` / `any` / `none` | `"auto"` / `"required"` / `"none"` |
//! | `tool_choice` `tool` + `name` | `{type: function, function: {name}}` |
//! | `disable_parallel_tool_use: true` | `parallel_tool_calls: false` |

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::bindings::ApiError;
use crate::error::bad_request;

/// One `tools[]` entry.
#[derive(Debug, Deserialize)]
pub struct Tool {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    input_schema: Option<Value>,
    #[serde(default)]
    strict: Option<bool>,
}

/// `tool_choice`.
#[derive(Debug, Deserialize)]
pub struct ToolChoice {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    disable_parallel_tool_use: Option<bool>,
}

/// The chat `tools`.
pub fn convert(tools: Vec<Tool>) -> Result<Value, ApiError> {
    let mut out = Vec::with_capacity(tools.len());
    for (i, tool) in tools.into_iter().enumerate() {
        let name = tool.name.unwrap_or_default();
        match tool.kind.as_deref() {
            None | Some("custom") => {}
            Some(kind) => {
                return Err(bad_request(
                    format!(
                        "server tool {name:?} (type {kind:?}) cannot be served through chat completions; remove it or use a platform that speaks the Messages API"
                    ),
                    Some(&format!("tools[{i}]")),
                ));
            }
        }
        if name.is_empty() {
            return Err(bad_request(
                "a tool needs a `name`",
                Some(&format!("tools[{i}].name")),
            ));
        }
        let mut function = Map::new();
        function.insert("name".into(), json!(name));
        if let Some(description) = tool.description {
            function.insert("description".into(), json!(description));
        }
        let parameters = tool
            .input_schema
            .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
        function.insert("parameters".into(), parameters);
        if let Some(strict) = tool.strict {
            function.insert("strict".into(), json!(strict));
        }
        out.push(json!({"type": "function", "function": function}));
    }
    Ok(Value::Array(out))
}

/// The chat `tool_choice`, and `parallel_tool_calls` when the choice sets it.
pub fn choice(choice: &ToolChoice) -> Result<(Value, Option<bool>), ApiError> {
    let value = match (choice.kind.as_str(), &choice.name) {
        ("auto", _) => json!("auto"),
        ("any", _) => json!("required"),
        ("none", _) => json!("none"),
        ("tool", Some(name)) => json!({"type": "function", "function": {"name": name}}),
        ("tool", None) => {
            return Err(bad_request(
                "`tool_choice` of type tool needs a `name`",
                Some("tool_choice.name"),
            ));
        }
        (other, _) => {
            return Err(bad_request(
                format!("unknown tool_choice type {other:?}; expected auto, any, tool or none"),
                Some("tool_choice.type"),
            ));
        }
    };
    let parallel = (choice.disable_parallel_tool_use == Some(true)).then_some(false);
    Ok((value, parallel))
}
