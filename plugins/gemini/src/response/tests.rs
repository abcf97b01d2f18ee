use serde_json::{Value, json};
use switchyard_guest_kit::Endpoint;

use super::super::fixtures::body as fixture;
use super::super::tool_id;
use super::*;

fn ctx(options: &[(&str, &str)]) -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "gem".into(),
        upstream_model: "gemini-2.5-flash".into(),
        streaming: false,
        include_usage: false,
        client_id: "client-1".into(),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn ok(body: &[u8]) -> UpstreamResponse {
    UpstreamResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_vec(),
    }
}

fn translate(
    name: &str,
    options: &[(&str, &str)],
) -> Result<(Value, Option<switchyard_guest_kit::Usage>), ApiError> {
    let body = serde_json::to_vec(&fixture(name)).expect("serializes");
    let out = to_openai(&ctx(options), &ok(&body))?;
    Ok((serde_json::from_slice(&out.body).expect("JSON"), out.usage))
}

#[test]
fn text_answer_is_a_chat_completion() {
    let (completion, usage) = translate("gemini-chat.response.json", &[]).expect("ok");
    assert_eq!(completion["object"], "chat.completion");
    assert_eq!(completion["id"], "chatcmpl-udSfaNTNEPP0n9kPrJGHuQ4");
    assert_eq!(completion["model"], "gemini-2.0-flash");
    let choice = &completion["choices"][0];
    assert_eq!(choice["message"]["role"], "assistant");
    assert!(
        choice["message"]["content"]
            .as_str()
            .expect("text")
            .starts_with("The sky is blue because")
    );
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(
        completion["usage"],
        json!({"prompt_tokens": 6, "completion_tokens": 353, "total_tokens": 359})
    );
    let usage = usage.expect("usage");
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (6, 353));
}

#[test]
fn function_call_gets_an_id_carrying_the_thought_signature() {
    let (completion, usage) =
        translate("gemini-tool-thought-signature.response.json", &[]).expect("ok");
    let choice = &completion["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls", "STOP with a call");
    assert_eq!(choice["message"]["content"], Value::Null);
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "concatStringFunction");
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().expect("string"))
            .expect("JSON");
    assert_eq!(
        arguments,
        json!({"firstString": "hello", "secondString": "world"})
    );
    let id = call["id"].as_str().expect("id");
    let recorded = fixture("gemini-tool-thought-signature.response.json");
    let signature = recorded["candidates"][0]["content"]["parts"][0]["thoughtSignature"].as_str();
    assert_eq!(tool_id::decode(id).1, signature);
    assert!(id.starts_with("call_"), "{id}");
    // 65 prompt, 22 answer + 59 thinking.
    assert_eq!(
        completion["usage"],
        json!({"prompt_tokens": 65, "completion_tokens": 81, "total_tokens": 146,
               "completion_tokens_details": {"reasoning_tokens": 59}})
    );
    assert_eq!(usage.and_then(|u| u.reasoning_tokens), Some(59));
}

#[test]
fn tool_call_without_signature_has_a_plain_id() {
    let (completion, _) = translate("gemini-tool.response.json", &[]).expect("ok");
    let call = &completion["choices"][0]["message"]["tool_calls"][0];
    let id = call["id"].as_str().expect("id");
    assert_eq!(tool_id::decode(id), (id, None));
    assert_eq!(completion["choices"][0]["finish_reason"], "tool_calls");
}

#[test]
fn max_tokens_without_parts_is_length_with_empty_content() {
    let (completion, _) = translate("gemini-max-tokens-no-parts.response.json", &[]).expect("ok");
    let choice = &completion["choices"][0];
    assert_eq!(choice["finish_reason"], "length");
    assert_eq!(choice["message"]["content"], "");
    assert_eq!(
        completion["usage"]["completion_tokens"], 19,
        "thoughts count"
    );
    assert_eq!(completion["usage"]["total_tokens"], 26);
}

#[test]
fn blocked_prompt_is_content_filter_with_the_reason() {
    let (completion, _) = translate("gemini-blocked.response.json", &[]).expect("ok");
    let choice = &completion["choices"][0];
    assert_eq!(choice["finish_reason"], "content_filter");
    assert_eq!(choice["message"]["content"], "");
    assert!(
        choice["message"]["refusal"]
            .as_str()
            .expect("refusal")
            .contains("SAFETY")
    );
}

fn raw(body: Value, options: &[(&str, &str)]) -> Result<Value, ApiError> {
    let out = to_openai(&ctx(options), &ok(body.to_string().as_bytes()))?;
    Ok(serde_json::from_slice(&out.body).expect("JSON"))
}

#[test]
fn thoughts_become_reasoning_content_unless_turned_off() {
    let answer = json!({"candidates": [{"content": {"role": "model", "parts": [
        {"text": "Let me think.", "thought": true}, {"text": "42"}]}, "finishReason": "STOP"}]});
    let completion = raw(answer.clone(), &[]).expect("ok");
    assert_eq!(
        completion["choices"][0]["message"]["reasoning_content"],
        "Let me think."
    );
    assert_eq!(completion["choices"][0]["message"]["content"], "42");
    let completion = raw(answer, &[("reasoning-content", "false")]).expect("ok");
    assert!(
        completion["choices"][0]["message"]
            .get("reasoning_content")
            .is_none()
    );
}

#[test]
fn several_candidates_are_several_choices() {
    let completion = raw(
        json!({"candidates": [
        {"content": {"parts": [{"text": "a"}]}, "finishReason": "STOP"},
        {"content": {"parts": [{"text": "b"}]}, "finishReason": "MAX_TOKENS", "index": 1}]}),
        &[],
    )
    .expect("ok");
    assert_eq!(completion["choices"][0]["message"]["content"], "a");
    assert_eq!(completion["choices"][1]["index"], 1);
    assert_eq!(completion["choices"][1]["finish_reason"], "length");
}

#[test]
fn malformed_function_call_is_an_error_not_a_stop() {
    let e = raw(json!({"candidates": [{"content": {"role": "model"}, "finishReason": "MALFORMED_FUNCTION_CALL",
        "finishMessage": "Malformed function call: print(default_api.x("}]}), &[])
    .expect_err("error");
    assert_eq!(e.status, 502);
    assert_eq!(e.code.as_deref(), Some("malformed_function_call"));
}

#[test]
fn garbage_is_a_502() {
    let e = to_openai(&ctx(&[]), &ok(b"<html>")).expect_err("error");
    assert_eq!(e.status, 502);
    let e = raw(json!({"candidates": []}), &[]).expect_err("nothing to answer");
    assert_eq!(e.status, 502);
}

#[test]
fn a_2xx_carrying_an_error_is_that_error() {
    for body in [
        json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID"}]}}),
        json!([{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT", "details": [{"reason": "API_KEY_INVALID"}]}}]),
    ] {
        let e = raw(body, &[]).expect_err("a 200 with an error body is no answer");
        assert_eq!(
            (e.status, e.code.as_deref()),
            (401, Some("invalid_api_key")),
            "the error's own status and reason, not the 200"
        );
        assert!(e.message.contains("API key not valid"), "{}", e.message);
    }
}

#[test]
fn a_json_array_of_stream_events_is_folded_into_one_completion() {
    // `streamGenerateContent` without `alt=sse`: the events as one JSON array.
    let events = json!([
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "Hel"}]}, "index": 0}],
         "usageMetadata": {"promptTokenCount": 6, "totalTokenCount": 6},
         "modelVersion": "gemini-2.5-flash", "responseId": "resp-1"},
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "lo", "thought": false},
            {"functionCall": {"name": "f", "args": {"x": 1}}}]}}],
         "usageMetadata": {"promptTokenCount": 6, "candidatesTokenCount": 3, "totalTokenCount": 9},
         "responseId": "resp-1"},
        {"candidates": [{"content": {"role": "model", "parts": []}, "finishReason": "STOP"}],
         "usageMetadata": {"promptTokenCount": 6, "candidatesTokenCount": 5, "totalTokenCount": 11},
         "responseId": "resp-1"}
    ]);
    let out = to_openai(&ctx(&[]), &ok(events.to_string().as_bytes())).expect("folded");
    let completion: Value = serde_json::from_slice(&out.body).expect("JSON");
    let choices = completion["choices"].as_array().expect("choices");
    assert_eq!(choices.len(), 1, "one candidate, one choice");
    let message = &choices[0]["message"];
    assert_eq!(message["content"], "Hello", "parts in order, across events");
    assert_eq!(message["tool_calls"][0]["function"]["name"], "f");
    assert_eq!(choices[0]["finish_reason"], "tool_calls");
    assert_eq!(completion["model"], "gemini-2.5-flash");
    let usage = out.usage.expect("usage");
    assert_eq!(
        (usage.prompt_tokens, usage.completion_tokens),
        (6, 5),
        "the last cumulative usage, never a sum"
    );
}

#[test]
fn a_folded_array_whose_candidate_never_finished_is_truncated() {
    let events = json!([{"candidates": [{"content": {"parts": [{"text": "Hel"}]}}]}]);
    let e = raw(events, &[]).expect_err("the upstream never finished this answer");
    assert_eq!(
        (e.status, e.code.as_deref()),
        (502, Some("upstream_stream_truncated"))
    );
    let e = raw(json!([]), &[]).expect_err("nothing");
    assert_eq!(e.status, 502);
}

#[test]
fn an_html_page_answering_a_streamed_request_is_a_502_naming_it() {
    let page = UpstreamResponse {
        status: 200,
        headers: vec![("content-type".into(), "text/html; charset=UTF-8".into())],
        body: b"<!DOCTYPE html><html><title>Error 502</title></html>".to_vec(),
    };
    let e = to_openai(&ctx(&[]), &page).expect_err("no answer");
    assert_eq!((e.status, e.error_type.as_str()), (502, "server_error"));
    assert!(
        e.message.contains("HTTP 200 (text/html; charset=UTF-8)")
            && e.message.contains("Error 502"),
        "{}",
        e.message
    );
    let e = raw(json!("just a string"), &[]).expect_err("no answer");
    assert!(
        e.message.contains("not a JSON object or array"),
        "{}",
        e.message
    );
}

#[test]
fn logprobs_come_back_in_openais_shape() {
    let body = json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Hi!"}]},
        "finishReason": "STOP", "index": 0,
        "logprobsResult": {
            "topCandidates": [
                {"candidates": [{"token": "Hi", "tokenId": 1, "logProbability": -0.1}, {"token": "Hello", "tokenId": 2, "logProbability": -2.5}]},
                {"candidates": [{"token": "!", "tokenId": 3, "logProbability": -0.3}]}],
            "chosenCandidates": [
                {"token": "Hi", "tokenId": 1, "logProbability": -0.1},
                {"token": "!", "tokenId": 3, "logProbability": -0.3}]}}],
        "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 2, "totalTokenCount": 3}});
    let out = to_openai(&ctx(&[]), &ok(&serde_json::to_vec(&body).expect("json"))).expect("ok");
    let completion: Value = serde_json::from_slice(&out.body).expect("JSON");
    let content = &completion["choices"][0]["logprobs"]["content"];
    assert_eq!(content[0]["token"], "Hi");
    assert_eq!(content[0]["logprob"], -0.1);
    assert_eq!(content[0]["bytes"], json!([72, 105]));
    assert_eq!(content[0]["top_logprobs"][1]["token"], "Hello");
    assert_eq!(content[1]["token"], "!");
    assert_eq!(content[1]["top_logprobs"].as_array().map(Vec::len), Some(1));
}
