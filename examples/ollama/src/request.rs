//! OpenAI request body → `POST /api/chat`.
//!
//! | OpenAI | Ollama |
//! |---|---|
//! | `messages` | `messages` (see `messages.rs`) |
//! | `tools`, `tool_choice` `auto` / `none` | `tools` / no `tools` |
//! | `temperature`, `top_p`, `seed`, `stop` | `options.*` |
//! | `max_completion_tokens` (else `max_tokens`) | `options.num_predict` |
//! | `response_format` `json_object` / `json_schema` | `format: "json"` / `format: <schema>` |
//! | `stream` | `stream` (always sent: Ollama streams by default) |
//! | model option `keep-alive` | `keep_alive` |
//!
//! Refused with a 400 naming the field: `n` > 1, `tool_choice` `required` or a named
//! function (Ollama cannot force a call). Other OpenAI fields are ignored.

use crate::error::{bad_request, misconfigured};
use crate::openai::{self, ResponseFormat, ToolChoice};
use crate::wire::{self, Format, KeepAlive};
use crate::{
    ApiError, CallContext, CredentialPlacement, Method, StreamFraming, UpstreamRequest, messages,
};

/// Ollama's chat path, relative to the base URL (`http://localhost:11434`).
pub const CHAT_PATH: &str = "/api/chat";

/// Model option: `keep_alive`, as seconds (`"300"`, `"-1"` = stay loaded) or a duration
/// (`"10m"`).
pub const OPTION_KEEP_ALIVE: &str = "keep-alive";

/// Model option: `"bearer"` sends the model's `api_key` as `Authorization: Bearer …`
/// (an Ollama behind an authenticating proxy); `"none"` (the default) sends nothing.
pub const OPTION_AUTH: &str = "auth";

/// Builds the upstream request for one call.
pub fn from_openai(ctx: &CallContext, body: &[u8]) -> Result<UpstreamRequest, ApiError> {
    let request: openai::ChatRequest = serde_json::from_slice(body)
        .map_err(|e| bad_request(format!("invalid chat request: {e}"), None))?;
    if request.n.is_some_and(|n| n != 1) {
        return Err(bad_request(
            "Ollama generates one choice; `n` must be 1",
            Some("n".into()),
        ));
    }
    let upstream = wire::ChatRequest {
        model: ctx.upstream_model.clone(),
        tools: tools(request.tools, request.tool_choice)?,
        format: format(request.response_format)?,
        options: Some(wire::Options {
            temperature: request.temperature,
            top_p: request.top_p,
            seed: request.seed,
            num_predict: request.max_completion_tokens.or(request.max_tokens),
            stop: request.stop.map(openai::Stop::into_vec),
        })
        .filter(|options| !options.is_empty()),
        messages: messages::to_ollama(request.messages)?,
        stream: ctx.streaming,
        keep_alive: keep_alive(ctx),
    };
    let body = serde_json::to_vec(&upstream)
        .map_err(|e| bad_request(format!("cannot encode the request: {e}"), None))?;
    Ok(UpstreamRequest {
        method: Method::Post,
        path_and_query: CHAT_PATH.to_owned(),
        headers: Vec::new(),
        body,
        // Ollama streams NDJSON: one JSON object per line.
        response_framing: ctx.streaming.then_some(StreamFraming::Ndjson),
        credential: credential(ctx)?,
    })
}

/// The tools to send, given `tool_choice`.
fn tools(
    tools: Option<Vec<openai::Tool>>,
    choice: Option<ToolChoice>,
) -> Result<Option<Vec<wire::Tool>>, ApiError> {
    match choice {
        None => {}
        Some(ToolChoice::Mode(mode)) if mode == "auto" => {}
        Some(ToolChoice::Mode(mode)) if mode == "none" => return Ok(None),
        Some(_) => {
            return Err(bad_request(
                "Ollama cannot be made to call a tool; use `tool_choice` `auto` or `none`",
                Some("tool_choice".into()),
            ));
        }
    }
    let Some(tools) = tools.filter(|tools| !tools.is_empty()) else {
        return Ok(None);
    };
    tools
        .into_iter()
        .enumerate()
        .map(|(i, tool)| {
            if tool.kind != "function" {
                return Err(bad_request(
                    format!("tools[{i}]: only `function` tools are supported"),
                    Some(format!("tools[{i}].type")),
                ));
            }
            Ok(wire::Tool {
                kind: "function",
                function: wire::FunctionDef {
                    name: tool.function.name,
                    description: tool.function.description,
                    parameters: tool.function.parameters,
                },
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// `format` from `response_format`.
fn format(response_format: Option<ResponseFormat>) -> Result<Option<Format>, ApiError> {
    let Some(response_format) = response_format else {
        return Ok(None);
    };
    match response_format.kind.as_str() {
        "text" => Ok(None),
        "json_object" => Ok(Some(Format::Json("json"))),
        "json_schema" => response_format
            .json_schema
            .and_then(|json_schema| json_schema.schema)
            .map(|schema| Some(Format::Schema(schema)))
            .ok_or_else(|| {
                bad_request(
                    "`response_format.json_schema.schema` is required",
                    Some("response_format.json_schema.schema".into()),
                )
            }),
        other => Err(bad_request(
            format!("`response_format` type `{other}` is not supported"),
            Some("response_format.type".into()),
        )),
    }
}

/// `keep_alive` from the model option: whole seconds as a number, else the text as a
/// duration string.
fn keep_alive(ctx: &CallContext) -> Option<KeepAlive> {
    let value = option(ctx, OPTION_KEEP_ALIVE)?.trim();
    if value.is_empty() {
        return None;
    }
    Some(match value.parse::<i64>() {
        Ok(seconds) => KeepAlive::Seconds(seconds),
        Err(_) => KeepAlive::Duration(value.to_owned()),
    })
}

/// Where the credential goes for this model (see [`OPTION_AUTH`]).
fn credential(ctx: &CallContext) -> Result<Option<CredentialPlacement>, ApiError> {
    match option(ctx, OPTION_AUTH).map(str::trim) {
        None | Some("none") => Ok(None),
        Some("bearer") => Ok(Some(CredentialPlacement::Bearer)),
        Some(other) => Err(misconfigured(format!(
            "model option `{OPTION_AUTH}` is `{other}`; use `bearer` or `none`"
        ))),
    }
}

/// The value of model option `key`.
fn option<'a>(ctx: &'a CallContext, key: &str) -> Option<&'a str> {
    ctx.options
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.as_str())
}

#[cfg(test)]
mod tests;
