//! Complete Azure answer → what the client receives.
//!
//! A 2xx body is an OpenAI body with extra annotations (`prompt_filter_results`,
//! `content_filter_results`), which OpenAI clients ignore; it passes through as it came
//! (a completion the filter cut already says `finish_reason: "content_filter"`), read
//! once for `usage`. Anything else becomes an OpenAI-shaped error:
//!
//! - a non-2xx answer: its status and Azure's error ([`super::error::from_upstream`]);
//! - a 2xx `{"error": {...}}`: the status its code, `status` or type stands for, else
//!   502 ([`openai_wire::error::from_error_in_answer`]);
//! - a 2xx body that is not a completion or list (an HTML page from a gateway in front
//!   of the resource, a foreign JSON object): 502 naming the content type with the
//!   start of the body.
//!
//! The host also hands over the whole answer when a streamed request was answered
//! without `text/event-stream`: the same rules apply, and a completion goes back to
//! the host, which streams it.
//!
//! A Responses call's 2xx answer is a Response object, with Azure's `content_filters`
//! among its members; it passes through the same way, read once for `usage`
//! ([`openai_wire::responses::to_openai`]), and errors are read as above.

use switchyard_guest_kit::openai_wire;
use switchyard_guest_kit::{ApiError, CallContext, Endpoint, TranslatedResponse, UpstreamResponse};

use super::Azure;
use super::request;

/// Translates a complete upstream answer (chat completion, embeddings or Response), by
/// the rules every OpenAI-wire platform shares ([`openai_wire::to_openai`],
/// [`openai_wire::responses::to_openai`]) with Azure's errors.
///
/// Azure's bare 404 "Resource not found" (a deployment name or `api-version` this
/// resource does not have, where a missing deployment says `DeploymentNotFound`)
/// names what was tried, and is not `model_not_found`: the client's model exists, the
/// gateway's configuration does not match the resource.
pub fn to_openai(
    ctx: &CallContext,
    response: UpstreamResponse,
) -> Result<TranslatedResponse, ApiError> {
    let bare_not_found = response.status == 404
        && !String::from_utf8_lossy(&response.body).contains("DeploymentNotFound");
    let translated = match ctx.endpoint {
        Endpoint::Responses => openai_wire::responses::to_openai::<Azure>(response),
        _ => openai_wire::to_openai::<Azure>(response),
    };
    translated.map_err(|mut error| {
        if bare_not_found {
            let tried = request::api_style(ctx)
                .and_then(|style| request::path_and_query(ctx, style))
                .unwrap_or_default();
            error.message = format!(
                "{} (Azure tried deployment `{}` at `{tried}`: check the model's \
                 upstream_model against the resource's deployments, and its api-version \
                 option, or set api-style = \"v1\")",
                error.message, ctx.upstream_model
            );
            error.code = None;
        }
        error
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::fixtures;

    fn ctx() -> CallContext {
        CallContext {
            endpoint: Endpoint::ChatCompletions,
            public_model: "gpt-azure".into(),
            upstream_model: "gpt-5-nano".into(),
            streaming: false,
            include_usage: false,
            client_id: "client-1".into(),
            options: Vec::new(),
        }
    }

    #[test]
    fn a_bare_resource_not_found_names_the_deployment_and_api_version_tried() {
        let response = UpstreamResponse {
            status: 404,
            headers: vec![("content-type".into(), "application/json".into())],
            body: br#"{"error":{"code":"404","message":"Resource not found"}}"#.to_vec(),
        };
        let e = to_openai(&ctx(), response).expect_err("an error");
        assert_eq!(e.status, 404);
        assert_ne!(e.code.as_deref(), Some("model_not_found"));
        assert!(e.message.starts_with("Resource not found"), "{}", e.message);
        assert!(
            e.message.contains("`gpt-5-nano`")
                && e.message.contains("api-version=2025-04-01-preview"),
            "{}",
            e.message
        );
    }

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
        let translated = to_openai(&ctx(), ok(body.clone())).expect("translates");
        assert_eq!(translated.body, body, "not re-serialized");
        let usage = translated.usage.expect("usage");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (8, 271));
        assert_eq!(usage.reasoning_tokens, Some(192));
    }

    #[test]
    fn embeddings_usage_is_read() {
        let body = br#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1]}],"model":"ada","usage":{"prompt_tokens":3,"total_tokens":3}}"#;
        let usage = to_openai(&ctx(), ok(body.to_vec()))
            .expect("ok")
            .usage
            .expect("usage");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (3, 0));
    }

    #[test]
    fn a_2xx_that_is_not_json_is_a_502() {
        let e = to_openai(&ctx(), ok(b"<html>gateway</html>".to_vec())).expect_err("rejected");
        assert_eq!(e.status, 502);
        assert!(e.message.contains("<html>gateway</html>"), "{}", e.message);
        let e = to_openai(&ctx(), ok(br#"{"status":"ok"}"#.to_vec())).expect_err("rejected");
        assert_eq!(
            e.status, 502,
            "a JSON object that is neither a completion nor a list is no success"
        );
    }

    #[test]
    fn a_2xx_carrying_an_error_is_that_error() {
        let cases = [
            (
                r#"{"error":{"code":"429","message":"Requests have exceeded token rate limit"}}"#,
                429,
                "rate_limit_exceeded",
            ),
            (
                r#"{"error":{"message":"The response was filtered","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation"}}}"#,
                400,
                "invalid_request_error",
            ),
            (
                r#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}"#,
                404,
                "invalid_request_error",
            ),
            (
                r#"{"error":{"code":"InternalServerError","message":"Backend returned unexpected response"}}"#,
                502,
                "server_error",
            ),
        ];
        for (body, status, error_type) in cases {
            let response = UpstreamResponse {
                status: 200,
                headers: vec![("retry-after".into(), "5".into())],
                body: body.as_bytes().to_vec(),
            };
            let e = to_openai(&ctx(), response).expect_err("a 200 with an error body is no answer");
            assert_eq!(
                (e.status, e.error_type.as_str()),
                (status, error_type),
                "the status the error names or stands for, else 502: {body}"
            );
            let message =
                serde_json::from_str::<serde_json::Value>(body).expect("json")["error"]["message"]
                    .as_str()
                    .map(str::to_owned)
                    .expect("message");
            assert!(
                e.message.contains(&message),
                "Azure's words reach the client: {}",
                e.message
            );
            assert_eq!(e.retry_after, Some(5));
        }
    }

    #[test]
    fn non_2xx_is_translated() {
        let response = UpstreamResponse {
            status: 404,
            headers: vec![],
            body: br#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}"#.to_vec(),
        };
        let e = to_openai(&ctx(), response).expect_err("error");
        assert_eq!(e.status, 404);
        assert_eq!(e.code.as_deref(), Some("model_not_found"));
        assert!(e.message.contains("deployment"), "{}", e.message);
    }
}
