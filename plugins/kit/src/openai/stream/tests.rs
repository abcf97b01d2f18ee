use serde_json::{Value, json};

use super::*;
use crate::Endpoint;

fn ctx(include_usage: bool) -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "public".into(),
        upstream_model: "upstream".into(),
        streaming: true,
        include_usage,
        client_id: "c".into(),
        options: Vec::new(),
    }
}

fn parsed(chunks: &[String]) -> Vec<Value> {
    chunks
        .iter()
        .map(|chunk| serde_json::from_str(chunk).expect("JSON"))
        .collect()
}

fn deltas(chunks: &[String]) -> Vec<Value> {
    parsed(chunks)
        .into_iter()
        .map(|chunk| chunk["choices"][0]["delta"].clone())
        .collect()
}

#[test]
fn the_role_comes_first_then_text_then_the_finish() {
    let mut stream = ChatStream::new(&ctx(false));
    stream.identify(Some("r1"), Some(5), Some("acme-1"));
    let mut out = Vec::new();
    stream.text("Hel", &mut out).expect("writes");
    stream
        .text("", &mut out)
        .expect("an empty fragment writes nothing");
    stream.text("lo", &mut out).expect("writes");
    stream.identify(Some("late"), None, None);
    stream.finish(FinishReason::Stop, &mut out).expect("writes");
    stream
        .finish(FinishReason::Length, &mut out)
        .expect("once only");
    stream.end(&mut out).expect("no usage asked");

    assert_eq!(
        deltas(&out),
        [
            json!({"role": "assistant", "content": ""}),
            json!({"content": "Hel"}),
            json!({"content": "lo"}),
            json!({})
        ]
    );
    let chunks = parsed(&out);
    assert!(
        chunks
            .iter()
            .all(|c| c["id"] == "chatcmpl-r1" && c["created"] == 5 && c["model"] == "acme-1")
    );
    assert_eq!(chunks[3]["choices"][0]["finish_reason"], "stop");
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
    assert!(stream.finished());
}

#[test]
fn tool_calls_are_announced_once_and_continue_by_index() {
    let mut stream = ChatStream::new(&ctx(false));
    let mut out = Vec::new();
    stream.reasoning("plan", &mut out).expect("writes");
    stream
        .tool_call(7, Some("toolu_1"), "get_weather", "", &mut out)
        .expect("writes");
    stream
        .tool_arguments(7, "{\"city\":", &mut out)
        .expect("writes");
    stream
        .tool_call(9, None, "get_time", "{}", &mut out)
        .expect("writes");
    stream
        .tool_call(7, None, "ignored", "\"Oslo\"}", &mut out)
        .expect("continues call 7");
    stream.finish(FinishReason::Stop, &mut out).expect("writes");

    let deltas = deltas(&out);
    assert_eq!(deltas[1], json!({"reasoning_content": "plan"}));
    assert_eq!(
        deltas[2],
        json!({"tool_calls": [{"index": 0, "id": "toolu_1", "type": "function",
            "function": {"name": "get_weather", "arguments": ""}}]})
    );
    assert_eq!(
        deltas[3],
        json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]})
    );
    let made = &deltas[4]["tool_calls"][0];
    assert_eq!(
        (made["index"].as_u64(), &made["function"]["name"]),
        (Some(1), &json!("get_time"))
    );
    assert!(
        made["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("call_")),
        "an id is made"
    );
    assert_eq!(deltas[5]["tool_calls"][0]["index"], 0);
    assert_eq!(
        parsed(&out)[6]["choices"][0]["finish_reason"],
        "tool_calls",
        "a stop after tool calls tells the client to run them"
    );
}

#[test]
fn arguments_for_a_call_never_started_are_a_502() {
    let mut stream = ChatStream::new(&ctx(false));
    let error = stream
        .tool_arguments(3, "{}", &mut Vec::new())
        .expect_err("unknown call");
    assert_eq!(error.status, 502);
}

#[test]
fn usage_is_a_last_chunk_of_its_own_only_when_asked() {
    let usage = Usage {
        prompt_tokens: 4,
        completion_tokens: 2,
        cached_tokens: Some(1),
        reasoning_tokens: None,
    };

    let mut asked = ChatStream::new(&ctx(true));
    let mut out = Vec::new();
    asked
        .finish(FinishReason::Length, &mut out)
        .expect("writes");
    asked.set_usage(usage);
    asked.end(&mut out).expect("writes");
    asked.end(&mut out).expect("once only");
    let chunks = parsed(&out);
    assert_eq!(chunks.len(), 3, "role, finish, usage");
    assert_eq!(
        chunks[1]["usage"],
        Value::Null,
        "choice chunks carry a null usage"
    );
    assert_eq!(chunks[2]["choices"], json!([]));
    assert_eq!(chunks[2]["usage"]["total_tokens"], 6);
    assert_eq!(
        chunks[2]["usage"]["prompt_tokens_details"]["cached_tokens"],
        1
    );
    assert_eq!(asked.usage().map(|u| u.prompt_tokens), Some(4));

    let mut not_asked = ChatStream::new(&ctx(false));
    let mut out = Vec::new();
    not_asked.set_usage(usage);
    not_asked.end(&mut out).expect("writes");
    assert!(
        out.is_empty(),
        "the gateway still counts: usage() reports it"
    );
    assert!(not_asked.usage().is_some());
}
