use serde_json::json;

use super::*;
use crate::openai::content::Part;

fn parse(body: serde_json::Value) -> Result<ChatRequest, ApiError> {
    ChatRequest::parse(body.to_string().as_bytes())
}

#[test]
fn a_full_request_is_read_typed() {
    let request = parse(json!({
        "model": "m",
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO", "detail": "low"}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "look", "arguments": "{\"x\":1}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "a cat"}
        ],
        "tools": [{"type": "function", "function": {"name": "look", "parameters": {"type": "object"}}}],
        "tool_choice": {"type": "function", "function": {"name": "look"}},
        "response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": "object"}}},
        "max_tokens": 10,
        "max_completion_tokens": 20,
        "stop": "END",
        "stream": true,
        "unknown_future_field": {"ignored": true}
    }))
    .expect("a valid request");

    assert_eq!(request.max_output_tokens(), Some(20));
    assert_eq!(request.stop_sequences(), ["END"]);
    assert_eq!(
        request.tool_choice,
        Some(ToolChoice::Function("look".into()))
    );
    assert!(matches!(
        request.response_format,
        Some(ResponseFormat::JsonSchema { .. })
    ));
    assert_eq!(
        request.tools[0].function(0).expect("a function").name,
        "look"
    );
    let Message::User { content } = &request.messages[1] else {
        panic!("a user message");
    };
    assert_eq!(content.text(), "What is this?");
    assert_eq!(content.first_non_text(), Some((1, "image_url")));
    let Part::ImageUrl { image_url } = &content.parts()[1] else {
        panic!("an image part");
    };
    assert_eq!(image_url.data(), Some(("image/png", "iVBO")));
    let Message::Assistant {
        content,
        tool_calls,
        ..
    } = &request.messages[2]
    else {
        panic!("an assistant message");
    };
    assert!(content.is_none());
    assert_eq!(tool_calls[0].function.arguments, "{\"x\":1}");
    assert!(
        matches!(&request.messages[3], Message::Tool { tool_call_id, .. } if tool_call_id == "call_1")
    );
}

#[test]
fn a_misfit_names_the_field_at_fault() {
    let error = parse(json!({"messages": [{"role": "user", "content": 5}]}))
        .expect_err("content must be text or parts");
    assert_eq!(error.status, 400);
    assert_eq!(error.param.as_deref(), Some("messages[0]"));
    assert!(
        error
            .message
            .contains("a string or a list of content parts"),
        "{}",
        error.message
    );

    let error = parse(json!({"messages": [{"role": "robot", "content": "hi"}]}))
        .expect_err("an unknown role");
    assert!(
        error.message.contains("unknown variant `robot`"),
        "{}",
        error.message
    );

    let error =
        parse(json!({"messages": [{"role": "user", "content": "hi"}], "tool_choice": "always"}))
            .expect_err("an unknown tool choice");
    assert_eq!(error.param.as_deref(), Some("tool_choice"));
    assert!(
        error.message.contains("unknown tool_choice `always`"),
        "{}",
        error.message
    );
}

#[test]
fn no_messages_or_no_json_is_a_400() {
    let error = parse(json!({"messages": []})).expect_err("empty");
    assert_eq!(error.param.as_deref(), Some("messages"));
    let error = ChatRequest::parse(b"{\"messages\":").expect_err("cut short");
    assert_eq!(error.status, 400);
    assert!(error.message.contains("EOF"), "{}", error.message);
    let error = ChatRequest::parse(b"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]} x")
        .expect_err("trailing bytes");
    assert!(error.message.contains("trailing"), "{}", error.message);
}

#[test]
fn texts_join_and_a_string_is_one_part() {
    let content = Content::Parts(vec![
        Part::Text { text: "a".into() },
        Part::Text { text: "b".into() },
        Part::Text { text: "c".into() },
    ]);
    assert_eq!(content.text(), "a\nb\nc");
    assert_eq!(content.first_non_text(), None);
    let text = Content::Text("hi".into());
    assert_eq!(text.parts().len(), 1);
    assert_eq!(text.first_non_text(), None);
}

#[test]
fn only_function_tools_and_one_choice_are_served() {
    let request = parse(json!({
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "web_search"}, {"type": "function"}],
        "n": 2
    }))
    .expect("parses");
    let error = request.tools[0].function(0).expect_err("not a function");
    assert_eq!(error.param.as_deref(), Some("tools[0].type"));
    let error = request.tools[1].function(1).expect_err("no function");
    assert_eq!(error.param.as_deref(), Some("tools[1].function"));
    let error = request.refuse_several_choices("Acme").expect_err("n = 2");
    assert!(error.message.contains("Acme"));
}
