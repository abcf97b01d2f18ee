//! The Responses API through this adapter's entry points (request, whole answer,
//! stream), against the recorded-shape fixtures `azure-responses*` (Azure's Response
//! shape, `content_filters` included; see SOURCES.md).

use switchyard_guest_kit::transcript::sse;
use switchyard_guest_kit::{
    ApiError, CallContext, CredentialPlacement, Driver, Endpoint, StreamEvent, StreamFraming,
    UpstreamResponse, Usage,
};

use super::fixtures::text;
use super::{Streams, info, request, response};

/// The deployment name: what `model` becomes upstream, in both URL styles.
const DEPLOYMENT: &str = "prod-gpt5-mini";

fn ctx(streaming: bool, options: &[(&str, &str)]) -> CallContext {
    CallContext {
        endpoint: Endpoint::Responses,
        public_model: "gpt-5-mini".into(),
        upstream_model: DEPLOYMENT.into(),
        streaming,
        include_usage: false,
        client_id: "client-1".into(),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn counts(usage: Option<Usage>) -> Option<(u32, u32, Option<u32>, Option<u32>)> {
    usage.map(|u| {
        (
            u.prompt_tokens,
            u.completion_tokens,
            u.cached_tokens,
            u.reasoning_tokens,
        )
    })
}

fn replay(events: Vec<StreamEvent>) -> (Vec<String>, Option<Usage>, Result<(), ApiError>) {
    let mut stream = Driver::<Streams>::new(&ctx(true, &[]));
    let mut chunks = Vec::new();
    let mut usage = None;
    for event in events {
        let out = stream.push(vec![event]).expect("no event fails");
        chunks.extend(out.chunks);
        usage = out.usage;
    }
    let end = stream.finish().map(|out| {
        assert!(out.chunks.is_empty(), "nothing is buffered");
        usage = out.usage;
    });
    (chunks, usage, end)
}

fn data(events: &[StreamEvent]) -> Vec<String> {
    events.iter().map(|e| e.data.clone()).collect()
}

#[test]
fn info_lists_the_responses_endpoint() {
    let info = info();
    assert!(info.endpoints.contains(&Endpoint::Responses));
    assert!(
        info.description.contains("Responses"),
        "{}",
        info.description
    );
}

#[test]
fn the_url_has_no_deployment_in_either_style() {
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[], "/openai/responses?api-version=2025-04-01-preview"),
        (
            &[("api-version", "2025-03-01-preview")],
            "/openai/responses?api-version=2025-03-01-preview",
        ),
        (&[("api-style", "v1")], "/openai/v1/responses"),
        (
            &[("api-style", "v1"), ("api-version", "preview")],
            "/openai/v1/responses?api-version=preview",
        ),
    ];
    for (options, expected) in cases {
        let request = request::from_openai(&ctx(false, options), br#"{"model":"m","input":"hi"}"#)
            .expect("translates");
        assert_eq!(request.path_and_query, expected, "{options:?}");
        assert_eq!(
            request.body,
            format!(r#"{{"model":"{DEPLOYMENT}","input":"hi"}}"#).as_bytes(),
            "the deployment is the body's model: {options:?}"
        );
    }
}

#[test]
fn the_body_keeps_every_byte_but_the_model_and_gets_no_stream_options() {
    let client = text("azure-responses.request.json");
    let request = request::from_openai(
        &ctx(true, &[("auth", "bearer"), ("force-stream-usage", "true")]),
        client.as_bytes(),
    )
    .expect("translates");
    assert_eq!(request.response_framing, Some(StreamFraming::Sse));
    assert!(matches!(
        request.credential,
        Some(CredentialPlacement::Bearer)
    ));
    let sent = String::from_utf8(request.body).expect("utf-8");
    assert_eq!(
        sent,
        client.replacen(
            r#""model": "gpt-5-mini""#,
            &format!(r#""model": "{DEPLOYMENT}""#),
            1
        )
    );
    assert!(
        !sent.contains("stream_options"),
        "the Responses API rejects it"
    );

    let unstreamed = request::from_openai(&ctx(false, &[]), client.as_bytes()).expect("ok");
    assert_eq!(unstreamed.response_framing, None);
    assert!(
        matches!(&unstreamed.credential, Some(CredentialPlacement::Header(h)) if h == "api-key")
    );
}

#[test]
fn a_whole_response_with_content_filters_passes_byte_for_byte() {
    let body = text("azure-responses.response.json").as_bytes().to_vec();
    let translated = response::to_openai(
        &ctx(false, &[]),
        UpstreamResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.clone(),
        },
    )
    .expect("a Response");
    assert_eq!(translated.body, body);
    assert_eq!(
        counts(translated.usage),
        Some((3052, 493, Some(2944), Some(320)))
    );
}

#[test]
fn a_wrong_deployment_is_azures_400_model_not_found() {
    let fixture: serde_json::Value =
        serde_json::from_str(text("azure-responses-error-400-model-not-found.json"))
            .expect("fixture is JSON");
    let e = response::to_openai(
        &ctx(false, &[]),
        UpstreamResponse {
            status: 400,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(&fixture["body"]).expect("serializes"),
        },
    )
    .expect_err("an error");
    assert_eq!(e.status, 400);
    assert_eq!(e.error_type, "invalid_request_error");
    assert_eq!(e.code.as_deref(), Some("model_not_found"));
    assert_eq!(e.param.as_deref(), Some("model"));
    assert!(e.message.contains("deployment name"), "{}", e.message);
}

#[test]
fn a_bare_404_names_the_responses_url_tried() {
    let e = response::to_openai(
        &ctx(false, &[("api-version", "2024-10-21")]),
        UpstreamResponse {
            status: 404,
            headers: Vec::new(),
            body: br#"{"error":{"code":"404","message":"Resource not found"}}"#.to_vec(),
        },
    )
    .expect_err("an error");
    assert_eq!(e.status, 404);
    assert!(
        e.message
            .contains("`/openai/responses?api-version=2024-10-21`"),
        "an api-version without the Responses API is the likely cause: {}",
        e.message
    );
}

#[test]
fn a_stream_passes_through_with_its_terminal_usage() {
    let events = sse(text("azure-responses-stream.sse"));
    let (chunks, usage, end) = replay(events.clone());
    assert_eq!(chunks, data(&events));
    assert!(
        chunks
            .last()
            .is_some_and(|c| c.contains(r#""content_filters":[{"#)),
        "Azure's content-filter results reach the client"
    );
    assert_eq!(counts(usage), Some((3052, 493, Some(2944), Some(320))));
    end.expect("complete");
}

#[test]
fn a_failed_stream_is_complete_and_a_cut_one_is_truncated() {
    let failed = sse(text("azure-responses-stream-failed.sse"));
    let (chunks, usage, end) = replay(failed.clone());
    assert_eq!(
        chunks,
        data(&failed),
        "the error and response.failed both pass"
    );
    assert!(usage.is_none());
    end.expect("ended by response.failed");

    let cut = sse(text("azure-responses-stream-truncated.sse"));
    let (chunks, _, end) = replay(cut.clone());
    assert_eq!(chunks, data(&cut));
    let e = end.expect_err("cut before response.completed");
    assert_eq!(
        (e.status, e.code.as_deref()),
        (502, Some("upstream_stream_truncated"))
    );
}

#[test]
fn chat_streams_are_cleaned_as_before() {
    let mut chat = ctx(true, &[]);
    chat.endpoint = Endpoint::ChatCompletions;
    let events = sse(text("azure-stream-content-filter-async.sse"));
    let mut dispatched = Driver::<Streams>::new(&chat);
    let mut direct = Driver::<super::stream::Transformer>::new(&chat);
    let a = dispatched.push(events.clone()).expect("chat");
    let b = direct.push(events).expect("chat");
    assert_eq!(a.chunks, b.chunks);
    assert!(dispatched.finish().is_ok() && direct.finish().is_ok());
}
