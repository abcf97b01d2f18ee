//! What `to-chat` remembers of a request for the answer to the same call.
//!
//! `from-chat` and the stream converter see only the chat answer, yet a Response needs
//! things only the request knew:
//!
//! - which chat functions stand for which Responses tools ([`ToolMap`]): a call of a
//!   `custom` tool must come back as a `custom_tool_call` whose `input` is the
//!   function's `input` argument, a namespaced function as `name` + `namespace`, the
//!   client's `tool_search` as a `tool_search_call`, `local_shell` as a
//!   `local_shell_call`;
//! - the request fields a Response echoes ([`Echo`]): `instructions`, `tools` as the
//!   client sent them, `tool_choice`, `parallel_tool_calls`, `temperature`, `top_p`,
//!   `max_output_tokens`, `reasoning`, `text`, `metadata`, `store`,
//!   `previous_response_id`, `user`.
//!
//! The host serves one call's `to-chat` and then its `from-chat` or stream converter
//! from the same component instance, and nothing else in between. So one slot is
//! enough: every `to-chat` replaces it ([`remember`]); `from-chat` and a converter's
//! constructor take it ([`take`]) only when its call id is theirs. Without it (an
//! instance that did not translate the request, or a call id that differs) the answer
//! falls back to [`CallState::fallback`]: every tool call a `function_call`, `tools: []`,
//! `tool_choice: "auto"`, `parallel_tool_calls: true`, the other echoes `null`.

use std::cell::RefCell;

use serde_json::Number;
use serde_json::value::RawValue;

/// What kind of Responses tool a chat function stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolKind {
    /// A `function` tool: calls are `function_call` items.
    Function,
    /// A `custom` (freeform) tool: calls are `custom_tool_call` items.
    Custom,
    /// The client-executed `tool_search` tool: calls are `tool_search_call` items.
    ToolSearch,
    /// The `local_shell` tool: calls are `local_shell_call` items.
    LocalShell,
}

/// The Responses tool behind one chat function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOrigin {
    /// Its kind.
    pub kind: ToolKind,
    /// Its name, as the client wrote it.
    pub name: String,
    /// The namespace it was offered in.
    pub namespace: Option<String>,
}

/// Chat function name → the Responses tool it stands for, in the order tools were
/// offered.
#[derive(Debug, Clone, Default)]
pub struct ToolMap {
    entries: Vec<(String, ToolOrigin)>,
}

impl ToolMap {
    /// The tool behind chat function `chat_name`.
    pub fn get(&self, chat_name: &str) -> Option<&ToolOrigin> {
        self.entries
            .iter()
            .find(|(name, _)| name == chat_name)
            .map(|(_, origin)| origin)
    }

    /// The chat name already given to the tool `name` in `namespace`.
    pub fn chat_name(&self, namespace: Option<&str>, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(_, o)| o.name == name && o.namespace.as_deref() == namespace)
            .map(|(chat, _)| chat.as_str())
    }

    /// The chat name of the first tool of `kind`.
    pub fn chat_name_of_kind(&self, kind: ToolKind) -> Option<&str> {
        self.entries
            .iter()
            .find(|(_, o)| o.kind == kind)
            .map(|(chat, _)| chat.as_str())
    }

    /// Records `origin` under `chat_name`; false when that name is taken.
    pub fn insert(&mut self, chat_name: String, origin: ToolOrigin) -> bool {
        if self.get(&chat_name).is_some() {
            return false;
        }
        self.entries.push((chat_name, origin));
        true
    }

    /// Whether no tool is recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The request fields a Response repeats, as the client wrote them.
#[derive(Debug, Clone, Default)]
pub struct Echo {
    /// `instructions`.
    pub instructions: Option<Box<RawValue>>,
    /// `tools`, as sent (hosted tools included).
    pub tools: Option<Box<RawValue>>,
    /// `tool_choice`.
    pub tool_choice: Option<Box<RawValue>>,
    /// `parallel_tool_calls`.
    pub parallel_tool_calls: Option<bool>,
    /// `temperature`.
    pub temperature: Option<Number>,
    /// `top_p`.
    pub top_p: Option<Number>,
    /// `max_output_tokens`.
    pub max_output_tokens: Option<u64>,
    /// `reasoning`.
    pub reasoning: Option<Box<RawValue>>,
    /// `text`.
    pub text: Option<Box<RawValue>>,
    /// `metadata`.
    pub metadata: Option<Box<RawValue>>,
    /// `store`.
    pub store: Option<bool>,
    /// `previous_response_id`.
    pub previous_response_id: Option<String>,
    /// `user`.
    pub user: Option<String>,
}

/// Everything `to-chat` keeps for the answer of one call.
#[derive(Debug, Clone, Default)]
pub struct CallState {
    /// The call it belongs to.
    pub call_id: String,
    /// The chat functions and the tools they stand for.
    pub tools: ToolMap,
    /// The fields the Response echoes.
    pub echo: Echo,
}

impl CallState {
    /// The state of a call whose request this instance did not see.
    pub fn fallback(call_id: &str) -> Self {
        Self {
            call_id: call_id.to_owned(),
            ..Self::default()
        }
    }
}

thread_local! {
    /// The latest call's state. Components are single-threaded; native tests run each
    /// on its own thread, so each sees only its own calls.
    static LATEST: RefCell<Option<CallState>> = const { RefCell::new(None) };
}

/// Keeps `state` for the answer of its call, replacing what was kept before.
pub fn remember(state: CallState) {
    LATEST.with(|slot| *slot.borrow_mut() = Some(state));
}

/// The state kept for `call_id`, or the fallback when what is kept is another call's.
pub fn take(call_id: &str) -> CallState {
    LATEST.with(|slot| {
        let mut slot = slot.borrow_mut();
        match slot.take() {
            Some(state) if state.call_id == call_id => state,
            other => {
                *slot = other;
                CallState::fallback(call_id)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(kind: ToolKind, name: &str, namespace: Option<&str>) -> ToolOrigin {
        ToolOrigin {
            kind,
            name: name.into(),
            namespace: namespace.map(str::to_owned),
        }
    }

    #[test]
    fn state_is_taken_once_and_only_by_its_call() {
        let mut state = CallState::fallback("a");
        state.echo.store = Some(false);
        remember(state);
        assert_eq!(take("b").echo.store, None, "another call gets the fallback");
        assert_eq!(take("a").echo.store, Some(false));
        assert_eq!(take("a").echo.store, None, "taken once");
    }

    #[test]
    fn the_latest_call_replaces_the_one_before() {
        remember(CallState::fallback("a"));
        let mut state = CallState::fallback("b");
        state.echo.user = Some("u".into());
        remember(state);
        assert_eq!(take("a").echo.user, None);
        assert_eq!(take("b").echo.user.as_deref(), Some("u"));
    }

    #[test]
    fn tool_map_finds_both_ways_and_keeps_names_unique() {
        let mut map = ToolMap::default();
        assert!(map.insert(
            "crm__find".into(),
            origin(ToolKind::Function, "find", Some("crm"))
        ));
        assert!(!map.insert("crm__find".into(), origin(ToolKind::Custom, "x", None)));
        assert_eq!(
            map.get("crm__find").map(|o| o.kind),
            Some(ToolKind::Function)
        );
        assert_eq!(map.chat_name(Some("crm"), "find"), Some("crm__find"));
        assert_eq!(map.chat_name(None, "find"), None);
    }
}
