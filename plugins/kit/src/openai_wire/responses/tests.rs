use super::*;
use crate::Driver;

/// OpenAI's own error bodies: the trait's defaults.
#[derive(Debug)]
struct Upstream;

impl Platform for Upstream {
    const NAME: &'static str = "upstream";
}

fn ctx(endpoint: Endpoint, streaming: bool) -> CallContext {
    CallContext {
        endpoint,
        public_model: "gpt".into(),
        upstream_model: "gpt-5.1-2025-11-13".into(),
        streaming,
        include_usage: false,
        client_id: "client-1".into(),
        options: Vec::new(),
    }
}

fn answer(status: u16, body: &str) -> UpstreamResponse {
    UpstreamResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn the_body_changes_model_only_and_gets_no_stream_options() {
    let client =
        r#"{"model":"gpt","stream":true,"include":["reasoning.encrypted_content"],"input":"hi"}"#;
    let body = body(&ctx(Endpoint::Responses, true), client.as_bytes()).expect("valid");
    assert_eq!(
        String::from_utf8(body).expect("utf-8"),
        client.replace(r#""gpt""#, r#""gpt-5.1-2025-11-13""#),
        "a streamed call is not asked for stream_options: the Responses API rejects it"
    );
}

#[test]
fn usage_reads_input_output_cached_and_reasoning_tokens() {
    let usage = usage(
        r#"{"input_tokens":3052,"input_tokens_details":{"cached_tokens":2944},"output_tokens":493,"output_tokens_details":{"reasoning_tokens":320},"total_tokens":3545}"#,
    )
    .expect("a usage object");
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (3052, 493));
    assert_eq!(
        (usage.cached_tokens, usage.reasoning_tokens),
        (Some(2944), Some(320))
    );
    let bare = super::usage(r#"{"input_tokens":5,"output_tokens":1}"#).expect("usage");
    assert_eq!((bare.cached_tokens, bare.reasoning_tokens), (None, None));
    assert!(super::usage("null").is_none());
    assert!(super::usage(r#"{"input_tokens":-1}"#).is_none());
}

#[test]
fn a_response_passes_through_byte_for_byte_with_its_usage() {
    let body = r#"{"id":"resp_1", "object":"response","status":"completed","output":[],"usage":{"input_tokens":9,"output_tokens":2}}"#;
    let translated = to_openai::<Upstream>(answer(200, body)).expect("a Response");
    assert_eq!(translated.body, body.as_bytes());
    assert_eq!(
        translated
            .usage
            .map(|u| (u.prompt_tokens, u.completion_tokens)),
        Some((9, 2))
    );
}

#[test]
fn a_failed_or_incomplete_response_is_still_a_response() {
    let body = r#"{"id":"resp_1","object":"response","status":"failed","error":{"code":"server_error","message":"boom"},"output":[],"usage":null}"#;
    let translated = to_openai::<Upstream>(answer(200, body)).expect("the client reads status");
    assert_eq!(translated.body, body.as_bytes());
    assert!(translated.usage.is_none());
}

#[test]
fn a_2xx_that_is_no_response_is_an_error() {
    let e = to_openai::<Upstream>(answer(
        200,
        r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
    ))
    .expect_err("an error in a 200");
    assert_eq!(
        (e.status, e.code.as_deref()),
        (429, Some("insufficient_quota"))
    );

    let e = to_openai::<Upstream>(answer(200, r#"{"id":"chatcmpl-1","choices":[]}"#))
        .expect_err("a chat completion is no Response");
    assert_eq!(e.status, 502);
    assert!(e.message.contains("not a Response object"), "{}", e.message);

    let e = to_openai::<Upstream>(answer(200, "<html>maintenance</html>")).expect_err("html");
    assert_eq!(e.status, 502);
    assert!(e.message.contains("is not JSON"), "{}", e.message);
    let e = to_openai::<Upstream>(answer(200, "[]")).expect_err("an array");
    assert!(e.message.contains("is not a JSON object"), "{}", e.message);
}

#[test]
fn non_2xx_is_the_openai_error_with_its_status() {
    let mut response = answer(
        400,
        r#"{"error":{"message":"Unsupported parameter: 'stream_options'.","type":"invalid_request_error","param":"stream_options","code":"unsupported_parameter"}}"#,
    );
    response.headers.push(("retry-after".into(), "2".into()));
    let e = to_openai::<Upstream>(response).expect_err("an error");
    assert_eq!(e.status, 400);
    assert_eq!(e.param.as_deref(), Some("stream_options"));
    assert_eq!(e.code.as_deref(), Some("unsupported_parameter"));
    assert_eq!(e.retry_after, Some(2));
}

// === stream ===

fn event(data: &str) -> StreamEvent {
    StreamEvent {
        event: None,
        data: data.to_owned(),
    }
}

/// A stand-in for an adapter's chat translation: marks what it passes.
#[derive(Debug)]
struct Chat;

impl StreamState for Chat {
    fn start(_ctx: &CallContext) -> Self {
        Chat
    }

    fn event(&mut self, event: StreamEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        out.push(format!("chat:{}", event.data));
        Ok(())
    }

    fn finish(&mut self, _out: &mut Vec<String>) -> Result<(), ApiError> {
        Ok(())
    }

    fn usage(&self) -> Option<Usage> {
        None
    }
}

type Stream = Driver<Streams<Chat, Upstream>>;

const CREATED: &str = r#"{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","output":[],"usage":null}}"#;
const DELTA: &str = r#"{"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi","logprobs":[]}"#;
const COMPLETED: &str = r#"{"type":"response.completed","sequence_number":2,"response":{"id":"resp_1","object":"response","status":"completed","output":[],"tool_usage":{"image_gen":{"input_tokens":999}},"usage":{"input_tokens":12,"input_tokens_details":{"cached_tokens":4},"output_tokens":30,"output_tokens_details":{"reasoning_tokens":16},"total_tokens":42}}}"#;

fn responses_stream() -> Stream {
    Stream::new(&ctx(Endpoint::Responses, true))
}

#[test]
fn events_pass_through_and_usage_comes_from_the_terminal_event() {
    let mut stream = responses_stream();
    let out = stream
        .push(vec![event(CREATED), event(DELTA), event(COMPLETED)])
        .expect("passes");
    assert_eq!(out.chunks, [CREATED, DELTA, COMPLETED]);
    let usage = out.usage.expect("usage of response.completed");
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.cached_tokens,
            usage.reasoning_tokens
        ),
        (12, 30, Some(4), Some(16)),
        "the response's own usage, not a tool's"
    );
    let end = stream.finish().expect("complete");
    assert!(end.chunks.is_empty());
}

#[test]
fn events_after_the_terminal_event_are_ignored() {
    let mut stream = responses_stream();
    let out = stream
        .push(vec![
            event(COMPLETED),
            event(DELTA),
            event("[DONE]"),
            event(r#"{"type":"error","message":"late"}"#),
            event("not json at all"),
        ])
        .expect("nothing after the end is read");
    assert_eq!(out.chunks, [COMPLETED]);
    stream.finish().expect("complete");
}

#[test]
fn an_error_event_passes_and_ends_the_stream_but_its_response_failed_follows() {
    let error = r#"{"type":"error","sequence_number":2,"error":{"type":"insufficient_quota","code":"insufficient_quota","message":"You exceeded your current quota","param":null}}"#;
    let failed = r#"{"type":"response.failed","sequence_number":3,"response":{"id":"resp_1","object":"response","status":"failed","error":{"code":"insufficient_quota","message":"You exceeded your current quota"},"output":[],"usage":null}}"#;
    let mut stream = responses_stream();
    let out = stream
        .push(vec![
            event(CREATED),
            event(error),
            event(DELTA),
            event(failed),
            event(DELTA),
        ])
        .expect("an error event is passed on, not raised");
    assert_eq!(
        out.chunks,
        [CREATED, error, failed],
        "content after the error is dropped; the response.failed closing it is not"
    );
    assert!(out.usage.is_none());
    stream
        .finish()
        .expect("an error event is an end, not a truncation");

    let mut alone = responses_stream();
    alone.push(vec![event(error)]).expect("passes");
    alone
        .finish()
        .expect("complete without response.failed too");
}

#[test]
fn a_stream_without_a_terminal_event_was_cut() {
    let mut stream = responses_stream();
    let out = stream
        .push(vec![event(CREATED), event(DELTA), event("[DONE]")])
        .expect("passes");
    assert_eq!(out.chunks, [CREATED, DELTA], "[DONE] is not passed on");
    let e = stream.finish().expect_err("truncated");
    assert_eq!(
        (e.status, e.error_type.as_str(), e.code.as_deref()),
        (502, "server_error", Some("upstream_stream_truncated"))
    );
    assert!(
        e.message.contains("response.completed") && e.message.contains("incomplete"),
        "{}",
        e.message
    );
}

#[test]
fn data_that_is_not_a_json_object_is_a_502_naming_it() {
    for data in ["<html>oops</html>", "{\"type\":", "[1]"] {
        let mut stream = responses_stream();
        let e = stream.push(vec![event(data)]).expect_err("not an event");
        assert_eq!(e.status, 502);
        assert!(e.message.contains(data), "{}", e.message);
    }
}

#[test]
fn the_sse_event_name_stands_in_for_a_missing_type() {
    let mut stream = responses_stream();
    let named = StreamEvent {
        event: Some("response.completed".into()),
        data: r#"{"response":{"usage":{"input_tokens":1,"output_tokens":2}}}"#.into(),
    };
    stream.push(vec![named]).expect("passes");
    assert_eq!(
        stream
            .finish()
            .expect("complete")
            .usage
            .map(|u| u.completion_tokens),
        Some(2)
    );
}

#[test]
fn a_typeless_error_object_ends_the_stream_as_that_error() {
    let mut stream = responses_stream();
    let e = stream
        .push(vec![event(
            r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#,
        )])
        .expect_err("an error");
    assert_eq!((e.status, e.message.as_str()), (429, "Rate limit reached"));
}

#[test]
fn chat_calls_get_the_chat_translation() {
    let mut chat = Stream::new(&ctx(Endpoint::ChatCompletions, true));
    let out = chat.push(vec![event(DELTA)]).expect("chat");
    assert_eq!(out.chunks, [format!("chat:{DELTA}")]);
    chat.finish().expect("the chat state decides how chat ends");
}
