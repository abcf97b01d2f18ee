use serde_json::{Value, json};
use switchyard_guest_kit::Endpoint;

use super::*;

use super::super::fixtures::body as fixture;

fn ctx() -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "claude".into(),
        upstream_model: "claude-haiku-4-5".into(),
        streaming: false,
        include_usage: false,
        client_id: "client-1".into(),
        options: Vec::new(),
    }
}

fn ok(body: &Value) -> UpstreamResponse {
    UpstreamResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: serde_json::to_vec(body).expect("json"),
    }
}

fn translate(body: &Value) -> (Value, switchyard_guest_kit::Usage) {
    let translated = to_openai(&ctx(), ok(body)).expect("translates");
    let json = serde_json::from_slice(&translated.body).expect("completion is JSON");
    (json, translated.usage.expect("usage"))
}

#[test]
fn recorded_tool_use_becomes_tool_calls() {
    let (completion, usage) = translate(&fixture("anthropic-tool.response.json"));
    assert_eq!(completion["object"], "chat.completion");
    assert_eq!(completion["id"], "msg_018yE33RyaCdsMnr8kGYUQ5Y");
    assert_eq!(completion["model"], "claude-haiku-4-5-20251001");
    let choice = &completion["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["message"]["content"], Value::Null);
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["id"], "toolu_011bpynHqFZ9P4u5rSaXsTJQ");
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_weather");
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().expect("a string"))
            .expect("arguments are JSON");
    assert_eq!(
        arguments,
        json!({"location": "San Francisco, CA", "units": "f"})
    );
    assert_eq!(
        completion["usage"],
        json!({"prompt_tokens": 656, "completion_tokens": 74, "total_tokens": 730,
               "prompt_tokens_details": {"cached_tokens": 0}})
    );
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (656, 74));
}

#[test]
fn recorded_text_answer() {
    let (completion, _) = translate(&fixture("anthropic-tool-result.response.json"));
    let choice = &completion["choices"][0];
    assert_eq!(
        choice["message"]["content"],
        "The weather in San Francisco, CA is currently **Sunny** with a temperature of **68°F**."
    );
    assert_eq!(choice["finish_reason"], "stop");
    assert!(choice["message"].get("tool_calls").is_none());
    assert!(choice["message"].get("reasoning_content").is_none());
}

#[test]
fn thinking_text_and_tools_together_with_cache_usage() {
    let body = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-opus-4-6",
        "content": [
            {"type": "thinking", "thinking": "Let me think.", "signature": "sig"},
            {"type": "redacted_thinking", "data": "xxx"},
            {"type": "text", "text": "I'll look "},
            {"type": "text", "text": "it up."},
            {"type": "tool_use", "id": "toolu_a", "name": "search", "input": {}},
            {"type": "server_tool_use", "id": "srv", "name": "web", "input": {}}
        ],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 10, "cache_creation_input_tokens": 20, "cache_read_input_tokens": 300, "output_tokens": 40}
    });
    let (completion, usage) = translate(&body);
    let message = &completion["choices"][0]["message"];
    assert_eq!(message["content"], "I'll look it up.");
    assert_eq!(message["reasoning_content"], "Let me think.");
    assert_eq!(
        message["thinking_blocks"],
        json!([{"type": "thinking", "thinking": "Let me think.", "signature": "sig"},
               {"type": "redacted_thinking", "data": "xxx"}]),
        "the blocks, signed, for the client to echo on its next turn"
    );
    assert_eq!(message["tool_calls"].as_array().map(Vec::len), Some(1));
    assert_eq!(message["tool_calls"][0]["function"]["arguments"], "{}");
    assert_eq!(
        completion["usage"]["prompt_tokens"], 330,
        "cache reads and writes count"
    );
    assert_eq!(
        completion["usage"]["prompt_tokens_details"]["cached_tokens"],
        300
    );
    assert_eq!(completion["usage"]["total_tokens"], 370);
    assert_eq!(usage.cached_tokens, Some(300));
}

#[test]
fn every_stop_reason_maps() {
    for (stop, finish) in [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("pause_turn", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
    ] {
        let body = json!({"id": "m", "model": "c", "content": [{"type": "text", "text": "x"}],
                          "stop_reason": stop, "usage": {"input_tokens": 1, "output_tokens": 1}});
        let (completion, _) = translate(&body);
        assert_eq!(completion["choices"][0]["finish_reason"], finish, "{stop}");
    }
}

#[test]
fn errors_and_garbage() {
    let e = to_openai(
        &ctx(),
        UpstreamResponse {
            status: 529,
            headers: vec![("retry-after".into(), "4".into())],
            body: br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
                .to_vec(),
        },
    )
    .expect_err("an error");
    assert_eq!((e.status, e.retry_after), (503, Some(4)));

    let mut garbage = ok(&json!(null));
    garbage.body = b"<html>oops</html>".to_vec();
    let e = to_openai(&ctx(), garbage).expect_err("rejected");
    assert_eq!(e.status, 502);
    assert!(e.message.contains("<html>oops</html>"), "{}", e.message);
}

#[test]
fn a_2xx_carrying_an_error_is_that_error() {
    let cases = [
        ("overloaded_error", "Overloaded", 503, Some("overloaded")),
        (
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit",
            429,
            Some("rate_limit_exceeded"),
        ),
        (
            "authentication_error",
            "invalid x-api-key",
            401,
            Some("invalid_api_key"),
        ),
        (
            "invalid_request_error",
            "max_tokens: Field required",
            400,
            None,
        ),
        ("some_new_error", "Something odd", 502, None),
    ];
    for (kind, message, status, code) in cases {
        let body = json!({"type": "error", "error": {"type": kind, "message": message},
                          "request_id": "req_1"});
        let mut response = ok(&body);
        response.headers.push(("retry-after".into(), "9".into()));
        let e = to_openai(&ctx(), response).expect_err("a 200 with an error body is no answer");
        assert_eq!(
            (e.status, e.code.as_deref()),
            (status, code),
            "the status the error type stands for, else 502: {kind}"
        );
        assert_eq!(e.message, message, "Anthropic's words reach the client");
        assert_eq!(e.retry_after, Some(9));
    }
}

#[test]
fn a_2xx_that_is_no_message_is_a_502_naming_what_came() {
    for (body, says) in [
        (json!({"detail": "Not Found"}), "no `type` and no `content`"),
        (
            json!({"type": "completion", "completion": "hi"}),
            "`type` is `completion`",
        ),
        (json!([1, 2]), "not a JSON object"),
    ] {
        let e = to_openai(&ctx(), ok(&body)).expect_err("no message, no success");
        assert_eq!((e.status, e.error_type.as_str()), (502, "server_error"));
        assert!(e.message.contains(says), "{}", e.message);
    }

    let mut page = ok(&json!(null));
    page.headers = vec![("content-type".into(), "text/html; charset=utf-8".into())];
    page.body = b"<html><title>502 Bad Gateway</title></html>".to_vec();
    let e = to_openai(&ctx(), page).expect_err("an HTML page answering a streamed request");
    assert!(
        e.message.contains("HTTP 200 (text/html; charset=utf-8)")
            && e.message.contains("502 Bad Gateway"),
        "the content type and the page say what happened: {}",
        e.message
    );
}

#[test]
fn a_message_without_type_but_with_content_is_still_translated() {
    // Lenient for Anthropic-compatible servers that leave `type` out.
    let body = json!({"id": "m", "content": [{"type": "text", "text": "hi"}],
                      "stop_reason": "end_turn"});
    let (completion, _) = translate(&body);
    assert_eq!(completion["choices"][0]["message"]["content"], "hi");
}

#[test]
fn a_web_search_answer_is_its_text_with_url_citations() {
    let (completion, usage) = translate(&fixture("anthropic-web-search.response.json"));
    let message = &completion["choices"][0]["message"];
    let text =
        "Switchyard is a self-hosted LLM gateway that serves OpenAI clients on any platform.";
    assert_eq!(message["content"], text);
    assert!(
        message.get("tool_calls").is_none(),
        "server_tool_use is no tool call: {message}"
    );
    assert_eq!(
        message["annotations"],
        json!([{"type": "url_citation", "url_citation": {"url": "https://example.com/switchyard",
            "title": "Switchyard: a self-hosted LLM gateway", "start_index": 0, "end_index": 83}}])
    );
    assert_eq!(completion["choices"][0]["finish_reason"], "stop");
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (2154, 41));
}

#[test]
fn text_around_a_search_is_kept_apart_and_citations_point_into_the_whole_text() {
    let web = |url: &str| {
        json!({"type": "web_search_result_location", "url": url, "title": "T",
        "cited_text": "c", "encrypted_index": "e"})
    };
    let (completion, _) = translate(&json!({
        "type": "message", "id": "msg_1", "role": "assistant", "model": "claude-x", "stop_reason": "tool_use",
        "content": [
            {"type": "text", "text": "I'll search."},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "née"}},
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1",
             "content": {"type": "web_search_tool_result_error", "error_code": "max_uses_exceeded"}},
            {"type": "text", "text": "Née in "},
            {"type": "text", "text": "Paris.", "citations": [web("https://a.test"),
                {"type": "char_location", "cited_text": "x", "document_index": 0}]},
            {"type": "some_future_block", "data": 1},
            {"type": "text", "text": "", "citations": [web("https://empty.test")]},
            {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}
        ],
        "usage": {"input_tokens": 5, "output_tokens": 6, "server_tool_use": {"web_search_requests": 1}}
    }));
    let message = &completion["choices"][0]["message"];
    assert_eq!(message["content"], "I'll search.\n\nNée in Paris.");
    let calls = message["tool_calls"].as_array().expect("the client's call");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["function"]["name"], "lookup");
    assert_eq!(
        message["annotations"],
        json!([{"type": "url_citation", "url_citation": {"url": "https://a.test", "title": "T",
            "start_index": 21, "end_index": 27}}]),
        "characters, not bytes: \"I'll search.\\n\\nNée in \" is 21 long"
    );
}
