//! `POST /v1/embeddings` → Gemini `batchEmbedContents`, for one input or many.
//!
//! `dimensions` becomes `outputDimensionality`. Gemini returns floats; when the client
//! asked for `encoding_format: "base64"` (the official Python client does by default)
//! they are sent as base64 of little-endian `f32`s, as OpenAI does.
//!
//! A 2xx answer must hold one vector per input: a client pairs `data[i]` with
//! `input[i]`, so a short or long list would silently attach vectors to the wrong
//! texts. Such an answer, a 2xx carrying `{"error": …}`, and a body that is no answer
//! are errors.

use std::cell::Cell;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use switchyard_guest_kit::error::{bad_gateway, bad_request, unusable_answer};
use switchyard_guest_kit::options::option;
use switchyard_guest_kit::{
    ApiError, CallContext, Method, TranslatedResponse, UpstreamRequest, UpstreamResponse, Usage,
};

use super::error::{SNIPPET_CHARS, error_in, from_error_json};
use super::request::model_path;

/// Option: Gemini `taskType` for every embeddings request (`RETRIEVAL_QUERY`, …).
pub const OPTION_TASK_TYPE: &str = "embedding-task-type";

/// What the answer to one embeddings call must look like, from its request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Call {
    /// The client asked for `encoding_format: "base64"`.
    pub base64: bool,
    /// How many inputs were sent, hence how many vectors must come back; `None` when
    /// unknown (a response without its request on this instance).
    pub inputs: Option<usize>,
}

thread_local! {
    /// The call in progress. The host makes both calls of one request
    /// (`transform-request`, then `transform-response`) on the same instance, one
    /// request at a time, and the response has no other way to know these.
    static CALL: Cell<Call> = const { Cell::new(Call { base64: false, inputs: None }) };
}

/// Builds the `batchEmbedContents` request.
pub fn from_openai(ctx: &CallContext, body: &[u8]) -> Result<UpstreamRequest, ApiError> {
    let request: Map<String, Value> = serde_json::from_slice(body).map_err(|e| {
        bad_request(
            format!("the request body must be a JSON object ({e})"),
            None,
        )
    })?;
    let inputs = inputs(request.get("input"))?;
    let base64 = match request.get("encoding_format") {
        None | Some(Value::Null) => false,
        Some(Value::String(f)) if f == "float" => false,
        Some(Value::String(f)) if f == "base64" => true,
        Some(_) => {
            return Err(bad_request(
                "`encoding_format` must be `float` or `base64`",
                Some("encoding_format"),
            ));
        }
    };
    let dimensions = match request.get("dimensions") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|d| d > 0) => Some(n.clone()),
        Some(_) => {
            return Err(bad_request(
                "`dimensions` must be a positive integer",
                Some("dimensions"),
            ));
        }
    };
    let model = format!(
        "models/{}",
        ctx.upstream_model
            .strip_prefix("models/")
            .unwrap_or(&ctx.upstream_model)
    );
    let task_type = option(ctx, OPTION_TASK_TYPE);
    let requests: Vec<Value> = inputs
        .iter()
        .map(|text| {
            let mut one = json!({ "model": model, "content": { "parts": [{ "text": text }] } });
            if let Some(d) = &dimensions {
                one["outputDimensionality"] = Value::Number(d.clone());
            }
            if let Some(task) = task_type {
                one["taskType"] = json!(task);
            }
            one
        })
        .collect();
    let body = serde_json::to_vec(&json!({ "requests": requests }))
        .map_err(|e| bad_request(format!("cannot write the request body: {e}"), None))?;
    CALL.set(Call {
        base64,
        inputs: Some(inputs.len()),
    });
    Ok(UpstreamRequest {
        method: Method::Post,
        path_and_query: model_path(ctx, "batchEmbedContents"),
        headers: Vec::new(),
        body,
        response_framing: None,
        credential: None,
    })
}

/// The texts of `input`: a string or an array of strings.
fn inputs(input: Option<&Value>) -> Result<Vec<&str>, ApiError> {
    let param = Some("input");
    let texts = match input {
        Some(Value::String(text)) => vec![text.as_str()],
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(Value::as_str)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                bad_request(
                    "Gemini embeddings take text: `input` must be a string or an array of strings, not token arrays",
                    param,
                )
            })?,
        _ => {
            return Err(bad_request(
                "`input` must be a non-empty string or array of strings",
                param,
            ));
        }
    };
    if texts.iter().any(|t| t.is_empty()) {
        return Err(bad_request("`input` must not contain empty strings", param));
    }
    Ok(texts)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchResponse {
    #[serde(default)]
    embeddings: Vec<Embedding>,
    #[serde(default)]
    usage_metadata: Option<EmbeddingUsage>,
}

#[derive(Deserialize)]
struct Embedding {
    #[serde(default)]
    values: Vec<f32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmbeddingUsage {
    #[serde(default)]
    prompt_token_count: u32,
}

/// Translates a 2xx `batchEmbedContents` answer, as the call's request asked.
pub fn to_openai(
    ctx: &CallContext,
    response: &UpstreamResponse,
) -> Result<TranslatedResponse, ApiError> {
    to_openai_for(ctx, response, CALL.get())
}

/// [`to_openai`] for the call described by `call`.
pub fn to_openai_for(
    ctx: &CallContext,
    response: &UpstreamResponse,
    call: Call,
) -> Result<TranslatedResponse, ApiError> {
    let unusable = |reason: &str| unusable_answer("Gemini", response, reason, SNIPPET_CHARS);
    let value: Value = serde_json::from_slice(&response.body)
        .map_err(|e| unusable(&format!("is not JSON ({e})")))?;
    if let Some(error) = error_in(&value) {
        return Err(from_error_json(error, None));
    }
    if !value.is_object() {
        return Err(unusable("is not a JSON object"));
    }
    let answer: BatchResponse = serde_json::from_value(value)
        .map_err(|e| unusable(&format!("is not a batchEmbedContents response ({e})")))?;
    let vectors = answer.embeddings.len();
    match call.inputs {
        Some(inputs) if inputs != vectors => {
            return Err(bad_gateway(format!(
                "Gemini answered {vectors} embedding vector(s) for {inputs} input(s); \
                 each input needs exactly one"
            )));
        }
        None if vectors == 0 => {
            return Err(bad_gateway("Gemini answered no embedding vectors"));
        }
        _ => {}
    }
    let base64 = call.base64;
    let data: Vec<Value> = answer
        .embeddings
        .iter()
        .enumerate()
        .map(|(index, embedding)| {
            let vector = if base64 {
                json!(encode_base64(&embedding.values))
            } else {
                json!(embedding.values)
            };
            json!({ "object": "embedding", "index": index, "embedding": vector })
        })
        .collect();
    // Gemini's batch answer usually carries no token count; 0 then.
    let tokens = answer.usage_metadata.map_or(0, |u| u.prompt_token_count);
    let response = json!({
        "object": "list",
        "data": data,
        "model": ctx.upstream_model,
        "usage": { "prompt_tokens": tokens, "total_tokens": tokens },
    });
    let body = serde_json::to_vec(&response)
        .map_err(|e| bad_gateway(format!("cannot write the embeddings: {e}")))?;
    Ok(TranslatedResponse {
        body,
        usage: Some(Usage {
            prompt_tokens: tokens,
            completion_tokens: 0,
            cached_tokens: None,
            reasoning_tokens: None,
        }),
    })
}

/// Standard base64 (with padding) of the vector as little-endian `f32`s.
fn encode_base64(values: &[f32]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextet = |shift: u32| char::from(ALPHABET[((n >> shift) & 63) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests;
