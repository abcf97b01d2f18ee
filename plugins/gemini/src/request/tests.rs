use serde_json::{Value, json};
use switchyard_guest_kit::Endpoint;

use super::super::fixtures::body as fixture;
use super::*;

fn ctx(model: &str, streaming: bool, options: &[(&str, &str)]) -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "gem".into(),
        upstream_model: model.into(),
        streaming,
        include_usage: false,
        client_id: "client-1".into(),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn translate(ctx: &CallContext, request: Value) -> Result<(UpstreamRequest, Value), ApiError> {
    let upstream = from_openai(ctx, request.to_string().as_bytes())?;
    let body = serde_json::from_slice(&upstream.body).expect("body is JSON");
    Ok((upstream, body))
}

fn ok(request: Value) -> Value {
    translate(&ctx("gemini-2.0-flash", false, &[]), request)
        .expect("translates")
        .1
}

fn divide_tool() -> Value {
    json!({"type": "function", "function": {
        "name": "customDivide", "description": "Custom divide function",
        "parameters": {"type": "object", "properties": {
            "denominator": {"type": "number"}, "numerator": {"type": "number"}}}
    }})
}

#[test]
fn plain_chat_matches_the_recorded_request() {
    let (upstream, body) = translate(
        &ctx("gemini-2.0-flash", false, &[]),
        json!({"model": "gem", "messages": [{"role": "user", "content": "why is the sky blue?"}]}),
    )
    .expect("translates");
    assert_eq!(
        upstream.path_and_query,
        "/v1beta/models/gemini-2.0-flash:generateContent"
    );
    assert!(upstream.response_framing.is_none());
    assert_eq!(
        body["contents"],
        fixture("gemini-chat.request.json")["contents"]
    );
    assert!(
        body.get("generationConfig").is_none(),
        "nothing to configure: {body}"
    );
}

#[test]
fn streaming_uses_alt_sse_and_the_api_version_option() {
    let (upstream, _) = translate(
        &ctx(
            "models/gemini-2.5-flash",
            true,
            &[("api-version", "v1alpha")],
        ),
        json!({"messages": [{"role": "user", "content": "hi"}], "stream": true,
               "stream_options": {"include_usage": true}}),
    )
    .expect("translates");
    assert_eq!(
        upstream.path_and_query,
        "/v1alpha/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );
    assert_eq!(upstream.response_framing, Some(StreamFraming::Sse));
}

#[test]
fn tool_round_trip_matches_the_recorded_history() {
    let body = ok(json!({
        "messages": [
            {"role": "user", "content": "Divide 10 by 2 using the customDivide function"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_abc_0_0", "type": "function",
                "function": {"name": "customDivide", "arguments": "{\"numerator\":10,\"denominator\":2}"}}]},
            {"role": "tool", "tool_call_id": "call_abc_0_0", "content": "42"}
        ],
        "tools": [divide_tool()],
        "tool_choice": "auto"
    }));
    let recorded = fixture("gemini-function-response.request.json");
    // The call was not signed by Gemini (the recording predates Gemini 3): it goes with
    // the documented bypass value, which every model accepts and Gemini 3 requires.
    let mut contents = body["contents"].clone();
    let call = &mut contents[1]["parts"][0];
    assert_eq!(call["thoughtSignature"], content::BYPASS_SIGNATURE);
    call.as_object_mut()
        .map(|part| part.remove("thoughtSignature"));
    assert_eq!(
        contents, recorded["contents"],
        "name recovered from the call"
    );
    assert_eq!(body["toolConfig"], recorded["toolConfig"]);
    let declared = &body["tools"][0]["functionDeclarations"][0];
    let expected = &recorded["tools"][0]["functionDeclarations"][0];
    assert_eq!(declared["name"], expected["name"]);
    assert_eq!(declared["description"], expected["description"]);
    assert_eq!(declared["parameters"], expected["parametersJsonSchema"]);
}

#[test]
fn the_thought_signature_in_the_id_goes_back_on_the_function_call() {
    let signature = "CpUCAdHtim9pjKa09PSMm2rJ+/w==";
    let id = format!("call_r_0_0__thought__{signature}");
    let body = ok(json!({"messages": [
        {"role": "user", "content": "concat"},
        {"role": "assistant", "tool_calls": [{"id": id, "type": "function",
            "function": {"name": "concatStringFunction", "arguments": "{\"firstString\":\"hello\"}"}}]},
        {"role": "tool", "tool_call_id": id, "content": "helloworld"}
    ]}));
    let part = &body["contents"][1]["parts"][0];
    assert_eq!(part["thoughtSignature"], signature);
    assert_eq!(
        part["functionCall"],
        json!({"name": "concatStringFunction", "args": {"firstString": "hello"}})
    );
    assert!(
        part["functionCall"].get("id").is_none(),
        "synthetic ids stay here"
    );
    assert_eq!(
        body["contents"][2]["parts"][0]["functionResponse"],
        json!({"name": "concatStringFunction", "response": {"output": "helloworld"}})
    );
}

#[test]
fn parallel_tool_results_share_one_user_turn() {
    let body = ok(json!({"messages": [
        {"role": "user", "content": "two"},
        {"role": "assistant", "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}},
            {"id": "b", "type": "function", "function": {"name": "g", "arguments": ""}}]},
        {"role": "tool", "tool_call_id": "a", "content": "{\"x\":1}"},
        {"role": "tool", "tool_call_id": "b", "content": [{"type": "text", "text": "done"}]},
        {"role": "user", "content": "thanks"}
    ]}));
    let contents = body["contents"].as_array().expect("array");
    assert_eq!(contents.len(), 3, "{body}");
    let parts = contents[2]["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0]["functionResponse"]["name"], "f");
    assert_eq!(
        parts[0]["functionResponse"]["response"]["output"],
        json!({"x": 1})
    );
    assert_eq!(parts[1]["functionResponse"]["name"], "g");
    assert_eq!(parts[2]["text"], "thanks");
}

#[test]
fn roles_system_instruction_and_merging() {
    let body = ok(json!({"messages": [
        {"role": "system", "content": "Be terse."},
        {"role": "developer", "content": [{"type": "text", "text": "Use metric."}]},
        {"role": "user", "content": "a"},
        {"role": "user", "content": [{"type": "text", "text": "b"}]},
        {"role": "assistant", "content": "c"},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "d"}
    ]}));
    assert_eq!(
        body["systemInstruction"],
        json!({"parts": [{"text": "Be terse."}, {"text": "Use metric."}]})
    );
    assert_eq!(
        body["contents"],
        json!([
            {"role": "user", "parts": [{"text": "a"}, {"text": "b"}]},
            {"role": "model", "parts": [{"text": "c"}]},
            {"role": "user", "parts": [{"text": "d"}]}
        ])
    );
}

#[test]
fn unknown_tool_call_id_is_a_400_naming_the_message() {
    let e = translate(
        &ctx("m", false, &[]),
        json!({"messages": [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "nope", "content": "1"}]}),
    )
    .expect_err("rejected");
    assert_eq!(e.status, 400);
    assert_eq!(e.param.as_deref(), Some("messages[1]"));
    assert!(e.message.contains("nope"), "{}", e.message);
}

#[test]
fn images_data_urls_inline_https_urls_by_uri_and_http_a_clear_400() {
    let body = ok(json!({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    ]}]}));
    assert_eq!(
        body["contents"][0]["parts"][1],
        json!({"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}})
    );

    let body = ok(json!({"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.JPG?sig=abc"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/render"}}
    ]}]}));
    assert_eq!(
        body["contents"][0]["parts"][0],
        json!({"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/cat.JPG?sig=abc"}}),
        "Gemini fetches https URLs itself"
    );
    assert_eq!(
        body["contents"][0]["parts"][1],
        json!({"fileData": {"fileUri": "https://example.com/render"}})
    );

    let e = translate(
        &ctx("m", false, &[]),
        json!({"messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "http://example.com/cat.png"}}]}]}),
    )
    .expect_err("rejected");
    assert_eq!(e.status, 400);
    assert_eq!(e.param.as_deref(), Some("messages[0].content[0]"));
    assert!(e.message.contains("https"), "{}", e.message);
}

#[test]
fn parameters_map_to_generation_config() {
    let body = ok(json!({
        "messages": [{"role": "user", "content": "x"}],
        "temperature": 0.3, "top_p": 0.9, "max_tokens": 100, "max_completion_tokens": 50,
        "stop": "END", "n": 2, "seed": 7, "presence_penalty": 0.1, "frequency_penalty": 0.2,
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {
            "type": "object", "additionalProperties": false,
            "properties": {"a": {"type": "string"}}, "required": ["a"]}}},
        "user": "u-1", "parallel_tool_calls": false
    }));
    assert_eq!(
        body["generationConfig"],
        json!({
            "temperature": 0.3, "topP": 0.9, "presencePenalty": 0.1, "frequencyPenalty": 0.2,
            "seed": 7, "candidateCount": 2, "maxOutputTokens": 50, "stopSequences": ["END"],
            "responseMimeType": "application/json",
            "responseJsonSchema": {"type": "object", "additionalProperties": false,
                "properties": {"a": {"type": "string"}}, "required": ["a"]}
        })
    );
    assert!(body.get("user").is_none());

    let body = ok(json!({"messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_object"}, "stop": ["a", "b"]}));
    assert_eq!(
        body["generationConfig"]["responseMimeType"],
        "application/json"
    );
    assert_eq!(body["generationConfig"]["stopSequences"], json!(["a", "b"]));
}

#[test]
fn reasoning_effort_becomes_a_budget_or_a_level() {
    let request =
        json!({"messages": [{"role": "user", "content": "x"}], "reasoning_effort": "low"});
    let (_, body) = translate(&ctx("gemini-2.5-flash", false, &[]), request.clone()).expect("ok");
    assert_eq!(
        body["generationConfig"]["thinkingConfig"],
        json!({"thinkingBudget": 1024, "includeThoughts": true})
    );
    let (_, body) =
        translate(&ctx("gemini-3-pro-preview", false, &[]), request.clone()).expect("ok");
    assert_eq!(
        body["generationConfig"]["thinkingConfig"],
        json!({"thinkingLevel": "low", "includeThoughts": true})
    );
    let (_, body) = translate(
        &ctx(
            "gemini-2.5-flash",
            false,
            &[("thinking", "level"), ("include-thoughts", "false")],
        ),
        request,
    )
    .expect("ok");
    assert_eq!(
        body["generationConfig"]["thinkingConfig"],
        json!({"thinkingLevel": "low", "includeThoughts": false})
    );
    let e = translate(
        &ctx("m", false, &[]),
        json!({"messages": [{"role": "user", "content": "x"}], "reasoning_effort": "extreme"}),
    )
    .expect_err("rejected");
    assert_eq!(e.param.as_deref(), Some("reasoning_effort"));
}

#[test]
fn each_model_gets_thinking_and_penalties_it_accepts() {
    let request = |effort: &str| {
        json!({"messages": [{"role": "user", "content": "x"}], "reasoning_effort": effort,
            "presence_penalty": 0.5, "frequency_penalty": 0.3})
    };
    let config = |model: &str, effort: &str| {
        let (_, body) = translate(&ctx(model, false, &[]), request(effort)).expect("ok");
        body["generationConfig"].clone()
    };
    // Gemini 3 Pro takes only low and high, and no penalties.
    let pro = config("gemini-3-pro-preview", "none");
    assert_eq!(pro["thinkingConfig"]["thinkingLevel"], "low");
    assert!(pro.get("presencePenalty").is_none() && pro.get("frequencyPenalty").is_none());
    assert_eq!(
        config("gemini-3-pro-preview", "medium")["thinkingConfig"]["thinkingLevel"],
        "low"
    );
    assert_eq!(
        config("gemini-3-flash-preview", "none")["thinkingConfig"]["thinkingLevel"],
        "minimal"
    );
    // Gemini 2.5 Pro cannot stop thinking: its smallest budget.
    assert_eq!(
        config("gemini-2.5-pro", "none")["thinkingConfig"]["thinkingBudget"],
        128
    );
    assert_eq!(
        config("gemini-2.5-flash", "none")["thinkingConfig"]["thinkingBudget"],
        0
    );
    // Gemini 2.0 still takes penalties.
    assert_eq!(config("gemini-2.0-flash", "low")["presencePenalty"], 0.5);
    // Options win over the table.
    let (_, body) = translate(
        &ctx(
            "gemini-3-pro-preview",
            false,
            &[
                ("thinking-levels", "low,medium,high"),
                ("penalties", "send"),
            ],
        ),
        request("medium"),
    )
    .expect("ok");
    assert_eq!(
        body["generationConfig"]["thinkingConfig"]["thinkingLevel"],
        "medium"
    );
    assert_eq!(body["generationConfig"]["frequencyPenalty"], 0.3);
}

#[test]
fn tool_choice_maps_to_function_calling_config() {
    let base = |choice: Value| {
        ok(
            json!({"messages": [{"role": "user", "content": "x"}], "tools": [divide_tool()], "tool_choice": choice}),
        )
    };
    assert_eq!(
        base(json!("none"))["toolConfig"],
        json!({"functionCallingConfig": {"mode": "NONE"}})
    );
    assert_eq!(
        base(json!("required"))["toolConfig"],
        json!({"functionCallingConfig": {"mode": "ANY"}})
    );
    assert_eq!(
        base(json!({"type": "function", "function": {"name": "concatStringFunction"}}))["toolConfig"],
        fixture("gemini-tool-thought-signature.request.json")["toolConfig"]
    );
}

#[test]
fn a_tool_without_parameters_is_declared_without_them_and_other_tools_are_refused() {
    let body = ok(
        json!({"messages": [{"role": "user", "content": "x"}], "tools": [
        {"type": "function", "function": {"name": "now", "parameters": {"type": "object", "properties": {}}}}]}),
    );
    assert_eq!(
        body["tools"],
        json!([{"functionDeclarations": [{"name": "now"}]}])
    );

    let e = translate(
        &ctx("m", false, &[]),
        json!({"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "custom", "custom": {"name": "x"}}]}),
    )
    .expect_err("rejected");
    assert_eq!(e.param.as_deref(), Some("tools[0]"));
}

#[test]
fn safety_threshold_option_sets_every_category() {
    let (_, body) = translate(
        &ctx("m", false, &[("safety-threshold", "BLOCK_NONE")]),
        json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .expect("ok");
    let settings = body["safetySettings"].as_array().expect("array");
    assert_eq!(settings.len(), 4);
    assert!(settings.iter().all(|s| s["threshold"] == "BLOCK_NONE"));
}

#[test]
fn bad_bodies_are_400s() {
    for body in [
        &b"[]"[..],
        b"{",
        br#"{"messages":"hi"}"#,
        br#"{"messages":[{"role":"system","content":"only"}]}"#,
    ] {
        let e = from_openai(&ctx("m", false, &[]), body).expect_err("rejected");
        assert_eq!(e.status, 400, "{}", String::from_utf8_lossy(body));
    }
}

#[test]
fn geminis_own_call_ids_are_echoed_on_the_call_and_its_response() {
    let body = ok(json!({"messages": [
        {"role": "user", "content": "concat"},
        {"role": "assistant", "tool_calls": [
            {"id": "fc-7d1__thought__c2ln", "type": "function", "function": {"name": "f", "arguments": "{}"}},
            {"id": "call_r_0_1", "type": "function", "function": {"name": "g", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "fc-7d1__thought__c2ln", "content": "1"},
        {"role": "tool", "tool_call_id": "call_r_0_1", "content": "2"}
    ]}));
    let calls = &body["contents"][1]["parts"];
    assert_eq!(
        calls[0]["functionCall"]["id"], "fc-7d1",
        "Gemini's id, without the signature"
    );
    assert!(
        calls[1]["functionCall"].get("id").is_none(),
        "an id the adapter made up"
    );
    let responses = &body["contents"][2]["parts"];
    assert_eq!(responses[0]["functionResponse"]["id"], "fc-7d1");
    assert!(responses[1]["functionResponse"].get("id").is_none());
}

#[test]
fn logprobs_are_asked_for_as_gemini_names_them() {
    let body = ok(
        json!({"messages": [{"role": "user", "content": "x"}], "logprobs": true, "top_logprobs": 3}),
    );
    assert_eq!(body["generationConfig"]["responseLogprobs"], true);
    assert_eq!(body["generationConfig"]["logprobs"], 3);
    let body = ok(
        json!({"messages": [{"role": "user", "content": "x"}], "logprobs": false, "top_logprobs": 3}),
    );
    assert!(
        body.get("generationConfig")
            .is_none_or(|c| c.get("responseLogprobs").is_none())
    );
}
