//! OpenAI `tools`, `tool_choice` and `parallel_tool_calls` → Anthropic; a tool's
//! `strict` and `cache_control` are kept.

use serde::Deserialize;
use serde_json::{Value, json};
use switchyard_guest_kit::ApiError;
use switchyard_guest_kit::error::bad_request;

/// One OpenAI tool definition.
#[derive(Debug, Deserialize)]
pub struct Tool {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    function: Option<Function>,
    /// Anthropic's prompt-caching breakpoint on the tool, passed through.
    #[serde(default)]
    cache_control: Option<Value>,
}

/// `tools[].function`.
#[derive(Debug, Deserialize)]
struct Function {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
    /// Structured outputs for the tool's input: Anthropic's `strict` too.
    #[serde(default)]
    strict: Option<bool>,
}

impl Tool {
    /// The function's name, if the tool has one.
    pub fn name(&self) -> Option<&str> {
        self.function.as_ref().map(|f| f.name.as_str())
    }
}

/// Function tools as Anthropic tools (`parameters` → `input_schema`).
pub fn convert(tools: &[Tool]) -> Result<Vec<Value>, ApiError> {
    let mut out = Vec::with_capacity(tools.len());
    for (i, tool_def) in tools.iter().enumerate() {
        let (Some("function") | None, Some(function)) =
            (tool_def.kind.as_deref(), &tool_def.function)
        else {
            return Err(bad_request(
                "only `function` tools are supported by the Anthropic adapter",
                Some(&format!("tools[{i}]")),
            ));
        };
        let schema = match &function.parameters {
            Some(schema @ Value::Object(_)) => schema.clone(),
            _ => json!({"type": "object", "properties": {}}),
        };
        let mut tool = serde_json::Map::new();
        tool.insert("name".into(), json!(function.name));
        if let Some(description) = &function.description {
            tool.insert("description".into(), json!(description));
        }
        tool.insert("input_schema".into(), schema);
        if function.strict == Some(true) {
            tool.insert("strict".into(), json!(true));
        }
        if let Some(cache) = &tool_def.cache_control {
            tool.insert("cache_control".into(), cache.clone());
        }
        out.push(Value::Object(tool));
    }
    Ok(out)
}

/// The Anthropic `tool_choice`, if one is needed.
///
/// `auto` → `auto`, `none` → `none`, `required` → `any`, a named function → `tool`;
/// `parallel_tool_calls: false` adds `disable_parallel_tool_use: true` (to `auto` when
/// the client named no choice).
pub fn choice(choice: Option<&Value>, parallel: Option<bool>) -> Result<Option<Value>, ApiError> {
    let invalid = || {
        bad_request(
            "`tool_choice` must be \"auto\", \"none\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":...}}",
            Some("tool_choice"),
        )
    };
    let mut out = match choice {
        None | Some(Value::Null) => {
            if parallel == Some(false) {
                json!({"type": "auto"})
            } else {
                return Ok(None);
            }
        }
        Some(Value::String(s)) => match s.as_str() {
            "auto" => json!({"type": "auto"}),
            "none" => return Ok(Some(json!({"type": "none"}))),
            "required" => json!({"type": "any"}),
            _ => return Err(invalid()),
        },
        Some(object @ Value::Object(_)) => {
            let name = object
                .pointer("/function/name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .ok_or_else(invalid)?;
            json!({"type": "tool", "name": name})
        }
        Some(_) => return Err(invalid()),
    };
    if parallel == Some(false)
        && let Some(object) = out.as_object_mut()
    {
        object.insert("disable_parallel_tool_use".into(), json!(true));
    }
    Ok(Some(out))
}
