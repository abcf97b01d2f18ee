//! A plain completion, a stream, and a stream with usage: the shapes every OpenAI
//! client relies on, for the echo of each platform's mock.

use e2e::checks::{chat_body, check_client_safe, check_usage, completion_text, read_json};
use e2e::mock_upstream::MOCK_API_KEY;
use e2e::platforms::Target;
use serde_json::{Value, json};

/// A key the client sends; the upstream must never see it.
const CLIENT_KEY: &str = "sk-client-key-not-for-upstream";

/// A completion in OpenAI's shape with the upstream's answer and usage, from one
/// upstream request that carries the configured key and not the client's.
pub async fn plain(target: Target) {
    let a = target.adapter;
    let (mock, gateway) = target
        .start(&["echo"])
        .await
        .expect("mock and gateway start");
    let request = json!({
        "model": target.model("echo"),
        "messages": [{"role": "user", "content": "Hello there"}]
    });
    let response = gateway
        .client()
        .post(gateway.endpoint("/v1/chat/completions"))
        .bearer_auth(CLIENT_KEY)
        .json(&request)
        .send()
        .await
        .expect("the gateway answers");
    let answer = read_json(response)
        .await
        .unwrap_or_else(|err| panic!("{a}: a 200 completion: {err:#}"));
    assert_eq!(answer["object"], "chat.completion", "{a}: {answer}");
    assert!(
        answer["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{a}: a completion has an id: {answer}"
    );
    assert_eq!(
        answer["choices"][0]["message"]["role"], "assistant",
        "{a}: {answer}"
    );
    assert_eq!(
        completion_text(&answer),
        Some("echo: Hello there"),
        "{a}: the upstream's answer reaches the client: {answer}"
    );
    assert_eq!(
        answer["choices"][0]["finish_reason"], "stop",
        "{a}: {answer}"
    );
    check_usage(&answer["usage"]).unwrap_or_else(|err| panic!("{a}: {err:#}"));

    let seen = mock.requests();
    assert_eq!(
        seen.len(),
        1,
        "{a}: one chat is one upstream request (no polling, no retry): {seen:?}"
    );
    let sent: Vec<&str> = seen[0]
        .headers
        .values()
        .map(String::as_str)
        .chain([seen[0].path.as_str()])
        .collect();
    assert!(
        sent.iter().any(|v| v.contains(MOCK_API_KEY)),
        "{a}: the configured upstream key is sent: {:?}",
        seen[0]
    );
    assert!(
        !sent.iter().any(|v| v.contains(CLIENT_KEY)),
        "{a}: the client's key never reaches the upstream: {:?}",
        seen[0]
    );
}

/// A stream without `include_usage`: chunks every client can read (one id, a role
/// first, one choice with a delta each, one finish), the answer, no usage chunk, and
/// one `[DONE]` at the end.
pub async fn stream(target: Target) {
    let a = target.adapter;
    let (mock, gateway) = target
        .start(&["echo"])
        .await
        .expect("mock and gateway start");
    let events = gateway
        .stream(&chat_body(&target.model("echo"), "Stream me please"))
        .await
        .unwrap_or_else(|err| panic!("{a}: a 200 event stream: {err:#}"));
    let items = &events.items;
    assert!(events.errors().is_empty(), "{a}: {items:?}");
    assert_eq!(
        events.garbage_count(),
        0,
        "{a}: every event is JSON: {items:?}"
    );
    assert!(
        events.ends_with_done() && events.done_count() == 1,
        "{a}: the stream ends with one [DONE]: {items:?}"
    );
    assert_eq!(events.content(), "echo: Stream me please", "{a}: {items:?}");
    assert_eq!(events.finish_reason().as_deref(), Some("stop"), "{a}");
    check_client_safe(&events).unwrap_or_else(|err| panic!("{a}: {err:#}"));

    let chunks = events.chunks();
    assert_eq!(
        chunks[0]["choices"][0]["delta"]["role"], "assistant",
        "{a}: the first chunk names the role: {}",
        chunks[0]
    );
    let id = &chunks[0]["id"];
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk", "{a}: {chunk}");
        assert_eq!(
            &chunk["id"], id,
            "{a}: one id for the whole stream: {chunk}"
        );
        assert!(
            chunk["choices"].as_array().is_some_and(|c| c.len() == 1),
            "{a}: without include_usage every chunk has its choice: {chunk}"
        );
    }
    let finishes = chunks
        .iter()
        .filter(|c| !c["choices"][0]["finish_reason"].is_null())
        .count();
    assert_eq!(finishes, 1, "{a}: one finish chunk: {items:?}");
    assert!(
        events.usage_chunks().is_empty(),
        "{a}: no usage unless stream_options.include_usage: {items:?}"
    );
    assert_eq!(mock.requests().len(), 1, "{a}: one upstream request");
}

/// A stream with `include_usage`: the answer with one finish, then one last chunk
/// with empty `choices` and the usage, which no other chunk carries.
pub async fn usage(target: Target) {
    let a = target.adapter;
    let (_mock, gateway) = target
        .start(&["echo"])
        .await
        .expect("mock and gateway start");
    let mut body = chat_body(&target.model("echo"), "Count my tokens");
    body["stream_options"] = json!({"include_usage": true});
    let events = gateway
        .stream(&body)
        .await
        .unwrap_or_else(|err| panic!("{a}: a 200 event stream: {err:#}"));
    let items = &events.items;
    assert!(events.errors().is_empty(), "{a}: {items:?}");
    assert!(
        events.ends_with_done() && events.done_count() == 1,
        "{a}: {items:?}"
    );
    assert_eq!(events.content(), "echo: Count my tokens", "{a}: {items:?}");
    assert_eq!(
        events.usage_chunks().len(),
        1,
        "{a}: exactly one usage chunk: {items:?}"
    );
    let chunks = events.chunks();
    let (last, others) = chunks.split_last().expect("chunks");
    assert_eq!(
        last["choices"],
        json!([]),
        "{a}: the usage chunk is last and has no choices: {last}"
    );
    check_usage(&last["usage"]).unwrap_or_else(|err| panic!("{a}: the usage chunk: {err:#}"));
    let finishes = others
        .iter()
        .filter(|c| !c["choices"][0]["finish_reason"].is_null())
        .count();
    assert_eq!(finishes, 1, "{a}: one finish chunk: {items:?}");
    for chunk in others {
        assert!(
            chunk["choices"].as_array().is_some_and(|c| !c.is_empty()),
            "{a}: only the usage chunk has empty choices: {chunk}"
        );
        assert!(
            chunk.get("usage").is_none_or(Value::is_null),
            "{a}: other chunks carry no usage numbers: {chunk}"
        );
    }
}
