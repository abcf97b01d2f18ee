//! The platform's whole answer → what the client receives: a 2xx body becomes an
//! OpenAI `chat.completion`, anything else an OpenAI-shaped error.

use crate::error::{bad_gateway, from_upstream, snippet};
use crate::openai::{AssistantMessage, ChatCompletion, Choice, CompletionUsage};
use crate::{ApiError, TranslatedResponse, UpstreamResponse, wire};

/// Translates a complete answer.
pub fn to_openai(response: &UpstreamResponse) -> Result<TranslatedResponse, ApiError> {
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
    let completion = ChatCompletion::from(answer);
    let usage = completion.usage.map(crate::Usage::from);
    let body = serde_json::to_vec(&completion)
        .map_err(|e| bad_gateway(format!("cannot encode the completion: {e}")))?;
    Ok(TranslatedResponse { body, usage })
}

impl From<wire::ChatResponse> for ChatCompletion {
    fn from(answer: wire::ChatResponse) -> Self {
        ChatCompletion {
            id: answer.id,
            object: "chat.completion",
            created: answer.created,
            model: answer.model,
            choices: answer
                .choices
                .into_iter()
                .map(|choice| Choice {
                    index: choice.index,
                    message: AssistantMessage {
                        role: "assistant",
                        content: choice.message.content,
                    },
                    finish_reason: choice.finish_reason,
                })
                .collect(),
            usage: answer
                .usage
                .map(|u| CompletionUsage::new(u.prompt_tokens, u.completion_tokens)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn ok(body: Value) -> UpstreamResponse {
        UpstreamResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    #[test]
    fn an_answer_becomes_a_chat_completion_with_usage() {
        let translated = to_openai(&ok(json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "upstream-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi!", "refusal": null}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
            "system_fingerprint": "fp"
        })))
        .expect("translates");
        let body: Value = serde_json::from_slice(&translated.body).unwrap();
        assert_eq!(
            body,
            json!({
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1700000000,
                "model": "upstream-model",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi!"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
            })
        );
        let usage = translated.usage.expect("usage for accounting");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (5, 2));
    }

    #[test]
    fn an_answer_without_usage_has_none() {
        let translated = to_openai(&ok(json!({"choices": []}))).expect("translates");
        assert!(translated.usage.is_none());
    }

    #[test]
    fn a_2xx_that_is_not_a_completion_is_a_502() {
        let mut response = ok(json!(null));
        response.body = b"<html>maintenance</html>".to_vec();
        let e = to_openai(&response).expect_err("refused");
        assert_eq!((e.status, e.error_type.as_str()), (502, "server_error"));
        assert!(
            e.message.ends_with("<html>maintenance</html>"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_non_2xx_is_the_platforms_error() {
        let response = UpstreamResponse {
            status: 404,
            headers: Vec::new(),
            body: br#"{"error":{"message":"no such model","type":"invalid_request_error","code":"model_not_found"}}"#.to_vec(),
        };
        let e = to_openai(&response).expect_err("an error");
        assert_eq!(
            (e.status, e.code.as_deref()),
            (404, Some("model_not_found"))
        );
    }
}
