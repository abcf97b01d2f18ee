//! OpenAI chat request → Gemini `generateContent` / `streamGenerateContent?alt=sse`.
//!
//! Messages become `contents` (assistant → `model`, tool results → `functionResponse`
//! parts named after the call they answer, consecutive same-role turns merged) and
//! `systemInstruction`; parameters go into `generationConfig`; tools into
//! `functionDeclarations` with their schemas reduced ([`super::schema`]). Fields Gemini
//! has no equivalent for (`user`, `logit_bias`, `parallel_tool_calls`, …) are dropped.
//!
//! `web_search_options` (chat's own web search, an object) becomes grounding with
//! Google Search, `tools: [{"google_search": {}}]`, when the request declares no
//! function; its `user_location` and `search_context_size` have no Gemini equivalent
//! and are dropped. With functions, the functions win and the search is dropped:
//! Gemini 2.x refuses the two together ("Tool use with function calling is
//! unsupported"), and Gemini 3 takes them only with
//! `toolConfig.includeServerSideToolInvocations`, whose answers carry server-side
//! `toolCall`/`toolResponse` parts that must come back in the next turn's history,
//! which chat messages cannot carry. The answer's sources are in [`super::grounding`].

mod content;
pub mod rules;

use serde_json::{Map, Value, json};
use switchyard_guest_kit::error::bad_request;
use switchyard_guest_kit::options::{flag, option};
use switchyard_guest_kit::{ApiError, CallContext, Method, StreamFraming, UpstreamRequest};

use super::schema;

/// API version segment of the path when the model sets no `api-version` option.
pub const DEFAULT_API_VERSION: &str = "v1beta";
/// Option: API version segment of the path.
pub const OPTION_API_VERSION: &str = "api-version";
/// Option: `true`/`false` forces `thinkingConfig.includeThoughts`.
pub const OPTION_INCLUDE_THOUGHTS: &str = "include-thoughts";
pub use rules::OPTION_THINKING;
/// Option: a `safetySettings` threshold applied to every harm category.
pub const OPTION_SAFETY_THRESHOLD: &str = "safety-threshold";

/// Harm categories `safety-threshold` applies to.
const HARM_CATEGORIES: &[&str] = &[
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
];

/// Builds the upstream request for one chat call.
pub fn from_openai(ctx: &CallContext, body: &[u8]) -> Result<UpstreamRequest, ApiError> {
    let request: Map<String, Value> = serde_json::from_slice(body).map_err(|e| {
        bad_request(
            format!("the request body must be a JSON object ({e})"),
            None,
        )
    })?;
    let gemini = translate(ctx, &request)?;
    let body = serde_json::to_vec(&gemini)
        .map_err(|e| bad_request(format!("cannot write the request body: {e}"), None))?;
    let method = if ctx.streaming {
        "streamGenerateContent?alt=sse"
    } else {
        "generateContent"
    };
    Ok(UpstreamRequest {
        method: Method::Post,
        path_and_query: model_path(ctx, method),
        headers: Vec::new(),
        body,
        response_framing: ctx.streaming.then_some(StreamFraming::Sse),
        credential: None,
    })
}

/// `/{version}/models/{model}:{method}`.
pub fn model_path(ctx: &CallContext, method: &str) -> String {
    let version = option(ctx, OPTION_API_VERSION).unwrap_or(DEFAULT_API_VERSION);
    let model = ctx
        .upstream_model
        .strip_prefix("models/")
        .unwrap_or(&ctx.upstream_model);
    format!("/{version}/models/{model}:{method}")
}

/// The Gemini request body.
fn translate(ctx: &CallContext, request: &Map<String, Value>) -> Result<Value, ApiError> {
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_request("`messages` must be an array", Some("messages")))?;
    let (system, contents) = content::from_messages(messages)?;
    if contents.is_empty() {
        return Err(bad_request(
            "Gemini needs at least one user or assistant message besides system messages",
            Some("messages"),
        ));
    }

    let mut body = Map::new();
    body.insert("contents".into(), Value::Array(contents));
    if let Some(system) = system {
        body.insert("systemInstruction".into(), system);
    }
    if let Some(tools) = tools(request.get("tools"), request.get("web_search_options"))? {
        body.insert("tools".into(), tools);
    }
    if let Some(config) = tool_config(request.get("tool_choice"))? {
        body.insert("toolConfig".into(), config);
    }
    let config = generation_config(ctx, request)?;
    if !config.is_empty() {
        body.insert("generationConfig".into(), Value::Object(config));
    }
    if let Some(threshold) = option(ctx, OPTION_SAFETY_THRESHOLD) {
        let settings = HARM_CATEGORIES
            .iter()
            .map(|category| json!({"category": category, "threshold": threshold}))
            .collect();
        body.insert("safetySettings".into(), Value::Array(settings));
    }
    Ok(Value::Object(body))
}

fn generation_config(
    ctx: &CallContext,
    request: &Map<String, Value>,
) -> Result<Map<String, Value>, ApiError> {
    let rules = rules::for_call(ctx)?;
    let mut config = Map::new();
    let number = |key: &str| -> Result<Option<Value>, ApiError> {
        match request.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v @ Value::Number(_)) => Ok(Some(v.clone())),
            Some(_) => Err(bad_request(format!("`{key}` must be a number"), Some(key))),
        }
    };
    for (openai, gemini) in [
        ("temperature", "temperature"),
        ("top_p", "topP"),
        ("presence_penalty", "presencePenalty"),
        ("frequency_penalty", "frequencyPenalty"),
        ("seed", "seed"),
        ("n", "candidateCount"),
    ] {
        let refused = gemini.ends_with("Penalty") && !rules.penalties;
        if let Some(value) = number(openai)?.filter(|_| !refused) {
            config.insert(gemini.into(), value);
        }
    }
    let max_tokens = match number("max_completion_tokens")? {
        Some(value) => Some(value),
        None => number("max_tokens")?,
    };
    if let Some(value) = max_tokens {
        config.insert("maxOutputTokens".into(), value);
    }
    match request.get("stop") {
        None | Some(Value::Null) => {}
        Some(Value::String(stop)) => {
            config.insert("stopSequences".into(), json!([stop]));
        }
        Some(Value::Array(stops)) if stops.iter().all(Value::is_string) => {
            config.insert("stopSequences".into(), Value::Array(stops.clone()));
        }
        Some(_) => {
            return Err(bad_request(
                "`stop` must be a string or an array of strings",
                Some("stop"),
            ));
        }
    }
    if request.get("logprobs").and_then(Value::as_bool) == Some(true) {
        config.insert("responseLogprobs".into(), json!(true));
        if let Some(top) = number("top_logprobs")? {
            config.insert("logprobs".into(), top);
        }
    }
    response_format(request.get("response_format"), &mut config)?;
    if let Some(thinking) = thinking_config(ctx, &rules, request.get("reasoning_effort"))? {
        config.insert("thinkingConfig".into(), thinking);
    }
    Ok(config)
}

fn response_format(
    format: Option<&Value>,
    config: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let Some(format) = format.filter(|f| !f.is_null()) else {
        return Ok(());
    };
    let param = Some("response_format");
    match format.get("type").and_then(Value::as_str) {
        Some("text") => {}
        Some("json_object") => {
            config.insert("responseMimeType".into(), json!("application/json"));
        }
        Some("json_schema") => {
            let schema = format.pointer("/json_schema/schema").ok_or_else(|| {
                bad_request("`response_format.json_schema.schema` is required", param)
            })?;
            config.insert("responseMimeType".into(), json!("application/json"));
            // JSON Schema as the client wrote it: `$ref`/`$defs` kept, nothing inlined
            // (`responseSchema`, the OpenAPI subset, would need both).
            config.insert("responseJsonSchema".into(), schema.clone());
        }
        _ => {
            return Err(bad_request(
                "`response_format.type` must be `text`, `json_object` or `json_schema`",
                param,
            ));
        }
    }
    Ok(())
}

/// `reasoning_effort` → `thinkingConfig`: a `thinkingLevel` for Gemini 3, a
/// `thinkingBudget` (tokens) for Gemini 2.5, each one the model takes ([`rules`]).
fn thinking_config(
    ctx: &CallContext,
    rules: &rules::Rules,
    effort: Option<&Value>,
) -> Result<Option<Value>, ApiError> {
    let effort = match effort {
        None | Some(Value::Null) => None,
        Some(Value::String(effort)) => Some(effort.as_str()),
        Some(_) => {
            return Err(bad_request(
                "`reasoning_effort` must be a string",
                Some("reasoning_effort"),
            ));
        }
    };
    let include = flag(ctx, OPTION_INCLUDE_THOUGHTS);
    let mut config = Map::new();
    if let Some(effort) = effort {
        let budget = match effort {
            "none" => 0,
            "minimal" => 512,
            "low" => 1024,
            "medium" => 8192,
            "high" | "xhigh" | "max" => 24576,
            _ => return Err(unknown_effort(effort)),
        };
        match rules.level(effort) {
            Some(level) => config.insert("thinkingLevel".into(), json!(level)),
            None => config.insert("thinkingBudget".into(), json!(rules.budget(budget))),
        };
        let thinks = effort != "none";
        config.insert("includeThoughts".into(), json!(include.unwrap_or(thinks)));
    } else if let Some(include) = include {
        config.insert("includeThoughts".into(), json!(include));
    }
    Ok((!config.is_empty()).then_some(Value::Object(config)))
}

fn unknown_effort(effort: &str) -> ApiError {
    bad_request(
        format!(
            "`reasoning_effort` must be one of none, minimal, low, medium, high, xhigh, max (got `{effort}`)"
        ),
        Some("reasoning_effort"),
    )
}

/// `tools` → one `{"functionDeclarations": [...]}`; without functions, a search (see
/// the module doc) → `{"google_search": {}}`.
fn tools(tools: Option<&Value>, search: Option<&Value>) -> Result<Option<Value>, ApiError> {
    let search = match search {
        None | Some(Value::Null) => false,
        Some(Value::Object(_)) => true,
        Some(_) => {
            let param = Some("web_search_options");
            return Err(bad_request("`web_search_options` must be an object", param));
        }
    };
    match function_declarations(tools)? {
        Some(declarations) => Ok(Some(json!([{ "functionDeclarations": declarations }]))),
        None if search => Ok(Some(json!([{ "google_search": {} }]))),
        None => Ok(None),
    }
}

/// The function declarations of `tools`; `None` for none.
fn function_declarations(tools: Option<&Value>) -> Result<Option<Vec<Value>>, ApiError> {
    let tools = match tools {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(tools)) if tools.is_empty() => return Ok(None),
        Some(Value::Array(tools)) => tools,
        Some(_) => return Err(bad_request("`tools` must be an array", Some("tools"))),
    };
    let mut declarations = Vec::with_capacity(tools.len());
    for (i, tool) in tools.iter().enumerate() {
        let param = format!("tools[{i}]");
        if tool.get("type").and_then(Value::as_str) != Some("function") {
            return Err(bad_request(
                "Gemini takes only tools of type `function`",
                Some(&param),
            ));
        }
        let function = tool.get("function").unwrap_or(&Value::Null);
        let name = function
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| bad_request("a function tool needs a `name`", Some(&param)))?;
        let mut declaration = Map::new();
        declaration.insert("name".into(), json!(name));
        if let Some(description) = function.get("description").and_then(Value::as_str) {
            declaration.insert("description".into(), json!(description));
        }
        if let Some(parameters) = function.get("parameters").filter(|p| !p.is_null()) {
            let reduced = schema::reduce(parameters);
            // Gemini rejects an OBJECT schema with no properties: a function without
            // parameters is declared without `parameters`.
            let empty_object = reduced
                .get("properties")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty)
                && reduced.get("type").and_then(Value::as_str) == Some("object");
            if !empty_object {
                declaration.insert("parameters".into(), reduced);
            }
        }
        declarations.push(Value::Object(declaration));
    }
    Ok(Some(declarations))
}

/// `tool_choice` → `toolConfig.functionCallingConfig`.
fn tool_config(choice: Option<&Value>) -> Result<Option<Value>, ApiError> {
    let param = Some("tool_choice");
    let (mode, names): (&str, Vec<Value>) = match choice {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(choice)) => match choice.as_str() {
            "auto" => ("AUTO", Vec::new()),
            "none" => ("NONE", Vec::new()),
            "required" => ("ANY", Vec::new()),
            other => {
                return Err(bad_request(
                    format!("`tool_choice` must be auto, none or required (got `{other}`)"),
                    param,
                ));
            }
        },
        Some(object) => match object.get("type").and_then(Value::as_str) {
            Some("function") => {
                let name = object
                    .pointer("/function/name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad_request("`tool_choice.function.name` is required", param))?;
                ("ANY", vec![json!(name)])
            }
            Some("allowed_tools") => {
                let allowed = object.get("allowed_tools").unwrap_or(&Value::Null);
                let names = allowed
                    .get("tools")
                    .and_then(Value::as_array)
                    .map(|tools| {
                        tools
                            .iter()
                            .filter_map(|t| t.pointer("/function/name").cloned())
                            .collect()
                    })
                    .unwrap_or_default();
                match allowed.get("mode").and_then(Value::as_str) {
                    Some("required") => ("ANY", names),
                    // Gemini takes allowed names only with ANY: `auto` keeps all tools.
                    _ => ("AUTO", Vec::new()),
                }
            }
            _ => {
                return Err(bad_request(
                    "`tool_choice` must be a string or a `function` choice",
                    param,
                ));
            }
        },
    };
    let mut config = json!({ "mode": mode });
    if !names.is_empty() {
        config["allowedFunctionNames"] = Value::Array(names);
    }
    Ok(Some(json!({ "functionCallingConfig": config })))
}

#[cfg(test)]
mod tests;
