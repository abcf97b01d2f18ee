//! Web search streams through the whole transformer: server tool blocks skipped,
//! text kept apart, citations as annotation chunks.

use serde_json::{Value, json};

use super::super::tests::{deltas, event, joined, push_all, run};

#[test]
fn the_search_stream_is_its_text_and_one_annotation_chunk() {
    let (chunks, usage) = run("anthropic-stream-web-search.sse", true, 1);
    let (whole, _) = run("anthropic-stream-web-search.sse", true, 64);
    let strip = |chunks: &[Value]| -> Vec<Value> {
        chunks
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c["created"] = json!(0);
                c
            })
            .collect()
    };
    assert_eq!(strip(&chunks), strip(&whole), "batching changes nothing");
    assert_eq!(
        joined(&chunks, "content"),
        "Switchyard is a self-hosted LLM gateway that serves OpenAI clients on any platform."
    );
    let deltas = deltas(&chunks);
    assert!(
        deltas.iter().all(|d| d.get("tool_calls").is_none()),
        "server_tool_use is no tool call: {chunks:?}"
    );
    let annotations: Vec<&Value> = deltas.iter().filter_map(|d| d.get("annotations")).collect();
    assert_eq!(
        annotations,
        [
            &json!([{"type": "url_citation", "url_citation": {"url": "https://example.com/switchyard",
            "title": "Switchyard: a self-hosted LLM gateway", "start_index": 0, "end_index": 83}}])
        ]
    );
    let finish = chunks.iter().find_map(|c| {
        c.pointer("/choices/0/finish_reason")
            .and_then(Value::as_str)
    });
    assert_eq!(finish, Some("stop"));
    let usage = usage.expect("usage");
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (2154, 41));
    assert_eq!(chunks.last().expect("usage chunk")["choices"], json!([]));
}

fn block_start(index: u64, block: Value) -> Value {
    json!({"type": "content_block_start", "index": index, "content_block": block})
}

fn delta(index: u64, delta: Value) -> Value {
    json!({"type": "content_block_delta", "index": index, "delta": delta})
}

fn stop(index: u64) -> Value {
    json!({"type": "content_block_stop", "index": index})
}

fn text(index: u64, text: &str) -> Value {
    delta(index, json!({"type": "text_delta", "text": text}))
}

#[test]
fn text_resumed_after_skipped_blocks_is_kept_apart_and_cited_in_characters() {
    let web = json!({"type": "citations_delta", "citation": {"type": "web_search_result_location",
        "url": "https://a.test", "title": "A", "cited_text": "c", "encrypted_index": "e"}});
    let document = json!({"type": "citations_delta", "citation": {"type": "char_location",
        "cited_text": "c", "document_index": 0, "start_char_index": 0, "end_char_index": 1}});
    let stream = [
        json!({"type": "message_start", "message": {"id": "msg_1", "model": "claude-x",
            "usage": {"input_tokens": 3, "output_tokens": 1}}}),
        block_start(0, json!({"type": "text", "text": ""})),
        text(0, "I'll search."),
        stop(0),
        block_start(
            1,
            json!({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}),
        ),
        delta(
            1,
            json!({"type": "input_json_delta", "partial_json": "{\"query\": \"née\"}"}),
        ),
        stop(1),
        block_start(
            2,
            json!({"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []}),
        ),
        stop(2),
        block_start(3, json!({"type": "text", "text": ""})),
        text(3, "Née in "),
        stop(3),
        block_start(4, json!({"type": "text", "text": "", "citations": []})),
        text(4, "Par"),
        text(4, "is."),
        delta(4, web),
        delta(4, document),
        stop(4),
        block_start(5, json!({"type": "some_future_block"})),
        delta(5, json!({"type": "some_future_delta", "x": 1})),
        stop(5),
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}}),
        json!({"type": "message_stop"}),
    ];
    let chunks = push_all(stream.into_iter().map(event).collect());
    assert_eq!(joined(&chunks, "content"), "I'll search.\n\nNée in Paris.");
    let deltas = deltas(&chunks);
    assert!(deltas.iter().all(|d| d.get("tool_calls").is_none()));
    let annotations: Vec<&Value> = deltas.iter().filter_map(|d| d.get("annotations")).collect();
    assert_eq!(
        annotations,
        [
            &json!([{"type": "url_citation", "url_citation": {"url": "https://a.test", "title": "A",
            "start_index": 21, "end_index": 27}}])
        ],
        "one chunk when the cited block stops; document citations dropped"
    );
}
