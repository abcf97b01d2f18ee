//! One Responses `input[]` item, as the translation reads it ([`super::input`] says
//! what becomes of each type).

use serde::Deserialize;
use serde_json::value::RawValue;

use super::content::Part;
use crate::text::{Text, TextOr};

/// One `input[]` item; the fields a type does not use stay `None`.
#[derive(Debug, Deserialize)]
pub struct Item<'a> {
    /// The item's `type`, as written ([`Item::kind`] also knows untyped messages).
    #[serde(default, rename = "type", borrow)]
    pub kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub(super) id: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub(super) role: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub(super) content: Option<TextOr<'a, Part<'a>>>,
    #[serde(default, borrow)]
    pub(super) call_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub(super) name: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub(super) namespace: Option<Text<'a>>,
    /// A function call's arguments (a string), or a tool search's (an object).
    #[serde(default, borrow)]
    pub(super) arguments: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub(super) input: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub(super) output: Option<TextOr<'a, Part<'a>>>,
    #[serde(default, borrow)]
    pub(super) summary: Option<Vec<Part<'a>>>,
    #[serde(default, borrow)]
    pub(super) encrypted_content: Option<Text<'a>>,
    /// The tools of `additional_tools` and `tool_search_output`, read by `super::tools`.
    #[serde(default, borrow)]
    pub tools: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub(super) action: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub(super) author: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub(super) recipient: Option<Text<'a>>,
}

impl Item<'_> {
    /// The item's type; a message may leave it out.
    pub fn kind(&self) -> &str {
        match (&self.kind, &self.role) {
            (Some(kind), _) => kind,
            (None, Some(_)) => "message",
            (None, None) => "",
        }
    }
}

/// Items that are server-side state or hosted tool calls: nothing to translate.
pub const DROPPED: [&str; 20] = [
    "web_search_call",
    "file_search_call",
    "image_generation_call",
    "code_interpreter_call",
    "computer_call",
    "computer_call_output",
    "mcp_list_tools",
    "mcp_approval_request",
    "mcp_approval_response",
    "mcp_call",
    "shell_call",
    "shell_call_output",
    "apply_patch_call",
    "apply_patch_call_output",
    "compaction",
    "compaction_summary",
    "compaction_trigger",
    "context_compaction",
    "configuration_update",
    "additional_tools",
];
