//! What only the Coze adapter does, through the real gateway against the mock Coze
//! upstream: the create call, the whole history in `additional_messages`, tool calls
//! continued with `submit_tool_outputs`, a failed chat, and non-streamed answers
//! aggregated alike from streams cut at every byte. The shapes every platform shares
//! (plain, stream, usage, tools, errors, byte splits, and Coze's HTTP-200 error
//! bodies) are in `conformance.rs`.

use e2e::checks::{chat_body, read_error, read_json, read_stream};
use e2e::mock_upstream::MOCK_API_KEY;
use e2e::platforms::UTF8_TEXT;
use e2e::{MockUpstream, TestConfig, TestGateway};
use serde_json::{Value, json};

async fn setup() -> (MockUpstream, TestGateway) {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let base = format!("http://{}", mock.addr());
    let mut config = TestConfig::new()
        .model("coze-echo", "coze", "bot-echo", &base)
        .model("coze-strict", "coze", "bot-echo", &base)
        .option("system-messages", "reject")
        .model("coze-tools", "coze", "bot-tools", &base)
        .model("coze-failed", "coze", "bot-failed", &base);
    // The same streams cut differently: `-split` (pseudo-random pieces) and
    // `-bytewise` (one byte per write).
    for (name, bot) in REPLAYED {
        for suffix in ["", "-split", "-bytewise"] {
            if suffix.is_empty() && *name == "coze-echo" {
                continue;
            }
            config = config.model(
                &format!("{name}{suffix}"),
                "coze",
                &format!("{bot}{suffix}"),
                &base,
            );
        }
    }
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    (mock, gateway)
}

/// Public models (and their bot ids) that are also configured with each suffix of
/// [`PACINGS`]: the echo, the recorded answer stream (Chinese text, usage) and the
/// recorded `requires_action` stream.
const REPLAYED: &[(&str, &str)] = &[
    ("coze-echo", "bot-echo"),
    ("coze-recorded", "bot-recorded"),
    ("coze-recorded-tools", "bot-recorded-tools"),
];

/// The mock's bot id suffixes that cut a stream into other writes.
const PACINGS: [&str; 2] = ["-split", "-bytewise"];

/// What a client reads from a non-streamed answer (aggregated by the host from the
/// upstream stream).
fn observed_completion(body: &Value) -> Value {
    json!({
        "object": body["object"],
        "message": body["choices"][0]["message"],
        "finish_reason": body["choices"][0]["finish_reason"],
        "usage": body["usage"],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_streamed_answer_is_asked_as_one_streamed_create() {
    let (mock, gateway) = setup().await;
    gateway
        .complete(&chat_body("coze-echo", "What day is it?"))
        .await
        .expect("a completion");

    let sent = mock.requests();
    let sent = &sent[0];
    assert_eq!(sent.path, "/v3/chat");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {MOCK_API_KEY}").as_str())
    );
    assert_eq!(sent.body["bot_id"], "bot-echo");
    assert_eq!(sent.body["stream"], true);
    assert!(sent.body["user_id"].as_str().is_some_and(|u| !u.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_and_system_text_reach_additional_messages() {
    let (mock, gateway) = setup().await;
    let request = json!({
        "model": "coze-echo",
        "user": "user-42",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "My name is Ada."},
            {"role": "assistant", "content": "Hello Ada."},
            {"role": "user", "content": "What is my name?"}
        ]
    });
    let streamed = gateway.stream(&request).await.expect("a 200 event stream");
    assert!(streamed.ends_with_done());
    assert_eq!(streamed.content(), "echo: What is my name?");
    assert_eq!(streamed.finish_reason().as_deref(), Some("stop"));
    assert!(streamed.errors().is_empty());

    let sent = mock.requests().pop().expect("request");
    assert_eq!(sent.body["user_id"], "user-42");
    assert_eq!(
        sent.body["additional_messages"],
        json!([
            {"role": "user", "type": "question", "content": "You are terse.\n\nMy name is Ada.", "content_type": "text"},
            {"role": "assistant", "type": "answer", "content": "Hello Ada.", "content_type": "text"},
            {"role": "user", "type": "question", "content": "What is my name?", "content_type": "text"}
        ])
    );

    let strict = json!({"model": "coze-strict", "messages": [
        {"role": "system", "content": "x"}, {"role": "user", "content": "y"}
    ]});
    let error = read_error(gateway.chat(&strict).await.expect("answers"))
        .await
        .expect("error");
    assert_eq!(error.status, 400);
    assert!(error.message.contains("system"), "{}", error.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_call_round_trip_through_submit_tool_outputs() {
    let (mock, gateway) = setup().await;
    let question = json!({"model": "coze-tools", "messages": [
        {"role": "user", "content": "What is on my schedule?"}
    ]});
    let response = gateway.chat(&question).await.expect("answers");
    let first = read_json(response).await.expect("a completion");
    assert_eq!(first["choices"][0]["finish_reason"], "tool_calls");
    let call = first["choices"][0]["message"]["tool_calls"][0].clone();
    assert_eq!(call["function"]["name"], "get_schedule");
    let id = call["id"].as_str().expect("a tool call id").to_owned();

    assert_eq!(mock.requests().len(), 1, "one create call");
    mock.clear();
    let follow_up = json!({"model": "coze-tools", "stream": true, "messages": [
        {"role": "user", "content": "What is on my schedule?"},
        {"role": "assistant", "content": null, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": id, "content": "Two interviews"}
    ]});
    let response = gateway.chat(&follow_up).await.expect("answers");
    let answer = read_stream(response).await.expect("a stream");
    assert_eq!(answer.content(), "The tool returned: Two interviews");
    assert_eq!(answer.finish_reason().as_deref(), Some("stop"));

    let submitted = mock.requests().pop().expect("submit");
    assert!(
        submitted
            .path
            .starts_with("/v3/chat/submit_tool_outputs?conversation_id=74"),
        "{}",
        submitted.path
    );
    assert!(submitted.path.contains("&chat_id=75"), "{}", submitted.path);
    assert_eq!(
        submitted.body,
        json!({"tool_outputs": [{"tool_call_id": "7400000000000000011", "output": "Two interviews"}], "stream": true})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_chat_is_a_server_error_with_its_reason() {
    let (_mock, gateway) = setup().await;
    let failed = gateway
        .chat_error(&chat_body("coze-failed", "x"))
        .await
        .expect("an error");
    assert_eq!(failed.status, 500, "{}", failed.body);
    assert!(
        failed.message.contains("event interval error"),
        "Coze's last_error reaches the client: {}",
        failed.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_are_refused_plainly() {
    let (_mock, gateway) = setup().await;
    let response = gateway
        .client()
        .post(gateway.endpoint("/v1/embeddings"))
        .json(&json!({"model": "coze-echo", "input": "x"}))
        .send()
        .await
        .expect("answers");
    let error = read_error(response).await.expect("error");
    assert_eq!(error.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_aggregated_from_split_and_bytewise_streams_read_like_whole_ones() {
    let (_mock, gateway) = setup().await;
    for (model, _) in REPLAYED {
        let text = if *model == "coze-echo" {
            UTF8_TEXT
        } else {
            "What day is 2024-10-01?"
        };
        let mut body = json!({
            "model": model,
            "user": "user-7",
            "messages": [{"role": "user", "content": text}]
        });
        let whole = observed_completion(&gateway.complete(&body).await.expect("a completion"));
        assert_eq!(whole["object"], "chat.completion", "{model}: {whole}");
        for suffix in PACINGS {
            let paced_model = format!("{model}{suffix}");
            body["model"] = json!(paced_model);
            let paced = observed_completion(&gateway.complete(&body).await.expect("a completion"));
            assert_eq!(
                paced, whole,
                "{paced_model} aggregates differently from {model} whole"
            );
        }
    }
}
