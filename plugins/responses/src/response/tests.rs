use serde_json::{Value, json};

use super::*;
use crate::fixtures::{ctx, dump_response, load, path};

/// The Response for `completion` (after translating `request`, when given).
fn respond(request: Option<&Value>, completion: &Value) -> Result<Value, ApiError> {
    if let Some(request) = request {
        crate::request::to_chat(&ctx(), request.to_string().as_bytes())
            .expect("request translates");
    }
    let body = from_chat(&ctx(), completion.to_string().as_bytes())?;
    let response: Value = serde_json::from_slice(&body).expect("JSON");
    dump_response(&response);
    Ok(response)
}

/// Answers an answer fixture (its `request` names a request fixture) and compares the
/// Response with the golden one; `RESPONSES_BLESS=1` writes it instead.
fn golden(name: &str) -> Value {
    let mut fixture = load(name);
    let request = fixture["request"]
        .as_str()
        .map(|r| load(r)["request"].clone());
    let out = respond(request.as_ref(), &fixture["completion"]).expect("translates");
    if std::env::var_os("RESPONSES_BLESS").is_some() {
        fixture["response"] = out.clone();
        let text = serde_json::to_string_pretty(&fixture).expect("JSON") + "\n";
        std::fs::write(path(name), text).expect("fixture written");
        return out;
    }
    assert_eq!(
        out,
        fixture["response"],
        "{name}:\n{}",
        serde_json::to_string_pretty(&out).unwrap_or_default()
    );
    out
}

#[test]
fn a_text_answer_echoes_the_request() {
    let out = golden("answer-text.json");
    assert_eq!(out["status"], "completed");
    assert_eq!(out["output"][0]["id"], "msg_call1");
    assert_eq!(out["usage"]["input_tokens_details"]["cached_tokens"], 100);
}

#[test]
fn reasoning_text_and_tool_calls_become_items() {
    let out = golden("answer-tools.json");
    let kinds: Vec<&str> = out["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "reasoning",
            "message",
            "function_call",
            "custom_tool_call",
            "function_call"
        ]
    );
    assert_eq!(
        out["output"][3]["input"],
        "*** Begin Patch\n*** Add File: b.txt\n+hi\n*** End Patch"
    );
    let encrypted = out["output"][0]["encrypted_content"].as_str().unwrap();
    assert!(encrypted.starts_with(crate::thinking::MARKER));
    assert_eq!(out["output"][4]["arguments"], "{}");
}

#[test]
fn namespaced_and_tool_search_calls_come_back_as_the_client_knows_them() {
    let out = golden("answer-namespaced.json");
    assert_eq!(out["output"][0]["name"], "get_issue");
    assert_eq!(out["output"][0]["namespace"], "mcp__github__");
    assert_eq!(out["output"][1]["type"], "tool_search_call");
    assert_eq!(out["output"][1]["arguments"], json!({"query": "slack"}));
}

#[test]
fn a_web_search_answer_carries_its_citations() {
    let out = golden("answer-search.json");
    let annotations = &out["output"][0]["content"][0]["annotations"];
    assert_eq!(annotations.as_array().map(Vec::len), Some(2));
    assert_eq!(
        annotations[0],
        json!({"type": "url_citation", "url": "https://example.com/switchyard",
               "title": "Switchyard - a self-hosted LLM gateway", "start_index": 0, "end_index": 40})
    );
    assert_eq!(annotations[1]["title"], "");
    assert_eq!(out["tools"][0]["type"], "web_search", "the tool is echoed");
}

#[test]
fn a_cut_answer_is_incomplete() {
    let out = golden("answer-length.json");
    assert_eq!(out["status"], "incomplete");
    assert_eq!(
        out["incomplete_details"],
        json!({"reason": "max_output_tokens"})
    );
    assert_eq!(out["output"][0]["status"], "incomplete");
    assert_eq!(
        (out["tools"].clone(), out["tool_choice"].clone()),
        (json!([]), json!("auto"))
    );
}

fn completion(message: Value, finish_reason: &str) -> Value {
    json!({"choices": [{"index": 0, "message": message, "finish_reason": finish_reason}]})
}

#[test]
fn content_filter_refusals_and_empty_answers() {
    let out = respond(
        None,
        &completion(json!({"content": "partial"}), "content_filter"),
    )
    .unwrap();
    assert_eq!(
        out["incomplete_details"],
        json!({"reason": "content_filter"})
    );
    let out = respond(
        None,
        &completion(json!({"content": null, "refusal": "No."}), "stop"),
    )
    .unwrap();
    assert_eq!(
        out["output"][0]["content"],
        json!([{"type": "refusal", "refusal": "No."}])
    );
    let out = respond(None, &completion(json!({"content": ""}), "stop")).unwrap();
    assert_eq!(
        out["output"][0]["content"],
        json!([{"type": "output_text", "text": "", "annotations": [], "logprobs": []}]),
        "an empty answer is one empty message"
    );
    assert_eq!(out["usage"]["total_tokens"], 0);
    let parts = json!({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]});
    assert_eq!(
        respond(None, &completion(parts, "stop")).unwrap()["output"][0]["content"][0]["text"],
        "ab"
    );
}

#[test]
fn answers_that_are_not_completions_are_502() {
    for body in [
        "nope".to_owned(),
        json!({"choices": []}).to_string(),
        json!({"error": {"message": "quota"}}).to_string(),
    ] {
        let error = from_chat(&ctx(), body.as_bytes()).unwrap_err();
        assert_eq!(error.status, 502, "{body}");
        assert_eq!(error.error_type, "server_error");
    }
}

#[test]
fn a_local_shell_call_becomes_a_local_shell_call_item() {
    let request = json!({"input": "ls", "tools": [{"type": "local_shell"}]});
    let out = respond(
        Some(&request),
        &completion(
            json!({"content": null, "tool_calls": [{"id": "c1", "type": "function",
                "function": {"name": "local_shell", "arguments": "{\"command\":[\"ls\",\"-la\"]}"}}]}),
            "tool_calls",
        ),
    )
    .unwrap();
    assert_eq!(
        out["output"],
        json!([{"id": "lsh_call1_0", "type": "local_shell_call", "status": "completed", "call_id": "c1",
                "action": {"type": "exec", "command": ["ls", "-la"], "env": {}, "timeout_ms": null,
                           "user": null, "working_directory": null}}])
    );
}
