use serde_json::Value;
use switchyard_guest_kit::Endpoint;

use super::*;

/// The adapter's stream state driven by the kit, as the host drives it: errors after
/// chunks wait for the next call, an ended stream stays ended.
type Transformer = switchyard_guest_kit::Driver<super::Transformer>;

fn ctx(include_usage: bool) -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "gpt-azure".into(),
        upstream_model: "gpt-35-turbo".into(),
        streaming: true,
        include_usage,
        client_id: "c".into(),
        options: vec![],
    }
}

fn events(sse: &str) -> Vec<StreamEvent> {
    sse.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .map(|data| StreamEvent {
            event: None,
            data: data.to_owned(),
        })
        .collect()
}

/// Runs the events through one transformer in batches of `batch`.
fn run(ctx: &CallContext, events: Vec<StreamEvent>, batch: usize) -> (Vec<Value>, Option<Usage>) {
    let mut transformer = Transformer::new(ctx);
    let mut chunks = Vec::new();
    for piece in events.chunks(batch) {
        chunks.extend(transformer.push(piece.to_vec()).expect("push").chunks);
    }
    let end = transformer.finish().expect("finish");
    chunks.extend(end.chunks);
    let parsed = chunks
        .iter()
        .map(|c| serde_json::from_str(c).expect("chunk is JSON"))
        .collect();
    (parsed, end.usage)
}

/// What an OpenAI client that reads `choices[0].delta` needs of every chunk.
fn assert_client_safe(chunks: &[Value]) {
    for chunk in chunks {
        let choices = chunk["choices"].as_array().expect("choices array");
        if choices.is_empty() {
            assert!(
                chunk["usage"].is_object(),
                "only the usage chunk may have no choices: {chunk}"
            );
            continue;
        }
        assert!(
            choices.iter().all(|c| c["delta"].is_object()),
            "every choice has a delta: {chunk}"
        );
        assert!(
            !chunk["id"].as_str().unwrap_or("").is_empty(),
            "an id: {chunk}"
        );
        assert_eq!(chunk["object"], "chat.completion.chunk");
    }
}

fn content(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect()
}

fn finish_reasons(chunks: &[Value]) -> Vec<String> {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["finish_reason"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn filtered_stream_is_safe_for_clients_and_ends_in_content_filter() {
    let sse = super::super::fixtures::text("azure-stream-content-filter-async.sse");
    for batch in [1, 2, 3, 100] {
        let (chunks, usage) = run(&ctx(false), events(sse), batch);
        assert_client_safe(&chunks);
        assert_eq!(content(&chunks), "Hey Jude, better", "batch {batch}");
        assert_eq!(
            finish_reasons(&chunks),
            vec!["content_filter"],
            "batch {batch}"
        );
        let last = chunks.last().expect("chunks");
        assert_eq!(
            last["id"], "chatcmpl-8JCbt5d4luUIhYCI7YH4dQK7hnHx2",
            "the stream's id"
        );
        assert_eq!(last["model"], "gpt-35-turbo");
        assert_eq!(last["created"], 1699587397);
        assert_eq!(chunks.len(), 6, "role, 4 content, finish: {chunks:?}");
        assert!(usage.is_none());
    }
}

const ID: &str =
    r#""id":"chatcmpl-1","object":"chat.completion.chunk","created":5,"model":"gpt-4o""#;

fn stream_with_usage() -> Vec<StreamEvent> {
    let lines = [
        r#"{"id":"","object":"","created":0,"model":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}],"choices":[],"usage":null}"#.to_owned(),
        format!(r#"{{{ID},"choices":[{{"index":0,"delta":{{"role":"assistant","content":""}},"finish_reason":null}}],"usage":null}}"#),
        format!(r#"{{{ID},"choices":[{{"index":0,"delta":{{"content":"Hi"}},"finish_reason":null,"content_filter_results":{{"hate":{{"filtered":false,"severity":"safe"}}}}}}],"usage":null}}"#),
        format!(r#"{{{ID},"choices":[{{"index":0,"delta":{{}},"finish_reason":"stop"}}],"usage":null}}"#),
        r#"{"id":"","object":"","created":0,"model":"","choices":[{"index":0,"finish_reason":null,"content_filter_results":{},"content_filter_offsets":{"check_offset":2,"start_offset":0,"end_offset":2}}],"usage":null}"#.to_owned(),
        r#"{"id":"","object":"","created":0,"model":"","choices":[{"index":0,"finish_reason":"stop","content_filter_results":{}}],"usage":null}"#.to_owned(),
        format!(r#"{{{ID},"choices":[],"usage":{{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}}}"#),
        "[DONE]".to_owned(),
    ];
    lines
        .into_iter()
        .map(|data| StreamEvent { event: None, data })
        .collect()
}

#[test]
fn annotations_after_the_stop_chunk_are_dropped_and_finish_comes_once() {
    let (chunks, usage) = run(&ctx(true), stream_with_usage(), 1);
    assert_client_safe(&chunks);
    assert_eq!(content(&chunks), "Hi");
    assert_eq!(finish_reasons(&chunks), vec!["stop"]);
    let last = chunks.last().expect("chunks");
    assert_eq!(
        last["usage"]["total_tokens"], 10,
        "usage chunk kept when asked for"
    );
    assert_eq!(
        usage.map(|u| (u.prompt_tokens, u.completion_tokens)),
        Some((9, 1))
    );
}

#[test]
fn forced_usage_is_hidden_from_a_client_that_did_not_ask() {
    let (chunks, usage) = run(&ctx(false), stream_with_usage(), 4);
    assert_client_safe(&chunks);
    assert!(
        chunks
            .iter()
            .all(|c| !c["choices"].as_array().expect("array").is_empty())
    );
    assert_eq!(usage.map(|u| u.prompt_tokens), Some(9), "still accounted");
}

#[test]
fn a_midstream_error_ends_the_stream_after_the_chunks_before_it() {
    let events = vec![
        StreamEvent {
            event: None,
            data: format!(r#"{{{ID},"choices":[{{"index":0,"delta":{{"content":"Hi"}},"finish_reason":null}}]}}"#),
        },
        StreamEvent {
            event: None,
            data: r#"{"error":{"message":"The server had an error","type":"server_error","code":null}}"#.into(),
        },
    ];
    let mut transformer = Transformer::new(&ctx(false));
    let out = transformer.push(events).expect("chunks first");
    assert_eq!(out.chunks.len(), 1);
    let e = transformer.finish().expect_err("then the error");
    assert_eq!(e.status, 502);
    assert_eq!(e.message, "The server had an error");
}

#[test]
fn garbage_is_a_502() {
    let mut transformer = Transformer::new(&ctx(false));
    let e = transformer
        .push(vec![StreamEvent {
            event: None,
            data: "<html>".into(),
        }])
        .expect_err("rejected");
    assert_eq!(e.status, 502);
}

#[test]
fn the_recorded_async_filter_stream_is_complete_only_with_its_done() {
    let recorded = events(super::super::fixtures::text(
        "azure-stream-content-filter-async.sse",
    ));
    let (chunks, _) = run(&ctx(false), recorded.clone(), 1);
    assert_eq!(
        finish_reasons(&chunks),
        vec!["content_filter"],
        "the filter's finish after the annotations is the one the client gets"
    );

    let mut cut = recorded;
    assert_eq!(cut.pop().map(|e| e.data), Some("[DONE]".to_owned()));
    let mut transformer = Transformer::new(&ctx(false));
    transformer.push(cut).expect("every event is fine");
    let e = transformer
        .finish()
        .expect_err("a finish_reason is not the end: events follow it on Azure");
    assert_eq!(
        (e.status, e.code.as_deref()),
        (502, Some("upstream_stream_truncated"))
    );
    assert!(e.message.contains("`data: [DONE]`"), "{}", e.message);
}

#[test]
fn a_stream_cut_after_the_stop_chunk_is_truncated() {
    let mut events = stream_with_usage();
    events.truncate(4); // up to the stop chunk: annotations and usage never came
    let mut transformer = Transformer::new(&ctx(true));
    let out = transformer.push(events).expect("chunks");
    assert!(out.chunks.iter().any(|c| c.contains("\"stop\"")));
    let e = transformer
        .finish()
        .expect_err("the usage the client asked for never came");
    assert_eq!(e.code.as_deref(), Some("upstream_stream_truncated"));
}

#[test]
fn usage_null_is_not_left_on_chunks_of_a_client_that_did_not_ask() {
    let sse = concat!(
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-5\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-5\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-5\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n",
        "data: [DONE]\n\n",
    );
    let (chunks, usage) = run(&ctx(false), events(sse), 1);
    assert!(!chunks.is_empty());
    for chunk in &chunks {
        assert!(chunk.get("usage").is_none(), "no usage member: {chunk}");
    }
    assert!(usage.is_some(), "the host still gets the usage");
    let (asked, _) = run(&ctx(true), events(sse), 1);
    assert!(
        asked.iter().all(|c| c.get("usage").is_some()),
        "a client that asked sees usage: null, then the usage chunk"
    );
}
