//! Responses `tool_choice` → chat `tool_choice`.
//!
//! | `tool_choice` | Chat |
//! |---|---|
//! | `auto`, `none`, `required` | as is |
//! | `{type: function\|custom, name}` | `{type: function, function: {name}}` (the chat name) |
//! | `{type: allowed_tools, mode}` | `auto` or `required`, by `mode` |
//! | `{type: web_search\|web_search_preview}` (or a dated type) on a platform that searches ([`super::search`]) | `auto`: chat cannot force a search (its `tool_choice` names functions only), and `required` would force a call of a client function instead; the search stays offered |
//! | any other type (a hosted tool forced) | 400, `param: tool_choice`: the platform cannot run it |

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::chat::{self, FUNCTION, Name};
use super::param::Param;
use super::parse_member;
use super::search;
use crate::bindings::ApiError;
use crate::error::bad_request;
use crate::state::ToolMap;
use crate::text::Text;

/// `tool_choice` as an object.
#[derive(Debug, Deserialize)]
struct ChoiceObject<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(default, borrow)]
    name: Option<Text<'a>>,
    #[serde(default, borrow)]
    mode: Option<Text<'a>>,
}

/// The chat `tool_choice` for the client's (table in the module doc).
pub fn choice<'a>(
    raw: &'a RawValue,
    map: &ToolMap,
    platform: &str,
) -> Result<chat::ToolChoice<'a>, ApiError> {
    let param = Param::root("tool_choice");
    if raw.get().starts_with('"') {
        let mode: Text = parse_member(raw, param)?;
        return match &*mode {
            "auto" => Ok(chat::ToolChoice::Mode("auto")),
            "none" => Ok(chat::ToolChoice::Mode("none")),
            "required" => Ok(chat::ToolChoice::Mode("required")),
            other => Err(bad_request(
                format!("unknown tool_choice {other:?}; expected auto, none or required"),
                Some("tool_choice"),
            )),
        };
    }
    let object: ChoiceObject<'a> = parse_member(raw, param)?;
    match (&*object.kind, object.name) {
        ("function" | "custom", Some(name)) => {
            let chat_name = match map.chat_name(None, &name) {
                Some(chat_name) => Cow::Owned(chat_name.to_owned()),
                None => name.0,
            };
            Ok(chat::ToolChoice::Named {
                kind: FUNCTION,
                function: Name { name: chat_name },
            })
        }
        ("function" | "custom", None) => Err(bad_request(
            "`tool_choice` naming a tool needs its `name`",
            Some("tool_choice.name"),
        )),
        ("allowed_tools", _) => match object.mode.as_deref() {
            Some("required") => Ok(chat::ToolChoice::Mode("required")),
            _ => Ok(chat::ToolChoice::Mode("auto")),
        },
        (kind, _) if search::is_web_search(kind) && search::platform_searches(platform) => {
            Ok(chat::ToolChoice::Mode("auto"))
        }
        (other, _) => Err(bad_request(
            format!(
                "`tool_choice` forces the hosted tool {other:?}, which platform {platform:?} cannot run; use a function tool or auto"
            ),
            Some("tool_choice"),
        )),
    }
}
