use switchyard_guest_kit::{Endpoint, StreamEvent, StreamState};

use super::*;
use crate::Streams;

fn ctx(endpoint: Endpoint, streaming: bool) -> CallContext {
    CallContext {
        endpoint,
        public_model: "claude".into(),
        upstream_model: "claude-sonnet-4-5-20250929".into(),
        streaming,
        include_usage: false,
        client_id: "client-1".into(),
        options: Vec::new(),
    }
}

/// A Claude Code-like body: odd spacing, unicode escapes, fields no adapter knows.
const CLIENT_BODY: &str = r#"{ "model" : "sonnet",  "max_tokens":32000,
 "system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1"},{"type":"text","text":"You are Claude Code\u00e9","cache_control":{"type":"ephemeral"}}],
 "messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"1h"}}]},{"role":"system","content":"mid-conversation"}],
 "thinking":{"type":"adaptive"},"output_config":{"effort":"high"},
 "context_management":{"edits":[{"type":"clear_thinking_20251015"}]},"future_field":[1.50,2e3],"stream":true}"#;

#[test]
fn only_the_model_value_changes_every_other_byte_is_kept() {
    let request = request(&ctx(Endpoint::Messages, true), CLIENT_BODY.as_bytes()).expect("ok");
    let expected = CLIENT_BODY.replace(r#""sonnet""#, r#""claude-sonnet-4-5-20250929""#);
    assert_eq!(String::from_utf8(request.body).expect("utf-8"), expected);
    assert_eq!(request.path_and_query, "/v1/messages");
    assert_eq!(request.response_framing, Some(StreamFraming::Sse));
    assert!(
        request
            .headers
            .iter()
            .any(|(name, value)| name == "anthropic-version" && value == "2023-06-01")
    );
}

#[test]
fn count_tokens_goes_to_its_own_path_unstreamed() {
    let body = br#"{"model":"sonnet","messages":[{"role":"user","content":"hi"}]}"#;
    let request = request(&ctx(Endpoint::MessagesCountTokens, false), body).expect("ok");
    assert_eq!(request.path_and_query, "/v1/messages/count_tokens");
    assert_eq!(request.response_framing, None);
    assert_eq!(
        request.body,
        br#"{"model":"claude-sonnet-4-5-20250929","messages":[{"role":"user","content":"hi"}]}"#
    );
}

#[test]
fn a_body_without_a_model_or_not_json_is_a_400() {
    for body in [&br#"{"messages":[]}"#[..], b"not json", b"[1,2]"] {
        let error = request(&ctx(Endpoint::Messages, false), body).expect_err("refused");
        assert_eq!(error.status, 400, "{}", String::from_utf8_lossy(body));
    }
}

#[test]
fn whole_answers_pass_unchanged_with_their_usage() {
    let body = br#"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"sig"},{"type":"text","text":"hi"}],"usage":{"input_tokens":5,"cache_read_input_tokens":100,"output_tokens":7}}"#;
    let translated = response(UpstreamResponse {
        status: 200,
        headers: Vec::new(),
        body: body.to_vec(),
    })
    .expect("ok");
    assert_eq!(translated.body, body.to_vec());
    let usage = translated.usage.expect("usage");
    assert_eq!(usage.prompt_tokens, 105);
    assert_eq!(usage.cached_tokens, Some(100));
    assert_eq!(usage.completion_tokens, 7);
}

#[test]
fn errors_keep_anthropics_status_and_type_overloaded_included() {
    let error = response(UpstreamResponse {
        status: 529,
        headers: vec![("retry-after".into(), "3".into())],
        body: br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
            .to_vec(),
    })
    .expect_err("error");
    assert_eq!(error.status, 529);
    assert_eq!(error.error_type, "overloaded_error");
    assert_eq!(error.message, "Overloaded");
    assert_eq!(error.retry_after, Some(3));

    let foreign = response(UpstreamResponse {
        status: 502,
        headers: Vec::new(),
        body: b"<html>bad gateway</html>".to_vec(),
    })
    .expect_err("error");
    assert_eq!(foreign.error_type, "api_error");
    assert!(foreign.message.contains("HTTP 502"), "{}", foreign.message);
}

fn event(data: &str) -> StreamEvent {
    StreamEvent {
        event: None,
        data: data.to_owned(),
    }
}

#[test]
fn stream_events_pass_unchanged_and_usage_accumulates() {
    let mut stream = Streams::start(&ctx(Endpoint::Messages, true));
    let events = [
        r#"{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":12,"cache_read_input_tokens":30,"output_tokens":1}}}"#,
        r#"{"type":"ping"}"#,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}"#,
        r#"{"type":"content_block_stop","index":0}"#,
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}"#,
        r#"{"type":"message_stop"}"#,
    ];
    let mut out = Vec::new();
    for data in events {
        stream.event(event(data), &mut out).expect("passes");
    }
    stream.finish(&mut out).expect("complete");
    assert_eq!(out, events.map(str::to_owned).to_vec());
    let usage = stream.usage().expect("usage");
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (42, 9));
}

#[test]
fn a_stream_error_event_ends_the_stream_and_a_cut_stream_says_so() {
    let mut stream = Streams::start(&ctx(Endpoint::Messages, true));
    let mut out = Vec::new();
    let error = stream
        .event(
            event(r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#),
            &mut out,
        )
        .expect_err("ends");
    assert!(error.message.contains("Overloaded"));

    let mut cut = Streams::start(&ctx(Endpoint::Messages, true));
    cut.event(event(r#"{"type":"message_start","message":{}}"#), &mut out)
        .expect("ok");
    let error = cut.finish(&mut out).expect_err("cut");
    assert_eq!(error.code.as_deref(), Some("upstream_stream_truncated"));
}
