use serde_json::{Value, json};
use switchyard_guest_kit::{Endpoint, Usage};

use super::super::fixtures::events;
use super::super::tool_id;
use super::*;

/// The adapter's stream state driven by the kit, as the host drives it: errors after
/// chunks wait for the next call, an ended stream stays ended.
type Transformer = switchyard_guest_kit::Driver<super::Transformer>;

fn ctx(include_usage: bool, options: &[(&str, &str)]) -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "gem".into(),
        upstream_model: "gemini-2.5-flash".into(),
        streaming: true,
        include_usage,
        client_id: "client-1".into(),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn event(data: Value) -> StreamEvent {
    StreamEvent {
        event: None,
        data: data.to_string(),
    }
}

/// Runs events through one transformer in batches of `batch` events.
fn run_batched(
    ctx: &CallContext,
    events: Vec<StreamEvent>,
    batch: usize,
) -> (Vec<Value>, Option<Usage>) {
    let mut transformer = Transformer::new(ctx);
    let mut chunks = Vec::new();
    for group in events.chunks(batch.max(1)) {
        chunks.extend(transformer.push(group.to_vec()).expect("no error").chunks);
    }
    let end = transformer.finish().expect("finishes");
    chunks.extend(end.chunks);
    let chunks = chunks
        .iter()
        .map(|c| serde_json::from_str(c).expect("chunk is JSON"))
        .collect();
    (chunks, end.usage)
}

fn run(ctx: &CallContext, events: Vec<StreamEvent>) -> (Vec<Value>, Option<Usage>) {
    run_batched(ctx, events, 1)
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
fn text_stream_becomes_openai_chunks_with_usage_last() {
    let events = events("gemini-stream.sse");
    assert_eq!(events.len(), 11, "CRLF-separated events");
    let (chunks, usage) = run(&ctx(true, &[]), events);

    let first = &chunks[0];
    assert_eq!(first["object"], "chat.completion.chunk");
    assert_eq!(
        first["choices"][0]["delta"],
        json!({"role": "assistant", "content": ""})
    );
    let id = first["id"].as_str().expect("id");
    assert!(
        chunks
            .iter()
            .all(|c| c["id"] == id && c["created"] == first["created"]),
        "one id"
    );
    assert!(content(&chunks).starts_with("The"), "{}", content(&chunks));
    assert_eq!(finish_reasons(&chunks), vec!["stop"]);

    let last = chunks.last().expect("usage chunk");
    assert_eq!(last["choices"], json!([]));
    // The last event's counts, not a sum: prompt 6 (it was 7 before), 377 answer tokens.
    assert_eq!(
        last["usage"],
        json!({"prompt_tokens": 6, "completion_tokens": 377, "total_tokens": 383})
    );
    assert!(
        chunks[..chunks.len() - 1]
            .iter()
            .all(|c| c["usage"].is_null())
    );
    assert_eq!(
        usage.map(|u| (u.prompt_tokens, u.completion_tokens)),
        Some((6, 377))
    );
}

#[test]
fn without_include_usage_there_is_no_usage_chunk_but_usage_is_accounted() {
    let (chunks, usage) = run(&ctx(false, &[]), events("gemini-stream.sse"));
    assert!(
        chunks.iter().all(
            |c| c.get("usage").is_none() && !c["choices"].as_array().expect("array").is_empty()
        )
    );
    assert_eq!(usage.map(|u| u.completion_tokens), Some(377));
}

#[test]
fn batching_does_not_change_the_output() {
    let (one, _) = run(&ctx(true, &[]), events("gemini-stream.sse"));
    for batch in [2, 3, 5, 11] {
        let (many, _) = run_batched(&ctx(true, &[]), events("gemini-stream.sse"), batch);
        assert_eq!(strip_created(&many), strip_created(&one), "batch {batch}");
    }
}

fn strip_created(chunks: &[Value]) -> Vec<Value> {
    chunks
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c["created"] = json!(0);
            c
        })
        .collect()
}

#[test]
fn a_whole_function_call_arrives_in_one_chunk() {
    let (chunks, usage) = run(&ctx(false, &[]), events("gemini-stream-tool.sse"));
    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].as_array())
        .flatten()
        .collect();
    assert_eq!(calls.len(), 1);
    let call = calls[0];
    assert_eq!(call["index"], 0);
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "customDivide");
    let args: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().expect("str")).expect("JSON");
    assert_eq!(args, json!({"denominator": 2, "numerator": 100}));
    assert!(
        call["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("call_"))
    );
    assert_eq!(finish_reasons(&chunks), vec!["tool_calls"]);
    assert_eq!(usage.map(|u| u.prompt_tokens), Some(21));
}

#[test]
fn thinking_stream_counts_thoughts_and_ends_with_length() {
    let (chunks, usage) = run(
        &ctx(true, &[]),
        events("gemini-stream-thinking-max-tokens.sse"),
    );
    assert_eq!(finish_reasons(&chunks), vec!["length"]);
    let usage = usage.expect("usage");
    assert_eq!(usage.reasoning_tokens, Some(45));
    let last = chunks.last().expect("usage chunk");
    assert_eq!(last["usage"]["completion_tokens"], 153 + 45);
    assert_eq!(
        last["usage"]["completion_tokens_details"]["reasoning_tokens"],
        45
    );
}

#[test]
fn function_response_turn_answer_streams_text() {
    let (chunks, _) = run(&ctx(false, &[]), events("gemini-function-response.sse"));
    assert!(!content(&chunks).is_empty());
    assert_eq!(finish_reasons(&chunks), vec!["stop"]);
}

#[test]
fn thoughts_signatures_and_several_candidates() {
    let events = vec![
        event(json!({"responseId": "r1", "candidates": [
            {"index": 0, "content": {"role": "model", "parts": [{"text": "hmm", "thought": true}]}},
            {"index": 1, "content": {"role": "model", "parts": [{"text": "B"}]}}]})),
        event(json!({"responseId": "r1", "candidates": [
            {"index": 0, "content": {"role": "model", "parts": [
                {"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": "c2ln"},
                {"functionCall": {"name": "g", "args": {}}}]}, "finishReason": "STOP"},
            {"index": 1, "finishReason": "STOP", "content": {"role": "model", "parts": [{"text": "!"}]}}],
            "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 4, "thoughtsTokenCount": 2}})),
    ];
    let (chunks, _) = run(&ctx(false, &[]), events.clone());
    let of = |index: u64| -> Vec<&Value> {
        chunks
            .iter()
            .filter(|c| c["choices"][0]["index"] == index)
            .collect()
    };
    let zero = of(0);
    assert_eq!(zero[1]["choices"][0]["delta"]["reasoning_content"], "hmm");
    let first_call = &zero[2]["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(
        tool_id::decode(first_call["id"].as_str().expect("id")),
        ("call_r1_0_0", Some("c2ln"))
    );
    let second_call = &zero[3]["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(
        (second_call["index"].as_u64(), second_call["id"].as_str()),
        (Some(1), Some("call_r1_0_1"))
    );
    assert_eq!(zero[4]["choices"][0]["finish_reason"], "tool_calls");
    let one = of(1);
    assert_eq!(one[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(content(&one.into_iter().cloned().collect::<Vec<_>>()), "B!");

    let (chunks, _) = run(&ctx(false, &[("reasoning-content", "false")]), events);
    assert!(
        chunks
            .iter()
            .all(|c| c["choices"][0]["delta"].get("reasoning_content").is_none())
    );
}

#[test]
fn blocked_prompt_streams_a_refusal_and_content_filter() {
    let (chunks, _) = run(
        &ctx(false, &[]),
        vec![event(
            json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 5}}),
        )],
    );
    assert_eq!(chunks.len(), 3);
    assert!(
        chunks[1]["choices"][0]["delta"]["refusal"]
            .as_str()
            .expect("refusal")
            .contains("PROHIBITED_CONTENT")
    );
    assert_eq!(finish_reasons(&chunks), vec!["content_filter"]);
}

#[test]
fn malformed_function_call_ends_the_stream_with_an_error_after_the_chunks_before_it() {
    let events = vec![
        event(json!({"candidates": [{"content": {"parts": [{"text": "Calling"}]}}]})),
        event(
            json!({"candidates": [{"content": {"role": "model"}, "finishReason": "MALFORMED_FUNCTION_CALL"}]}),
        ),
    ];
    let mut transformer = Transformer::new(&ctx(false, &[]));
    let out = transformer.push(events.clone()).expect("chunks first");
    assert_eq!(out.chunks.len(), 2);
    let e = transformer.finish().expect_err("then the error");
    assert_eq!(e.code.as_deref(), Some("malformed_function_call"));

    let mut transformer = Transformer::new(&ctx(false, &[]));
    transformer.push(vec![events[0].clone()]).expect("ok");
    let e = transformer
        .push(vec![events[1].clone()])
        .expect_err("error");
    assert_eq!(e.status, 502);
}

#[test]
fn an_error_event_is_a_stream_error_with_its_status() {
    let mut transformer = Transformer::new(&ctx(false, &[]));
    let e = transformer
        .push(vec![event(json!({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}))])
        .expect_err("error");
    assert_eq!(
        (e.status, e.message.as_str()),
        (503, "The model is overloaded.")
    );

    let e = Transformer::new(&ctx(false, &[]))
        .push(vec![StreamEvent {
            event: None,
            data: "not json".into(),
        }])
        .expect_err("error");
    assert_eq!(e.status, 502);
}

#[test]
fn a_stream_cut_before_its_finish_reason_is_truncated() {
    let mut cut = events("gemini-stream.sse");
    let last = cut.pop().expect("events");
    assert!(
        last.data.contains("finishReason"),
        "the recorded stream ends on its finishReason"
    );
    let mut transformer = Transformer::new(&ctx(true, &[]));
    transformer.push(cut).expect("every event is fine");
    let e = transformer
        .finish()
        .expect_err("Gemini has no [DONE]: without a finishReason the answer is cut");
    assert_eq!(
        (e.status, e.error_type.as_str(), e.code.as_deref()),
        (502, "server_error", Some("upstream_stream_truncated"))
    );
    assert!(e.message.contains("`finishReason`"), "{}", e.message);

    let e = Transformer::new(&ctx(false, &[]))
        .finish()
        .expect_err("an empty 200 stream is not an empty answer");
    assert_eq!(e.code.as_deref(), Some("upstream_stream_truncated"));
}

#[test]
fn every_candidate_must_finish() {
    let events = vec![event(json!({"candidates": [
            {"index": 0, "content": {"parts": [{"text": "A"}]}, "finishReason": "STOP"},
            {"index": 1, "content": {"parts": [{"text": "B"}]}}]}))];
    let mut transformer = Transformer::new(&ctx(false, &[]));
    transformer.push(events).expect("chunks");
    let e = transformer
        .finish()
        .expect_err("candidate 1 was still being written when the stream closed");
    assert_eq!(e.code.as_deref(), Some("upstream_stream_truncated"));
}

#[test]
fn an_error_event_after_chunks_wins_over_the_truncation() {
    let events = vec![
        event(json!({"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]})),
        event(json!({"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}})),
    ];
    let mut transformer = Transformer::new(&ctx(false, &[]));
    assert_eq!(
        transformer.push(events).expect("chunks first").chunks.len(),
        2
    );
    let e = transformer.finish().expect_err("the error");
    assert_eq!(
        (e.status, e.message.as_str(), e.code),
        (500, "Internal error", None),
        "Gemini's own error explains the end, not a truncation"
    );
}

#[test]
fn token_logprobs_ride_on_the_content_chunk_they_belong_to() {
    let events = vec![
        event(
            json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}, "index": 0,
            "logprobsResult": {"chosenCandidates": [{"token": "Hi", "logProbability": -0.2}],
                               "topCandidates": [{"candidates": [{"token": "Hi", "logProbability": -0.2}, {"token": "Yo", "logProbability": -1.9}]}]}}]}),
        ),
        event(
            json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "!"}]}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 2, "totalTokenCount": 3}}),
        ),
    ];
    let (chunks, _) = run(&ctx(false, &[]), events);
    let with: Vec<&Value> = chunks
        .iter()
        .filter(|c| c["choices"][0].get("logprobs").is_some())
        .collect();
    assert_eq!(with.len(), 1, "{chunks:?}");
    let logprobs = &with[0]["choices"][0]["logprobs"]["content"];
    assert_eq!(with[0]["choices"][0]["delta"]["content"], "Hi");
    assert_eq!(logprobs[0]["token"], "Hi");
    assert_eq!(logprobs[0]["top_logprobs"][1]["token"], "Yo");
    assert_eq!(content(&chunks), "Hi!");
}
