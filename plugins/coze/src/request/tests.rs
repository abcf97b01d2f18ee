use serde_json::{Value, json};

use super::*;

fn ctx(options: &[(&str, &str)]) -> CallContext {
    CallContext {
        endpoint: switchyard_guest_kit::Endpoint::ChatCompletions,
        public_model: "coze-bot".into(),
        upstream_model: "7379462189365198898".into(),
        streaming: false,
        include_usage: false,
        client_id: "client-abc".into(),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn translate(ctx: &CallContext, body: Value) -> Result<(UpstreamRequest, Value), ApiError> {
    let request = from_openai(ctx, &serde_json::to_vec(&body).expect("body"))?;
    let sent = serde_json::from_slice(&request.body).expect("JSON body");
    Ok((request, sent))
}

fn fixture(name: &str) -> Value {
    serde_json::from_str(super::super::fixtures::text(name)).expect("fixture is JSON")
}

/// `object_string` contents compared as JSON, not as text.
fn normalized(messages: &Value) -> Value {
    let mut messages = messages.clone();
    for message in messages.as_array_mut().expect("array") {
        if message["content_type"] == "object_string" {
            let parts: Value =
                serde_json::from_str(message["content"].as_str().expect("string")).expect("parts");
            message["content"] = parts;
        }
    }
    messages
}

#[test]
fn whole_history_goes_into_additional_messages_like_the_recording() {
    let recorded = fixture("coze-v3-chat.request.json");
    let (request, sent) = translate(
        &ctx(&[]),
        json!({
            "model": "coze-bot",
            "user": "user-123",
            "messages": [
                {"role": "user", "content": "Hi, what day of the week is 2024-10-01?"},
                {"role": "assistant", "content": "Let me check."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is in this image?"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
                ]}
            ]
        }),
    )
    .expect("translates");
    assert_eq!(request.path_and_query, "/v3/chat");
    assert!(matches!(request.method, Method::Post));
    assert!(matches!(request.response_framing, Some(StreamFraming::Sse)));
    let body = &recorded["body"];
    assert_eq!(sent["bot_id"], body["bot_id"]);
    assert_eq!(sent["user_id"], "user-123");
    assert_eq!(sent["stream"], true, "always streamed upstream");
    assert_eq!(sent["auto_save_history"], true);
    assert_eq!(
        normalized(&sent["additional_messages"]),
        normalized(&body["additional_messages"])
    );
}

#[test]
fn user_id_falls_back_to_the_calling_client() {
    let (_, sent) = translate(
        &ctx(&[]),
        json!({"messages": [{"role": "user", "content": "hi"}]}),
    )
    .expect("ok");
    assert_eq!(sent["user_id"], "client-abc");
}

#[test]
fn system_messages_are_merged_into_the_first_user_message() {
    let (_, sent) = translate(
        &ctx(&[]),
        json!({"messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "1"},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in digits."}]},
            {"role": "user", "content": "two"}
        ]}),
    )
    .expect("ok");
    let messages = sent["additional_messages"].as_array().expect("array");
    assert_eq!(
        messages.len(),
        3,
        "system turns are not messages of their own"
    );
    assert_eq!(
        messages[0]["content"],
        "Be terse.\n\nAnswer in digits.\n\none"
    );
    assert_eq!(messages[2]["content"], "two");
}

#[test]
fn system_messages_can_be_refused_instead() {
    let e = translate(
        &ctx(&[("system-messages", "reject")]),
        json!({"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "hi"}]}),
    )
    .expect_err("refused");
    assert_eq!(e.status, 400);
    assert_eq!(e.param.as_deref(), Some("messages[0]"));
    assert!(e.message.contains("no system role"), "{}", e.message);
}

#[test]
fn tool_results_become_one_submit_tool_outputs_call() {
    let recorded = fixture("coze-v3-submit-tool-outputs.request.json");
    let id = "coze~7400000000000000002~7400000000000000001~7400000000000000011";
    let (request, sent) = translate(
        &ctx(&[]),
        json!({"messages": [
            {"role": "user", "content": "What is on my schedule?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": id, "type": "function", "function": {"name": "get_schedule", "arguments": "{}"}}
            ]},
            {"role": "tool", "tool_call_id": id, "content": "{\"output\": \"I have two interviews in the afternoon.\"}"}
        ]}),
    )
    .expect("translates");
    let url = recorded["_url"].as_str().expect("url");
    assert!(
        url.ends_with(&request.path_and_query),
        "{url} vs {}",
        request.path_and_query
    );
    assert_eq!(sent, recorded["body"]);
}

#[test]
fn tool_results_must_come_from_this_adapter() {
    let e = translate(
        &ctx(&[]),
        json!({"messages": [
            {"role": "user", "content": "x"},
            {"role": "tool", "tool_call_id": "call_abc", "content": "r"}
        ]}),
    )
    .expect_err("foreign id");
    assert_eq!(e.status, 400);
    assert!(e.message.contains("call_abc"), "{}", e.message);

    let e = translate(
        &ctx(&[]),
        json!({"messages": [
            {"role": "tool", "tool_call_id": "coze~1~2~a", "content": "r"},
            {"role": "tool", "tool_call_id": "coze~1~3~b", "content": "r"}
        ]}),
    )
    .expect_err("two chats");
    assert!(e.message.contains("different Coze chats"), "{}", e.message);
}

#[test]
fn earlier_tool_rounds_are_left_out_and_the_answers_kept() {
    let (_, sent) = translate(
        &ctx(&[]),
        json!({"messages": [
            {"role": "user", "content": "schedule?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "coze~1~2~3", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "coze~1~2~3", "content": "busy"},
            {"role": "assistant", "content": "You are busy."},
            {"role": "user", "content": "thanks"}
        ]}),
    )
    .expect("ok");
    let roles: Vec<(&str, &str)> = sent["additional_messages"]
        .as_array()
        .expect("array")
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap_or(""),
                m["content"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        roles,
        vec![
            ("user", "schedule?"),
            ("assistant", "You are busy."),
            ("user", "thanks")
        ]
    );
}

#[test]
fn what_coze_cannot_take_is_a_400_naming_the_field() {
    let cases = [
        (
            json!({"n": 2, "messages": [{"role": "user", "content": "x"}]}),
            "n",
        ),
        (json!({"messages": []}), "messages"),
        (
            json!({"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}),
            "messages",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]}),
            "messages[0].content[0]",
        ),
        (
            json!({"messages": [{"role": "wizard", "content": "x"}]}),
            "messages[0].role",
        ),
    ];
    for (body, param) in cases {
        let e = translate(&ctx(&[]), body.clone()).expect_err("refused");
        assert_eq!(e.status, 400, "{body}");
        assert_eq!(e.param.as_deref(), Some(param), "{body}: {}", e.message);
    }
    let e = from_openai(&ctx(&[]), b"not json").expect_err("not JSON");
    assert_eq!(e.status, 400);
}

#[test]
fn more_than_a_hundred_messages_are_refused() {
    let messages: Vec<Value> = (0..101)
        .map(|i| json!({"role": "user", "content": format!("m{i}")}))
        .collect();
    let e = translate(&ctx(&[]), json!({"messages": messages})).expect_err("too many");
    assert!(e.message.contains("at most 100"), "{}", e.message);
}
