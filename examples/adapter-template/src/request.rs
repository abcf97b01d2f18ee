//! OpenAI request body → the platform's request.
//!
//! What the platform cannot do is refused here with a 400 naming the field, before
//! anything is sent: a silent drop would give the client an answer to a question it
//! did not ask.

use crate::error::bad_request;
use crate::openai::{self, Content};
use crate::wire::{self, StreamOptions};
use crate::{ApiError, CallContext, Method, StreamFraming, UpstreamRequest};

/// The platform's chat path, relative to the base URL (which ends in `/v1`).
pub const CHAT_PATH: &str = "/chat/completions";

/// Builds the upstream request for one call.
pub fn from_openai(ctx: &CallContext, body: &[u8]) -> Result<UpstreamRequest, ApiError> {
    let request: openai::ChatRequest = serde_json::from_slice(body)
        .map_err(|e| bad_request(format!("invalid chat request: {e}"), None))?;
    if request.n.is_some_and(|n| n != 1) {
        return Err(bad_request("only `n: 1` is supported", Some("n")));
    }
    if request
        .tools
        .as_ref()
        .is_some_and(|tools| !tools.is_empty())
    {
        return Err(bad_request(
            "this adapter does not translate tools",
            Some("tools"),
        ));
    }
    let messages = request
        .messages
        .into_iter()
        .enumerate()
        .map(|(i, message)| message_from_openai(i, message))
        .collect::<Result<Vec<_>, _>>()?;

    let upstream = wire::ChatRequest {
        model: ctx.upstream_model.clone(),
        messages,
        temperature: request.temperature,
        top_p: request.top_p,
        max_tokens: request.max_completion_tokens.or(request.max_tokens),
        stop: request.stop.map(openai::Stop::into_vec),
        stream: ctx.streaming,
        // Usage is always asked for on streams so the gateway can count tokens; the
        // stream transformer hides it again from clients that did not ask.
        stream_options: ctx.streaming.then_some(StreamOptions {
            include_usage: true,
        }),
    };
    let body = serde_json::to_vec(&upstream)
        .map_err(|e| bad_request(format!("cannot encode the request: {e}"), None))?;
    Ok(UpstreamRequest {
        method: Method::Post,
        path_and_query: CHAT_PATH.to_owned(),
        // The gateway adds `content-type: application/json` and the credential.
        headers: Vec::new(),
        body,
        // `Some(..)` tells the gateway to frame the answer and feed a stream transformer.
        response_framing: ctx.streaming.then_some(StreamFraming::Sse),
        // `None`: put the credential where `info().credential` says.
        credential: None,
    })
}

/// One message, text only: `developer` becomes `system`, content parts are joined.
fn message_from_openai(index: usize, message: openai::Message) -> Result<wire::Message, ApiError> {
    let role = match message.role.as_str() {
        "system" | "developer" => "system",
        "user" => "user",
        "assistant" => "assistant",
        other => {
            return Err(bad_request(
                format!("messages[{index}]: role `{other}` is not supported by this adapter"),
                Some(&format!("messages[{index}].role")),
            ));
        }
    };
    let content = match message.content {
        None => String::new(),
        Some(Content::Text(text)) => text,
        Some(Content::Parts(parts)) => {
            let mut texts = Vec::with_capacity(parts.len());
            for part in parts {
                match (part.kind.as_str(), part.text) {
                    ("text", Some(text)) => texts.push(text),
                    (kind, _) => {
                        return Err(bad_request(
                            format!(
                                "messages[{index}]: content parts of type `{kind}` are not supported; send text"
                            ),
                            Some(&format!("messages[{index}].content")),
                        ));
                    }
                }
            }
            texts.join("\n")
        }
    };
    Ok(wire::Message {
        role: role.to_owned(),
        content,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_ctx;
    use serde_json::{Value, json};

    fn translate(streaming: bool, body: Value) -> Result<(UpstreamRequest, Value), ApiError> {
        let request = from_openai(&test_ctx(streaming, false), body.to_string().as_bytes())?;
        let sent = serde_json::from_slice(&request.body).expect("the body is JSON");
        Ok((request, sent))
    }

    #[test]
    fn a_plain_request_maps_field_by_field() {
        let (request, sent) = translate(
            false,
            json!({
                "model": "my-model",
                "messages": [
                    {"role": "developer", "content": "Be brief."},
                    {"role": "user", "content": [{"type": "text", "text": "Hello"}, {"type": "text", "text": "there"}]},
                    {"role": "assistant", "content": null},
                ],
                "temperature": 0.5,
                "max_tokens": 10,
                "max_completion_tokens": 20,
                "stop": "END",
                "user": "ignored"
            }),
        )
        .expect("translates");
        assert_eq!(request.path_and_query, "/chat/completions");
        assert!(matches!(request.method, Method::Post));
        assert!(request.response_framing.is_none());
        assert_eq!(
            sent,
            json!({
                "model": "upstream-model",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Hello\nthere"},
                    {"role": "assistant", "content": ""},
                ],
                "temperature": 0.5,
                "max_tokens": 20,
                "stop": ["END"],
                "stream": false
            })
        );
    }

    #[test]
    fn a_streamed_request_asks_for_sse_and_usage() {
        let (request, sent) = translate(
            true,
            json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}),
        )
        .expect("translates");
        assert_eq!(request.response_framing, Some(StreamFraming::Sse));
        assert_eq!(sent["stream"], true);
        assert_eq!(sent["stream_options"], json!({"include_usage": true}));
    }

    #[test]
    fn what_the_platform_cannot_do_is_a_400_naming_the_field() {
        let cases = [
            (json!({"n": 2, "messages": []}), "n"),
            (
                json!({"tools": [{"type": "function", "function": {"name": "f"}}], "messages": []}),
                "tools",
            ),
            (
                json!({"messages": [{"role": "tool", "content": "42", "tool_call_id": "c"}]}),
                "messages[0].role",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]}),
                "messages[0].content",
            ),
        ];
        for (body, param) in cases {
            let e = translate(false, body).expect_err("refused");
            assert_eq!(
                (e.status, e.error_type.as_str()),
                (400, "invalid_request_error")
            );
            assert_eq!(e.param.as_deref(), Some(param), "{}", e.message);
        }
        let e = from_openai(&test_ctx(false, false), b"{").expect_err("not JSON");
        assert_eq!(e.status, 400);
        assert!(
            e.message.starts_with("invalid chat request"),
            "{}",
            e.message
        );
    }

    #[test]
    fn an_empty_tool_list_is_no_tools() {
        let (_, sent) = translate(
            false,
            json!({"tools": [], "messages": [{"role": "user", "content": "Hi"}]}),
        )
        .expect("translates");
        assert!(sent.get("tools").is_none());
    }
}
