//! A whole 2xx answer → an OpenAI `chat.completion`.
//!
//! The answer is a `generateContent` body, or, when a streamed request was answered
//! without `text/event-stream` and the host handed it over whole, either one
//! `GenerateContentResponse` or the JSON array `streamGenerateContent` sends without
//! `alt=sse` ([`fold`]). A 2xx carrying `{"error": …}` (alone or as an array element)
//! is that error; a body that is no answer (an HTML page, a foreign JSON value) is a
//! 502 naming the content type with the start of the body. A Google Search's sources
//! (`groundingMetadata`) become the message's `annotations` ([`super::grounding`]).

mod fold;

use serde_json::{Map, Value, json};
use switchyard_guest_kit::error::{bad_gateway, unusable_answer};
use switchyard_guest_kit::{ApiError, CallContext, TranslatedResponse, UpstreamResponse};

use super::candidate::{
    blocked_message, completion_id, emits_reasoning, finish_reason, id_seed, now, tool_call,
};
use super::error::{SNIPPET_CHARS, error_in, from_error_json};
use super::grounding;
use super::wire::{Candidate, GenerateContentResponse};

/// Translates a 2xx answer to a chat call.
pub fn to_openai(
    ctx: &CallContext,
    response: &UpstreamResponse,
) -> Result<TranslatedResponse, ApiError> {
    let answer = parse(response)?;
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

/// Reads a 2xx answer: one `GenerateContentResponse`, or an array of them folded into
/// one; an `{"error": …}` anywhere in it is that error.
pub fn parse(response: &UpstreamResponse) -> Result<GenerateContentResponse, ApiError> {
    let unusable = |reason: &str| unusable_answer("Gemini", response, reason, SNIPPET_CHARS);
    let value: Value = serde_json::from_slice(&response.body)
        .map_err(|e| unusable(&format!("is not JSON ({e})")))?;
    if let Some(error) = error_in(&value) {
        return Err(from_error_json(error, None));
    }
    let not_an_answer =
        |e: serde_json::Error| unusable(&format!("is not a GenerateContentResponse ({e})"));
    match value {
        Value::Array(events) if events.is_empty() => Err(unusable("is an empty array")),
        Value::Array(events) => {
            let events = events
                .into_iter()
                .map(serde_json::from_value)
                .collect::<Result<Vec<_>, _>>()
                .map_err(not_an_answer)?;
            fold::fold(events)
        }
        Value::Object(_) => serde_json::from_value(value).map_err(not_an_answer),
        _ => Err(unusable("is not a JSON object or array")),
    }
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
    let annotations = candidate
        .grounding_metadata
        .as_ref()
        .map(|metadata| grounding::annotations(metadata, &text))
        .unwrap_or_default();
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
    if !annotations.is_empty() {
        message.insert("annotations".into(), Value::Array(annotations));
    }
    let mut choice = json!({
        "index": index,
        "message": message,
        "finish_reason": finish,
    });
    if let (Some(result), Some(object)) = (&candidate.logprobs_result, choice.as_object_mut()) {
        object.insert("logprobs".into(), result.to_openai());
    }
    Ok(choice)
}

#[cfg(test)]
mod tests;
