//! The mock's Google Gemini native API: `POST /v1beta/models/{model}:generateContent`,
//! `:streamGenerateContent?alt=sse`, `:batchEmbedContents` and `:embedContent`.
//!
//! Answers are built from the request and the recorded shapes in
//! `tests/fixtures/gemini`: `x-goog-api-key` must be [`MOCK_API_KEY`] (else the recorded
//! 400 `API_KEY_INVALID`), bodies are checked the way Gemini checks them (unknown
//! fields, roles, JSON-Schema-only keywords in `parameters`, function responses
//! without a name, search tools Gemini refuses: [`search::check_tools`]), streams are `data: …\r\n\r\n` with no `[DONE]` and cumulative
//! `usageMetadata` on every event. The model in the path picks the behaviour:
//!
//! | model | answer |
//! |---|---|
//! | `gemini-echo` (and any other name) | `echo: <last user text>` |
//! | `gemini-tools` | a function call to the first declared function, with a `thoughtSignature`; after a function response, text quoting it. A history whose first `functionCall` in a model turn lacks the signature (or Google's bypass value) is refused with the recorded 400, like Gemini 3 |
//! | `gemini-thinking` | a thought part, then the echo; `thoughtsTokenCount` set |
//! | `gemini-search` | with a `google_search` tool: the text `Switchyard is a self-hosted LLM gateway — it serves OpenAI clients on any platform.` with `groundingMetadata` (`gemini-search.response.json`; streamed: `gemini-stream-search.sse`); without: the text `no google_search tool was offered` ([`search`]) |
//! | `gemini-max-tokens` | the recorded `MAX_TOKENS` answer with no parts |
//! | `gemini-blocked` | the recorded blocked prompt (`promptFeedback.blockReason`) |
//! | `gemini-malformed` | `finishReason: MALFORMED_FUNCTION_CALL` |
//! | `gemini-429` / `gemini-404` / `gemini-503` | the recorded 429 (`RetryInfo` 37s), a NOT_FOUND, an UNAVAILABLE |
//! | `gemini-bytewise` | streamed: the recorded text stream, one byte per write |
//! | `gemini-recorded` | streamed: the recorded text stream, in uneven pieces that split CRLFs |
//!
//! A `-split` or `-bytewise` suffix on any other model cuts its stream into pieces of
//! pseudo-random length or single bytes ([`wire::Pacing`]): `gemini-tools-split`.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Map, Value, json};

use super::wire::Pacing;
use super::{MOCK_API_KEY, PlatformRequest, embeddings, wire};

pub mod search;

/// Recorded invalid-key answer (HTTP 400, `API_KEY_INVALID`).
const ERROR_API_KEY: &str = include_str!("../../fixtures/gemini/gemini-error-400-api-key.json");
/// Recorded quota answer (HTTP 429 with `RetryInfo.retryDelay` "37s").
const ERROR_429: &str = include_str!("../../fixtures/gemini/gemini-error-429.json");
/// Recorded missing-thought-signature answer (HTTP 400).
const ERROR_SIGNATURE: &str =
    include_str!("../../fixtures/gemini/gemini-error-400-thought-signature.json");
/// Recorded function-response-count answer (HTTP 400).
const ERROR_RESPONSE_COUNT: &str =
    include_str!("../../fixtures/gemini/gemini-error-400-function-response-count.json");
/// Recorded function call with a thought signature.
const SIGNED_CALL: &str =
    include_str!("../../fixtures/gemini/gemini-tool-thought-signature.response.json");
/// Recorded `MAX_TOKENS` answer without parts.
const MAX_TOKENS: &str =
    include_str!("../../fixtures/gemini/gemini-max-tokens-no-parts.response.json");
/// Recorded blocked prompt.
const BLOCKED: &str = include_str!("../../fixtures/gemini/gemini-blocked.response.json");
/// Recorded text stream (CRLF framing).
const TEXT_STREAM: &str = include_str!("../../fixtures/gemini/gemini-stream.sse");

/// Pause between two stream writes.
const EVENT_GAP: Duration = Duration::from_millis(2);

/// Top-level fields of a `generateContent` body; anything else is an unknown name.
const REQUEST_FIELDS: &[&str] = &[
    "contents",
    "systemInstruction",
    "generationConfig",
    "tools",
    "toolConfig",
    "safetySettings",
    "cachedContent",
];

/// JSON-Schema keywords Gemini's `parameters` (OpenAPI subset) rejects.
const SCHEMA_REJECTED: &[&str] = &[
    "$schema",
    "additionalProperties",
    "const",
    "propertyNames",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "$ref",
    "$defs",
];

/// Whether this module answers `uri`.
pub fn matches(uri: &Uri) -> bool {
    uri.path().starts_with("/v1beta/models/")
}

/// Answers a request [`matches`] accepted.
pub async fn answer(request: PlatformRequest<'_>) -> Response {
    let key = request
        .headers
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok());
    if key != Some(MOCK_API_KEY) {
        return wire::fixture_error(ERROR_API_KEY, None);
    }
    let Some((model, method)) = request
        .uri
        .path()
        .strip_prefix("/v1beta/models/")
        .and_then(|rest| rest.split_once(':'))
    else {
        return not_found(request.uri.path());
    };
    if request.method != axum::http::Method::POST {
        return not_found(request.uri.path());
    }
    let Ok(body) = request.body else {
        return invalid_argument("Invalid JSON payload received.");
    };
    // `gemini-bytewise` names a whole recording, not a pacing of `gemini`.
    let (name, pacing) = match model {
        "gemini-bytewise" => (model, Pacing::Events),
        _ => Pacing::from_suffix(model),
    };
    match method {
        "generateContent" => generate(name, body, false).await,
        "streamGenerateContent" => {
            if request.uri.query() != Some("alt=sse") {
                return invalid_argument("this mock streams only with alt=sse");
            }
            wire::repaced(generate(name, body, true).await, pacing).await
        }
        "batchEmbedContents" => batch_embed(body),
        "embedContent" => embed_one(body),
        _ => not_found(request.uri.path()),
    }
}

// === generateContent ===

async fn generate(model: &str, body: &Value, stream: bool) -> Response {
    match model {
        "gemini-429" => return wire::fixture_error(ERROR_429, None),
        "gemini-404" => {
            return rpc_error(
                StatusCode::NOT_FOUND,
                &format!(
                    "models/{model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."
                ),
                "NOT_FOUND",
            );
        }
        "gemini-503" => {
            return rpc_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "The model is overloaded. Please try again later.",
                "UNAVAILABLE",
            );
        }
        _ => {}
    }
    if let Err(response) = validate(body) {
        return *response;
    }
    if let Err(message) = model_rules(model, body).and_then(|()| search::check_tools(body)) {
        return invalid_argument(&message);
    }
    let prompt_tokens = words(&all_text(body)).max(1);
    let echo = format!("echo: {}", last_user_text(body));
    match model {
        "gemini-tools" => tools(body, prompt_tokens, stream),
        "gemini-thinking" => {
            let thought = json!({"text": "Considering what was asked.", "thought": true});
            let answer = json!({"text": echo});
            let usage = json!({"promptTokenCount": prompt_tokens,
                "candidatesTokenCount": words(&echo), "thoughtsTokenCount": 5,
                "totalTokenCount": prompt_tokens + words(&echo) + 5});
            if stream {
                let events = vec![
                    event(vec![thought], None, &usage),
                    event(vec![answer], Some("STOP"), &usage),
                ];
                crlf_stream(events)
            } else {
                whole(event(vec![thought, answer], Some("STOP"), &usage))
            }
        }
        "gemini-search" => search::answer(body, prompt_tokens, model, stream),
        "gemini-max-tokens" => recorded(MAX_TOKENS, stream),
        "gemini-blocked" => recorded(BLOCKED, stream),
        "gemini-malformed" => {
            let answer = json!({"candidates": [{"content": {"role": "model"},
                "finishReason": "MALFORMED_FUNCTION_CALL",
                "finishMessage": "Malformed function call: print(default_api.lookup(city=)",
                "index": 0}],
                "usageMetadata": {"promptTokenCount": prompt_tokens, "totalTokenCount": prompt_tokens},
                "modelVersion": model, "responseId": "mockMalformed"});
            if stream {
                crlf_stream(vec![answer])
            } else {
                whole(answer)
            }
        }
        "gemini-bytewise" if stream => raw_stream(TEXT_STREAM.as_bytes().chunks(1)),
        "gemini-recorded" if stream => raw_stream(uneven_pieces(TEXT_STREAM.as_bytes())),
        _ => text_answer(&echo, prompt_tokens, model, stream),
    }
}

/// The echo, whole or as a stream of word groups with cumulative usage.
fn text_answer(text: &str, prompt_tokens: usize, model: &str, stream: bool) -> Response {
    let total = words(text);
    if !stream {
        let usage = json!({"promptTokenCount": prompt_tokens, "candidatesTokenCount": total,
            "totalTokenCount": prompt_tokens + total});
        let mut answer = event(vec![json!({"text": text})], Some("STOP"), &usage);
        answer["modelVersion"] = json!(model);
        return whole(answer);
    }
    let pieces: Vec<String> = text
        .split_inclusive(' ')
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|c| c.concat())
        .collect();
    let count = pieces.len();
    let mut sent = 0;
    let events = pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            sent += words(&piece);
            let last = i + 1 == count;
            // Like the recording: intermediate events carry the prompt count only.
            let usage = if last {
                json!({"promptTokenCount": prompt_tokens, "candidatesTokenCount": sent,
                    "totalTokenCount": prompt_tokens + sent})
            } else {
                json!({"promptTokenCount": prompt_tokens, "totalTokenCount": prompt_tokens})
            };
            let mut e = event(vec![json!({"text": piece})], last.then_some("STOP"), &usage);
            e["modelVersion"] = json!(model);
            e
        })
        .collect();
    crlf_stream(events)
}

/// `gemini-tools`: a signed function call, or text quoting the function responses.
fn tools(body: &Value, prompt_tokens: usize, stream: bool) -> Response {
    let Ok(recorded) = serde_json::from_str::<Value>(SIGNED_CALL) else {
        return wire::broken_fixture("gemini tool fixture is not JSON");
    };
    let signature = recorded
        .pointer("/candidates/0/content/parts/0/thoughtSignature")
        .cloned()
        .unwrap_or(Value::Null);
    let contents = contents(body);
    // Gemini 3: the first functionCall of each model step must carry the signature it
    // was handed out with (or the documented bypass value), or the request is refused.
    let bypass = json!("skip_thought_signature_validator");
    for content in contents.iter().filter(|c| c["role"] == "model") {
        let first_call = parts(content)
            .iter()
            .find(|part| part.get("functionCall").is_some());
        if let Some(part) = first_call {
            let signed = part.get("thoughtSignature");
            if signed != Some(&signature) && signed != Some(&bypass) {
                return wire::fixture_error(ERROR_SIGNATURE, None);
            }
        }
    }
    let responses: Vec<&Value> = contents
        .last()
        .filter(|c| c["role"] == "user")
        .map(|c| {
            parts(c)
                .iter()
                .filter_map(|p| p.get("functionResponse"))
                .collect()
        })
        .unwrap_or_default();
    if !responses.is_empty() {
        let calls = contents
            .iter()
            .rev()
            .find(|c| c["role"] == "model")
            .map_or(0, |c| {
                parts(c)
                    .iter()
                    .filter(|p| p.get("functionCall").is_some())
                    .count()
            });
        if calls != responses.len() {
            return wire::fixture_error(ERROR_RESPONSE_COUNT, None);
        }
        let quoted: Vec<String> = responses
            .iter()
            .map(|r| {
                format!(
                    "{}={}",
                    r["name"].as_str().unwrap_or(""),
                    r["response"]["output"]
                )
            })
            .collect();
        return text_answer(
            &format!("the tool said {}", quoted.join(", ")),
            prompt_tokens,
            "gemini-tools",
            stream,
        );
    }
    let name = body
        .pointer("/tools/0/functionDeclarations/0/name")
        .and_then(Value::as_str)
        .unwrap_or("lookup");
    let call = json!({"functionCall": {"name": name, "args": {"query": last_user_text(body)}},
        "thoughtSignature": signature});
    let usage = json!({"promptTokenCount": prompt_tokens, "candidatesTokenCount": 22,
        "thoughtsTokenCount": 59, "totalTokenCount": prompt_tokens + 81});
    let mut answer = event(vec![call], Some("STOP"), &usage);
    answer["candidates"][0]["finishMessage"] = json!("Model generated function call(s).");
    if stream {
        crlf_stream(vec![answer])
    } else {
        whole(answer)
    }
}

/// A recorded whole answer, or the same as a one-event stream.
fn recorded(fixture: &str, stream: bool) -> Response {
    let Ok(answer) = serde_json::from_str::<Value>(fixture) else {
        return wire::broken_fixture("gemini fixture is not JSON");
    };
    if stream {
        crlf_stream(vec![answer])
    } else {
        whole(answer)
    }
}

/// One `GenerateContentResponse` with one candidate.
fn event(parts: Vec<Value>, finish: Option<&str>, usage: &Value) -> Value {
    let mut candidate = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
    if let Some(finish) = finish {
        candidate["finishReason"] = json!(finish);
    }
    json!({"candidates": [candidate], "usageMetadata": usage,
        "modelVersion": "gemini-mock", "responseId": "mockResp1"})
}

/// Checks a body the way Gemini does; the error response when it would refuse it.
fn validate(body: &Value) -> Result<(), Box<Response>> {
    let refuse = |message: String| Err(Box::new(invalid_argument(&message)));
    let Some(object) = body.as_object() else {
        return refuse("Invalid JSON payload received. Expected an object.".into());
    };
    if let Some(unknown) = object
        .keys()
        .find(|k| !REQUEST_FIELDS.contains(&k.as_str()))
    {
        return refuse(format!(
            "Invalid JSON payload received. Unknown name \"{unknown}\": Cannot find field."
        ));
    }
    let contents = contents(body);
    if contents.is_empty() {
        return refuse("* GenerateContentRequest.contents: contents is not specified".into());
    }
    for (i, content) in contents.iter().enumerate() {
        let role = content["role"].as_str().unwrap_or("user");
        if role != "user" && role != "model" {
            return refuse(format!(
                "Please use a valid role: user, model. (contents[{i}].role = {role})"
            ));
        }
        for part in parts(content) {
            if let Some(response) = part.get("functionResponse")
                && response["name"].as_str().is_none_or(str::is_empty)
            {
                return refuse(format!(
                    "* GenerateContentRequest.contents[{i}].parts.function_response.name: Name cannot be empty."
                ));
            }
        }
    }
    let declarations = body
        .pointer("/tools/0/functionDeclarations")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for declaration in declarations {
        if let Some(keyword) = declaration.get("parameters").and_then(rejected_keyword) {
            return refuse(format!(
                "Invalid JSON payload received. Unknown name \"{keyword}\" at 'tools[0].function_declarations[0].parameters': Cannot find field."
            ));
        }
    }
    Ok(())
}

fn rejected_keyword(schema: &Value) -> Option<String> {
    match schema {
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if SCHEMA_REJECTED.contains(&k.as_str()) {
                return Some(k.clone());
            }
            // Under `properties` the keys are names, not keywords.
            if k == "properties" {
                return v.as_object()?.values().find_map(rejected_keyword);
            }
            rejected_keyword(v)
        }),
        Value::Array(items) => items.iter().find_map(rejected_keyword),
        _ => None,
    }
}

fn contents(body: &Value) -> &[Value] {
    body.get("contents")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn parts(content: &Value) -> &[Value] {
    content
        .get("parts")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn last_user_text(body: &Value) -> String {
    contents(body)
        .iter()
        .rev()
        .filter(|c| c["role"] == "user")
        .find_map(|c| {
            let text: String = parts(c).iter().filter_map(|p| p["text"].as_str()).collect();
            (!text.is_empty()).then_some(text)
        })
        .unwrap_or_default()
}

fn all_text(body: &Value) -> String {
    let system = body.get("systemInstruction").map(parts).unwrap_or_default();
    contents(body)
        .iter()
        .flat_map(parts)
        .chain(system)
        .filter_map(|p| p["text"].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

// === embeddings ===

fn batch_embed(body: &Value) -> Response {
    let Some(requests) = body.get("requests").and_then(Value::as_array) else {
        return invalid_argument("* BatchEmbedContentsRequest.requests: requests is not specified");
    };
    let mut embeddings = Vec::with_capacity(requests.len());
    for request in requests {
        match embedding(request) {
            Ok(values) => embeddings.push(json!({"values": values})),
            Err(response) => return *response,
        }
    }
    wire::json_response(StatusCode::OK, &json!({"embeddings": embeddings}))
}

fn embed_one(body: &Value) -> Response {
    match embedding(body) {
        Ok(values) => {
            wire::json_response(StatusCode::OK, &json!({"embedding": {"values": values}}))
        }
        Err(response) => *response,
    }
}

fn embedding(request: &Value) -> Result<Vec<f32>, Box<Response>> {
    let text: String = request
        .pointer("/content/parts")
        .and_then(Value::as_array)
        .map(|parts| parts.iter().filter_map(|p| p["text"].as_str()).collect())
        .unwrap_or_default();
    if text.is_empty() {
        return Err(Box::new(invalid_argument(
            "* EmbedContentRequest.content: contains an empty Part.",
        )));
    }
    let mut vector = embeddings::vector_for(&text);
    if let Some(d) = request.get("outputDimensionality").and_then(Value::as_u64) {
        vector.truncate(usize::try_from(d).unwrap_or(usize::MAX));
    }
    Ok(vector)
}

// === wire ===

fn whole(answer: Value) -> Response {
    wire::json_response(StatusCode::OK, &answer)
}

/// `{"error":{"code","message","status"}}` with the HTTP status.
fn rpc_error(status: StatusCode, message: &str, rpc_status: &str) -> Response {
    let mut error = Map::new();
    error.insert("code".into(), json!(status.as_u16()));
    error.insert("message".into(), json!(message));
    error.insert("status".into(), json!(rpc_status));
    wire::json_response(status, &json!({"error": error}))
}

/// What each Gemini generation refuses, by the model in the path, as the real API
/// answers it: penalties on 2.5 and 3 models, a `thinkingLevel` the model lacks (3 Pro
/// takes low and high), `thinkingLevel` before Gemini 3, and a zero budget on 2.5 Pro.
fn model_rules(model: &str, body: &Value) -> Result<(), String> {
    let name = model.replace('.', "-");
    let gemini_3 = name.starts_with("gemini-3");
    let gemini_2_5 = name.starts_with("gemini-2-5");
    let config = &body["generationConfig"];
    if gemini_3 || gemini_2_5 {
        for penalty in ["presencePenalty", "frequencyPenalty"] {
            if config[penalty].as_f64().is_some_and(|p| p != 0.0) {
                return Err(format!("Penalty is not enabled for models/{model}"));
            }
        }
    }
    let thinking = &config["thinkingConfig"];
    if let Some(level) = thinking["thinkingLevel"].as_str() {
        let accepted: &[&str] = if name.starts_with("gemini-3-pro") {
            &["low", "high"]
        } else if gemini_3 {
            &["minimal", "low", "medium", "high"]
        } else {
            return Err("Thinking level is not supported for this model.".into());
        };
        if !accepted.contains(&level.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "Thinking level {} is not supported for this model. Please retry with other thinking level",
                level.to_ascii_uppercase()
            ));
        }
    }
    if name.starts_with("gemini-2-5-pro") && thinking["thinkingBudget"].as_i64() == Some(0) {
        return Err("Budget 0 is invalid. This model only works in thinking mode.".into());
    }
    Ok(())
}

fn invalid_argument(message: &str) -> Response {
    rpc_error(StatusCode::BAD_REQUEST, message, "INVALID_ARGUMENT")
}

fn not_found(path: &str) -> Response {
    rpc_error(
        StatusCode::NOT_FOUND,
        &format!("Method not found: {path}"),
        "NOT_FOUND",
    )
}

/// `data: <json>\r\n\r\n` per event, no `[DONE]`: Gemini just closes the connection.
fn crlf_stream(events: Vec<Value>) -> Response {
    let writes: Vec<Bytes> = events
        .iter()
        .map(|e| Bytes::from(format!("data: {e}\r\n\r\n")))
        .collect();
    stream_response(writes)
}

/// The bytes as they are, in the given pieces.
fn raw_stream<'a>(pieces: impl Iterator<Item = &'a [u8]>) -> Response {
    stream_response(pieces.map(Bytes::copy_from_slice).collect())
}

/// Pieces of 1 to 37 bytes in a fixed, irregular pattern, so CRLF pairs and JSON get
/// split in every way.
fn uneven_pieces(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    let mut step: usize = 7;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        step = (step * 31 + 11) % 37 + 1;
        let (piece, tail) = rest.split_at(step.min(rest.len()));
        rest = tail;
        Some(piece)
    })
}

fn stream_response(writes: Vec<Bytes>) -> Response {
    let stream = futures_util::stream::iter(writes).then(|bytes| async move {
        tokio::time::sleep(EVENT_GAP).await;
        Ok::<_, Infallible>(bytes)
    });
    let mut response = Body::from_stream(stream).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    response
}
