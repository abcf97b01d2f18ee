//! Complete upstream answer → what the client receives.
//!
//! OpenAI already speaks OpenAI: a 2xx completion or embeddings list passes through as
//! it came, anything else becomes an OpenAI-shaped error, by the kit's rules for every
//! OpenAI-wire platform ([`openai_wire::to_openai`]). A Response object (a Responses
//! call) passes through the same way ([`openai_wire::responses::to_openai`]).

use switchyard_guest_kit::openai_wire;
use switchyard_guest_kit::{ApiError, CallContext, Endpoint, TranslatedResponse, UpstreamResponse};

use super::OpenAi;

/// Translates a complete upstream answer in the call's dialect.
pub fn for_call(
    ctx: &CallContext,
    response: UpstreamResponse,
) -> Result<TranslatedResponse, ApiError> {
    match ctx.endpoint {
        Endpoint::Responses => from_responses(response),
        _ => to_openai(response),
    }
}

/// Translates a complete upstream answer (chat completion or embeddings).
pub fn to_openai(response: UpstreamResponse) -> Result<TranslatedResponse, ApiError> {
    openai_wire::to_openai::<OpenAi>(response)
}

/// A complete answer to a Responses call: the Response as it came, with its usage.
pub fn from_responses(response: UpstreamResponse) -> Result<TranslatedResponse, ApiError> {
    openai_wire::responses::to_openai::<OpenAi>(response)
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
    fn a_2xx_that_is_not_json_is_a_502_naming_what_came() {
        let response = UpstreamResponse {
            status: 200,
            headers: vec![("content-type".into(), "text/html".into())],
            body: b"<html>maintenance</html>".to_vec(),
        };
        let e = to_openai(response).expect_err("rejected");
        assert_eq!((e.status, e.error_type.as_str()), (502, "server_error"));
        assert!(
            e.message.contains("HTTP 200 (text/html)"),
            "status and content type explain it: {}",
            e.message
        );
        assert!(
            e.message.ends_with("<html>maintenance</html>"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_2xx_json_object_that_is_no_answer_is_a_502() {
        let e = to_openai(ok(br#"{"detail":"Not Found"}"#.to_vec())).expect_err("rejected");
        assert_eq!(e.status, 502, "a foreign object is not an empty success");
        assert!(e.message.contains("Not Found"), "{}", e.message);
    }

    #[test]
    fn a_2xx_carrying_an_error_is_that_error() {
        let cases = [
            (
                r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
                401,
                Some("invalid_api_key"),
            ),
            (
                r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
                429,
                Some("insufficient_quota"),
            ),
            (
                r#"{"error":{"message":"The model `x` does not exist","type":"invalid_request_error","code":"model_not_found"}}"#,
                404,
                Some("model_not_found"),
            ),
            (
                r#"{"error":{"message":"Unsupported parameter: 'max_tokens'","type":"invalid_request_error","param":"max_tokens","code":"unsupported_parameter"}}"#,
                400,
                Some("unsupported_parameter"),
            ),
            (
                r#"{"error":{"message":"The engine is currently overloaded","type":"server_error"}}"#,
                502,
                None,
            ),
            (r#"{"error":"backend exploded"}"#, 502, None),
        ];
        for (body, status, code) in cases {
            let response = UpstreamResponse {
                status: 200,
                headers: vec![("retry-after".into(), "7".into())],
                body: body.as_bytes().to_vec(),
            };
            let e = to_openai(response).expect_err("a 200 with an error body is no answer");
            assert_eq!(
                (e.status, e.code.as_deref()),
                (status, code),
                "the status the error's type or code stands for, else 502: {body}"
            );
            let upstream_message = serde_json::from_str::<serde_json::Value>(body)
                .ok()
                .and_then(|v| {
                    v["error"]["message"]
                        .as_str()
                        .or(v["error"].as_str())
                        .map(str::to_owned)
                })
                .expect("a message");
            assert!(
                e.message.contains(&upstream_message),
                "the upstream's words reach the client: {}",
                e.message
            );
            assert_eq!(e.retry_after, Some(7), "retry-after is kept");
        }
    }

    #[test]
    fn a_streamed_request_answered_with_a_whole_completion_passes_through() {
        // The host hands a non-SSE 2xx answer to a streamed request over whole.
        let body = fixture("openai-chat.response.json");
        let translated = to_openai(ok(body.clone())).expect("a usable answer");
        assert_eq!(translated.body, body, "the host turns it into chunks");
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
