//! Chat tool calls → Responses tool call items, for whole answers and streams alike.
//!
//! | chat call of … (per the call's [`ToolMap`]) | item | payload |
//! |---|---|---|
//! | a `function` tool, or a name the map does not know | `function_call` (`namespace` when namespaced) | `arguments` as they came; `{}` when empty |
//! | a `custom` tool | `custom_tool_call` | `input` read from the arguments ([`crate::custom_input`]) |
//! | the client's `tool_search` | `tool_search_call` | `arguments`: the arguments object (`{}` when not an object) |
//! | `local_shell` | `local_shell_call` | `action` built from the arguments ([`crate::local_shell`]) |
//!
//! The item's `call_id` is the chat call's `id`; a call without one gets
//! `call_<call>_<n>`.

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::custom_input;
use crate::local_shell;
use crate::output::{ToolCall, item_id, tool_prefix};
use crate::state::{ToolKind, ToolMap};

/// What a chat function name stands for in the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The item kind.
    pub kind: ToolKind,
    /// The tool's name as the client knows it.
    pub name: String,
    /// Its namespace.
    pub namespace: Option<String>,
}

/// The tool behind chat function `chat_name`.
pub fn resolve(tools: &ToolMap, chat_name: &str) -> Resolved {
    match tools.get(chat_name) {
        Some(origin) => Resolved {
            kind: origin.kind,
            name: origin.name.clone(),
            namespace: origin.namespace.clone(),
        },
        None => Resolved {
            kind: ToolKind::Function,
            name: chat_name.to_owned(),
            namespace: None,
        },
    }
}

/// The `call_id` of the `n`-th tool call of call `call_id`, when chat gave it none.
pub fn implied_call_id(call_id: &str, n: usize) -> String {
    format!("call_{call_id}_{n}")
}

/// The item payload of a call of `kind` with complete `arguments` (table in the module
/// doc).
pub fn payload(kind: ToolKind, arguments: &str) -> String {
    match kind {
        ToolKind::Function if arguments.trim().is_empty() => "{}".to_owned(),
        ToolKind::Function => arguments.to_owned(),
        ToolKind::Custom => custom_input::input_of(arguments),
        ToolKind::ToolSearch => match serde_json::from_str::<&RawValue>(arguments) {
            Ok(object) if object.get().starts_with('{') => object.get().to_owned(),
            _ => "{}".to_owned(),
        },
        ToolKind::LocalShell => local_shell::action(arguments),
    }
}

/// A whole tool call item: the `n`-th call of call `call_id`, with chat's `id`,
/// function name and complete arguments.
pub fn item(
    tools: &ToolMap,
    call_id: &str,
    n: usize,
    (id, chat_name, arguments): (Option<&str>, &str, &str),
    status: &'static str,
) -> ToolCall<'static> {
    let resolved = resolve(tools, chat_name);
    ToolCall {
        kind: resolved.kind,
        id: Cow::Owned(item_id(tool_prefix(resolved.kind), call_id, Some(n))),
        status,
        call_id: Cow::Owned(id.map_or_else(|| implied_call_id(call_id, n), str::to_owned)),
        name: Cow::Owned(resolved.name),
        namespace: resolved.namespace.map(Cow::Owned),
        payload: Cow::Owned(payload(resolved.kind, arguments)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ToolOrigin;

    #[test]
    fn payloads_by_kind() {
        assert_eq!(payload(ToolKind::Function, " "), "{}");
        assert_eq!(payload(ToolKind::Function, r#"{"a":1}"#), r#"{"a":1}"#);
        assert_eq!(payload(ToolKind::Custom, r#"{"input":"x\ny"}"#), "x\ny");
        assert_eq!(
            payload(ToolKind::ToolSearch, r#"{"query":"q"}"#),
            r#"{"query":"q"}"#
        );
        assert_eq!(payload(ToolKind::ToolSearch, "[1]"), "{}");
    }

    #[test]
    fn namespaced_calls_come_back_apart() {
        let mut tools = ToolMap::default();
        tools.insert(
            "crm__find".into(),
            ToolOrigin {
                kind: ToolKind::Function,
                name: "find".into(),
                namespace: Some("crm".into()),
            },
        );
        let call = item(&tools, "c1", 2, (None, "crm__find", "{}"), "completed");
        assert_eq!(call.name, "find");
        assert_eq!(call.namespace.as_deref(), Some("crm"));
        assert_eq!(call.id, "fc_c1_2");
        assert_eq!(call.call_id, "call_c1_2");
        let plain = item(&tools, "c1", 0, (Some("call_x"), "other", ""), "completed");
        assert_eq!(
            (plain.kind, &*plain.name, &*plain.payload),
            (ToolKind::Function, "other", "{}")
        );
    }
}
