use serde_json::{Value, json};

use super::*;

use super::super::fixtures::bytes as fixture;

fn ctx(stream: bool, include_usage: bool, options: &[(&str, &str)]) -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "nano".into(),
        upstream_model: "gpt-5-nano-2025-08-07".into(),
        streaming: stream,
        include_usage,
        client_id: "client-1".into(),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn body_json(request: &UpstreamRequest) -> Value {
    serde_json::from_slice(&request.body).expect("the upstream body is JSON")
}

#[test]
fn non_stream_chat_replaces_the_model_and_keeps_everything_else() {
    let input = fixture("openai-tools.request.json");
    let request = from_openai(&ctx(false, false, &[]), &input).expect("translates");

    assert_eq!(request.method, Method::Post);
    assert_eq!(request.path_and_query, "/chat/completions");
    assert!(request.headers.is_empty());
    assert!(request.response_framing.is_none());

    let mut expected: Value = serde_json::from_slice(&input).expect("fixture is JSON");
    expected["model"] = json!("gpt-5-nano-2025-08-07");
    assert_eq!(body_json(&request), expected, "only the model changes");
}

#[test]
fn unknown_fields_and_their_order_pass_through_verbatim() {
    let input = br#"{"model":"nano","x_vendor":{"deep":[1,{"k":"\u00e9"}]},"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{}}},"temperature":0.70}"#;
    let request = from_openai(&ctx(false, false, &[]), input).expect("translates");
    let expected = String::from_utf8_lossy(input).replacen(
        r#""model":"nano""#,
        r#""model":"gpt-5-nano-2025-08-07""#,
        1,
    );
    assert_eq!(String::from_utf8_lossy(&request.body), expected);
}

#[test]
fn a_missing_model_is_added() {
    let request = from_openai(&ctx(false, false, &[]), br#"{"messages":[]}"#).expect("ok");
    assert_eq!(body_json(&request)["model"], "gpt-5-nano-2025-08-07");
}

#[test]
fn stream_forces_include_usage_and_asks_for_sse() {
    let input = fixture("openai-stream-text.request.json");
    let request = from_openai(&ctx(true, false, &[]), &input).expect("translates");
    assert_eq!(request.response_framing, Some(StreamFraming::Sse));
    let body = body_json(&request);
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert_eq!(
        body["messages"],
        json!([{"content": "Hello!", "role": "user"}])
    );
}

#[test]
fn stream_keeps_the_other_stream_options() {
    let input = br#"{"model":"m","stream":true,"stream_options":{"include_obfuscation":false,"include_usage":false}}"#;
    let request = from_openai(&ctx(true, false, &[]), input).expect("translates");
    assert_eq!(
        String::from_utf8_lossy(&request.body),
        r#"{"model":"gpt-5-nano-2025-08-07","stream":true,"stream_options":{"include_obfuscation":false,"include_usage":true}}"#
    );

    let null = br#"{"model":"m","stream":true,"stream_options":null}"#;
    let request = from_openai(&ctx(true, false, &[]), null).expect("translates");
    assert_eq!(
        body_json(&request)["stream_options"],
        json!({"include_usage": true})
    );
}

#[test]
fn stream_usage_forcing_can_be_turned_off() {
    let input = fixture("openai-stream-text.request.json");
    let ctx = ctx(true, false, &[("force-stream-usage", "false")]);
    assert!(!forces_stream_usage(&ctx));
    let request = from_openai(&ctx, &input).expect("translates");
    assert_eq!(request.response_framing, Some(StreamFraming::Sse));
    assert!(body_json(&request).get("stream_options").is_none());
}

#[test]
fn client_usage_request_is_kept_as_is() {
    let input = fixture("openai-stream-usage.request.json");
    let request = from_openai(&ctx(true, true, &[]), &input).expect("translates");
    let body = body_json(&request);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert_eq!(body["max_completion_tokens"], 100);
}

#[test]
fn stream_options_that_is_not_an_object_is_a_400() {
    let input = br#"{"model":"m","stream":true,"stream_options":"yes"}"#;
    let e = from_openai(&ctx(true, false, &[]), input).expect_err("rejected");
    assert_eq!(
        (e.status, e.param.as_deref()),
        (400, Some("stream_options"))
    );
    assert_eq!(
        e.message,
        "`stream_options` must be a JSON object, not a string"
    );
}

#[test]
fn embeddings_go_to_embeddings_and_never_stream() {
    let mut ctx = ctx(false, false, &[]);
    ctx.endpoint = Endpoint::Embeddings;
    ctx.upstream_model = "text-embedding-3-small".into();
    let input = br#"{"model":"embed","input":["a","b"],"encoding_format":"float"}"#;
    let request = from_openai(&ctx, input).expect("translates");
    assert_eq!(request.path_and_query, "/embeddings");
    assert!(request.response_framing.is_none());
    assert_eq!(
        String::from_utf8_lossy(&request.body),
        r#"{"model":"text-embedding-3-small","input":["a","b"],"encoding_format":"float"}"#
    );
}

#[test]
fn organization_and_project_become_headers() {
    let ctx = ctx(
        false,
        false,
        &[("organization", "org-1"), ("project", "proj_2")],
    );
    let request = from_openai(&ctx, br#"{"model":"m"}"#).expect("translates");
    assert_eq!(
        request.headers,
        vec![
            ("OpenAI-Organization".to_owned(), "org-1".to_owned()),
            ("OpenAI-Project".to_owned(), "proj_2".to_owned()),
        ]
    );
}

#[test]
fn a_body_that_is_not_an_object_is_a_400_saying_why() {
    let ctx = ctx(false, false, &[]);
    let e = from_openai(&ctx, b"[]").expect_err("rejected");
    assert_eq!(
        (e.status, e.error_type.as_str()),
        (400, "invalid_request_error")
    );
    assert_eq!(
        e.message,
        "the request body must be a JSON object, not an array"
    );

    let e = from_openai(&ctx, b"{\"model\":").expect_err("rejected");
    assert_eq!(e.status, 400);
    assert!(
        e.message.starts_with("the request body is not valid JSON"),
        "{}",
        e.message
    );
}
