//! Complete upstream answer → what the client receives.
//!
//! OpenAI already speaks OpenAI: a 2xx body passes through as it came (it is read once
//! for `usage`, never rebuilt); anything else becomes an OpenAI-shaped error.

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
            "upstream answered HTTP {} with a body that is not a JSON object ({e}): {}",
            response.status,
            snippet(&response.body, SNIPPET_CHARS)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::fixtures::bytes as fixture;

    fn ok(body: Vec<u8>) -> UpstreamResponse {
        UpstreamResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        }
    }

    #[test]
    fn chat_body_passes_through_byte_for_byte_with_usage() {
        let body = fixture("openai-chat.response.json");
        let translated = to_openai(ok(body.clone())).expect("translates");
        assert_eq!(translated.body, body, "not re-serialized");
        let usage = translated.usage.expect("usage");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (8, 377));
        assert_eq!(
            (usage.cached_tokens, usage.reasoning_tokens),
            (Some(0), Some(320))
        );
    }

    #[test]
    fn tool_call_answer_passes_through() {
        let body = fixture("openai-tools.response.json");
        let translated = to_openai(ok(body.clone())).expect("translates");
        assert_eq!(translated.body, body);
        assert_eq!(translated.usage.map(|u| u.prompt_tokens), Some(162));
    }

    #[test]
    fn embeddings_usage_is_read() {
        let body = br#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":5,"total_tokens":5}}"#;
        let translated = to_openai(ok(body.to_vec())).expect("translates");
        let usage = translated.usage.expect("usage");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (5, 0));
    }

    #[test]
    fn an_answer_without_usage_has_none() {
        let translated = to_openai(ok(br#"{"id":"x","choices":[]}"#.to_vec())).expect("ok");
        assert!(translated.usage.is_none());
    }

    #[test]
    fn a_2xx_that_is_not_json_is_a_502() {
        let e = to_openai(ok(b"<html>maintenance</html>".to_vec())).expect_err("rejected");
        assert_eq!((e.status, e.error_type.as_str()), (502, "server_error"));
        assert!(e.message.contains("HTTP 200"), "{}", e.message);
        assert!(
            e.message.ends_with("<html>maintenance</html>"),
            "{}",
            e.message
        );
    }

    #[test]
    fn non_2xx_is_an_error_with_the_upstream_status() {
        let response = UpstreamResponse {
            status: 429,
            headers: vec![("retry-after".into(), "3".into())],
            body: br#"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#.to_vec(),
        };
        let e = to_openai(response).expect_err("an error");
        assert_eq!((e.status, e.retry_after), (429, Some(3)));
        assert_eq!(e.message, "Rate limit reached");
        assert_eq!(e.error_type, "requests");
        assert_eq!(e.code.as_deref(), Some("rate_limit_exceeded"));
    }
}
