use serde_json::{Value, json};

use super::*;
use crate::fixtures::load;

fn chat(request: &Value) -> Result<Value, ApiError> {
    let body = to_chat(request.to_string().as_bytes())?;
    Ok(serde_json::from_slice(&body).expect("chat body is JSON"))
}

fn golden(name: &str) {
    let fixture = load(name);
    let out = chat(&fixture["request"]).expect("translates");
    assert_eq!(
        out,
        fixture["chat"],
        "{name}:\n{}",
        serde_json::to_string_pretty(&out).unwrap_or_default()
    );
}

#[test]
fn claude_code_request_drops_claude_only_fields() {
    golden("request-claude-code.json");
    let out = chat(&load("request-claude-code.json")["request"]).unwrap();
    let text = out.to_string();
    for dropped in [
        "cache_control",
        "context_management",
        "top_k",
        "output_config",
        "metadata",
    ] {
        assert!(
            !text.contains(dropped),
            "{dropped} reached the chat request"
        );
    }
}

#[test]
fn system_blocks_stay_separate_and_in_order() {
    golden("request-system-order.json");
}

fn minimal(messages: Value) -> Value {
    json!({"model": "m", "max_tokens": 10, "messages": messages})
}

#[test]
fn a_string_system_is_one_message() {
    let mut request = minimal(json!([{"role": "user", "content": "hi"}]));
    request["system"] = json!("Be kind.");
    let out = chat(&request).unwrap();
    assert_eq!(
        out["messages"][0],
        json!({"role": "system", "content": "Be kind."})
    );
    assert_eq!(out["messages"].as_array().unwrap().len(), 2);
}

#[test]
fn images_and_documents_become_parts() {
    let request = minimal(json!([{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}},
        {"type": "image", "source": {"type": "url", "url": "https://x.test/a.jpg"}},
        {"type": "document", "title": "spec.pdf", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}},
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "plain words"}, "citations": {"enabled": true}},
        {"type": "text", "text": "Summarise."}
    ]}]));
    let out = chat(&request).unwrap();
    assert_eq!(
        out["messages"][0]["content"],
        json!([
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
            {"type": "image_url", "image_url": {"url": "https://x.test/a.jpg"}},
            {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE", "filename": "spec.pdf"}},
            {"type": "text", "text": "plain words"},
            {"type": "text", "text": "Summarise."}
        ])
    );
}

#[test]
fn tool_results_come_first_with_errors_marked_and_images_moved() {
    let request = minimal(json!([
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "t1", "name": "shot", "input": {}},
            {"type": "tool_use", "id": "t2", "name": "run", "input": {"cmd": "ls"}}
        ]},
        {"role": "user", "content": [
            {"type": "text", "text": "thanks"},
            {"type": "tool_result", "tool_use_id": "t1", "content": [
                {"type": "text", "text": "screen:"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAA"}}
            ]},
            {"type": "tool_result", "tool_use_id": "t2", "content": "not found", "is_error": true}
        ]}
    ]));
    let out = chat(&request).unwrap();
    assert_eq!(
        out["messages"],
        json!([
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "t1", "type": "function", "function": {"name": "shot", "arguments": "{}"}},
                {"id": "t2", "type": "function", "function": {"name": "run", "arguments": "{\"cmd\":\"ls\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "t1", "content": "screen:\n[image attached in the next user message]"},
            {"role": "tool", "tool_call_id": "t2", "content": "Error: not found"},
            {"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA"}},
                {"type": "text", "text": "thanks"}
            ]}
        ])
    );
}

#[test]
fn redacted_and_unsigned_thinking() {
    let request = minimal(json!([{"role": "assistant", "content": [
        {"type": "redacted_thinking", "data": "enc"},
        {"type": "thinking", "thinking": "from gemini", "signature": ""},
        {"type": "text", "text": "a"},
        {"type": "text", "text": "b"}
    ]}]));
    let out = chat(&request).unwrap();
    assert_eq!(
        out["messages"][0],
        json!({"role": "assistant", "content": "ab", "reasoning_content": "from gemini",
               "thinking_blocks": [{"type": "redacted_thinking", "data": "enc"}]})
    );
}

#[test]
fn thinking_budgets_and_efforts() {
    assert_eq!(effort_for_budget(1024), "low");
    assert_eq!(effort_for_budget(4096), "medium");
    assert_eq!(effort_for_budget(16383), "medium");
    assert_eq!(effort_for_budget(16384), "high");
    let effort = |thinking: Value, config: Value| {
        let mut request = minimal(json!([{"role": "user", "content": "x"}]));
        request["thinking"] = thinking;
        request["output_config"] = config;
        chat(&request).unwrap()["reasoning_effort"].clone()
    };
    assert_eq!(effort(json!({"type": "adaptive"}), json!({})), "medium");
    assert_eq!(
        effort(json!({"type": "adaptive"}), json!({"effort": "max"})),
        "high"
    );
    assert_eq!(
        effort(json!({"type": "adaptive"}), json!({"effort": "low"})),
        "low"
    );
    assert_eq!(
        effort(json!({"type": "disabled"}), json!({"effort": "low"})),
        Value::Null
    );
    assert_eq!(
        effort(json!({"type": "enabled", "budget_tokens": 2000}), json!({})),
        "low"
    );
}

#[test]
fn tool_choices() {
    let choice = |c: Value| {
        let mut request = minimal(json!([{"role": "user", "content": "x"}]));
        request["tool_choice"] = c;
        chat(&request).unwrap()
    };
    assert_eq!(choice(json!({"type": "none"}))["tool_choice"], "none");
    let named = choice(json!({"type": "tool", "name": "f", "disable_parallel_tool_use": true}));
    assert_eq!(
        named["tool_choice"],
        json!({"type": "function", "function": {"name": "f"}})
    );
    assert_eq!(named["parallel_tool_calls"], false);
    assert_eq!(
        choice(json!({"type": "auto"}))["parallel_tool_calls"],
        Value::Null
    );
}

fn refused(request: Value) -> ApiError {
    let error = chat(&request).unwrap_err();
    assert_eq!(error.status, 400);
    assert_eq!(error.error_type, "invalid_request_error");
    error
}

#[test]
fn bodies_that_are_not_objects_are_refused() {
    for body in ["[]", "\"hi\"", "", "nope"] {
        let error = to_chat(body.as_bytes()).unwrap_err();
        assert_eq!(error.status, 400, "{body:?}");
        assert_eq!(error.param, None);
    }
    assert_eq!(to_chat(b"{\"model\": ").unwrap_err().status, 400);
}

#[test]
fn missing_or_ill_typed_fields_are_refused_with_their_name() {
    let error = refused(json!({"model": "m", "messages": []}));
    assert_eq!(error.param.as_deref(), Some("max_tokens"));
    let error = refused(json!({"model": "m", "max_tokens": 5}));
    assert_eq!(error.param.as_deref(), Some("messages"));
    let error = refused(json!({"model": "m", "max_tokens": "5", "messages": []}));
    assert_eq!(error.param.as_deref(), Some("max_tokens"));
    let error = refused(json!({"model": "m", "max_tokens": 5, "messages": {}}));
    assert_eq!(error.param.as_deref(), Some("messages"));
}

#[test]
fn server_tools_are_refused_by_name() {
    let mut request = minimal(json!([{"role": "user", "content": "x"}]));
    request["tools"] = json!([
        {"name": "f", "input_schema": {"type": "object"}},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    ]);
    let error = refused(request);
    assert!(error.message.contains("web_search"), "{}", error.message);
    assert_eq!(error.param.as_deref(), Some("tools[1]"));
}

#[test]
fn untranslatable_blocks_are_refused_where_they_stand() {
    let error = refused(minimal(json!([
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": [{"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}}]}
    ])));
    assert_eq!(error.param.as_deref(), Some("messages[1].content[0]"));
    let error = refused(minimal(json!([{"role": "user", "content": [
        {"type": "document", "source": {"type": "url", "url": "https://x.test/a.pdf"}}
    ]}])));
    assert_eq!(
        error.param.as_deref(),
        Some("messages[0].content[0].source")
    );
    let error = refused(minimal(json!([{"role": "tool", "content": "x"}])));
    assert_eq!(error.param.as_deref(), Some("messages[0].role"));
    let mut request = minimal(json!([{"role": "user", "content": "x"}]));
    request["system"] =
        json!([{"type": "image", "source": {"type": "url", "url": "https://x.test/i.png"}}]);
    assert_eq!(refused(request).param.as_deref(), Some("system[0]"));
}
