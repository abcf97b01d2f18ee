//! Responses request → OpenAI chat completions request (`to-chat`).
//!
//! | Responses | Chat completions |
//! |---|---|
//! | `model` | `model`, as is (the host maps it) |
//! | `instructions` | a first `system` message |
//! | `input` string | one `user` message |
//! | `input` items | see [`input`] |
//! | `tools`, `tool_choice` (and `additional_tools` / `tool_search_output` items) | see [`tools`] |
//! | `parallel_tool_calls` | as is (with `tool_choice`, left out when no tool reaches chat) |
//! | a `web_search` tool, on a platform that searches | `web_search_options` (see [`search`]) |
//! | `max_output_tokens` | `max_completion_tokens` (the name the guest kit prefers) |
//! | `temperature`, `top_p` | copied |
//! | `reasoning.effort` | `reasoning_effort` (what the Anthropic and Gemini adapters read) |
//! | `text.format` `json_schema` (`name`, `schema`, `strict`, `description`) | `response_format: {type: json_schema, json_schema: {...}}` |
//! | `text.format` `json_object` | `response_format: {type: json_object}` |
//! | `text.format` `text` | nothing |
//! | `stream: true` | `stream: true` + `stream_options: {include_usage: true}` (`response.completed` needs the usage) |
//! | `background: true` | 400: not supported |
//! | `conversation` | 400: use `previous_response_id` |
//! | `prompt` (stored prompt templates) | 400: not supported |
//!
//! Dropped, being gateway features or meaningless for chat: `store`, `include`,
//! `prompt_cache_key`, `prompt_cache_retention`, `metadata`, `client_metadata`,
//! `service_tier`, `truncation`, `previous_response_id` (the host has already put the
//! earlier turns into `input`), `safety_identifier`, `user`, `stream_options`,
//! `top_logprobs`, `max_tool_calls`, `text.verbosity`, `reasoning.summary`, and any
//! field this table does not name. The answer echoes the request's fields
//! ([`crate::state`]).
//!
//! A body that is not a JSON object, a missing or ill-typed field, and an item or part
//! that cannot be translated are answered 400 `invalid_request_error`, with `param`
//! naming the field (`input[2].content[0].image_url`).

mod chat;
pub mod choice;
pub mod content;
pub mod input;
pub mod item;
mod param;
pub mod search;
pub mod tools;

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Number;
use serde_json::value::RawValue;

use crate::bindings::{ApiError, DialectContext};
use crate::error::bad_request;
use crate::state::{self, CallState, Echo, ToolMap};
use crate::text::{Text, TextOr};
use chat::{ChatMessage, ChatRequest, JsonSchema, ResponseFormat, StreamOptions, UserContent};
use input::Conversation;
use item::Item;
pub use param::Param;
use tools::{Source, Tool, Toolbox};

/// A Responses request, as far as the translation reads it, borrowing from the body.
/// The members a Response echoes are kept as written and read on demand.
#[derive(Debug, Deserialize)]
pub struct Request<'a> {
    #[serde(default, borrow)]
    model: Option<Text<'a>>,
    #[serde(default, borrow)]
    instructions: Option<&'a RawValue>,
    #[serde(default, borrow)]
    input: Option<TextOr<'a, Item<'a>>>,
    #[serde(default, borrow)]
    tools: Option<&'a RawValue>,
    #[serde(default, borrow)]
    tool_choice: Option<&'a RawValue>,
    #[serde(default)]
    parallel_tool_calls: Option<bool>,
    #[serde(default)]
    max_output_tokens: Option<u64>,
    #[serde(default)]
    temperature: Option<Number>,
    #[serde(default)]
    top_p: Option<Number>,
    #[serde(default, borrow)]
    reasoning: Option<&'a RawValue>,
    #[serde(default, borrow)]
    text: Option<&'a RawValue>,
    #[serde(default, borrow)]
    metadata: Option<&'a RawValue>,
    #[serde(default)]
    store: Option<bool>,
    #[serde(default, borrow)]
    previous_response_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    user: Option<Text<'a>>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    background: Option<bool>,
    #[serde(default, borrow)]
    conversation: Option<&'a RawValue>,
    #[serde(default, borrow)]
    prompt: Option<&'a RawValue>,
}

/// `reasoning`.
#[derive(Debug, Default, Deserialize)]
struct Reasoning<'a> {
    #[serde(default, borrow)]
    effort: Option<Text<'a>>,
}

/// `text`.
#[derive(Debug, Default, Deserialize)]
struct TextConfig<'a> {
    #[serde(default, borrow)]
    format: Option<Format<'a>>,
}

/// `text.format`.
#[derive(Debug, Deserialize)]
struct Format<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(default, borrow)]
    name: Option<Text<'a>>,
    #[serde(default, borrow)]
    description: Option<Text<'a>>,
    #[serde(default, borrow)]
    schema: Option<&'a RawValue>,
    #[serde(default)]
    strict: Option<bool>,
}

/// The `json_schema.name` of a format that names none.
pub const SCHEMA_NAME: &str = "output";

/// Translates a Responses request body into a chat completions body, and remembers
/// what the answer needs ([`crate::state`]).
pub fn to_chat(ctx: &DialectContext, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let request = parse(body)?;
    let (chat, tools) = translate(ctx, &request)?;
    let out = serde_json::to_vec(&chat)
        .map_err(|e| bad_request(format!("cannot write the chat request: {e}"), None))?;
    state::remember(CallState {
        call_id: ctx.call_id.clone(),
        tools,
        echo: echo(&request),
    });
    Ok(out)
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
            if path == "." {
                return bad_request(format!("invalid request body: {}", error.inner()), None);
            }
            bad_request(format!("invalid `{path}`: {}", error.inner()), Some(&path))
        }
        Ok(_) => bad_request("invalid request body", None),
    }
}

/// Reads a member kept as raw JSON; an error names it (`at` and the path inside it).
pub fn parse_member<'a, T: Deserialize<'a>>(
    raw: &'a RawValue,
    at: Param<'_>,
) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let inner = error.path().to_string();
        let param = match inner.as_str() {
            "." => at.to_string(),
            path if path.starts_with('[') => format!("{at}{path}"),
            path => format!("{at}.{path}"),
        };
        bad_request(
            format!("invalid `{param}`: {}", error.inner()),
            Some(&param),
        )
    })
}

/// The chat completions body for `request`, and the tools it offers.
fn translate<'a>(
    ctx: &DialectContext,
    request: &'a Request<'a>,
) -> Result<(ChatRequest<'a>, ToolMap), ApiError> {
    refuse_unsupported(request)?;
    let mut chat = ChatRequest {
        model: request.model.as_deref(),
        max_completion_tokens: request.max_output_tokens,
        temperature: request.temperature.as_ref(),
        top_p: request.top_p.as_ref(),
        parallel_tool_calls: request.parallel_tool_calls,
        ..ChatRequest::default()
    };
    let items: &[Item<'a>] = match &request.input {
        Some(TextOr::List(items)) => items,
        _ => &[],
    };
    let mut toolbox = Toolbox::default();
    let top_tools: Vec<Tool<'a>> = match request.tools {
        Some(raw) => parse_member(raw, Param::root("tools"))?,
        None => Vec::new(),
    };
    let item_tools = item_tools(items)?;
    toolbox.add_all(&top_tools, Param::root("tools"), Source::Offered)?;
    for (i, source, tools) in &item_tools {
        let root = Param::root("input");
        toolbox.add_all(tools, root.element(*i).member("tools"), *source)?;
    }
    let loaded: Vec<(usize, String)> = item_tools
        .iter()
        .filter(|(_, source, _)| *source == Source::Loaded)
        .map(|(i, _, tools)| (*i, tools::loaded_message(tools, toolbox.map())))
        .collect();
    if let Some(raw) = request.instructions {
        let instructions: Text = parse_member(raw, Param::root("instructions"))?;
        if !instructions.is_empty() {
            chat.messages.push(ChatMessage::System {
                content: instructions.0,
            });
        }
    }
    match &request.input {
        Some(TextOr::Text(text)) => chat.messages.push(ChatMessage::User {
            content: UserContent::Text(Cow::Borrowed(text)),
        }),
        Some(TextOr::List(items)) => {
            Conversation::new(&mut chat.messages, toolbox.map(), loaded).convert(items)?;
        }
        None => {}
    }
    if chat.messages.is_empty() {
        return Err(bad_request("`input` is required", Some("input")));
    }
    let choice = match request.tool_choice {
        Some(raw) => Some(choice::choice(raw, toolbox.map(), &ctx.platform)?),
        None => None,
    };
    if search::platform_searches(&ctx.platform) {
        chat.web_search_options = toolbox.take_web_search();
    }
    let (chat_tools, map) = toolbox.finish();
    // Chat refuses `tool_choice` and `parallel_tool_calls` without tools (all of them
    // hosted, for instance).
    if chat_tools.is_some() {
        chat.tool_choice = choice;
    } else {
        chat.parallel_tool_calls = None;
    }
    chat.tools = chat_tools;
    if let Some(raw) = request.reasoning {
        let reasoning: Option<Reasoning> = parse_member(raw, Param::root("reasoning"))?;
        chat.reasoning_effort = reasoning.and_then(|r| r.effort).map(|effort| effort.0);
    }
    if let Some(raw) = request.text {
        let text: Option<TextConfig> = parse_member(raw, Param::root("text"))?;
        if let Some(format) = text.and_then(|t| t.format) {
            chat.response_format = response_format(format)?;
        }
    }
    if request.stream == Some(true) {
        chat.stream = Some(true);
        chat.stream_options = Some(StreamOptions {
            include_usage: true,
        });
    }
    Ok((chat, map))
}

/// The tools of `additional_tools` and `tool_search_output` items, with their
/// positions.
fn item_tools<'a>(items: &'a [Item<'a>]) -> Result<Vec<(usize, Source, Vec<Tool<'a>>)>, ApiError> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let source = match item.kind.as_deref() {
            Some("additional_tools") => Source::Offered,
            Some("tool_search_output") => Source::Loaded,
            _ => continue,
        };
        if let Some(raw) = item.tools {
            let at = Param::root("input");
            let tools = parse_member(raw, at.element(i).member("tools"))?;
            out.push((i, source, tools));
        }
    }
    Ok(out)
}

/// The 400s for request features this dialect cannot serve.
fn refuse_unsupported(request: &Request<'_>) -> Result<(), ApiError> {
    if request.background == Some(true) {
        return Err(bad_request(
            "background responses are not supported by this gateway; send the request without `background`",
            Some("background"),
        ));
    }
    if request.conversation.is_some() {
        return Err(bad_request(
            "`conversation` is not supported by this gateway; use `previous_response_id` or send the whole input",
            Some("conversation"),
        ));
    }
    if request.prompt.is_some() {
        return Err(bad_request(
            "stored prompt templates (`prompt`) are not supported by this gateway; send `instructions` and `input`",
            Some("prompt"),
        ));
    }
    Ok(())
}

/// `text.format` as `response_format` (`None` for plain text).
fn response_format<'a>(format: Format<'a>) -> Result<Option<ResponseFormat<'a>>, ApiError> {
    match (&*format.kind, format.schema) {
        ("text", _) => Ok(None),
        ("json_object", _) => Ok(Some(ResponseFormat::JsonObject)),
        ("json_schema", Some(schema)) => Ok(Some(ResponseFormat::JsonSchema {
            json_schema: JsonSchema {
                name: format
                    .name
                    .map_or(Cow::Borrowed(SCHEMA_NAME), |name| name.0),
                description: format.description.map(|description| description.0),
                schema,
                strict: format.strict,
            },
        })),
        ("json_schema", None) => Err(bad_request(
            "`text.format.schema` is required for json_schema",
            Some("text.format.schema"),
        )),
        (other, _) => Err(bad_request(
            format!(
                "unsupported text format type {other:?}; expected text, json_object or json_schema"
            ),
            Some("text.format.type"),
        )),
    }
}

/// The fields the Response echoes.
fn echo(request: &Request<'_>) -> Echo {
    Echo {
        instructions: request.instructions.map(ToOwned::to_owned),
        tools: request.tools.map(ToOwned::to_owned),
        tool_choice: request.tool_choice.map(ToOwned::to_owned),
        parallel_tool_calls: request.parallel_tool_calls,
        temperature: request.temperature.clone(),
        top_p: request.top_p.clone(),
        max_output_tokens: request.max_output_tokens,
        reasoning: request.reasoning.map(ToOwned::to_owned),
        text: request.text.map(ToOwned::to_owned),
        metadata: request.metadata.map(ToOwned::to_owned),
        store: request.store,
        previous_response_id: request.previous_response_id.as_deref().map(str::to_owned),
        user: request.user.as_deref().map(str::to_owned),
    }
}

#[cfg(test)]
mod tests;
