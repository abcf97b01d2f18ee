//! The Responses API through this adapter's entry points (request, whole answer,
//! stream), against the recorded-shape fixtures `openai-responses*` (shapes from the
//! openai SDK's `types/responses` and recorded OpenAI streams; see SOURCES.md).

use switchyard_guest_kit::transcript::sse;
use switchyard_guest_kit::{
    CallContext, Driver, Endpoint, Method, StreamEvent, StreamFraming, UpstreamResponse, Usage,
};

use super::fixtures::{bytes, text};
use super::{Streams, info, request, response};

/// The deployment's model: what `model` becomes upstream.
const UPSTREAM_MODEL: &str = "gpt-5.1-codex-2025-11-13";

fn ctx(endpoint: Endpoint, streaming: bool, options: &[(&str, &str)]) -> CallContext {
    CallContext {
        endpoint,
        public_model: "gpt-5.1-codex".into(),
        upstream_model: UPSTREAM_MODEL.into(),
        streaming,
        include_usage: false,
        client_id: "client-1".into(),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// A recorded `{"_status", "_headers", "body"}` answer.
fn recorded(name: &str) -> UpstreamResponse {
    let fixture: serde_json::Value = serde_json::from_str(text(name)).expect("fixture is JSON");
    UpstreamResponse {
        status: fixture["_status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .expect("a status"),
        headers: fixture["_headers"]
            .as_object()
            .expect("headers")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("a string").to_owned()))
            .collect(),
        body: serde_json::to_vec(&fixture["body"]).expect("serializes"),
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

/// Every event pushed one at a time, as the host does with events read apart, then
/// `finish`: the chunks, the last usage, and how the stream ended.
fn replay(
    events: Vec<StreamEvent>,
) -> (
    Vec<String>,
    Option<Usage>,
    Result<(), switchyard_guest_kit::ApiError>,
) {
    let mut stream = Driver::<Streams>::new(&ctx(Endpoint::Responses, true, &[]));
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
fn a_responses_body_goes_to_responses_with_only_the_model_changed() {
    let client = text("openai-responses.request.json");
    let options = [("organization", "org-1"), ("project", "proj_2")];
    let request = request::from_openai(
        &ctx(Endpoint::Responses, true, &options),
        &bytes("openai-responses.request.json"),
    )
    .expect("translates");
    assert_eq!(request.method, Method::Post);
    assert_eq!(
        request.path_and_query, "/responses",
        "the base URL ends in /v1"
    );
    assert_eq!(request.response_framing, Some(StreamFraming::Sse));
    assert!(request.credential.is_none(), "the plugin's bearer");
    assert_eq!(
        request.headers,
        [
            ("OpenAI-Organization".to_owned(), "org-1".to_owned()),
            ("OpenAI-Project".to_owned(), "proj_2".to_owned()),
        ],
        "organization and project apply as for chat"
    );
    let sent = String::from_utf8(request.body).expect("utf-8");
    assert_eq!(
        sent,
        client.replacen(
            r#""model": "gpt-5.1-codex""#,
            &format!(r#""model": "{UPSTREAM_MODEL}""#),
            1
        ),
        "every other byte is the client's: include, encrypted_content, prompt_cache_key, \
         unknown members, escapes, spacing and order"
    );
    assert!(
        !sent.contains("stream_options"),
        "the Responses API rejects it"
    );
}

#[test]
fn an_unstreamed_responses_call_asks_for_one_answer_and_no_stream_options() {
    let body = br#"{"model":"gpt-5.1-codex","input":"hi"}"#;
    let forcing = [("force-stream-usage", "true")];
    let request =
        request::from_openai(&ctx(Endpoint::Responses, false, &forcing), body).expect("ok");
    assert_eq!(request.response_framing, None);
    assert_eq!(
        request.body,
        format!(r#"{{"model":"{UPSTREAM_MODEL}","input":"hi"}}"#).as_bytes()
    );
    let e = request::from_openai(&ctx(Endpoint::Responses, false, &[]), b"[1]")
        .expect_err("not an object");
    assert_eq!(e.status, 400);
}

#[test]
fn a_whole_response_passes_byte_for_byte_with_its_usage() {
    let body = bytes("openai-responses.response.json");
    let translated = response::for_call(
        &ctx(Endpoint::Responses, false, &[]),
        UpstreamResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.clone(),
        },
    )
    .expect("a Response");
    assert_eq!(
        translated.body, body,
        "reasoning, encrypted_content, tool calls: untouched"
    );
    assert_eq!(
        counts(translated.usage),
        Some((3052, 493, Some(2944), Some(320))),
        "input → prompt, output → completion, cached and reasoning details"
    );
}

#[test]
fn a_responses_error_is_read_as_for_chat() {
    let e = response::for_call(
        &ctx(Endpoint::Responses, false, &[]),
        recorded("openai-responses-error-400.json"),
    )
    .expect_err("an error");
    assert_eq!(e.status, 400);
    assert_eq!(e.error_type, "invalid_request_error");
    assert_eq!(e.code.as_deref(), Some("invalid_encrypted_content"));
    assert!(e.param.is_none());
    assert_eq!(
        e.message,
        "The encrypted content gAAA...DQ== could not be verified."
    );
}

#[test]
fn a_stream_passes_through_event_for_event_with_the_terminal_usage() {
    let events = sse(text("openai-responses-stream.sse"));
    for event in &events {
        let kind = serde_json::from_str::<serde_json::Value>(&event.data).expect("JSON")["type"]
            .as_str()
            .map(str::to_owned);
        assert_eq!(
            event.event, kind,
            "the fixture names each event after its type"
        );
    }
    let (chunks, usage, end) = replay(events.clone());
    assert_eq!(chunks, data(&events), "the same data strings, in order");
    assert_eq!(counts(usage), Some((3052, 493, Some(2944), Some(320))));
    end.expect("response.completed ends it");
}

#[test]
fn events_after_the_terminal_event_are_ignored() {
    let events = sse(text("openai-responses-stream.sse"));
    let mut late = events.clone();
    let delta = events
        .iter()
        .find(|e| e.event.as_deref() == Some("response.output_text.delta"))
        .cloned()
        .expect("a delta");
    late.extend([
        delta,
        StreamEvent {
            event: None,
            data: "[DONE]".into(),
        },
        StreamEvent {
            event: Some("error".into()),
            data: r#"{"type":"error","code":"late","message":"after the end"}"#.into(),
        },
    ]);
    let (chunks, usage, end) = replay(late);
    assert_eq!(chunks, data(&events), "nothing after response.completed");
    assert_eq!(counts(usage).map(|c| c.0), Some(3052));
    end.expect("complete");
}

#[test]
fn a_failed_stream_passes_its_error_and_response_failed_and_is_complete() {
    let events = sse(text("openai-responses-stream-failed.sse"));
    let (chunks, usage, end) = replay(events.clone());
    assert_eq!(chunks, data(&events));
    assert!(
        chunks
            .last()
            .is_some_and(|c| c.contains(r#""type":"response.failed""#)),
        "response.failed, which clients read the failure from, still follows the error event"
    );
    assert!(usage.is_none(), "the failed response reports none");
    end.expect("a failed response is an ended stream, not a cut one");
}

#[test]
fn an_incomplete_response_ends_the_stream_with_its_usage() {
    let incomplete = r#"{"type":"response.incomplete","sequence_number":9,"response":{"id":"resp_1","object":"response","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[],"usage":{"input_tokens":20,"input_tokens_details":{"cached_tokens":0},"output_tokens":64,"output_tokens_details":{"reasoning_tokens":64},"total_tokens":84}}}"#;
    let (chunks, usage, end) = replay(vec![StreamEvent {
        event: Some("response.incomplete".into()),
        data: incomplete.into(),
    }]);
    assert_eq!(chunks, [incomplete]);
    assert_eq!(counts(usage), Some((20, 64, Some(0), Some(64))));
    end.expect("complete");
}

#[test]
fn a_stream_cut_before_its_terminal_event_is_a_502_truncation() {
    let events = sse(text("openai-responses-stream-truncated.sse"));
    let (chunks, usage, end) = replay(events.clone());
    assert_eq!(
        chunks,
        data(&events),
        "what came still reaches the client first"
    );
    assert!(usage.is_none());
    let e = end.expect_err("cut");
    assert_eq!(
        (e.status, e.error_type.as_str(), e.code.as_deref()),
        (502, "server_error", Some("upstream_stream_truncated"))
    );
    assert_eq!(
        e.message,
        "the upstream Responses API stream ended before its terminal event \
         (`response.completed`, `response.incomplete`, `response.failed` or `error`); \
         the answer is incomplete"
    );
}

#[test]
fn non_json_data_is_a_502_naming_it() {
    let mut stream = Driver::<Streams>::new(&ctx(Endpoint::Responses, true, &[]));
    let e = stream
        .push(vec![StreamEvent {
            event: None,
            data: "<html>upstream timeout</html>".into(),
        }])
        .expect_err("not an event");
    assert_eq!(e.status, 502);
    assert!(
        e.message.contains("<html>upstream timeout</html>"),
        "{}",
        e.message
    );
}

#[test]
fn chat_streams_are_translated_as_before() {
    let ctx = ctx(Endpoint::ChatCompletions, true, &[]);
    let events = sse(text("openai-stream-usage.sse"));
    let mut dispatched = Driver::<Streams>::new(&ctx);
    let mut chat = Driver::<super::stream::Transformer>::new(&ctx);
    let a = dispatched.push(events.clone()).expect("chat");
    let b = chat.push(events).expect("chat");
    assert_eq!(a.chunks, b.chunks);
    assert_eq!(counts(a.usage), counts(b.usage));
    assert!(dispatched.finish().is_ok() && chat.finish().is_ok());
}
