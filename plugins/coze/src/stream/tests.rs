use serde_json::Value;
use switchyard_guest_kit::Endpoint;

use super::*;

/// The adapter's stream state driven by the kit, as the host drives it: errors after
/// chunks wait for the next call, an ended stream stays ended.
type Transformer = switchyard_guest_kit::Driver<super::Transformer>;

fn ctx(include_usage: bool) -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "coze-bot".into(),
        upstream_model: "7379462189365198898".into(),
        streaming: true,
        include_usage,
        client_id: "c".into(),
        options: vec![],
    }
}

/// The body as the host's SSE framing hands it over: named events.
fn sse_events(text: &str) -> Vec<StreamEvent> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut event = None;
            let mut data = None;
            for line in block.lines() {
                if let Some(name) = line.strip_prefix("event:") {
                    event = Some(name.trim().to_owned());
                } else if let Some(d) = line.strip_prefix("data:") {
                    data = Some(d.trim().to_owned());
                }
            }
            Some(StreamEvent { event, data: data? })
        })
        .collect()
}

fn fixture(name: &str) -> &'static str {
    super::super::fixtures::text(name)
}

struct Run {
    chunks: Vec<Value>,
    usage: Option<Usage>,
    error: Option<ApiError>,
}

fn run(ctx: &CallContext, events: Vec<StreamEvent>, batch: usize) -> Run {
    let mut transformer = Transformer::new(ctx);
    let mut chunks = Vec::new();
    let mut error = None;
    for piece in events.chunks(batch) {
        match transformer.push(piece.to_vec()) {
            Ok(out) => chunks.extend(out.chunks),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let mut usage = None;
    if error.is_none() {
        match transformer.finish() {
            Ok(out) => {
                chunks.extend(out.chunks);
                usage = out.usage;
            }
            Err(e) => error = Some(e),
        }
    }
    let chunks = chunks
        .iter()
        .map(|c| serde_json::from_str(c).expect("chunk is JSON"))
        .collect();
    Run {
        chunks,
        usage,
        error,
    }
}

fn content(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect()
}

fn finish_reasons(chunks: &[Value]) -> Vec<&str> {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["finish_reason"].as_str())
        .collect()
}

#[test]
fn answer_deltas_only_then_stop_and_usage_in_any_batching() {
    let events = sse_events(fixture("coze-v3-stream.sse"));
    for batch in [1, 2, 5, 100] {
        let run = run(&ctx(false), events.clone(), batch);
        assert!(run.error.is_none(), "{:?}", run.error);
        assert_eq!(
            content(&run.chunks),
            "20星期三。",
            "deltas only, the completed text not repeated"
        );
        assert_eq!(finish_reasons(&run.chunks), vec!["stop"]);
        let first = &run.chunks[0];
        assert_eq!(first["choices"][0]["delta"]["role"], "assistant");
        assert!(run.chunks.iter().all(|c| c["id"] == "7382159487131697202"));
        assert!(run.chunks.iter().all(|c| c["model"] == "coze-bot"));
        assert!(
            run.chunks
                .iter()
                .all(|c| !c["choices"].as_array().expect("array").is_empty())
        );
        let usage = run.usage.expect("usage from chat.completed");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (614, 19));
    }
}

#[test]
fn verbose_and_follow_up_messages_are_filtered_out() {
    let run = run(
        &ctx(false),
        sse_events(fixture("coze-v3-stream-verbose-followup.sse")),
        3,
    );
    assert!(run.error.is_none(), "{:?}", run.error);
    assert_eq!(content(&run.chunks), "AllFiles");
    let all = run.chunks.iter().map(Value::to_string).collect::<String>();
    assert!(
        !all.contains("hidden files"),
        "no follow-up suggestion: {all}"
    );
    assert!(
        !all.contains("generate_answer_finish"),
        "no verbose message: {all}"
    );
}

#[test]
fn usage_chunk_only_when_the_client_asked() {
    let run = run(&ctx(true), sse_events(fixture("coze-v3-stream.sse")), 100);
    let last = run.chunks.last().expect("chunks");
    assert_eq!(last["choices"], Value::Array(vec![]));
    assert_eq!(last["usage"]["prompt_tokens"], 614);
    assert_eq!(last["usage"]["total_tokens"], 633);
}

#[test]
fn requires_action_becomes_tool_calls_with_ids_that_carry_the_chat() {
    let run = run(
        &ctx(false),
        sse_events(fixture("coze-v3-stream-requires-action.sse")),
        2,
    );
    assert!(run.error.is_none(), "{:?}", run.error);
    assert_eq!(
        content(&run.chunks),
        "",
        "the function_call message is not text"
    );
    assert_eq!(finish_reasons(&run.chunks), vec!["tool_calls"]);
    let call = run
        .chunks
        .iter()
        .find_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0))
        .expect("a tool call");
    assert_eq!(
        call["id"],
        "coze~7400000000000000002~7400000000000000001~7400000000000000011"
    );
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_schedule");
    assert_eq!(call["function"]["arguments"], "{}");
}

#[test]
fn failed_chat_is_an_error_carrying_last_error() {
    let run = run(
        &ctx(false),
        sse_events(fixture("coze-v3-stream-failed.sse")),
        1,
    );
    let e = run.error.expect("an error");
    assert_eq!((e.status, e.error_type.as_str()), (500, "server_error"));
    assert_eq!(e.message, "Coze error 5000: event interval error");
}

#[test]
fn error_event_is_an_error() {
    let run = run(
        &ctx(false),
        sse_events(fixture("coze-v3-stream-error.sse")),
        1,
    );
    let e = run.error.expect("an error");
    assert_eq!(e.status, 502);
    assert!(e.message.contains("error event"), "{}", e.message);
}

#[test]
fn a_nameless_event_carrying_a_coze_error_is_that_error() {
    let events = vec![StreamEvent {
        event: None,
        data: r#"{"code":4020,"msg":"request frequency limit exceeded"}"#.into(),
    }];
    let e = run(&ctx(false), events, 1).error.expect("an error");
    assert_eq!(e.status, 429, "mapped by its Coze code");
}

#[test]
fn a_stream_that_stops_before_completion_is_truncated() {
    let events = sse_events(fixture("coze-v3-stream.sse"));
    let before_completion: Vec<StreamEvent> = events
        .iter()
        .take_while(|e| e.event.as_deref() != Some("conversation.chat.completed"))
        .cloned()
        .collect();
    let with_done_only: Vec<StreamEvent> = events
        .into_iter()
        .filter(|e| e.event.as_deref() != Some("conversation.chat.completed"))
        .collect();
    for (cut, why) in [
        (before_completion, "cut after the answer's text"),
        (
            with_done_only,
            "`done` without the chat's outcome and usage",
        ),
    ] {
        let run = run(&ctx(false), cut, 100);
        assert_eq!(
            content(&run.chunks),
            "20星期三。",
            "the text went out: {why}"
        );
        let e = run
            .error
            .expect("the client must learn the answer is incomplete");
        assert_eq!(
            (e.status, e.error_type.as_str(), e.code.as_deref()),
            (502, "server_error", Some("upstream_stream_truncated")),
            "{why}"
        );
        assert!(
            e.message.contains("`conversation.chat.completed`"),
            "{}",
            e.message
        );
    }
}

#[test]
fn a_failed_chat_after_deltas_wins_over_the_truncation() {
    let mut events = sse_events(fixture("coze-v3-stream.sse"));
    events.truncate(4); // created, in_progress, two deltas
    events.extend(sse_events(fixture("coze-v3-stream-failed.sse")));
    let mut transformer = Transformer::new(&ctx(false));
    let out = transformer
        .push(events)
        .expect("the chunks before the failure");
    assert!(!out.chunks.is_empty());
    let e = transformer.finish().expect_err("the failure");
    assert_eq!(
        e.message, "Coze error 5000: event interval error",
        "Coze's own reason, not a truncation"
    );
}

#[test]
fn a_completed_answer_without_deltas_is_sent_whole() {
    let body = "event:conversation.chat.created\ndata:{\"id\":\"9\",\"conversation_id\":\"8\",\"status\":\"created\"}\n\nevent:conversation.message.completed\ndata:{\"id\":\"m1\",\"type\":\"answer\",\"content\":\"card text\"}\n\nevent:conversation.chat.completed\ndata:{\"id\":\"9\",\"status\":\"completed\",\"usage\":{\"token_count\":3,\"output_count\":1,\"input_count\":2}}\n\nevent:done\ndata:\"[DONE]\"\n";
    let run = run(&ctx(false), sse_events(body), 1);
    assert!(run.error.is_none(), "{:?}", run.error);
    assert_eq!(content(&run.chunks), "card text");
}

#[test]
fn two_answer_messages_are_set_apart_not_run_together() {
    let body = concat!(
        "event:conversation.chat.created\ndata:{\"id\":\"9\",\"conversation_id\":\"8\",\"status\":\"created\"}\n\n",
        "event:conversation.message.delta\ndata:{\"id\":\"m1\",\"type\":\"answer\",\"content\":\"Looking it up.\"}\n\n",
        "event:conversation.message.completed\ndata:{\"id\":\"m1\",\"type\":\"answer\",\"content\":\"Looking it up.\"}\n\n",
        "event:conversation.message.delta\ndata:{\"id\":\"m2\",\"type\":\"answer\",\"content\":\"It is \"}\n\n",
        "event:conversation.message.delta\ndata:{\"id\":\"m2\",\"type\":\"answer\",\"content\":\"sunny.\"}\n\n",
        "event:conversation.message.completed\ndata:{\"id\":\"m3\",\"type\":\"answer\",\"content\":\"A card.\"}\n\n",
        "event:conversation.chat.completed\ndata:{\"id\":\"9\",\"status\":\"completed\",\"usage\":{\"token_count\":3,\"output_count\":1,\"input_count\":2}}\n\n",
        "event:done\ndata:\"[DONE]\"\n",
    );
    for batch in [1, 3, 8] {
        let run = run(&ctx(false), sse_events(body), batch);
        assert!(run.error.is_none(), "{:?}", run.error);
        assert_eq!(
            content(&run.chunks),
            "Looking it up.\n\nIt is sunny.\n\nA card.",
            "batch {batch}"
        );
    }
}
