//! Reading answers the way an OpenAI client does, and saying plainly what is wrong
//! when they are not OpenAI-shaped.

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// An error answer, checked to be `{"error":{"message","type","param","code"}}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `error.message` (non-empty).
    pub message: String,
    /// `error.type`.
    pub kind: String,
    /// `error.param` (string or null).
    pub param: Value,
    /// `error.code` (string or null).
    pub code: Value,
    /// The `retry-after` header, if any.
    pub retry_after: Option<String>,
    /// The whole body, for messages.
    pub body: Value,
}

impl ApiError {
    /// `error.code` as a string, if it is one.
    pub fn code_str(&self) -> Option<&str> {
        self.code.as_str()
    }
}

/// Reads an error answer and checks its shape and content type. Fails (with the
/// body in the message) on a 2xx status or a body that is not an OpenAI error.
pub async fn read_error(response: reqwest::Response) -> anyhow::Result<ApiError> {
    let status = response.status().as_u16();
    let content_type = header(&response, "content-type");
    let retry_after = header(&response, "retry-after");
    let text = response.text().await?;
    if (200..300).contains(&status) {
        bail!("expected an error status, got {status} with body {text}");
    }
    if !content_type
        .as_deref()
        .is_some_and(|ct| ct.starts_with("application/json"))
    {
        bail!(
            "error answer {status} has content-type {content_type:?}, not application/json: {text}"
        );
    }
    let body: Value = serde_json::from_str(&text)
        .with_context(|| format!("error answer {status} is not JSON: {text}"))?;
    let error = check_error_object(&body)
        .with_context(|| format!("error answer {status} is not OpenAI-shaped: {body}"))?;
    Ok(ApiError {
        status,
        message: error.0,
        kind: error.1,
        param: error.2,
        code: error.3,
        retry_after,
        body,
    })
}

/// Checks `{"error":{"message":str,"type":str,"param":str|null,"code":str|null}}` and
/// returns `(message, type, param, code)`.
pub fn check_error_object(body: &Value) -> anyhow::Result<(String, String, Value, Value)> {
    let Some(error) = body.get("error").and_then(Value::as_object) else {
        bail!("no `error` object");
    };
    let Some(message) = error.get("message").and_then(Value::as_str) else {
        bail!("`error.message` is missing or not a string");
    };
    if message.trim().is_empty() {
        bail!("`error.message` is empty");
    }
    let Some(kind) = error.get("type").and_then(Value::as_str) else {
        bail!("`error.type` is missing or not a string");
    };
    let Some(param) = error.get("param") else {
        bail!("`error.param` is missing (OpenAI sends null)");
    };
    if !(param.is_null() || param.is_string()) {
        bail!("`error.param` is neither a string nor null");
    }
    let Some(code) = error.get("code") else {
        bail!("`error.code` is missing (OpenAI sends null)");
    };
    if !(code.is_null() || code.is_string()) {
        bail!("`error.code` is neither a string nor null");
    }
    Ok((
        message.to_owned(),
        kind.to_owned(),
        param.clone(),
        code.clone(),
    ))
}

/// Reads a successful JSON answer; fails with the body when the status is not 200.
pub async fn read_json(response: reqwest::Response) -> anyhow::Result<Value> {
    let status = response.status();
    let text = response.text().await?;
    if status != reqwest::StatusCode::OK {
        bail!("expected 200, got {status}: {text}");
    }
    serde_json::from_str(&text).with_context(|| format!("the 200 answer is not JSON: {text}"))
}

/// Reads a successful SSE answer; fails when the status is not 200 or the content type
/// is not `text/event-stream`.
pub async fn read_stream(response: reqwest::Response) -> anyhow::Result<crate::sse::ChatStream> {
    let status = response.status();
    let content_type = header(&response, "content-type");
    let text = response.text().await?;
    if status != reqwest::StatusCode::OK {
        bail!("expected 200, got {status}: {text}");
    }
    if !content_type
        .as_deref()
        .is_some_and(|ct| ct.starts_with("text/event-stream"))
    {
        bail!("a stream answered with content-type {content_type:?}: {text}");
    }
    Ok(crate::sse::ChatStream::parse(&text))
}

/// Checks a `usage` object the way a client bills from it: prompt and completion
/// counts above zero, and a total that is their sum.
pub fn check_usage(usage: &Value) -> anyhow::Result<()> {
    let prompt = usage.get("prompt_tokens").and_then(Value::as_u64);
    let completion = usage.get("completion_tokens").and_then(Value::as_u64);
    let total = usage.get("total_tokens").and_then(Value::as_u64);
    let (Some(prompt), Some(completion)) = (prompt, completion) else {
        bail!("usage lacks prompt or completion token counts: {usage}");
    };
    if prompt == 0 || completion == 0 {
        bail!("usage counts no prompt or no completion tokens: {usage}");
    }
    if total != Some(prompt + completion) {
        bail!("usage total is not prompt + completion: {usage}");
    }
    Ok(())
}

/// Checks what every OpenAI client needs of each chunk: an id, and choices that each
/// carry a `delta` object; only the usage chunk may have empty `choices`.
pub fn check_client_safe(stream: &crate::sse::ChatStream) -> anyhow::Result<()> {
    for chunk in stream.chunks() {
        let Some(choices) = chunk.get("choices").and_then(Value::as_array) else {
            bail!("a chunk without a `choices` array: {chunk}");
        };
        if choices.is_empty() {
            if !chunk.get("usage").is_some_and(Value::is_object) {
                bail!("an empty-choices chunk that is not the usage chunk: {chunk}");
            }
            continue;
        }
        if !choices
            .iter()
            .all(|c| c.get("delta").is_some_and(Value::is_object))
        {
            bail!("a choice without a `delta` object: {chunk}");
        }
        if chunk
            .get("id")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            bail!("a chunk without an id: {chunk}");
        }
    }
    Ok(())
}

/// The text of `choices[0].message.content` of a completion.
pub fn completion_text(body: &Value) -> Option<&str> {
    body.pointer("/choices/0/message/content")
        .and_then(Value::as_str)
}

/// A one-message chat request body.
pub fn chat_body(model: &str, text: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": text}]})
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
