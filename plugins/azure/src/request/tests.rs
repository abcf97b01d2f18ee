use serde_json::{Value, json};
use switchyard_guest_kit::{CredentialPlacement, Endpoint, StreamFraming};

use super::*;

fn ctx(endpoint: Endpoint, streaming: bool, options: &[(&str, &str)]) -> CallContext {
    CallContext {
        endpoint,
        public_model: "gpt-azure".into(),
        upstream_model: "gpt-5-nano".into(),
        streaming,
        include_usage: false,
        client_id: "client-1".into(),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn body_json(request: &UpstreamRequest) -> Value {
    serde_json::from_slice(&request.body).expect("JSON body")
}

#[test]
fn recorded_request_goes_to_the_deployment_path_with_api_key() {
    let recorded: Value =
        serde_json::from_str(super::super::fixtures::text("azure-chat.request.json"))
            .expect("fixture");
    let body = serde_json::to_vec(&recorded["body"]).expect("body");
    let request = from_openai(
        &ctx(
            Endpoint::ChatCompletions,
            false,
            &[("api-version", "2024-12-01-preview")],
        ),
        &body,
    )
    .expect("translates");
    let url = recorded["_url"].as_str().expect("url");
    assert!(
        url.ends_with(&request.path_and_query),
        "{url} vs {}",
        request.path_and_query
    );
    assert!(
        matches!(&request.credential, Some(CredentialPlacement::Header(h)) if h == "api-key"),
        "{:?}",
        request.credential
    );
    assert_eq!(request.response_framing, None);
    assert_eq!(body_json(&request), recorded["body"]);
}

#[test]
fn default_api_version_takes_what_gpt5_needs() {
    let request = from_openai(
        &ctx(Endpoint::ChatCompletions, false, &[]),
        b"{\"messages\":[]}",
    )
    .expect("ok");
    assert_eq!(
        request.path_and_query,
        "/openai/deployments/gpt-5-nano/chat/completions?api-version=2025-04-01-preview"
    );
}

#[test]
fn v1_style_puts_the_deployment_in_the_body_and_can_use_bearer() {
    let options = [("api-style", "v1"), ("auth", "bearer")];
    let request = from_openai(
        &ctx(Endpoint::ChatCompletions, false, &options),
        br#"{"model":"public","messages":[{"role":"user","content":"hi"}],"temperature":0.5}"#,
    )
    .expect("ok");
    assert_eq!(request.path_and_query, "/openai/v1/chat/completions");
    assert!(matches!(
        request.credential,
        Some(CredentialPlacement::Bearer)
    ));
    let body = body_json(&request);
    assert_eq!(body["model"], "gpt-5-nano");
    assert_eq!(body["temperature"], 0.5, "other fields pass through");

    let with_version = [("api-style", "v1"), ("api-version", "preview")];
    let request = from_openai(&ctx(Endpoint::Embeddings, false, &with_version), b"{}").expect("ok");
    assert_eq!(
        request.path_and_query,
        "/openai/v1/embeddings?api-version=preview"
    );
}

#[test]
fn embeddings_use_the_deployment_embeddings_path() {
    let request = from_openai(
        &ctx(Endpoint::Embeddings, true, &[]),
        br#"{"model":"e","input":"hi"}"#,
    )
    .expect("ok");
    assert_eq!(
        request.path_and_query,
        "/openai/deployments/gpt-5-nano/embeddings?api-version=2025-04-01-preview"
    );
    assert_eq!(request.response_framing, None, "embeddings never stream");
}

#[test]
fn streams_force_usage_unless_turned_off() {
    let body = br#"{"messages":[],"stream":true,"stream_options":{"other":1}}"#;
    let request = from_openai(&ctx(Endpoint::ChatCompletions, true, &[]), body).expect("ok");
    assert_eq!(request.response_framing, Some(StreamFraming::Sse));
    assert_eq!(
        body_json(&request)["stream_options"],
        json!({"other": 1, "include_usage": true})
    );

    let off = [("force-stream-usage", "false")];
    let request = from_openai(&ctx(Endpoint::ChatCompletions, true, &off), body).expect("ok");
    assert_eq!(body_json(&request)["stream_options"], json!({"other": 1}));
}

#[test]
fn deployment_and_version_are_escaped() {
    let mut context = ctx(
        Endpoint::ChatCompletions,
        false,
        &[("api-version", "a b&c")],
    );
    context.upstream_model = "my dep/1".into();
    let request = from_openai(&context, b"{}").expect("ok");
    assert_eq!(
        request.path_and_query,
        "/openai/deployments/my%20dep%2F1/chat/completions?api-version=a%20b%26c"
    );
}

#[test]
fn bad_options_and_bodies_are_rejected_with_reasons() {
    let e = from_openai(
        &ctx(Endpoint::ChatCompletions, false, &[("api-style", "v2")]),
        b"{}",
    )
    .expect_err("bad style");
    assert_eq!(e.status, 500);
    assert!(e.message.contains("api-style"), "{}", e.message);
    let e = from_openai(
        &ctx(Endpoint::ChatCompletions, false, &[("auth", "oauth")]),
        b"{}",
    )
    .expect_err("bad auth");
    assert!(e.message.contains("`auth`"), "{}", e.message);
    let e = from_openai(&ctx(Endpoint::ChatCompletions, false, &[]), b"[1]").expect_err("array");
    assert_eq!(e.status, 400);
    assert!(e.message.contains("JSON object"), "{}", e.message);
}
