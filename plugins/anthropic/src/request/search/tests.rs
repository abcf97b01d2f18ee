use serde_json::{Value, json};
use switchyard_guest_kit::Endpoint;

use super::*;
use crate::request::from_openai;

fn ctx(options: &[(&str, &str)]) -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "claude".into(),
        upstream_model: "claude-sonnet-4-5".into(),
        streaming: false,
        include_usage: false,
        client_id: "client-1".into(),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn translate(ctx: &CallContext, openai: &Value) -> Result<Value, ApiError> {
    let request = from_openai(ctx, &serde_json::to_vec(openai).expect("json"))?;
    Ok(serde_json::from_slice(&request.body).expect("the upstream body is JSON"))
}

fn function(name: &str) -> Value {
    json!({"type": "function", "function": {"name": name, "parameters": {"type": "object"}}})
}

#[test]
fn web_search_options_add_the_server_tool_after_the_functions() {
    let body = translate(
        &ctx(&[]),
        &json!({"messages": [{"role": "user", "content": "news?"}], "tool_choice": "required",
            "tools": [function("lookup")],
            "web_search_options": {"search_context_size": "high", "user_location": {"type": "approximate",
                "approximate": {"city": "Paris", "region": "Île-de-France", "country": "FR", "timezone": "Europe/Paris"}}}}),
    )
    .expect("translates");
    assert_eq!(body["tools"][0]["name"], "lookup");
    assert_eq!(
        body["tools"][1],
        json!({"type": "web_search_20250305", "name": "web_search", "max_uses": 5,
               "user_location": {"type": "approximate", "city": "Paris", "region": "Île-de-France",
                                 "country": "FR", "timezone": "Europe/Paris"}}),
        "search_context_size has no Anthropic equivalent"
    );
    assert_eq!(body["tool_choice"], json!({"type": "any"}));
}

#[test]
fn a_search_alone_is_the_only_tool_and_takes_no_tool_choice() {
    let body = translate(
        &ctx(&[]),
        &json!({"messages": [{"role": "user", "content": "news?"}], "web_search_options": {}}),
    )
    .expect("translates");
    assert_eq!(
        body["tools"],
        json!([{"type": "web_search_20250305", "name": "web_search", "max_uses": 5}])
    );
    assert!(body.get("tool_choice").is_none(), "{body}");
    let body = translate(
        &ctx(&[]),
        &json!({"messages": [{"role": "user", "content": "hi"}], "web_search_options": null}),
    )
    .expect("translates");
    assert!(
        body.get("tools").is_none(),
        "null asks for no search: {body}"
    );
}

#[test]
fn options_choose_the_tool_version_and_max_uses() {
    let request = json!({"messages": [{"role": "user", "content": "news?"}], "web_search_options": {
        "user_location": {"type": "approximate", "approximate": {"country": "DE"}}}});
    let body = translate(
        &ctx(&[
            (OPTION_WEB_SEARCH_TOOL, "web_search_20260209"),
            (OPTION_WEB_SEARCH_MAX_USES, "2"),
        ]),
        &request,
    )
    .expect("translates");
    assert_eq!(
        body["tools"][0],
        json!({"type": "web_search_20260209", "name": "web_search", "max_uses": 2,
               "user_location": {"type": "approximate", "country": "DE"}})
    );
    for (option, value) in [
        (OPTION_WEB_SEARCH_TOOL, "google_search"),
        (OPTION_WEB_SEARCH_MAX_USES, "0"),
        (OPTION_WEB_SEARCH_MAX_USES, "many"),
    ] {
        let error = translate(&ctx(&[(option, value)]), &request).expect_err("a bad option");
        assert!(error.message.contains(option), "{}", error.message);
    }
}

#[test]
fn a_client_function_named_web_search_wins() {
    let body = translate(
        &ctx(&[]),
        &json!({"messages": [{"role": "user", "content": "news?"}],
            "tools": [function("web_search")], "web_search_options": {}}),
    )
    .expect("translates");
    assert_eq!(body["tools"].as_array().map(Vec::len), Some(1));
    assert!(body["tools"][0].get("input_schema").is_some());
}

#[test]
fn misfit_options_are_refused_naming_the_field() {
    let error = translate(
        &ctx(&[]),
        &json!({"messages": [{"role": "user", "content": "x"}],
            "web_search_options": {"user_location": {"approximate": {"city": 7}}}}),
    )
    .expect_err("a city is text");
    assert_eq!(error.status, 400);
    assert_eq!(
        error.param.as_deref(),
        Some("web_search_options.user_location.approximate.city")
    );
}
