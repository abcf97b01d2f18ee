//! A whole `generateContent` answer → an OpenAI `chat.completion`.

use serde_json::{Map, Value, json};
use switchyard_guest_kit::error::{bad_gateway, snippet};
use switchyard_guest_kit::{ApiError, CallContext, TranslatedResponse};

use super::candidate::{
    blocked_message, completion_id, emits_reasoning, finish_reason, id_seed, now, tool_call,
};
use super::error::{SNIPPET_CHARS, from_error_json};
use super::wire::{Candidate, GenerateContentResponse};

/// Translates a 2xx `generateContent` body.
pub fn to_openai(ctx: &CallContext, body: &[u8]) -> Result<TranslatedResponse, ApiError> {
    let answer = parse(body)?;
    let seed = id_seed(answer.response_id.as_deref());
    let mut choices = Vec::with_capacity(answer.candidates.len().max(1));
    for (position, candidate) in answer.candidates.iter().enumerate() {
        choices.push(choice(ctx, candidate, position, &seed)?);
    }
    if choices.is_empty() {
        let feedback = answer.prompt_feedback.as_ref();
        let Some(refusal) = feedback.and_then(blocked_message) else {
            return Err(bad_gateway(
                "Gemini answered with no candidates and no block reason",
            ));
        };
        choices.push(json!({
            "index": 0,
            "message": { "role": "assistant", "content": "", "refusal": refusal },
            "finish_reason": "content_filter",
        }));
    }
    let mut completion = json!({
        "id": completion_id(answer.response_id.as_deref()),
        "object": "chat.completion",
        "created": now(),
        "model": answer.model_version.as_deref().unwrap_or(&ctx.upstream_model),
        "choices": choices,
    });
    let usage = answer.usage_metadata.map(|u| {
        completion["usage"] = u.to_openai();
        u.to_wit()
    });
    let body = serde_json::to_vec(&completion)
        .map_err(|e| bad_gateway(format!("cannot write the completion: {e}")))?;
    Ok(TranslatedResponse { body, usage })
}

/// Parses a `GenerateContentResponse`; an `{"error":…}` body is that error.
pub fn parse(body: &[u8]) -> Result<GenerateContentResponse, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| not_an_answer(body, &e))?;
    if let Some(error) = value.get("error").filter(|e| !e.is_null()) {
        return Err(from_error_json(error, None));
    }
    serde_json::from_value(value).map_err(|e| not_an_answer(body, &e))
}

fn not_an_answer(body: &[u8], e: &dyn std::fmt::Display) -> ApiError {
    bad_gateway(format!(
        "Gemini answered something that is not a GenerateContentResponse ({e}): {}",
        snippet(body, SNIPPET_CHARS)
    ))
}

fn choice(
    ctx: &CallContext,
    candidate: &Candidate,
    position: usize,
    seed: &str,
) -> Result<Value, ApiError> {
    let index = candidate.index.map_or(position, |i| i as usize);
    let (mut text, mut reasoning, mut calls) = (String::new(), String::new(), Vec::new());
    let parts = candidate
        .content
        .as_ref()
        .map(|c| c.parts.as_slice())
        .unwrap_or_default();
    for part in parts {
        if let Some(call) = &part.function_call {
            let seed = format!("{seed}_{index}");
            calls.push(tool_call(
                call,
                part.thought_signature.as_deref(),
                &seed,
                calls.len(),
            ));
        } else if let Some(t) = &part.text {
            if part.thought {
                reasoning.push_str(t);
            } else {
                text.push_str(t);
            }
        }
    }
    let reason = candidate.finish_reason.as_deref().unwrap_or("STOP");
    let finish = finish_reason(
        reason,
        !calls.is_empty(),
        candidate.finish_message.as_deref(),
    )?;
    let mut message = Map::new();
    message.insert("role".into(), json!("assistant"));
    let content = if text.is_empty() && !calls.is_empty() {
        Value::Null
    } else {
        Value::String(text)
    };
    message.insert("content".into(), content);
    if emits_reasoning(ctx) && !reasoning.is_empty() {
        message.insert("reasoning_content".into(), json!(reasoning));
    }
    if !calls.is_empty() {
        message.insert("tool_calls".into(), Value::Array(calls));
    }
    Ok(json!({
        "index": index,
        "message": message,
        "finish_reason": finish,
    }))
}

#[cfg(test)]
mod tests;
