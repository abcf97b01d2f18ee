//! The mock's Azure OpenAI: `/openai/deployments/{deployment}/{chat/completions,embeddings}?api-version=…`
//! and `/openai/v1/{chat/completions,embeddings}` (deployment in the body's `model`).
//!
//! The credential is the `api-key` header or `Authorization: Bearer`, and must be
//! [`MOCK_API_KEY`]. Answers follow the recorded Azure shapes (tests/fixtures/azure):
//! `prompt_filter_results` and `content_filter_results` annotations, a first stream
//! chunk with empty `choices`, annotation-only chunks (no `delta`) also after the stop
//! chunk, string error codes. The deployment picks the behaviour:
//!
//! | deployment | answer |
//! |---|---|
//! | `azure-tools` | streamed: the prompt annotation chunk, then the recorded parallel tool call stream (`openai-stream-parallel-tools.sse`; Azure streams the same chunks); not streamed: the recorded tool call answer (`openai-tools.response.json`) with Azure's annotations; after a `tool` message, `The tool returned: <result>` |
//! | `azure-filtered` | the completion is cut by the filter: `finish_reason: "content_filter"` (streamed: the recorded asynchronous-filter stream) |
//! | `azure-blocked` | the recorded 400 `content_filter` with `innererror` |
//! | `azure-429` | the recorded 429 (`code: "429"`, `retry-after`) |
//! | `azure-missing` | 404 `DeploymentNotFound` |
//! | anything else | `echo: <last user message text>` |
//!
//! A `-bytewise` suffix on a deployment sends its stream one byte per write; `-split`
//! sends it in pieces of pseudo-random length (fixed seed) that cut through blank lines
//! and multi-byte UTF-8 ([`wire::Pacing`]). `azure-filtered-split` replays the recorded
//! stream that way, `azure-echo-bytewise` the echo.

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::wire::Pacing;
use super::{MOCK_API_KEY, PlatformRequest, embeddings, wire};

const BLOCKED: &str = include_str!("../../fixtures/azure/azure-error-400-content-filter.json");
const RATE_LIMITED: &str = include_str!("../../fixtures/azure/azure-error-429.json");
const FILTERED_STREAM: &str =
    include_str!("../../fixtures/azure/azure-stream-content-filter-async.sse");

/// The underlying model Azure names in its answers (the deployment is not the model).
const MODEL: &str = "gpt-4o-mini-2024-07-18";

/// Whether this module answers `uri`.
pub fn matches(uri: &Uri) -> bool {
    uri.path().starts_with("/openai/")
}

/// Answers a request [`matches`] accepted.
pub async fn answer(request: PlatformRequest<'_>) -> Response {
    if !authorized(request.headers) {
        return azure_error(
            StatusCode::UNAUTHORIZED,
            json!({"code": "401", "message": "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}),
        );
    }
    let Ok(body) = request.body else {
        return azure_error(
            StatusCode::BAD_REQUEST,
            json!({"code": "BadRequest", "message": "The request body is not valid JSON."}),
        );
    };
    let path = request.uri.path();
    let api_version = query(request.uri, "api-version");
    let (deployment, operation) = if let Some(rest) = path.strip_prefix("/openai/deployments/") {
        let Some((deployment, operation)) = rest.split_once('/') else {
            return not_found();
        };
        // An api-version the resource does not serve is a bare 404, like no version.
        let Some(version) = api_version.filter(|v| API_VERSIONS.contains(&v.as_str())) else {
            return azure_error(
                StatusCode::NOT_FOUND,
                json!({"code": "404", "message": "Resource not found"}),
            );
        };
        // Versions before 2024-12-01-preview do not know the reasoning models' fields.
        if version.as_str() < "2024-12-01-preview" {
            for field in ["max_completion_tokens", "reasoning_effort"] {
                if body.get(field).is_some() {
                    return azure_error(
                        StatusCode::BAD_REQUEST,
                        json!({"code": null, "message": format!("Unrecognized request argument supplied: {field}"), "param": null, "type": "invalid_request_error"}),
                    );
                }
            }
        }
        (deployment.to_owned(), operation)
    } else if let Some(operation) = path.strip_prefix("/openai/v1/") {
        if api_version
            .as_deref()
            .is_some_and(|v| v != "preview" && v != "latest")
        {
            return azure_error(
                StatusCode::BAD_REQUEST,
                json!({"code": "BadRequest", "message": "API version not supported"}),
            );
        }
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default();
        (model.to_owned(), operation)
    } else {
        return not_found();
    };
    if *request.method != "POST" {
        return not_found();
    }
    let (name, pacing) = Pacing::from_suffix(&deployment);
    match (name, operation) {
        ("azure-missing", _) => azure_error(
            StatusCode::NOT_FOUND,
            json!({"code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}),
        ),
        ("azure-blocked", _) => wire::fixture_error(BLOCKED, None),
        ("azure-429", _) => wire::fixture_error(RATE_LIMITED, None),
        (_, "embeddings") => {
            let mut body = body.clone();
            body["model"] = json!(deployment);
            embeddings::create(&body)
        }
        (_, "chat/completions") => chat(request.state.next_id(), name, pacing, body),
        _ => not_found(),
    }
}

/// The `api-version`s the mock resource serves on the deployments path (GA and preview
/// versions from Azure's API lifecycle page).
const API_VERSIONS: &[&str] = &[
    "2024-02-01",
    "2024-06-01",
    "2024-10-21",
    "2024-12-01-preview",
    "2025-01-01-preview",
    "2025-03-01-preview",
    "2025-04-01-preview",
];

/// The content type of Azure's streams.
const EVENT_STREAM: &str = "text/event-stream; charset=utf-8";

fn chat(id: u64, deployment: &str, pacing: Pacing, body: &Value) -> Response {
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let include_usage = body
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let id = format!("chatcmpl-azure{id:06}");
    let filtered = deployment == "azure-filtered";
    if filtered && stream {
        return wire::paced_sse(FILTERED_STREAM, pacing, EVENT_STREAM);
    }
    let safe = json!({
        "hate": {"filtered": false, "severity": "safe"},
        "self_harm": {"filtered": false, "severity": "safe"},
        "sexual": {"filtered": false, "severity": "safe"},
        "violence": {"filtered": false, "severity": "safe"}
    });
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let content = |m: &Value| {
        m.get("content")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let role = |m: &Value| m.get("role").and_then(Value::as_str).map(str::to_owned);
    let tool_result = messages
        .last()
        .filter(|m| role(m).as_deref() == Some("tool"))
        .map(content);
    if deployment == "azure-tools" && tool_result.is_none() {
        if !stream {
            return tool_response(&id, &safe);
        }
        let first = annotation_first(&safe, true);
        let text = format!("data: {first}\n\n{}", wire::TOOLS_STREAM);
        return wire::paced_sse(&text, pacing, EVENT_STREAM);
    }
    let last_user = messages
        .iter()
        .rev()
        .find(|m| role(m).as_deref() == Some("user"))
        .map(content)
        .unwrap_or_default();
    let text = if filtered {
        "Here is the first part of".to_owned()
    } else if let Some(result) = tool_result.filter(|_| deployment == "azure-tools") {
        format!("The tool returned: {result}")
    } else {
        format!("echo: {last_user}")
    };
    let finish = if filtered { "content_filter" } else { "stop" };
    let completion_tokens = u64::try_from(text.split_whitespace().count()).unwrap_or(1);
    let usage = wire::chat_usage(9, completion_tokens);
    let created = wire::now_secs();
    if !stream {
        let body = json!({
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": MODEL,
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": safe}],
            "choices": [{
                "index": 0,
                "finish_reason": finish,
                "logprobs": null,
                "content_filter_results": safe,
                "message": {"role": "assistant", "content": text, "refusal": null, "annotations": []}
            }],
            "system_fingerprint": "fp_azure",
            "usage": usage
        });
        return wire::json_response(StatusCode::OK, &body);
    }
    let chunk = |choices: Value, chunk_usage: Option<&Value>| {
        let mut chunk = json!({
            "id": id, "object": "chat.completion.chunk", "created": created,
            "model": MODEL, "system_fingerprint": "fp_azure", "choices": choices,
        });
        if let Some(u) = chunk_usage {
            chunk["usage"] = u.clone();
        } else if include_usage {
            chunk["usage"] = Value::Null;
        }
        chunk.to_string()
    };
    let annotation = |choices: Value| {
        let mut chunk =
            json!({"id": "", "object": "", "created": 0, "model": "", "choices": choices});
        if include_usage {
            chunk["usage"] = Value::Null;
        }
        chunk.to_string()
    };
    let mut payloads = vec![annotation_first(&safe, include_usage)];
    payloads.push(chunk(
        json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null, "content_filter_results": {}}]),
        None,
    ));
    for piece in text.split_inclusive(' ') {
        payloads.push(chunk(
            json!([{"index": 0, "delta": {"content": piece}, "finish_reason": null, "content_filter_results": safe}]),
            None,
        ));
    }
    payloads.push(chunk(
        json!([{"index": 0, "delta": {}, "finish_reason": "stop", "content_filter_results": {}}]),
        None,
    ));
    // The asynchronous filter's verdict arrives after the stop chunk, with no delta.
    payloads.push(annotation(json!([{
        "index": 0, "finish_reason": null, "content_filter_results": safe,
        "content_filter_offsets": {"check_offset": 0, "start_offset": 0, "end_offset": text.len()}
    }])));
    if include_usage {
        payloads.push(chunk(json!([]), Some(&usage)));
    }
    payloads.push("[DONE]".to_owned());
    let text: String = payloads.iter().map(|p| format!("data: {p}\n\n")).collect();
    wire::paced_sse(&text, pacing, EVENT_STREAM)
}

/// The recorded OpenAI tool call answer as Azure sends it: with this call's id, the
/// underlying model and the filter annotations.
fn tool_response(id: &str, safe: &Value) -> Response {
    let Ok(mut body) = serde_json::from_str::<Value>(wire::TOOLS_RESPONSE) else {
        return wire::broken_fixture("tools response fixture is not JSON");
    };
    body["id"] = json!(id);
    body["model"] = json!(MODEL);
    body["created"] = json!(wire::now_secs());
    body["prompt_filter_results"] = json!([{"prompt_index": 0, "content_filter_results": safe}]);
    body["choices"][0]["content_filter_results"] = json!({});
    wire::json_response(StatusCode::OK, &body)
}

/// The first chunk of every Azure stream: prompt filter results, empty `choices`.
fn annotation_first(safe: &Value, include_usage: bool) -> String {
    let mut chunk = json!({
        "id": "", "object": "", "created": 0, "model": "",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": safe}],
        "choices": [],
    });
    if include_usage {
        chunk["usage"] = Value::Null;
    }
    chunk.to_string()
}

fn azure_error(status: StatusCode, error: Value) -> Response {
    wire::json_response(status, &json!({ "error": error }))
}

fn not_found() -> Response {
    azure_error(
        StatusCode::NOT_FOUND,
        json!({"code": "404", "message": "Resource not found"}),
    )
}

fn authorized(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    header("api-key") == Some(MOCK_API_KEY)
        || header("authorization") == Some(format!("Bearer {MOCK_API_KEY}").as_str())
}

fn query(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| value.to_owned())
    })
}
