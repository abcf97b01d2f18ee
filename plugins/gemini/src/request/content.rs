//! OpenAI `messages` → Gemini `systemInstruction` and `contents`.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use switchyard_guest_kit::ApiError;
use switchyard_guest_kit::error::bad_request;

use super::super::tool_id;

/// The `thoughtSignature` Google's thought-signature guide gives for function calls that
/// no Gemini response signed (history from another model, or written by the client).
pub const BYPASS_SIGNATURE: &str = "skip_thought_signature_validator";

/// `(systemInstruction, contents)`.
pub fn from_messages(messages: &[Value]) -> Result<(Option<Value>, Vec<Value>), ApiError> {
    let mut system: Vec<Value> = Vec::new();
    let mut contents: Vec<Value> = Vec::new();
    // tool_call_id → function name, from earlier assistant turns: OpenAI's tool
    // message has no name and Gemini's functionResponse requires one.
    let mut names: HashMap<String, String> = HashMap::new();

    for (i, message) in messages.iter().enumerate() {
        let param = format!("messages[{i}]");
        let role = message
            .get("role")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request("every message needs a `role`", Some(&param)))?;
        let content = message.get("content").unwrap_or(&Value::Null);
        match role {
            "system" | "developer" => {
                for text in texts(content, &param)? {
                    system.push(json!({ "text": text }));
                }
            }
            "user" => {
                let parts = user_parts(content, &param)?;
                push(&mut contents, "user", parts);
            }
            "assistant" => {
                let parts = assistant_parts(message, &param, &mut names)?;
                push(&mut contents, "model", parts);
            }
            "tool" => {
                let id = message
                    .get("tool_call_id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        bad_request("a tool message needs `tool_call_id`", Some(&param))
                    })?;
                let name = names.get(id).ok_or_else(|| {
                    bad_request(
                        format!(
                            "`tool_call_id` `{id}` matches no tool call of an earlier assistant message; Gemini needs the function's name"
                        ),
                        Some(&param),
                    )
                })?;
                let output = texts(content, &param)?.join("");
                let value = serde_json::from_str::<Value>(&output).unwrap_or(Value::String(output));
                let mut response = json!({ "name": name, "response": { "output": value } });
                if let (Some(gemini_id), Some(object)) =
                    (tool_id::gemini_id(id), response.as_object_mut())
                {
                    object.insert("id".into(), json!(gemini_id));
                }
                let part = json!({ "functionResponse": response });
                push(&mut contents, "user", vec![part]);
            }
            other => {
                return Err(bad_request(
                    format!("unsupported message role `{other}`"),
                    Some(&param),
                ));
            }
        }
    }
    let system = (!system.is_empty()).then(|| json!({ "parts": system }));
    Ok((system, contents))
}

/// Appends a turn, merged into the previous one when it has the same role (Gemini
/// wants roles to alternate and all function responses in one turn).
fn push(contents: &mut Vec<Value>, role: &str, parts: Vec<Value>) {
    if parts.is_empty() {
        return;
    }
    if let Some(last) = contents.last_mut()
        && last.get("role").and_then(Value::as_str) == Some(role)
        && let Some(Value::Array(existing)) = last.get_mut("parts")
    {
        existing.extend(parts);
        return;
    }
    contents.push(json!({ "role": role, "parts": parts }));
}

/// The text of a content that may only hold text: a string or text parts.
fn texts(content: &Value, param: &str) -> Result<Vec<String>, ApiError> {
    match content {
        Value::Null => Ok(Vec::new()),
        Value::String(text) => Ok(vec![text.clone()]),
        Value::Array(parts) => parts
            .iter()
            .map(|part| {
                part.get("text")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        bad_request(
                            "only text parts are allowed here",
                            Some(&format!("{param}.content")),
                        )
                    })
            })
            .collect(),
        _ => Err(bad_request(
            "`content` must be a string or an array of parts",
            Some(&format!("{param}.content")),
        )),
    }
}

fn user_parts(content: &Value, param: &str) -> Result<Vec<Value>, ApiError> {
    let Value::Array(parts) = content else {
        return Ok(texts(content, param)?
            .into_iter()
            .map(|text| json!({ "text": text }))
            .collect());
    };
    let mut out = Vec::with_capacity(parts.len());
    for (j, part) in parts.iter().enumerate() {
        let param = format!("{param}.content[{j}]");
        match part.get("type").and_then(Value::as_str) {
            Some("text") => {
                let text = part.get("text").and_then(Value::as_str).unwrap_or_default();
                out.push(json!({ "text": text }));
            }
            Some("image_url") => {
                let url = part
                    .pointer("/image_url/url")
                    .or_else(|| part.get("image_url"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                out.push(image(url, &param)?);
            }
            Some("input_audio") => {
                let data = part.pointer("/input_audio/data").and_then(Value::as_str);
                let format = part.pointer("/input_audio/format").and_then(Value::as_str);
                let (Some(data), Some(format)) = (data, format) else {
                    return Err(bad_request(
                        "`input_audio` needs `data` and `format`",
                        Some(&param),
                    ));
                };
                out.push(json!({ "inlineData": { "mimeType": format!("audio/{format}"), "data": data } }));
            }
            Some("file") => {
                let data = part
                    .pointer("/file/file_data")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                out.push(inline_data(data, &param)?);
            }
            other => {
                return Err(bad_request(
                    format!("unsupported content part type `{}`", other.unwrap_or("?")),
                    Some(&param),
                ));
            }
        }
    }
    Ok(out)
}

/// An image: a data URL goes inline; an `https` URL as `fileData`, which Gemini fetches
/// itself (public and signed URLs), with the media type its extension names.
fn image(url: &str, param: &str) -> Result<Value, ApiError> {
    if !url.starts_with("https://") {
        return inline_data(url, param);
    }
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let extension = path
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let mime = match extension.as_str() {
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        "webp" => Some("image/webp"),
        "heic" => Some("image/heic"),
        "heif" => Some("image/heif"),
        "gif" => Some("image/gif"),
        _ => None,
    };
    let mut file = serde_json::Map::new();
    if let Some(mime) = mime {
        file.insert("mimeType".into(), json!(mime));
    }
    file.insert("fileUri".into(), json!(url));
    Ok(json!({ "fileData": file }))
}

/// A `data:<mime>;base64,<data>` URL → `inlineData`. Other URLs are refused: an `http`
/// URL Gemini will not fetch (images may come as `https` URLs, see [`image`]).
fn inline_data(url: &str, param: &str) -> Result<Value, ApiError> {
    if let Some(rest) = url.strip_prefix("data:")
        && let Some((mime, data)) = rest.split_once(";base64,")
        && !mime.is_empty()
    {
        return Ok(json!({ "inlineData": { "mimeType": mime, "data": data } }));
    }
    let message = if url.starts_with("http://") {
        "Gemini fetches images only from https URLs: use https, or send the image inline as a base64 data URL (`data:image/png;base64,...`)"
    } else {
        "expected a base64 data URL (`data:<mime type>;base64,<data>`)"
    };
    Err(bad_request(message, Some(param)))
}

fn assistant_parts(
    message: &Value,
    param: &str,
    names: &mut HashMap<String, String>,
) -> Result<Vec<Value>, ApiError> {
    let mut parts: Vec<Value> = Vec::new();
    let content = message.get("content").unwrap_or(&Value::Null);
    let content = match content {
        // Refusal parts are the model's own words too.
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|p| match p.get("refusal") {
                    Some(refusal) => json!({ "type": "text", "text": refusal }),
                    None => p.clone(),
                })
                .collect(),
        ),
        other => other.clone(),
    };
    for text in texts(&content, param)? {
        if !text.is_empty() {
            parts.push(json!({ "text": text }));
        }
    }
    let calls = match message.get("tool_calls") {
        None | Some(Value::Null) => return Ok(parts),
        Some(Value::Array(calls)) => calls,
        Some(_) => {
            return Err(bad_request(
                "`tool_calls` must be an array",
                Some(&format!("{param}.tool_calls")),
            ));
        }
    };
    for (k, call) in calls.iter().enumerate() {
        let param = format!("{param}.tool_calls[{k}]");
        let id = call.get("id").and_then(Value::as_str).unwrap_or_default();
        let name = call
            .pointer("/function/name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request("a tool call needs `function.name`", Some(&param)))?;
        let arguments = call
            .pointer("/function/arguments")
            .and_then(Value::as_str)
            .filter(|a| !a.trim().is_empty())
            .unwrap_or("{}");
        let args: Value = serde_json::from_str(arguments).map_err(|e| {
            bad_request(
                format!("`function.arguments` is not JSON ({e})"),
                Some(&param),
            )
        })?;
        if !args.is_object() {
            return Err(bad_request(
                "`function.arguments` must be a JSON object",
                Some(&param),
            ));
        }
        names.insert(id.to_owned(), name.to_owned());
        let mut part = Map::new();
        let mut function_call = json!({ "name": name, "args": args });
        if let (Some(gemini_id), Some(object)) =
            (tool_id::gemini_id(id), function_call.as_object_mut())
        {
            object.insert("id".into(), json!(gemini_id));
        }
        part.insert("functionCall".into(), function_call);
        match tool_id::decode(id) {
            (_, Some(signature)) => {
                part.insert("thoughtSignature".into(), json!(signature));
            }
            // Gemini 3 answers 400 to a step whose first call has no signature (a call
            // another model made, or one the client wrote): Google documents this
            // value for exactly that case.
            (_, None) if k == 0 => {
                part.insert("thoughtSignature".into(), json!(BYPASS_SIGNATURE));
            }
            (_, None) => {}
        }
        parts.push(Value::Object(part));
    }
    Ok(parts)
}
