use serde_json::Value;
use switchyard_guest_kit::Endpoint;

use super::*;

/// The adapter's stream state driven by the kit, as the host drives it: errors after
/// chunks wait for the next call, an ended stream stays ended.
type Transformer = switchyard_guest_kit::Driver<super::Transformer>;

/// The events of an `.sse` fixture, framed the way the host frames them.
fn events(name: &str) -> Vec<StreamEvent> {
    let text = super::super::fixtures::text(name);
    text.split("\n\n")
        .filter_map(|block| {
            let data: Vec<&str> = block
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect();
            (!data.is_empty()).then(|| StreamEvent {
                event: None,
                data: data.join("\n"),
            })
        })
        .collect()
}

fn ctx(include_usage: bool, options: &[(&str, &str)]) -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "nano".into(),
        upstream_model: "gpt-5-nano".into(),
        streaming: true,
        include_usage,
        client_id: "client-1".into(),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("chunk is JSON")
}

fn data_of(events: &[StreamEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| e.data.clone())
        .filter(|d| d != "[DONE]")
        .collect()
}

/// Runs a whole fixture through one transformer, one event per push.
fn run(ctx: &CallContext, events: Vec<StreamEvent>) -> (Vec<String>, Option<Usage>) {
    let mut transformer = Transformer::new(ctx);
    let mut chunks = Vec::new();
    for event in events {
        let out = transformer.push(vec![event]).expect("no error");
        chunks.extend(out.chunks);
    }
    let end = transformer.finish().expect("finishes");
    assert!(end.chunks.is_empty(), "nothing is buffered");
    (chunks, end.usage)
}

#[test]
fn plain_text_stream_passes_through_unchanged() {
    let events = events("openai-stream-text.sse");
    let expected = data_of(&events);
    let (chunks, usage) = run(&ctx(false, &[]), events);
    assert_eq!(chunks, expected, "same strings, [DONE] left to the host");
    assert!(usage.is_none());
}

#[test]
fn forced_usage_is_hidden_from_a_client_that_did_not_ask() {
    let events = events("openai-stream-usage.sse");
    let upstream = data_of(&events);
    let (chunks, usage) = run(&ctx(false, &[]), events);

    assert_eq!(chunks.len(), 2, "the usage-only chunk is dropped");
    for (chunk, original) in chunks.iter().zip(&upstream) {
        let mut expected = json(original);
        expected
            .as_object_mut()
            .expect("object")
            .remove("usage")
            .expect("upstream had usage:null");
        assert_eq!(json(chunk), expected, "only the usage key is gone");
        assert!(!chunk.contains("usage"));
    }

    let usage = usage.expect("usage is accounted anyway");
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (12, 100));
    assert_eq!(
        (usage.cached_tokens, usage.reasoning_tokens),
        (Some(0), Some(100))
    );
}

#[test]
fn a_client_that_asked_for_usage_gets_the_upstream_chunks_unchanged() {
    let events = events("openai-stream-usage.sse");
    let expected = data_of(&events);
    let (chunks, usage) = run(&ctx(true, &[]), events);
    assert_eq!(chunks, expected);
    assert!(
        json(&chunks[2])["choices"]
            .as_array()
            .expect("array")
            .is_empty()
    );
    assert_eq!(usage.map(|u| u.prompt_tokens), Some(12));
}

#[test]
fn tool_call_deltas_pass_through_intact() {
    let events = events("openai-stream-parallel-tools.sse");
    let upstream = data_of(&events);
    let (chunks, usage) = run(&ctx(false, &[]), events);

    assert_eq!(
        chunks.len(),
        upstream.len() - 1,
        "only the usage chunk is dropped"
    );
    assert_eq!(chunks[..], upstream[..upstream.len() - 1], "byte for byte");
    assert_eq!(
        usage.map(|u| (u.prompt_tokens, u.completion_tokens)),
        Some((149, 60))
    );

    // What a client rebuilds from the deltas: two complete calls.
    let mut calls: Vec<(String, String, String)> = Vec::new();
    for chunk in &chunks {
        let chunk = json(chunk);
        let Some(deltas) = chunk["choices"][0]["delta"]["tool_calls"].as_array() else {
            continue;
        };
        for delta in deltas {
            let index = delta["index"].as_u64().expect("index") as usize;
            if calls.len() <= index {
                calls.resize(index + 1, Default::default());
            }
            let call = &mut calls[index];
            if let Some(id) = delta["id"].as_str() {
                call.0 = id.to_owned();
            }
            if let Some(name) = delta["function"]["name"].as_str() {
                call.1 = name.to_owned();
            }
            call.2 += delta["function"]["arguments"].as_str().unwrap_or("");
        }
    }
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (calls[0].0.as_str(), calls[0].1.as_str()),
        ("call_JMW1whyEaYG438VE1OIflxA2", "GetWeatherArgs")
    );
    assert_eq!(
        (calls[1].0.as_str(), calls[1].1.as_str()),
        ("call_DNYTawLBoN8fj3KN6qU9N1Ou", "get_stock_price")
    );
    for (_, name, arguments) in &calls {
        serde_json::from_str::<Value>(arguments)
            .unwrap_or_else(|e| panic!("{name} arguments are complete JSON: {e}"));
    }
}

#[test]
fn with_forcing_off_nothing_is_touched() {
    let events = events("openai-stream-usage.sse");
    let expected = data_of(&events);
    let (chunks, usage) = run(&ctx(false, &[("force-stream-usage", "false")]), events);
    assert_eq!(
        chunks, expected,
        "usage the upstream sent on its own is not ours to hide"
    );
    assert!(usage.is_some());
}

#[test]
fn usage_on_a_content_chunk_is_stripped_not_dropped() {
    let mut transformer = Transformer::new(&ctx(false, &[]));
    let data = r#"{"id":"x","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#;
    let out = transformer
        .push(vec![StreamEvent {
            event: None,
            data: data.into(),
        }])
        .expect("ok");
    assert_eq!(
        out.chunks,
        vec![r#"{"id":"x","choices":[{"index":0,"delta":{"content":"hi"}}]}"#]
    );
    assert_eq!(out.usage.map(|u| u.prompt_tokens), Some(3));
}

#[test]
fn content_mentioning_usage_or_error_is_left_alone() {
    let mut transformer = Transformer::new(&ctx(false, &[]));
    let data = r#"{"id":"x","choices":[{"index":0,"delta":{"content":"error"},"usage":null,"error":{"message":"nested"}}]}"#;
    let out = transformer
        .push(vec![StreamEvent {
            event: None,
            data: data.into(),
        }])
        .expect("a nested error is not the stream's error");
    assert_eq!(out.chunks, vec![data]);
}

#[test]
fn a_midstream_error_ends_the_stream_after_the_chunks_before_it() {
    let events = events("openai-stream-error-midstream.sse");
    let upstream = data_of(&events);
    assert_eq!(events.len(), 3);

    // All in one batch: the chunks come first, the error on the next call.
    let mut transformer = Transformer::new(&ctx(false, &[]));
    let out = transformer.push(events.clone()).expect("chunks first");
    assert_eq!(out.chunks, upstream[..2]);
    let error = transformer.finish().expect_err("then the error");
    assert_eq!(
        (
            error.status,
            error.error_type.as_str(),
            error.code.as_deref()
        ),
        (502, "server_error", None),
        "the upstream's own error explains the end, not a truncation (no [DONE] came)"
    );
    assert_eq!(
        error.message,
        "The server had an error while processing your request. Sorry about that!"
    );

    // One event per batch: the error comes back from the push that carried it.
    let mut transformer = Transformer::new(&ctx(false, &[]));
    let mut events = events.into_iter();
    for _ in 0..2 {
        let event = events.next().expect("event");
        assert_eq!(transformer.push(vec![event]).expect("ok").chunks.len(), 1);
    }
    let error = transformer
        .push(events.collect())
        .expect_err("the error event is an Err");
    assert_eq!(error.status, 502);
}

#[test]
fn a_non_json_event_is_a_502() {
    let mut transformer = Transformer::new(&ctx(false, &[]));
    let error = transformer
        .push(vec![StreamEvent {
            event: None,
            data: "upstream exploded".into(),
        }])
        .expect_err("rejected");
    assert_eq!(error.status, 502);
    assert!(
        error.message.ends_with("upstream exploded"),
        "{}",
        error.message
    );
}

#[test]
fn a_stream_cut_before_done_is_truncated_even_after_its_finish_reason() {
    let mut events = events("openai-stream-usage.sse");
    assert_eq!(events.pop().map(|e| e.data), Some("[DONE]".to_owned()));
    let mut transformer = Transformer::new(&ctx(true, &[]));
    let out = transformer.push(events).expect("every chunk is fine");
    assert!(
        out.chunks
            .iter()
            .any(|c| c.contains("\"finish_reason\":\"length\"")),
        "the finish chunk went out"
    );
    let error = transformer
        .finish()
        .expect_err("without [DONE] the client must not take the answer as whole");
    assert_eq!(
        (error.status, error.error_type.as_str()),
        (502, "server_error")
    );
    assert_eq!(error.code.as_deref(), Some("upstream_stream_truncated"));
    assert!(
        error.message.contains("`data: [DONE]`"),
        "the message names what was missing: {}",
        error.message
    );
}

#[test]
fn a_stream_with_nothing_at_all_is_truncated() {
    let mut transformer = Transformer::new(&ctx(false, &[]));
    let error = transformer
        .finish()
        .expect_err("an empty 200 stream is not an empty answer");
    assert_eq!(error.code.as_deref(), Some("upstream_stream_truncated"));
}

#[test]
fn events_after_done_are_ignored() {
    let mut transformer = Transformer::new(&ctx(false, &[]));
    let event = |data: &str| StreamEvent {
        event: None,
        data: data.into(),
    };
    let out = transformer
        .push(vec![
            event("[DONE]"),
            event(r#"{"id":"late","choices":[{"index":0,"delta":{"content":"x"}}]}"#),
            event("not json"),
        ])
        .expect("nothing after [DONE] is read, as the OpenAI SDKs stop there");
    assert!(out.chunks.is_empty());
    assert!(transformer.finish().is_ok(), "the stream was complete");
}
