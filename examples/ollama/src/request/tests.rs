use super::*;
use crate::test_ctx;
use serde_json::{Value, json};

fn translate(ctx: &CallContext, body: Value) -> Result<(UpstreamRequest, Value), ApiError> {
    let request = from_openai(ctx, body.to_string().as_bytes())?;
    let sent = serde_json::from_slice(&request.body).expect("the body is JSON");
    Ok((request, sent))
}

#[test]
fn a_plain_request_is_an_unstreamed_api_chat_call() {
    let (request, sent) = translate(
        &test_ctx(false, false),
        json!({"model": "local", "messages": [{"role": "user", "content": "why is the sky blue?"}]}),
    )
    .unwrap();
    assert!(matches!(request.method, Method::Post));
    assert_eq!(request.path_and_query, "/api/chat");
    assert!(request.response_framing.is_none());
    assert!(request.credential.is_none(), "info() says none");
    assert_eq!(
        sent,
        json!({
            "model": "llama3.2",
            "messages": [{"role": "user", "content": "why is the sky blue?"}],
            "stream": false
        }),
        "`stream: false` is explicit: Ollama streams by default"
    );
}

#[test]
fn sampling_settings_go_into_options() {
    let (_, sent) = translate(
        &test_ctx(false, false),
        json!({
            "messages": [{"role": "user", "content": "Hi"}],
            "temperature": 0.2, "top_p": 0.9, "seed": 42,
            "max_tokens": 50, "max_completion_tokens": 100,
            "stop": "\n\n", "frequency_penalty": 1.0, "user": "ignored"
        }),
    )
    .unwrap();
    assert_eq!(
        sent["options"],
        json!({"temperature": 0.2, "top_p": 0.9, "seed": 42, "num_predict": 100, "stop": ["\n\n"]})
    );
    let (_, sent) = translate(
        &test_ctx(false, false),
        json!({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 7}),
    )
    .unwrap();
    assert_eq!(sent["options"], json!({"num_predict": 7}));
}

#[test]
fn a_streamed_request_asks_for_ndjson() {
    let (request, sent) = translate(
        &test_ctx(true, true),
        json!({"stream": true, "stream_options": {"include_usage": true},
               "messages": [{"role": "user", "content": "Hi"}]}),
    )
    .unwrap();
    assert_eq!(request.response_framing, Some(StreamFraming::Ndjson));
    assert_eq!(sent["stream"], true);
    assert!(
        sent.get("stream_options").is_none(),
        "Ollama always sends counts"
    );
}

#[test]
fn tools_pass_through_unless_tool_choice_is_none() {
    let tool = json!({"type": "function", "function": {
        "name": "get_weather", "description": "Get the weather in a given city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        "strict": true
    }});
    let body = |choice: Value| {
        let mut body =
            json!({"messages": [{"role": "user", "content": "Weather?"}], "tools": [tool.clone()]});
        if !choice.is_null() {
            body["tool_choice"] = choice;
        }
        body
    };
    for choice in [Value::Null, json!("auto")] {
        let (_, sent) = translate(&test_ctx(false, false), body(choice)).unwrap();
        assert_eq!(
            sent["tools"],
            json!([{"type": "function", "function": {
                "name": "get_weather", "description": "Get the weather in a given city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
            }}])
        );
    }
    let (_, sent) = translate(&test_ctx(false, false), body(json!("none"))).unwrap();
    assert!(sent.get("tools").is_none());
    for choice in [
        json!("required"),
        json!({"type": "function", "function": {"name": "get_weather"}}),
    ] {
        let e = translate(&test_ctx(false, false), body(choice)).unwrap_err();
        assert_eq!((e.status, e.param.as_deref()), (400, Some("tool_choice")));
    }
}

#[test]
fn response_format_becomes_format() {
    let schema =
        json!({"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]});
    let cases = [
        (json!({"type": "json_object"}), Some(json!("json"))),
        (
            json!({"type": "json_schema", "json_schema": {"name": "person", "schema": schema.clone(), "strict": true}}),
            Some(schema.clone()),
        ),
        (json!({"type": "text"}), None),
    ];
    for (response_format, format) in cases {
        let (_, sent) = translate(
            &test_ctx(false, false),
            json!({"messages": [{"role": "user", "content": "Hi"}], "response_format": response_format}),
        )
        .unwrap();
        assert_eq!(sent.get("format"), format.as_ref());
    }
    let e = translate(
        &test_ctx(false, false),
        json!({"messages": [], "response_format": {"type": "json_schema", "json_schema": {"name": "x"}}}),
    )
    .unwrap_err();
    assert_eq!(
        e.param.as_deref(),
        Some("response_format.json_schema.schema")
    );
}

#[test]
fn model_options_set_keep_alive_and_auth() {
    let mut ctx = test_ctx(false, false);
    let body = json!({"messages": [{"role": "user", "content": "Hi"}]});
    for (value, sent_value) in [
        ("10m", json!("10m")),
        ("-1", json!(-1)),
        ("300", json!(300)),
    ] {
        ctx.options = vec![(OPTION_KEEP_ALIVE.into(), value.into())];
        let (_, sent) = translate(&ctx, body.clone()).unwrap();
        assert_eq!(sent["keep_alive"], sent_value, "{value}");
    }

    ctx.options = vec![(OPTION_AUTH.into(), "bearer".into())];
    let (request, _) = translate(&ctx, body.clone()).unwrap();
    assert!(matches!(
        request.credential,
        Some(CredentialPlacement::Bearer)
    ));
    ctx.options = vec![(OPTION_AUTH.into(), "basic".into())];
    let e = translate(&ctx, body).unwrap_err();
    assert_eq!(e.status, 500);
    assert!(e.message.contains("`auth`"), "{}", e.message);
}

#[test]
fn n_above_one_and_bad_json_are_400s() {
    let e = translate(
        &test_ctx(false, false),
        json!({"n": 3, "messages": [{"role": "user", "content": "Hi"}]}),
    )
    .unwrap_err();
    assert_eq!((e.status, e.param.as_deref()), (400, Some("n")));
    let e = from_openai(&test_ctx(false, false), b"[]").unwrap_err();
    assert_eq!(e.status, 400);
}
