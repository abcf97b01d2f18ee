use serde_json::{Value, json};
use switchyard_guest_kit::Endpoint;

use super::*;

use super::super::fixtures::body as fixture;

fn ctx(stream: bool, options: &[(&str, &str)]) -> CallContext {
    ctx_for("claude-haiku-4-5", stream, options)
}

fn ctx_for(model: &str, stream: bool, options: &[(&str, &str)]) -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "claude".into(),
        upstream_model: model.into(),
        streaming: stream,
        include_usage: false,
        client_id: "client-1".into(),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn translate(ctx: &CallContext, openai: &Value) -> Value {
    let request = from_openai(ctx, &serde_json::to_vec(openai).expect("json")).expect("translates");
    serde_json::from_slice(&request.body).expect("the upstream body is JSON")
}

fn refused(openai: &Value) -> ApiError {
    from_openai(&ctx(false, &[]), &serde_json::to_vec(openai).expect("json")).expect_err("refused")
}

fn weather_tool() -> Value {
    let recorded = fixture("anthropic-tool.request.json");
    let tool = &recorded["tools"][0];
    json!({"type": "function", "function": {
        "name": tool["name"], "description": tool["description"], "parameters": tool["input_schema"]
    }})
}

#[test]
fn the_recorded_tool_request_is_what_an_openai_client_produces() {
    let openai = json!({
        "model": "claude",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "What is the weather in SF?"}],
        "tools": [weather_tool()]
    });
    let body = translate(&ctx(false, &[]), &openai);
    let recorded = fixture("anthropic-tool.request.json");
    assert_eq!(body["model"], recorded["model"]);
    assert_eq!(body["max_tokens"], recorded["max_tokens"]);
    assert_eq!(body["tools"], recorded["tools"], "same tool definition");
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "What is the weather in SF?"}]}])
    );
    assert!(
        body.get("stream").is_none() && body.get("tool_choice").is_none(),
        "{body}"
    );
}

#[test]
fn the_tool_result_turn_matches_the_recording() {
    let recorded = fixture("anthropic-tool-result.request.json");
    let call = &recorded["messages"][1]["content"][0];
    let result = &recorded["messages"][2]["content"][0];
    let openai = json!({
        "model": "claude",
        "max_completion_tokens": 1024,
        "messages": [
            {"role": "user", "content": "What is the weather in SF?"},
            {"role": "assistant", "content": "", "tool_calls": [{
                "id": call["id"], "type": "function",
                "function": {"name": call["name"], "arguments": call["input"].to_string()}
            }]},
            {"role": "tool", "tool_call_id": call["id"], "content": result["content"]}
        ],
        "tools": [weather_tool()]
    });
    let body = translate(&ctx(false, &[]), &openai);
    assert_eq!(
        body["max_tokens"], 1024,
        "max_completion_tokens is accepted"
    );
    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 3);
    assert_eq!(
        messages[1],
        json!({"role": "assistant", "content": [{
            "type": "tool_use", "id": call["id"], "name": call["name"], "input": call["input"]
        }]}),
        "the empty assistant text is dropped"
    );
    assert_eq!(messages[2]["role"], "user");
    assert_eq!(messages[2]["content"], json!([result]));
}

#[test]
fn system_and_developer_messages_are_hoisted() {
    let body = translate(
        &ctx(false, &[]),
        &json!({"messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Hi"},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
            {"role": "user", "content": "Again"}
        ]}),
    );
    assert_eq!(
        body["system"],
        json!([{"type": "text", "text": "Be terse."}, {"type": "text", "text": "Answer in French."}])
    );
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": [
            {"type": "text", "text": "Hi"}, {"type": "text", "text": "Again"}
        ]}]),
        "the two user turns around the hoisted message are merged"
    );
}

#[test]
fn parallel_tool_results_go_into_one_user_turn_first() {
    let body = translate(
        &ctx(false, &[]),
        &json!({"messages": [
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {"role": "assistant", "content": "Checking.", "tool_calls": [
                {"id": "toolu_1", "type": "function", "function": {"name": "w", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "toolu_2", "type": "function", "function": {"name": "w", "arguments": ""}}
            ]},
            {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"},
            {"role": "tool", "tool_call_id": "toolu_2", "content": [{"type": "text", "text": "rainy"}]},
            {"role": "user", "content": "Thanks"}
        ]}),
    );
    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 3, "{body}");
    assert_eq!(
        messages[1]["content"],
        json!([
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "w", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "toolu_2", "name": "w", "input": {}}
        ]),
        "empty arguments become {{}}"
    );
    assert_eq!(
        messages[2]["content"],
        json!([
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
            {"type": "tool_result", "tool_use_id": "toolu_2", "content": [{"type": "text", "text": "rainy"}]},
            {"type": "text", "text": "Thanks"}
        ])
    );
}

#[test]
fn images_become_base64_or_url_sources() {
    let body = translate(
        &ctx(false, &[]),
        &json!({"messages": [{"role": "user", "content": [
            {"type": "text", "text": "What is in these?"},
            {"type": "text", "text": ""},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "high"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}
        ]}]}),
    );
    assert_eq!(
        body["messages"][0]["content"],
        json!([
            {"type": "text", "text": "What is in these?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}
        ])
    );
    let e = refused(&json!({"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/bmp;base64,Qk0="}}
    ]}]}));
    assert_eq!(e.status, 400);
    assert!(e.message.contains("image/bmp"), "{}", e.message);
    assert_eq!(e.param.as_deref(), Some("messages[0].content[0]"));
}

#[test]
fn sampling_stop_user_and_max_tokens() {
    let body = translate(
        &ctx(true, &[("default-max-tokens", "777")]),
        &json!({
            "messages": [{"role": "user", "content": "Hi"}],
            "temperature": 1.6, "top_p": 0.5, "stop": "END", "user": "u-42",
            "seed": 7, "presence_penalty": 0.3, "stream": true,
            "stream_options": {"include_usage": true}
        }),
    );
    assert_eq!(body["max_tokens"], 777, "the model's default");
    assert_eq!(body["temperature"], 1.0, "clamped into Anthropic's 0-1");
    assert!(
        body.get("top_p").is_none(),
        "not sent together with temperature"
    );
    assert_eq!(body["stop_sequences"], json!(["END"]));
    assert_eq!(body["metadata"], json!({"user_id": "u-42"}));
    assert_eq!(body["stream"], true);
    for dropped in ["seed", "presence_penalty", "stream_options", "user", "stop"] {
        assert!(body.get(dropped).is_none(), "{dropped} dropped: {body}");
    }

    let body = translate(
        &ctx(false, &[]),
        &json!({"messages": [{"role": "user", "content": "Hi"}], "top_p": 0.9, "stop": ["a", "b"]}),
    );
    assert_eq!(body["max_tokens"], DEFAULT_MAX_TOKENS);
    assert_eq!(body["top_p"], 0.9);
    assert_eq!(body["stop_sequences"], json!(["a", "b"]));
}

#[test]
fn tool_choice_mapping() {
    let with = |choice: Value, parallel: Option<bool>| {
        let mut openai =
            json!({"messages": [{"role": "user", "content": "Hi"}], "tools": [weather_tool()]});
        if !choice.is_null() {
            openai["tool_choice"] = choice;
        }
        if let Some(p) = parallel {
            openai["parallel_tool_calls"] = json!(p);
        }
        translate(&ctx(false, &[]), &openai)
            .get("tool_choice")
            .cloned()
    };
    assert_eq!(with(json!("auto"), None), Some(json!({"type": "auto"})));
    assert_eq!(
        with(json!("none"), Some(false)),
        Some(json!({"type": "none"}))
    );
    assert_eq!(with(json!("required"), None), Some(json!({"type": "any"})));
    assert_eq!(
        with(
            json!({"type": "function", "function": {"name": "get_weather"}}),
            Some(false)
        ),
        Some(json!({"type": "tool", "name": "get_weather", "disable_parallel_tool_use": true}))
    );
    assert_eq!(
        with(Value::Null, Some(false)),
        Some(json!({"type": "auto", "disable_parallel_tool_use": true}))
    );
    assert_eq!(with(Value::Null, Some(true)), None);
}

#[test]
fn reasoning_effort_becomes_a_thinking_budget() {
    let body = translate(
        &ctx(false, &[]),
        &json!({"messages": [{"role": "user", "content": "Hi"}], "reasoning_effort": "low"}),
    );
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 2048})
    );
    assert_eq!(
        body["max_tokens"],
        2048 + DEFAULT_MAX_TOKENS,
        "room for the answer"
    );

    let body = translate(
        &ctx(false, &[]),
        &json!({"messages": [{"role": "user", "content": "Hi"}], "reasoning_effort": "high", "max_completion_tokens": 5000}),
    );
    assert_eq!(
        body["thinking"]["budget_tokens"], 4999,
        "budget shrinks below max_tokens"
    );
    assert_eq!(body["max_tokens"], 5000);

    let e = refused(
        &json!({"messages": [{"role": "user", "content": "Hi"}], "reasoning_effort": "low", "max_tokens": 500}),
    );
    assert_eq!(
        (e.status, e.param.as_deref()),
        (400, Some("max_completion_tokens"))
    );

    let body = translate(
        &ctx(false, &[]),
        &json!({"messages": [{"role": "user", "content": "Hi"}], "reasoning_effort": "none"}),
    );
    assert!(body.get("thinking").is_none());
}

#[test]
fn headers_and_path() {
    let request = from_openai(
        &ctx(
            true,
            &[("anthropic-beta", "interleaved-thinking-2025-05-14")],
        ),
        br#"{"messages":[{"role":"user","content":"Hi"}]}"#,
    )
    .expect("translates");
    assert_eq!(request.path_and_query, "/v1/messages");
    assert_eq!(request.method, Method::Post);
    assert_eq!(request.response_framing, Some(StreamFraming::Sse));
    assert_eq!(
        request.headers,
        vec![
            ("anthropic-version".to_owned(), "2023-06-01".to_owned()),
            (
                "anthropic-beta".to_owned(),
                "interleaved-thinking-2025-05-14".to_owned()
            ),
        ]
    );
    let request = from_openai(
        &ctx(false, &[("anthropic-version", "2024-01-01")]),
        br#"{"messages":[{"role":"user","content":"Hi"}]}"#,
    )
    .expect("translates");
    assert_eq!(
        request.headers,
        vec![("anthropic-version".to_owned(), "2024-01-01".to_owned())]
    );
    assert_eq!(request.response_framing, None);
}

#[test]
fn what_anthropic_cannot_do_is_refused_clearly() {
    let e = refused(&json!({"messages": [{"role": "user", "content": "Hi"}], "n": 2}));
    assert_eq!((e.status, e.param.as_deref()), (400, Some("n")));
    assert!(e.message.contains("`n`"), "{}", e.message);

    let e = refused(&json!({"messages": []}));
    assert_eq!((e.status, e.param.as_deref()), (400, Some("messages")));

    let e = refused(&json!({"messages": [{"role": "user", "content": 5}]}));
    assert_eq!(e.status, 400);
    assert!(
        e.param
            .as_deref()
            .is_some_and(|p| p.starts_with("messages[0]")),
        "{:?}",
        e.param
    );

    let e = refused(
        &json!({"messages": [{"role": "assistant", "content": "x", "tool_calls": [
            {"id": "t", "type": "function", "function": {"name": "f", "arguments": "{oops"}}
        ]}]}),
    );
    assert_eq!(
        e.param.as_deref(),
        Some("messages[0].tool_calls[0].function.arguments")
    );

    let e = refused(&json!({"messages": [{"role": "tool", "content": "x"}]}));
    assert_eq!(e.param.as_deref(), Some("messages[0].tool_call_id"));

    let e = from_openai(&ctx(false, &[]), b"[1]").expect_err("not an object");
    assert_eq!(e.status, 400);
}

#[test]
fn sampling_settings_are_not_sent_with_thinking() {
    let body = translate(
        &ctx(false, &[]),
        &json!({"messages": [{"role": "user", "content": "Hi"}], "reasoning_effort": "medium",
                "temperature": 0.2, "top_p": 0.5, "top_k": 5}),
    );
    assert_eq!(body["thinking"]["budget_tokens"], 8192);
    for dropped in ["temperature", "top_p", "top_k"] {
        assert!(body.get(dropped).is_none(), "{dropped}: {body}");
    }
    let body = translate(
        &ctx(false, &[]),
        &json!({"messages": [{"role": "user", "content": "Hi"}], "top_k": 5,
                "thinking": {"type": "enabled", "budget_tokens": 2000}}),
    );
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 2000}),
        "sent as is"
    );
    assert!(body.get("top_k").is_none());
}

#[test]
fn the_newest_models_think_adaptively_and_get_no_sampling_settings() {
    let request = json!({"messages": [{"role": "user", "content": "Hi"}],
        "reasoning_effort": "xhigh", "temperature": 0.2, "top_p": 0.9, "top_k": 5});
    let body = translate(&ctx_for("claude-opus-4-7", false, &[]), &request);
    assert_eq!(body["thinking"], json!({"type": "adaptive"}));
    assert_eq!(body["output_config"], json!({"effort": "xhigh"}));
    assert_eq!(body["max_tokens"], 24576 + DEFAULT_MAX_TOKENS);
    for refused in ["temperature", "top_p", "top_k"] {
        assert!(body.get(refused).is_none(), "{refused} is not sent: {body}");
    }

    // Without thinking too: Opus 4.7 answers 400 to any sampling setting.
    let body = translate(
        &ctx_for("claude-opus-4-7", false, &[]),
        &json!({"messages": [{"role": "user", "content": "Hi"}], "temperature": 0.2}),
    );
    assert!(body.get("temperature").is_none());
    assert!(body.get("thinking").is_none());

    // Opus 4.6 thinks adaptively, has no `xhigh`, and keeps sampling without thinking.
    let body = translate(&ctx_for("claude-opus-4-6", false, &[]), &request);
    assert_eq!(body["output_config"], json!({"effort": "high"}));
    let body = translate(
        &ctx_for("claude-opus-4-6", false, &[]),
        &json!({"messages": [{"role": "user", "content": "Hi"}], "temperature": 0.2}),
    );
    assert_eq!(body["temperature"], 0.2);

    // The client's own maximum is kept: adaptive thinking counts inside it.
    let body = translate(
        &ctx_for("claude-sonnet-5", false, &[]),
        &json!({"messages": [{"role": "user", "content": "Hi"}], "reasoning_effort": "minimal", "max_completion_tokens": 300}),
    );
    assert_eq!(body["output_config"], json!({"effort": "low"}));
    assert_eq!(body["max_tokens"], 300);
}

#[test]
fn options_override_the_model_table() {
    let request = json!({"messages": [{"role": "user", "content": "Hi"}],
        "reasoning_effort": "medium", "temperature": 0.5});
    let body = translate(
        &ctx_for(
            "claude-opus-4-7",
            false,
            &[("thinking", "budget"), ("sampling", "send")],
        ),
        &request,
    );
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 8192})
    );
    let body = translate(
        &ctx_for(
            "my-private-claude",
            false,
            &[("thinking", "adaptive"), ("efforts", "low,high")],
        ),
        &request,
    );
    assert_eq!(
        body["output_config"],
        json!({"effort": "low"}),
        "medium is missing: the next below"
    );
    let bad = from_openai(
        &ctx_for("claude-opus-4-7", false, &[("sampling", "sometimes")]),
        &serde_json::to_vec(&request).expect("json"),
    )
    .expect_err("a bad option is the operator's error");
    assert_eq!(bad.status, 500);
    assert!(bad.message.contains("`sampling`"), "{}", bad.message);
}

#[test]
fn structured_outputs_strict_tools_and_cache_breakpoints_are_kept() {
    let body = translate(
        &ctx_for("claude-opus-4-7", false, &[]),
        &json!({
            "messages": [{"role": "system", "content": [{"type": "text", "text": "Long rules", "cache_control": {"type": "ephemeral"}}]},
                         {"role": "user", "content": [{"type": "text", "text": "Hi", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]}],
            "reasoning_effort": "low",
            "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
                "schema": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": false}}},
            "tools": [{"type": "function", "cache_control": {"type": "ephemeral"},
                "function": {"name": "f", "strict": true, "parameters": {"type": "object", "properties": {}}}}]
        }),
    );
    assert_eq!(
        body["output_config"],
        json!({"effort": "low", "format": {"type": "json_schema", "schema":
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": false}}}),
        "the effort and the format share output_config"
    );
    assert_eq!(body["tools"][0]["strict"], true);
    assert_eq!(
        body["tools"][0]["cache_control"],
        json!({"type": "ephemeral"})
    );
    assert_eq!(
        body["system"][0]["cache_control"],
        json!({"type": "ephemeral"})
    );
    assert_eq!(
        body["messages"][0]["content"][0]["cache_control"],
        json!({"type": "ephemeral", "ttl": "1h"})
    );
    let e = refused(&json!({"messages": [{"role": "user", "content": "Hi"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "x"}}}));
    assert_eq!(
        e.param.as_deref(),
        Some("response_format.json_schema.schema")
    );
}

#[test]
fn a_user_that_looks_like_personal_data_goes_as_an_opaque_id() {
    let user_id = |user: &str| {
        translate(
            &ctx(false, &[]),
            &json!({"messages": [{"role": "user", "content": "Hi"}], "user": user}),
        )["metadata"]["user_id"]
            .as_str()
            .expect("a user id")
            .to_owned()
    };
    assert_eq!(user_id("u-42"), "u-42", "an opaque id is kept");
    let hashed = user_id("jane@example.com");
    assert!(
        hashed.starts_with("user-") && hashed.len() == 37,
        "{hashed}"
    );
    assert!(!hashed.contains("jane"));
    assert_eq!(
        hashed,
        user_id("jane@example.com"),
        "the same user, the same id"
    );
    assert!(user_id("+1 (555) 010-9999").starts_with("user-"));
}

#[test]
fn echoed_thinking_blocks_go_first_in_their_turn_unmodified() {
    let blocks = json!([{"type": "thinking", "thinking": "Hmm.", "signature": "sig=="},
                        {"type": "redacted_thinking", "data": "opaque"}]);
    let body = translate(
        &ctx(false, &[]),
        &json!({"messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": "Checking.", "thinking_blocks": blocks,
             "tool_calls": [{"id": "toolu_1", "type": "function", "function": {"name": "w", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"}
        ]}),
    );
    let turn = &body["messages"][1]["content"];
    assert_eq!(turn[0], blocks[0]);
    assert_eq!(turn[1], blocks[1]);
    assert_eq!(turn[2]["type"], "text");
    assert_eq!(turn[3]["type"], "tool_use");
    let e = refused(&json!({"messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "x", "thinking_blocks": [{"type": "thinking", "thinking": "no signature"}]},
        {"role": "user", "content": "again"}
    ]}));
    assert_eq!(e.param.as_deref(), Some("messages[1].thinking_blocks[0]"));
}

#[test]
fn pdf_and_text_files_become_documents() {
    let body = translate(
        &ctx(false, &[]),
        &json!({"messages": [{"role": "user", "content": [
            {"type": "text", "text": "Summarise these."},
            {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0xLjQK"}},
            {"type": "file", "file": {"filename": "b.txt", "file_data": "data:text/plain;base64,aGVsbG8gd29ybGQ="}}
        ]}]}),
    );
    let content = &body["messages"][0]["content"];
    assert_eq!(
        content[1],
        json!({"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK"}})
    );
    assert_eq!(
        content[2],
        json!({"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "hello world"}})
    );
    let e = refused(&json!({"messages": [{"role": "user", "content": [
        {"type": "file", "file": {"file_id": "file-abc"}}]}]}));
    assert_eq!(e.param.as_deref(), Some("messages[0].content[0]"));
    assert!(e.message.contains("file_data"), "{}", e.message);
}
