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
use serde_json::value::RawValue;

use super::chat::{self, FUNCTION, FunctionDef, Name, Parameters};
use super::param::Param;
use crate::bindings::ApiError;
use crate::error::bad_request;
use crate::text::Text;

/// One `tools[]` entry.
#[derive(Debug, Deserialize)]
pub struct Tool<'a> {
    #[serde(default, rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    name: Option<Text<'a>>,
    #[serde(default, borrow)]
    description: Option<Text<'a>>,
    /// Passed on as the client wrote it.
    #[serde(default, borrow)]
    input_schema: Option<&'a RawValue>,
    #[serde(default)]
    strict: Option<bool>,
}

/// `tool_choice`.
#[derive(Debug, Deserialize)]
pub struct ToolChoice<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(default, borrow)]
    name: Option<Text<'a>>,
    #[serde(default)]
    disable_parallel_tool_use: Option<bool>,
}

/// The chat `tools`.
pub fn convert<'a>(tools: &'a [Tool<'a>]) -> Result<Vec<chat::Tool<'a>>, ApiError> {
    let root = Param::root("tools");
    let mut out = Vec::with_capacity(tools.len());
    for (i, tool) in tools.iter().enumerate() {
        let name = tool.name.as_deref().unwrap_or("");
        match tool.kind.as_deref() {
            None | Some("custom") => {}
            Some(kind) => {
                return Err(bad_request(
                    format!(
                        "server tool {name:?} (type {kind:?}) cannot be served through chat completions; remove it or use a platform that speaks the Messages API"
                    ),
                    Some(&root.element(i).to_string()),
                ));
            }
        }
        if name.is_empty() {
            return Err(bad_request(
                "a tool needs a `name`",
                Some(&root.element(i).member("name").to_string()),
            ));
        }
        let function = FunctionDef {
            name,
            description: tool.description.as_deref(),
            parameters: tool
                .input_schema
                .map_or(Parameters::None, Parameters::Schema),
            strict: tool.strict,
        };
        out.push(chat::Tool {
            kind: FUNCTION,
            function,
        });
    }
    Ok(out)
}

/// The chat `tool_choice`, and `parallel_tool_calls` when the choice sets it.
pub fn choice<'a>(
    choice: &'a ToolChoice<'a>,
) -> Result<(chat::ToolChoice<'a>, Option<bool>), ApiError> {
    let value = match (&*choice.kind, &choice.name) {
        ("auto", _) => chat::ToolChoice::Mode("auto"),
        ("any", _) => chat::ToolChoice::Mode("required"),
        ("none", _) => chat::ToolChoice::Mode("none"),
        ("tool", Some(name)) => chat::ToolChoice::Named {
            kind: FUNCTION,
            function: Name { name },
        },
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
