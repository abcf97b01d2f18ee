//! Responses tools → chat `tools` (`tool_choice` is in [`super::choice`]).
//!
//! Tools come from `tools`, from Codex's `additional_tools` input items (tools handed
//! over inside the input: `{type: additional_tools, role: developer, tools: [...]}`),
//! and from `tool_search_output` items (tools a client-side search loaded). Each is
//! offered once, under a unique chat name, and recorded in the call's
//! [`crate::state::ToolMap`] so the answer can name it as the client knows it.
//!
//! | Responses tool | Chat |
//! |---|---|
//! | `function` (`name`, `description`, `parameters`, `strict`) | `{type: function, function: {...}}`; no `parameters` → `{type: object, properties: {}}` |
//! | `custom` (`format` `text`, or `{type: grammar, syntax: lark\|regex, definition}`) | a function with one required string parameter `input`; the description says how to write it and carries the grammar ([`custom_description`]) |
//! | `namespace` (`name`, `description`, `tools`: functions and custom tools) | each member flattened to `<namespace>__<name>` ([`crate::names`]) |
//! | `tool_search` with `execution: client` | function `tool_search` with its `description` and `parameters` |
//! | `local_shell` | function `local_shell` ([`crate::local_shell`]) |
//! | `defer_loading: true` | left out while a client `tool_search` is offered, until a `tool_search_output` loads it; offered otherwise |
//! | a `tool_search_output`'s tools | offered; the tool message names them ([`loaded_message`]) |
//! | `web_search`, `web_search_preview` (and their dated types) | not a chat tool: the first one is kept for `web_search_options` on the platforms that search ([`super::search`]); left out elsewhere |
//! | other hosted tools (`file_search`, `code_interpreter`, `image_generation`, `computer_use_preview`, `mcp`, `tool_search` run by the server, `shell`, `apply_patch`, any other type) | left out: the platform cannot run them (the host tells the client which, in a header) |

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::chat::{self, FUNCTION, FunctionDef, Parameters};
use super::param::Param;
use super::search::{self, Location, WebSearchOptions};
use crate::bindings::ApiError;
use crate::error::bad_request;
use crate::local_shell;
use crate::names;
use crate::state::{ToolKind, ToolMap, ToolOrigin};
use crate::text::Text;

/// The chat name of the client's `tool_search` tool.
pub const TOOL_SEARCH: &str = "tool_search";

/// One tool, wherever it was offered.
#[derive(Debug, Deserialize)]
pub struct Tool<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(default, borrow)]
    name: Option<Text<'a>>,
    #[serde(default, borrow)]
    description: Option<Text<'a>>,
    /// Passed on as the client wrote it.
    #[serde(default, borrow)]
    parameters: Option<&'a RawValue>,
    #[serde(default)]
    strict: Option<bool>,
    #[serde(default, borrow)]
    format: Option<CustomFormat<'a>>,
    /// A namespace's members.
    #[serde(default, borrow)]
    tools: Option<Vec<Tool<'a>>>,
    #[serde(default, borrow)]
    execution: Option<Text<'a>>,
    #[serde(default)]
    defer_loading: Option<bool>,
    /// A web search's `search_context_size`.
    #[serde(default, borrow)]
    search_context_size: Option<Text<'a>>,
    /// A web search's `user_location`.
    #[serde(default, borrow)]
    user_location: Option<Location<'a>>,
}

/// A custom tool's `format`.
#[derive(Debug, Deserialize)]
struct CustomFormat<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(default, borrow)]
    syntax: Option<Text<'a>>,
    #[serde(default, borrow)]
    definition: Option<Text<'a>>,
}

/// Where a tool was offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `tools` or an `additional_tools` item.
    Offered,
    /// A `tool_search_output` item: loaded, even when marked `defer_loading`.
    Loaded,
}

/// One chat tool being gathered.
#[derive(Debug)]
struct Entry<'a> {
    tool: chat::Tool<'a>,
    deferred: bool,
}

/// The chat tools of a request, gathered from wherever they were offered.
#[derive(Debug, Default)]
pub struct Toolbox<'a> {
    entries: Vec<Entry<'a>>,
    map: ToolMap,
    client_search: bool,
    /// The first web search tool offered, as chat's `web_search_options`.
    web_search: Option<WebSearchOptions<'a>>,
}

impl<'a> Toolbox<'a> {
    /// Adds the tools of a list (`at` names it, for errors).
    pub fn add_all(
        &mut self,
        tools: &[Tool<'a>],
        at: Param<'_>,
        source: Source,
    ) -> Result<(), ApiError> {
        for (i, tool) in tools.iter().enumerate() {
            self.add(tool, at.element(i), source)?;
        }
        Ok(())
    }

    /// Adds one tool (table in the module doc).
    fn add(&mut self, tool: &Tool<'a>, at: Param<'_>, source: Source) -> Result<(), ApiError> {
        match &*tool.kind {
            "function" | "custom" => self.add_member(tool, None, at, source),
            "namespace" => {
                let namespace = required_name(tool, at)?;
                let at = at.member("tools");
                for (i, member) in tool.tools.iter().flatten().enumerate() {
                    let at = at.element(i);
                    match &*member.kind {
                        "function" | "custom" => {
                            self.add_member(member, Some(&namespace), at, source)?;
                        }
                        other => {
                            return Err(bad_request(
                                format!(
                                    "a namespace holds function and custom tools, not {other:?}"
                                ),
                                Some(&at.member("type").to_string()),
                            ));
                        }
                    }
                }
                Ok(())
            }
            "tool_search" if tool.execution.as_deref() == Some("client") => {
                self.client_search = true;
                let parameters = tool
                    .parameters
                    .map_or(Parameters::Empty, Parameters::Schema);
                let description = tool.description.clone().map(|d| d.0);
                let origin = origin(ToolKind::ToolSearch, TOOL_SEARCH, None);
                self.insert(
                    TOOL_SEARCH.into(),
                    origin,
                    description,
                    parameters,
                    None,
                    false,
                );
                Ok(())
            }
            "local_shell" => {
                let origin = origin(ToolKind::LocalShell, local_shell::NAME, None);
                let description = Some(Cow::Borrowed(local_shell::DESCRIPTION));
                let parameters = Parameters::LocalShell;
                self.insert(
                    local_shell::NAME.into(),
                    origin,
                    description,
                    parameters,
                    None,
                    false,
                );
                Ok(())
            }
            kind if search::is_web_search(kind) => {
                if self.web_search.is_none() {
                    let size = tool.search_context_size.clone();
                    let location = tool.user_location.clone();
                    self.web_search = Some(WebSearchOptions::new(size, location));
                }
                Ok(())
            }
            // Other hosted tools: the platform cannot run them.
            _ => Ok(()),
        }
    }

    /// Adds a function or custom tool, in `namespace` if given.
    fn add_member(
        &mut self,
        tool: &Tool<'a>,
        namespace: Option<&str>,
        at: Param<'_>,
        source: Source,
    ) -> Result<(), ApiError> {
        let name = required_name(tool, at)?;
        let deferred = source == Source::Offered && tool.defer_loading == Some(true);
        let chat_name = match namespace {
            Some(namespace) => Cow::Owned(names::flatten(namespace, &name)),
            None => name.clone(),
        };
        let (kind, description, parameters, strict) = if &*tool.kind == "custom" {
            let description = custom_description(tool, at)?;
            (
                ToolKind::Custom,
                Some(description),
                Parameters::CustomInput,
                None,
            )
        } else {
            let description = tool.description.clone().map(|d| d.0);
            let parameters = tool
                .parameters
                .map_or(Parameters::Empty, Parameters::Schema);
            (ToolKind::Function, description, parameters, tool.strict)
        };
        let origin = origin(kind, &name, namespace);
        self.insert(chat_name, origin, description, parameters, strict, deferred);
        Ok(())
    }

    /// Records a chat tool: a tool offered twice is kept once (and loaded if either
    /// offer loads it); a namespaced name taken by another tool gets a hashed one.
    fn insert(
        &mut self,
        chat_name: Cow<'a, str>,
        origin: ToolOrigin,
        description: Option<Cow<'a, str>>,
        parameters: Parameters<'a>,
        strict: Option<bool>,
        deferred: bool,
    ) {
        let mut name = chat_name;
        if let Some(existing) = self.map.get(&name) {
            if *existing == origin {
                if !deferred {
                    for entry in &mut self.entries {
                        if entry.tool.function.name == name {
                            entry.deferred = false;
                        }
                    }
                }
                return;
            }
            let Some(namespace) = &origin.namespace else {
                return;
            };
            let key = [namespace.as_str(), "\u{0}", &origin.name].concat();
            name = Cow::Owned(names::folded(&name, &key));
        }
        if !self.map.insert(name.clone().into_owned(), origin) {
            return;
        }
        let function = FunctionDef {
            name,
            description,
            parameters,
            strict,
        };
        let tool = chat::Tool {
            kind: FUNCTION,
            function,
        };
        self.entries.push(Entry { tool, deferred });
    }

    /// The tool map, for translating the conversation and for the answer.
    pub fn map(&self) -> &ToolMap {
        &self.map
    }

    /// The first web search tool offered, as `web_search_options` (once).
    pub fn take_web_search(&mut self) -> Option<WebSearchOptions<'a>> {
        self.web_search.take()
    }

    /// The chat tools (`None` for none) and the map.
    pub fn finish(self) -> (Option<Vec<chat::Tool<'a>>>, ToolMap) {
        let client_search = self.client_search;
        let tools: Vec<_> = self
            .entries
            .into_iter()
            .filter(|entry| !(client_search && entry.deferred))
            .map(|entry| entry.tool)
            .collect();
        ((!tools.is_empty()).then_some(tools), self.map)
    }
}

/// What a `tool_search_output` tells the model: the chat names of the tools it loaded,
/// now offered.
pub fn loaded_message(tools: &[Tool<'_>], map: &ToolMap) -> String {
    let mut names = Vec::new();
    for tool in tools {
        let members = match &*tool.kind {
            "namespace" => tool.tools.as_deref().unwrap_or_default(),
            _ => std::slice::from_ref(tool),
        };
        let namespace = (&*tool.kind == "namespace")
            .then_some(tool.name.as_deref())
            .flatten();
        for member in members {
            let name = member.name.as_deref().unwrap_or("");
            if let Some(chat_name) = map.chat_name(namespace, name) {
                names.push(chat_name.to_owned());
            }
        }
    }
    if names.is_empty() {
        return NOTHING_LOADED.to_owned();
    }
    format!("Tools loaded and now available: {}.", names.join(", "))
}

/// The tool message of a search that loaded nothing.
pub const NOTHING_LOADED: &str = "No matching tools were found.";

/// A [`ToolOrigin`].
fn origin(kind: ToolKind, name: &str, namespace: Option<&str>) -> ToolOrigin {
    ToolOrigin {
        kind,
        name: name.to_owned(),
        namespace: namespace.map(str::to_owned),
    }
}

/// A tool's `name`, which it must have.
fn required_name<'a>(tool: &Tool<'a>, at: Param<'_>) -> Result<Cow<'a, str>, ApiError> {
    match &tool.name {
        Some(name) if !name.is_empty() => Ok(name.0.clone()),
        _ => Err(bad_request(
            format!("a {} tool needs a `name`", &*tool.kind),
            Some(&at.member("name").to_string()),
        )),
    }
}

/// A custom tool's description for chat: the client's, then how to fill `input`, then
/// the grammar the input must follow.
pub fn custom_description<'a>(tool: &Tool<'a>, at: Param<'_>) -> Result<Cow<'a, str>, ApiError> {
    let mut out = tool
        .description
        .as_deref()
        .unwrap_or("")
        .trim_end()
        .to_owned();
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str("Call this tool with its whole input as raw text in the `input` parameter.");
    let Some(format) = &tool.format else {
        return Ok(Cow::Owned(out));
    };
    match (
        &*format.kind,
        format.syntax.as_deref(),
        format.definition.as_deref(),
    ) {
        ("text", _, _) => {}
        ("grammar", Some(syntax), Some(definition)) => {
            let kind = match syntax {
                "lark" => "Lark grammar",
                "regex" => "regular expression",
                _ => "grammar",
            };
            out.push_str(&format!(
                " The input must match this {kind} exactly:\n```\n{definition}\n```"
            ));
        }
        ("grammar", _, _) => {
            return Err(bad_request(
                "a grammar format needs `syntax` and `definition`",
                Some(&at.member("format").to_string()),
            ));
        }
        (other, _, _) => {
            return Err(bad_request(
                format!("unknown custom tool format type {other:?}; expected text or grammar"),
                Some(&at.member("format").member("type").to_string()),
            ));
        }
    }
    Ok(Cow::Owned(out))
}
