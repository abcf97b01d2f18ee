//! Ollama's whole answer (`stream: false`) → an OpenAI `chat.completion`; a non-2xx
//! answer → an OpenAI-shaped error.
//!
//! `message.content` is the text, `message.thinking` becomes `reasoning_content`,
//! `message.tool_calls` get ids and string arguments, `done_reason` becomes
//! `finish_reason` (`tool_calls` whenever the model called a tool), and
//! `prompt_eval_count` / `eval_count` become `usage`.

use crate::error::{bad_gateway, from_upstream, snippet};
use crate::ids::{completion_id, tool_call_id, unix_seconds};
use crate::openai::{
    AssistantMessage, ChatCompletion, Choice, CompletionUsage, FunctionCallOut, ToolCallOut,
};
use crate::wire::{self, Arguments};
use crate::{ApiError, CallContext, TranslatedResponse, UpstreamResponse};

/// Translates a complete answer.
pub fn to_openai(
    ctx: &CallContext,
    response: &UpstreamResponse,
) -> Result<TranslatedResponse, ApiError> {
    if !(200..300).contains(&response.status) {
        return Err(from_upstream(response));
    }
    let answer: wire::ChatResponse = serde_json::from_slice(&response.body).map_err(|e| {
        bad_gateway(format!(
            "upstream answered HTTP {} with a body this adapter cannot read ({e}): {}",
            response.status,
            snippet(&response.body)
        ))
    })?;
    let model = model_name(ctx, answer.model);
    let message = answer.message.unwrap_or_default();
    let tool_calls = tool_calls(
        &answer.created_at,
        0,
        message.tool_calls.unwrap_or_default(),
        false,
    );
    let usage = usage(answer.prompt_eval_count, answer.eval_count);
    let completion = ChatCompletion {
        id: completion_id(&answer.created_at, &model),
        object: "chat.completion",
        created: unix_seconds(&answer.created_at).unwrap_or_default(),
        model,
        choices: vec![Choice {
            index: 0,
            finish_reason: finish_reason(answer.done_reason.as_deref(), !tool_calls.is_empty()),
            message: AssistantMessage {
                role: "assistant",
                // OpenAI sends `null` content on a turn that only calls tools.
                content: (!message.content.is_empty() || tool_calls.is_empty())
                    .then_some(message.content),
                reasoning_content: message.thinking.filter(|t| !t.is_empty()),
                tool_calls,
            },
        }],
        usage,
    };
    let body = serde_json::to_vec(&completion)
        .map_err(|e| bad_gateway(format!("cannot encode the completion: {e}")))?;
    Ok(TranslatedResponse {
        body,
        usage: Some(usage.into()),
    })
}

/// The answering model's name, or the configured one when Ollama sent none.
pub fn model_name(ctx: &CallContext, model: String) -> String {
    if model.is_empty() {
        ctx.upstream_model.clone()
    } else {
        model
    }
}

/// Usage from Ollama's counts (each omitted when zero).
pub fn usage(prompt_eval_count: Option<u32>, eval_count: Option<u32>) -> CompletionUsage {
    CompletionUsage::new(
        prompt_eval_count.unwrap_or_default(),
        eval_count.unwrap_or_default(),
    )
}

/// OpenAI's `finish_reason` for Ollama's `done_reason`.
pub fn finish_reason(done_reason: Option<&str>, called_tools: bool) -> &'static str {
    match done_reason {
        _ if called_tools => "tool_calls",
        Some("length") => "length",
        _ => "stop",
    }
}

/// Ollama's tool calls as OpenAI's, numbered from `first_index` over the whole answer;
/// `with_index` for chunks, where each call carries its position.
pub fn tool_calls(
    created_at: &str,
    first_index: u32,
    calls: Vec<wire::ResponseToolCall>,
    with_index: bool,
) -> Vec<ToolCallOut> {
    (first_index..)
        .zip(calls)
        .map(|(index, call)| ToolCallOut {
            index: with_index.then_some(index),
            id: tool_call_id(created_at, index, &call.function.name),
            kind: "function",
            function: FunctionCallOut {
                arguments: arguments_text(call.function.arguments),
                name: call.function.name,
            },
        })
        .collect()
}

/// Arguments as the JSON text OpenAI clients parse: an object is written compactly
/// (keys sorted), a string is taken as it is, none is `{}`.
fn arguments_text(arguments: Option<Arguments>) -> String {
    match arguments {
        Some(Arguments::Object(object)) => {
            serde_json::to_string(&object).unwrap_or_else(|_| "{}".to_owned())
        }
        Some(Arguments::Text(text)) => text,
        None => "{}".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_ctx;
    use serde_json::{Value, json};

    fn ok(body: Value) -> UpstreamResponse {
        UpstreamResponse {
            status: 200,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: body.to_string().into_bytes(),
        }
    }

    fn translate(body: Value) -> (Value, crate::Usage) {
        let translated = to_openai(&test_ctx(false, false), &ok(body)).expect("translates");
        let usage = translated.usage.expect("usage is always reported");
        (serde_json::from_slice(&translated.body).unwrap(), usage)
    }

    #[test]
    fn a_text_answer_becomes_a_completion() {
        let (body, usage) = translate(json!({
            "model": "llama3.2",
            "created_at": "2023-12-12T14:13:43.416799Z",
            "message": {"role": "assistant", "content": "Hello! How are you today?"},
            "done_reason": "stop",
            "done": true,
            "total_duration": 5191566416u64,
            "load_duration": 2154458,
            "prompt_eval_count": 26,
            "prompt_eval_duration": 383809000,
            "eval_count": 298,
            "eval_duration": 4799921000u64
        }));
        assert_eq!(
            body,
            json!({
                "id": completion_id("2023-12-12T14:13:43.416799Z", "llama3.2"),
                "object": "chat.completion",
                "created": 1702390423,
                "model": "llama3.2",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello! How are you today?"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 26, "completion_tokens": 298, "total_tokens": 324}
            })
        );
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (26, 298));
    }

    #[test]
    fn tool_calls_get_ids_and_string_arguments() {
        let (body, _) = translate(json!({
            "model": "llama3.2",
            "created_at": "2025-07-07T20:32:53.844124Z",
            "message": {"role": "assistant", "content": "", "tool_calls": [
                {"function": {"name": "get_weather", "arguments": {"city": "Tokyo", "unit": "celsius"}}},
                {"function": {"name": "get_time", "arguments": "{\"zone\":\"JST\"}"}}
            ]},
            "done_reason": "stop",
            "done": true,
            "prompt_eval_count": 169,
            "eval_count": 18
        }));
        let choice = &body["choices"][0];
        assert_eq!(choice["finish_reason"], "tool_calls");
        assert_eq!(choice["message"]["content"], Value::Null);
        let calls = choice["message"]["tool_calls"].as_array().unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!(
            calls[0]["function"],
            json!({"name": "get_weather", "arguments": "{\"city\":\"Tokyo\",\"unit\":\"celsius\"}"})
        );
        assert_eq!(calls[1]["function"]["arguments"], "{\"zone\":\"JST\"}");
        assert_eq!(calls[0]["type"], "function");
        assert!(calls[0].get("index").is_none(), "no index outside chunks");
        let ids: Vec<&str> = calls.iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert!(ids[0].starts_with("call_") && ids[0] != ids[1]);
    }

    #[test]
    fn length_thinking_and_missing_counts() {
        let (body, usage) = translate(json!({
            "model": "qwen3",
            "created_at": "2025-05-27T22:54:57.641643Z",
            "message": {"role": "assistant", "content": "Half an ans", "thinking": "Let me see."},
            "done_reason": "length",
            "done": true,
            "eval_count": 8
        }));
        assert_eq!(body["choices"][0]["finish_reason"], "length");
        assert_eq!(
            body["choices"][0]["message"]["reasoning_content"],
            "Let me see."
        );
        assert_eq!(
            body["usage"],
            json!({"prompt_tokens": 0, "completion_tokens": 8, "total_tokens": 8})
        );
        assert_eq!(usage.prompt_tokens, 0);
    }

    #[test]
    fn errors_and_garbage() {
        let e = to_openai(
            &test_ctx(false, false),
            &UpstreamResponse {
                status: 404,
                headers: Vec::new(),
                body: br#"{"error":"model 'llama9' not found"}"#.to_vec(),
            },
        )
        .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_deref()),
            (404, Some("model_not_found"))
        );

        let mut response = ok(Value::Null);
        response.body = b"<html>proxy error</html>".to_vec();
        let e = to_openai(&test_ctx(false, false), &response).unwrap_err();
        assert_eq!(e.status, 502);
        assert!(
            e.message.ends_with("<html>proxy error</html>"),
            "{}",
            e.message
        );
    }
}
