//! Complete Azure answer → what the client receives.
//!
//! A 2xx body is an OpenAI body with extra annotations (`prompt_filter_results`,
//! `content_filter_results`), which OpenAI clients ignore; it passes through as it came
//! (a completion the filter cut already says `finish_reason: "content_filter"`), read
//! once for `usage`. Anything else becomes an OpenAI-shaped error.

use switchyard_guest_kit::error::{bad_gateway, snippet};
use switchyard_guest_kit::{ApiError, TranslatedResponse, UpstreamResponse, usage};

use super::error::{SNIPPET_CHARS, from_upstream};

/// Translates a complete upstream answer (chat completion or embeddings).
pub fn to_openai(response: UpstreamResponse) -> Result<TranslatedResponse, ApiError> {
    if !(200..300).contains(&response.status) {
        return Err(from_upstream(&response));
    }
    match usage::from_response(&response.body) {
        Ok(usage) => Ok(TranslatedResponse {
            body: response.body,
            usage,
        }),
        Err(e) => Err(bad_gateway(format!(
            "Azure OpenAI answered HTTP {} with a body that is not a JSON object ({e}): {}",
            response.status,
            snippet(&response.body, SNIPPET_CHARS)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::fixtures;

    fn ok(body: Vec<u8>) -> UpstreamResponse {
        UpstreamResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        }
    }

    #[test]
    fn recorded_chat_answer_passes_through_with_usage() {
        let body = fixtures::body("azure-chat.response.json");
        let translated = to_openai(ok(body.clone())).expect("translates");
        assert_eq!(translated.body, body, "not re-serialized");
        let usage = translated.usage.expect("usage");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (8, 271));
        assert_eq!(usage.reasoning_tokens, Some(192));
    }

    #[test]
    fn embeddings_usage_is_read() {
        let body = br#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1]}],"model":"ada","usage":{"prompt_tokens":3,"total_tokens":3}}"#;
        let usage = to_openai(ok(body.to_vec()))
            .expect("ok")
            .usage
            .expect("usage");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (3, 0));
    }

    #[test]
    fn a_2xx_that_is_not_json_is_a_502() {
        let e = to_openai(ok(b"<html>gateway</html>".to_vec())).expect_err("rejected");
        assert_eq!(e.status, 502);
        assert!(e.message.contains("<html>gateway</html>"), "{}", e.message);
    }

    #[test]
    fn non_2xx_is_translated() {
        let response = UpstreamResponse {
            status: 404,
            headers: vec![],
            body: br#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}"#.to_vec(),
        };
        let e = to_openai(response).expect_err("error");
        assert_eq!(e.status, 404);
        assert_eq!(e.code.as_deref(), Some("model_not_found"));
        assert!(e.message.contains("deployment"), "{}", e.message);
    }
}
