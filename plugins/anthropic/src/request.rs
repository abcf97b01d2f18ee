//! OpenAI chat request → Anthropic Messages request (`POST /v1/messages`).
//!
//! Top-level fields are mapped here; messages in [`messages`], tools and `tool_choice`
//! in [`tools`], `web_search_options` (Anthropic's own web search) in [`search`], and
//! what each Claude model accepts (thinking mode, efforts, sampling
//! settings) in [`rules`]. What Anthropic has no equivalent for (`presence_penalty`,
//! `frequency_penalty`, `seed`, `logprobs`, `stream_options`, ...) is dropped, and so
//! are `temperature`, `top_p` and `top_k` for a model that refuses them; what it cannot
//! do (`n > 1`) is refused with a 400.

mod messages;
pub mod rules;
pub mod search;
mod tools;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use switchyard_guest_kit::error::bad_request;
use switchyard_guest_kit::options::{bad_option, option};
use switchyard_guest_kit::{ApiError, CallContext, Method, StreamFraming, UpstreamRequest};

use rules::{Rules, Thinking};

/// Upstream path, relative to a base URL without `/v1`.
pub const MESSAGES_PATH: &str = "/v1/messages";

/// Option: `max_tokens` when the client sends neither `max_completion_tokens` nor
/// `max_tokens` (a positive integer).
pub const OPTION_DEFAULT_MAX_TOKENS: &str = "default-max-tokens";
/// Option: the `anthropic-version` header.
pub const OPTION_VERSION: &str = "anthropic-version";
/// Option: the `anthropic-beta` header (comma-separated beta ids); none by default.
pub const OPTION_BETA: &str = "anthropic-beta";

/// `max_tokens` when neither the client nor the model's options set one.
pub const DEFAULT_MAX_TOKENS: u64 = 4096;
/// The `anthropic-version` sent when the model's options set none.
pub const DEFAULT_VERSION: &str = "2023-06-01";
/// Anthropic's smallest thinking budget.
pub const MIN_THINKING_BUDGET: u64 = 1024;

/// The OpenAI request fields this adapter reads; everything else is dropped.
#[derive(Debug, Deserialize)]
struct ChatRequest {
    messages: Vec<messages::Message>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    max_completion_tokens: Option<u64>,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    top_p: Option<f64>,
    #[serde(default)]
    top_k: Option<u64>,
    #[serde(default)]
    stop: Option<Stop>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    n: Option<u64>,
    #[serde(default)]
    tools: Option<Vec<tools::Tool>>,
    #[serde(default)]
    tool_choice: Option<Value>,
    #[serde(default)]
    parallel_tool_calls: Option<bool>,
    /// Chat's own web search, run by Anthropic's server tool ([`search`]).
    #[serde(default)]
    web_search_options: Option<search::WebSearchOptions>,
    #[serde(default)]
    reasoning_effort: Option<String>,
    /// Anthropic's own `thinking` object, sent through as is (e.g. via `extra_body`).
    #[serde(default)]
    thinking: Option<Value>,
    #[serde(default)]
    response_format: Option<Value>,
}

/// `stop`: one sequence or several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Stop {
    One(String),
    Many(Vec<String>),
}

/// Builds the upstream request for one call.
pub fn from_openai(ctx: &CallContext, body: &[u8]) -> Result<UpstreamRequest, ApiError> {
    let request = parse(body)?;
    let body = to_anthropic(ctx, request)?;
    let body = serde_json::to_vec(&body)
        .map_err(|e| bad_request(format!("cannot write the request body: {e}"), None))?;
    Ok(UpstreamRequest {
        method: Method::Post,
        path_and_query: MESSAGES_PATH.to_owned(),
        headers: headers(ctx),
        body,
        response_framing: ctx.streaming.then_some(StreamFraming::Sse),
        credential: None,
    })
}

/// Reads the body, naming the field at fault when it does not fit.
fn parse(body: &[u8]) -> Result<ChatRequest, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let request: ChatRequest = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let param = (path != ".").then_some(path.as_str());
        bad_request(format!("invalid request body: {}", e.inner()), param)
    })?;
    de.end()
        .map_err(|e| bad_request(format!("invalid request body: {e}"), None))?;
    Ok(request)
}

/// The Anthropic body for a parsed request.
fn to_anthropic(ctx: &CallContext, request: ChatRequest) -> Result<Value, ApiError> {
    if request.n.is_some_and(|n| n > 1) {
        return Err(bad_request(
            "`n` greater than 1 is not supported by Anthropic models: they return one choice",
            Some("n"),
        ));
    }
    let rules = rules::for_call(ctx)?;
    let converted = messages::convert(&request.messages)?;
    let mut body = Map::new();
    body.insert("model".into(), json!(ctx.upstream_model));
    if !converted.system.is_empty() {
        body.insert("system".into(), Value::Array(converted.system));
    }
    body.insert("messages".into(), Value::Array(converted.turns));

    let client_max = request.max_completion_tokens.or(request.max_tokens);
    if client_max == Some(0) {
        return Err(bad_request(
            "`max_completion_tokens` must be at least 1",
            Some("max_completion_tokens"),
        ));
    }
    let mut max_tokens = client_max.unwrap_or(default_max_tokens(ctx)?);
    if let Some(thinking) = request.thinking {
        body.insert("thinking".into(), thinking);
    } else if let Some(effort) = request.reasoning_effort.as_deref() {
        max_tokens = think(&mut body, &rules, effort, client_max, max_tokens)?;
    }
    body.insert("max_tokens".into(), json!(max_tokens));

    // Anthropic refuses sampling settings while thinking is on, and the newest models
    // refuse them always.
    let thinking_on = body
        .get("thinking")
        .and_then(|t| t.get("type"))
        .is_some_and(|t| t != "disabled");
    let sampling = rules.sampling && !thinking_on;
    if let Some(temperature) = request.temperature.filter(|_| sampling) {
        // OpenAI allows 0-2, Anthropic 0-1.
        body.insert("temperature".into(), json!(temperature.clamp(0.0, 1.0)));
    } else if let Some(top_p) = request.top_p.filter(|_| sampling) {
        // Newer Claude models refuse `temperature` and `top_p` together; temperature wins.
        body.insert("top_p".into(), json!(top_p));
    }
    if let Some(top_k) = request.top_k.filter(|_| sampling) {
        body.insert("top_k".into(), json!(top_k));
    }
    let stop: Vec<String> = match request.stop {
        None => Vec::new(),
        Some(Stop::One(s)) => vec![s],
        Some(Stop::Many(many)) => many,
    };
    let stop: Vec<String> = stop.into_iter().filter(|s| !s.is_empty()).collect();
    if !stop.is_empty() {
        body.insert("stop_sequences".into(), json!(stop));
    }
    if let Some(user) = request.user.filter(|u| !u.is_empty()) {
        body.insert("metadata".into(), json!({"user_id": opaque_user(&user)}));
    }
    if let Some(schema) = json_schema(request.response_format.as_ref())? {
        let config = body.entry("output_config").or_insert_with(|| json!({}));
        if let Some(config) = config.as_object_mut() {
            config.insert(
                "format".into(),
                json!({"type": "json_schema", "schema": schema}),
            );
        }
    }
    let tools = request.tools.unwrap_or_default();
    let mut anthropic_tools = tools::convert(&tools)?;
    if let Some(options) = &request.web_search_options {
        let names: Vec<&str> = tools.iter().filter_map(tools::Tool::name).collect();
        anthropic_tools.extend(search::tool(ctx, options, &names)?);
    }
    if !anthropic_tools.is_empty() {
        body.insert("tools".into(), Value::Array(anthropic_tools));
    }
    if !tools.is_empty()
        && let Some(choice) =
            tools::choice(request.tool_choice.as_ref(), request.parallel_tool_calls)?
    {
        body.insert("tool_choice".into(), choice);
    }
    if ctx.streaming {
        body.insert("stream".into(), json!(true));
    }
    Ok(Value::Object(body))
}

/// `default-max-tokens` from the model's options, else [`DEFAULT_MAX_TOKENS`].
fn default_max_tokens(ctx: &CallContext) -> Result<u64, ApiError> {
    let Some(text) = option(ctx, OPTION_DEFAULT_MAX_TOKENS) else {
        return Ok(DEFAULT_MAX_TOKENS);
    };
    match text.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(bad_option(
            OPTION_DEFAULT_MAX_TOKENS,
            text,
            "a positive integer",
        )),
    }
}

/// Switches thinking on in `body` for an OpenAI `reasoning_effort`, the way the model
/// wants it ([`Rules`]), and returns the `max_tokens` to send.
fn think(
    body: &mut Map<String, Value>,
    rules: &Rules,
    effort: &str,
    client_max: Option<u64>,
    max_tokens: u64,
) -> Result<u64, ApiError> {
    match rules.thinking {
        Thinking::Budget => {
            let Some((budget, max)) = thinking(effort, client_max, max_tokens)? else {
                return Ok(max_tokens);
            };
            body.insert(
                "thinking".into(),
                json!({"type": "enabled", "budget_tokens": budget}),
            );
            Ok(max)
        }
        Thinking::Adaptive => {
            let Some(budget) = nominal_budget(effort)? else {
                return Ok(max_tokens);
            };
            body.insert("thinking".into(), json!({"type": "adaptive"}));
            if let Some(effort) = rules.effort(effort) {
                body.insert("output_config".into(), json!({"effort": effort}));
            }
            // Adaptive thinking counts inside `max_tokens`: without the client's own
            // maximum, leave the answer room beside the effort's typical thinking.
            Ok(match client_max {
                Some(_) => max_tokens,
                None => max_tokens.saturating_add(budget),
            })
        }
    }
}

/// The thinking tokens an OpenAI `reasoning_effort` stands for; `None` for `"none"`.
///
/// `minimal` 1024, `low` 2048, `medium` 8192, `high` (and `xhigh`, `max` on a model
/// that thinks by budget) 24576 tokens.
fn nominal_budget(effort: &str) -> Result<Option<u64>, ApiError> {
    Ok(Some(match effort {
        "none" => return Ok(None),
        "minimal" => MIN_THINKING_BUDGET,
        "low" => 2048,
        "medium" => 8192,
        "high" | "xhigh" | "max" => 24576,
        other => {
            return Err(bad_request(
                format!(
                    "unsupported `reasoning_effort` {other:?}: use none, minimal, low, medium, high, xhigh or max"
                ),
                Some("reasoning_effort"),
            ));
        }
    }))
}

/// The thinking budget for an OpenAI `reasoning_effort` on a model that thinks by
/// budget, and the `max_tokens` to send with it; `None` for `"none"`.
///
/// Budgets as [`nominal_budget`]. While thinking is on, `temperature`, `top_p` and
/// `top_k` are not sent (Anthropic refuses them with thinking). Anthropic
/// wants `budget_tokens < max_tokens`: when the client set no maximum, `max_tokens`
/// grows to budget plus the default so thinking does not eat the answer; when it did,
/// the budget shrinks to fit (OpenAI counts reasoning inside the maximum too), and a
/// maximum that leaves less than 1024 thinking tokens is refused.
pub fn thinking(
    effort: &str,
    client_max: Option<u64>,
    max_tokens: u64,
) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(budget) = nominal_budget(effort)? else {
        return Ok(None);
    };
    if client_max.is_none() {
        return Ok(Some((budget, budget.saturating_add(max_tokens))));
    }
    let budget = budget.min(max_tokens.saturating_sub(1));
    if budget < MIN_THINKING_BUDGET {
        return Err(bad_request(
            format!(
                "`reasoning_effort` needs `max_completion_tokens` above {MIN_THINKING_BUDGET} (Anthropic's smallest thinking budget); got {max_tokens}"
            ),
            Some("max_completion_tokens"),
        ));
    }
    Ok(Some((budget, max_tokens)))
}

/// The schema of a `response_format` of type `json_schema`, for Anthropic's structured
/// outputs (`output_config.format`). `text` asks for nothing; `json_object` has no
/// Anthropic equivalent (its structured outputs need a schema) and is not sent.
fn json_schema(format: Option<&Value>) -> Result<Option<Value>, ApiError> {
    let Some(format) = format.filter(|f| !f.is_null()) else {
        return Ok(None);
    };
    match format.get("type").and_then(Value::as_str) {
        Some("json_schema") => match format.pointer("/json_schema/schema") {
            Some(schema @ Value::Object(_)) => Ok(Some(schema.clone())),
            _ => Err(bad_request(
                "`response_format.json_schema.schema` must be a JSON Schema object",
                Some("response_format.json_schema.schema"),
            )),
        },
        Some("text" | "json_object") => Ok(None),
        _ => Err(bad_request(
            "`response_format.type` must be \"text\", \"json_object\" or \"json_schema\"",
            Some("response_format.type"),
        )),
    }
}

/// `user` as Anthropic's `metadata.user_id` takes it: an opaque id. Anthropic refuses
/// email addresses and asks for no personal data, so a `user` that looks like an
/// email or a phone number goes as `user-` and the first 32 hex digits of its SHA-256.
fn opaque_user(user: &str) -> String {
    let digits = user.chars().filter(char::is_ascii_digit).count();
    let phone_like = digits >= 7
        && user
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '.'));
    if !user.contains('@') && !phone_like {
        return user.to_owned();
    }
    use sha2::{Digest, Sha256};
    let hex = format!("{:x}", Sha256::digest(user.as_bytes()));
    format!("user-{}", &hex[..32])
}

/// `anthropic-version` and, when configured, `anthropic-beta`.
pub fn headers(ctx: &CallContext) -> Vec<(String, String)> {
    let mut headers = vec![(
        "anthropic-version".to_owned(),
        option(ctx, OPTION_VERSION)
            .unwrap_or(DEFAULT_VERSION)
            .to_owned(),
    )];
    if let Some(beta) = option(ctx, OPTION_BETA).filter(|b| !b.trim().is_empty()) {
        headers.push(("anthropic-beta".to_owned(), beta.to_owned()));
    }
    headers
}

#[cfg(test)]
mod tests;
