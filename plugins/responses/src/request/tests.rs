use serde_json::{Value, json};

use super::*;
use crate::fixtures::{ctx, load, path};
use crate::state::ToolKind;

fn chat(request: &Value) -> Result<Value, ApiError> {
    let body = to_chat(&ctx(), request.to_string().as_bytes())?;
    Ok(serde_json::from_slice(&body).expect("chat body is JSON"))
}

/// Translates a request fixture and compares the chat body with the golden one;
/// `RESPONSES_BLESS=1` writes it instead.
fn golden(name: &str) -> Value {
    let mut fixture = load(name);
    let out = chat(&fixture["request"]).expect("translates");
    if std::env::var_os("RESPONSES_BLESS").is_some() {
        fixture["chat"] = out.clone();
        let text = serde_json::to_string_pretty(&fixture).expect("JSON") + "\n";
        std::fs::write(path(name), text).expect("fixture written");
        return out;
    }
    assert_eq!(
        out,
        fixture["chat"],
        "{name}:\n{}",
        serde_json::to_string_pretty(&out).unwrap_or_default()
    );
    out
}

#[test]
fn codex_turn_translates() {
    let out = golden("request-codex.json");
    let text = out.to_string();
    for dropped in [
        "prompt_cache_key",
        "\"include\"",
        "client_metadata",
        "store",
        "verbosity",
        "external_web_access",
        "gAAAAAB",
        "phase",
    ] {
        assert!(
            !text.contains(dropped),
            "{dropped} reached the chat request"
        );
    }
    assert_eq!(
        out["web_search_options"],
        json!({}),
        "the hosted web_search becomes chat's search on anthropic"
    );
    let call = state::take("call1");
    let origin = call
        .tools
        .get("apply_patch")
        .expect("apply_patch is mapped");
    assert_eq!(origin.kind, ToolKind::Custom);
    assert_eq!(call.echo.store, Some(false));
    assert_eq!(call.echo.parallel_tool_calls, Some(false));
    assert!(
        call.echo
            .tools
            .expect("tools echoed")
            .get()
            .contains("web_search")
    );
}

#[test]
fn codex_additional_tools_and_tool_search_translate() {
    let out = golden("request-codex-additional-tools.json");
    let names: Vec<&str> = out["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["function"]["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "view_image",
            "mcp__github__get_issue",
            "mcp__calendar__create_event",
            "tool_search"
        ],
        "list_events stays deferred; create_event was loaded (offered where first listed)"
    );
    let call = state::take("call1");
    let origin = call.tools.get("mcp__github__get_issue").expect("mapped");
    assert_eq!(origin.namespace.as_deref(), Some("mcp__github__"));
    assert_eq!(origin.name, "get_issue");
    assert_eq!(
        call.tools.get("tool_search").map(|o| o.kind),
        Some(ToolKind::ToolSearch)
    );
}

#[test]
fn deferred_tools_are_offered_without_a_client_search() {
    let out = chat(&json!({"input": "x", "tools": [
        {"type": "function", "name": "later", "defer_loading": true, "parameters": {"type": "object"}}
    ]}))
    .unwrap();
    assert_eq!(out["tools"][0]["function"]["name"], "later");
}

#[test]
fn sdk_requests_translate() {
    golden("request-sdk.json");
    let call = state::take("call1");
    assert_eq!(call.echo.max_output_tokens, Some(300));
    assert_eq!(call.echo.user.as_deref(), Some("user-1"));
    assert_eq!(
        call.echo.metadata.expect("metadata").get(),
        r#"{"run":"42"}"#
    );
    golden("request-sdk-parts.json");
    golden("request-search.json");
}

#[test]
fn a_string_input_with_no_instructions_is_one_user_message() {
    let out = chat(&json!({"model": "m", "input": "hi", "stream": true})).unwrap();
    assert_eq!(
        out,
        json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
               "stream": true, "stream_options": {"include_usage": true}})
    );
}

#[test]
fn reasoning_before_a_call_and_signed_thinking_reach_the_assistant_turn() {
    let blocks = r#"[{"type":"thinking","thinking":"hmm","signature":"sig"}]"#;
    let encrypted = format!("{}{blocks}", crate::thinking::MARKER);
    let out = chat(&json!({"input": [
        {"role": "user", "content": "go"},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "hmm"}], "encrypted_content": encrypted},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": ""},
        {"type": "function_call", "call_id": "c2", "name": "g", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "a"},
        {"type": "function_call_output", "call_id": "c2", "output": "b"},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "left alone"}]}
    ]}))
    .unwrap();
    assert_eq!(
        out["messages"],
        json!([
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": null, "reasoning_content": "hmm",
             "thinking_blocks": [{"type": "thinking", "thinking": "hmm", "signature": "sig"}],
             "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": ""}},
                {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "{}"}}
             ]},
            {"role": "tool", "tool_call_id": "c1", "content": "a"},
            {"role": "tool", "tool_call_id": "c2", "content": "b"}
        ])
    );
}

#[test]
fn every_known_server_side_item_is_dropped() {
    for kind in item::DROPPED {
        let out =
            chat(&json!({"input": [{"role": "user", "content": "q"}, {"type": kind, "id": "x"}]}))
                .unwrap();
        assert_eq!(
            out["messages"],
            json!([{"role": "user", "content": "q"}]),
            "{kind}"
        );
    }
}

#[test]
fn hosted_items_are_dropped_and_agent_messages_become_user_text() {
    let out = chat(&json!({"input": [
        {"role": "user", "content": "q"},
        {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"type": "search", "query": "q"}},
        {"type": "compaction", "encrypted_content": "x"},
        {"type": "some_future_item", "data": 1},
        {"type": "agent_message", "author": "worker", "recipient": "root", "content": [{"type": "input_text", "text": "done"}]}
    ]}))
    .unwrap();
    assert_eq!(
        out["messages"],
        json!([{"role": "user", "content": "q"}, {"role": "user", "content": "done"}])
    );
}

#[test]
fn local_shell_calls_map_like_function_calls() {
    let out = chat(&json!({"input": [
        {"role": "user", "content": "ls"},
        {"type": "local_shell_call", "id": "lsh_1", "call_id": "c1", "status": "completed",
         "action": {"type": "exec", "command": ["ls"], "env": {}}},
        {"type": "local_shell_call_output", "id": "c1", "output": "a.txt"}
    ], "tools": [{"type": "local_shell"}]}))
    .unwrap();
    assert_eq!(
        out["messages"][1]["tool_calls"][0]["function"]["name"],
        "local_shell"
    );
    let arguments = out["messages"][1]["tool_calls"][0]["function"]["arguments"]
        .as_str()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(arguments).unwrap(),
        json!({"type": "exec", "command": ["ls"], "env": {}})
    );
    assert_eq!(
        out["messages"][2],
        json!({"role": "tool", "tool_call_id": "c1", "content": "a.txt"})
    );
    assert_eq!(out["tools"][0]["function"]["name"], "local_shell");
}

#[test]
fn tool_choices_map() {
    let choice = |c: Value| {
        chat(&json!({"input": "x", "tool_choice": c, "tools": [
            {"type": "function", "name": "f", "parameters": {}},
            {"type": "custom", "name": "patch"}
        ]}))
    };
    assert_eq!(
        choice(json!("required")).unwrap()["tool_choice"],
        "required"
    );
    assert_eq!(
        choice(json!({"type": "custom", "name": "patch"})).unwrap()["tool_choice"],
        json!({"type": "function", "function": {"name": "patch"}})
    );
    assert_eq!(
        choice(json!({"type": "allowed_tools", "mode": "required", "tools": []})).unwrap()["tool_choice"],
        "required"
    );
    assert_eq!(
        choice(json!({"type": "web_search_preview"})).unwrap()["tool_choice"],
        "auto",
        "anthropic searches: a forced search is offered, not forced"
    );
    let error = choice(json!({"type": "file_search"})).unwrap_err();
    assert_eq!(error.param.as_deref(), Some("tool_choice"));
    assert!(error.message.contains("\"anthropic\""), "{}", error.message);
}

#[test]
fn custom_tools_carry_their_grammar() {
    let out = chat(&json!({"input": "x", "tools": [
        {"type": "custom", "name": "sql", "description": "Run SQL.",
         "format": {"type": "grammar", "syntax": "regex", "definition": "SELECT .*"}},
        {"type": "custom", "name": "note", "format": {"type": "text"}}
    ]}))
    .unwrap();
    let sql = &out["tools"][0]["function"];
    let description = sql["description"].as_str().unwrap();
    assert!(description.starts_with("Run SQL.\n\n"), "{description}");
    assert!(description.contains("regular expression exactly:\n```\nSELECT .*\n```"));
    assert_eq!(sql["parameters"]["required"], json!(["input"]));
    assert_eq!(
        out["tools"][1]["function"]["parameters"]["properties"]["input"]["type"],
        "string"
    );
}

fn refused(request: Value) -> ApiError {
    let error = chat(&request).unwrap_err();
    assert_eq!(error.status, 400, "{request}");
    assert_eq!(error.error_type, "invalid_request_error");
    error
}

#[test]
fn bodies_that_are_not_objects_are_refused() {
    for body in ["[]", "\"hi\"", "", "nope"] {
        let error = to_chat(&ctx(), body.as_bytes()).unwrap_err();
        assert_eq!((error.status, error.param), (400, None), "{body:?}");
    }
}

#[test]
fn misfits_are_refused_naming_the_field() {
    let cases = [
        (json!({"model": "m"}), "input"),
        (
            json!({"input": "x", "max_output_tokens": "5"}),
            "max_output_tokens",
        ),
        (
            json!({"input": [{"role": "user", "content": [{"type": "input_text", "text": "a"},
            {"type": "input_image", "file_id": "file-1"}]}]}),
            "input[0].content[1].file_id",
        ),
        (
            json!({"input": [{"role": "user", "content": [{"type": "input_file", "file_url": "https://x.test/a.pdf"}]}]}),
            "input[0].content[0].file_url",
        ),
        (
            json!({"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]}),
            "input[0].content[0].file_id",
        ),
        (
            json!({"input": [{"role": "user", "content": "a"}, {"type": "item_reference", "id": "msg_1"}]}),
            "input[1]",
        ),
        (
            json!({"input": [{"type": "function_call", "name": "f", "arguments": "{}"}]}),
            "input[0].call_id",
        ),
        (
            json!({"input": [{"role": "tool", "content": "a"}]}),
            "input[0].role",
        ),
        (
            json!({"input": [{"role": "system", "content": [{"type": "input_image", "image_url": "u"}]}]}),
            "input[0].content[0]",
        ),
        (json!({"input": [{"content": "a"}]}), "input[0]"),
        (json!({"input": "x", "background": true}), "background"),
        (
            json!({"input": "x", "conversation": "conv_1"}),
            "conversation",
        ),
        (json!({"input": "x", "prompt": {"id": "pmpt_1"}}), "prompt"),
        (
            json!({"input": "x", "tools": [{"type": "function"}]}),
            "tools[0].name",
        ),
        (
            json!({"input": "x", "tools": [{"type": "custom", "name": "c", "format": {"type": "json"}}]}),
            "tools[0].format.type",
        ),
        (
            json!({"input": "x", "tools": [{"type": "function", "name": "f", "strict": "yes"}]}),
            "tools[0].strict",
        ),
        (
            json!({"input": "x", "text": {"format": {"type": "json_schema", "name": "n"}}}),
            "text.format.schema",
        ),
        (
            json!({"input": "x", "tool_choice": "sometimes"}),
            "tool_choice",
        ),
    ];
    for (request, param) in cases {
        let error = refused(request.clone());
        assert_eq!(
            error.param.as_deref(),
            Some(param),
            "{request}: {}",
            error.message
        );
    }
}
