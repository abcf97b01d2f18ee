//! Bad client input gets a 4xx with an OpenAI error body that names the problem,
//! never a 5xx, never reaches the upstream, and leaves the server serving.

use e2e::checks::{ApiError, chat_body, read_error, read_json};
use e2e::{MockUpstream, TestConfig, TestGateway};
use serde_json::json;

/// Small enough that an oversized body is cheap to send.
const BODY_LIMIT: usize = 64 * 1024;

async fn gateway() -> (MockUpstream, TestGateway) {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let config = TestConfig::new().max_body_bytes(BODY_LIMIT).model(
        "gpt-test",
        "openai",
        "mock-echo",
        &mock.base_url(),
    );
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    (mock, gateway)
}

async fn post_raw(
    gateway: &TestGateway,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> ApiError {
    let response = gateway
        .client()
        .post(gateway.endpoint("/v1/chat/completions"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the gateway answers");
    read_error(response).await.expect("an OpenAI-shaped error")
}

fn assert_client_error(error: &ApiError, status: u16, mentions: &[&str], case: &str) {
    if let Err(problem) = client_error_problem(error, status, mentions, case) {
        panic!("{problem}");
    }
}

/// What is wrong with an error answer to a client mistake, if anything.
fn client_error_problem(
    error: &ApiError,
    status: u16,
    mentions: &[&str],
    case: &str,
) -> Result<(), String> {
    if error.status != status {
        return Err(format!(
            "{case}: expected HTTP {status}, got {} with {}",
            error.status, error.body
        ));
    }
    if error.kind != "invalid_request_error" {
        return Err(format!(
            "{case}: a client mistake is an invalid_request_error in OpenAI's terms: {}",
            error.body
        ));
    }
    let message = error.message.to_lowercase();
    if !mentions.iter().any(|m| message.contains(&m.to_lowercase())) {
        return Err(format!(
            "{case}: the message should point at the problem (one of {mentions:?}): {:?}",
            error.message
        ));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_a_400_that_says_json() {
    let (mock, gateway) = gateway().await;
    let error = post_raw(
        &gateway,
        "application/json",
        r#"{"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}"#,
    )
    .await;
    assert_client_error(
        &error,
        400,
        &["json", "parse", "syntax", "EOF"],
        "truncated JSON",
    );

    let error = post_raw(&gateway, "application/json", "").await;
    assert!(
        (400..500).contains(&error.status),
        "an empty body is the client's mistake: {}",
        error.body
    );
    assert!(mock.requests().is_empty(), "nothing reaches the upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_mistyped_fields_are_400s_that_name_the_field() {
    let (mock, gateway) = gateway().await;
    let cases = [
        ("missing messages", json!({"model": "gpt-test"}), "messages"),
        (
            "messages is a string",
            json!({"model": "gpt-test", "messages": "hello"}),
            "messages",
        ),
        (
            "model is a number",
            json!({"model": 42, "messages": [{"role": "user", "content": "hi"}]}),
            "model",
        ),
        (
            "missing model",
            json!({"messages": [{"role": "user", "content": "hi"}]}),
            "model",
        ),
        (
            "stream is a string",
            json!({"model": "gpt-test", "stream": "yes", "messages": [{"role": "user", "content": "hi"}]}),
            "stream",
        ),
        ("body is an array", json!([1, 2, 3]), "object"),
    ];
    let mut problems = Vec::new();
    for (case, body, field) in cases {
        let error = post_raw(&gateway, "application/json", body.to_string()).await;
        let mentions: &[&str] = if field == "object" {
            &["object", "map", "invalid type", "expected"]
        } else {
            &[field]
        };
        if let Err(problem) = client_error_problem(&error, 400, mentions, case) {
            problems.push(problem);
        }
        if field != "object" && error.param.as_str().is_some_and(|p| p != field) {
            problems.push(format!(
                "{case}: `error.param` should name the field `{field}` (or be null): {}",
                error.body
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        mock.requests().is_empty(),
        "invalid requests must not reach the upstream: {:?}",
        mock.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_is_not_an_object_with_a_string_role_is_a_400_naming_it() {
    let (mock, gateway) = gateway().await;
    let user = json!({"role": "user", "content": "hi"});
    let mut problems = Vec::new();
    for (case, item, param) in [
        ("a string", json!("hello"), "messages[3]"),
        ("an array", json!(["user", "hi"]), "messages[3]"),
        ("no role", json!({"content": "hi"}), "messages[3]"),
        (
            "a numeric role",
            json!({"role": 1, "content": "hi"}),
            "messages[3].role",
        ),
    ] {
        let body = json!({"model": "gpt-test", "messages": [user, user, user, item]});
        let error = post_raw(&gateway, "application/json", body.to_string()).await;
        if let Err(problem) = client_error_problem(&error, 400, &[param], case) {
            problems.push(problem);
        }
        if error.param.as_str() != Some(param) {
            problems.push(format!(
                "{case}: `error.param` should be `{param}`: {}",
                error.body
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(mock.requests().is_empty(), "nothing reaches the upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_nested_arrays_are_a_400_not_a_crash_nor_a_forward() {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    // The default body limit (10 MB), so the 200 KB body is refused for its depth.
    let config = TestConfig::new().model("gpt-test", "openai", "mock-echo", &mock.base_url());
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    let depth = 100_000;
    for messages in [
        format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
        format!(
            r#"[{{"role":"user","content":{}{}}}]"#,
            "[".repeat(depth),
            "]".repeat(depth)
        ),
    ] {
        let body = format!(r#"{{"model":"gpt-test","messages":{messages}}}"#);
        let error = post_raw(&gateway, "application/json", body).await;
        assert_client_error(&error, 400, &["deeper than"], "100,000 nested arrays");
    }
    assert!(mock.requests().is_empty(), "nothing reaches the upstream");
    let answer = read_json(
        gateway
            .client()
            .post(gateway.endpoint("/v1/chat/completions"))
            .json(&chat_body("gpt-test", "hi"))
            .send()
            .await
            .expect("the gateway answers"),
    )
    .await
    .expect("a completion");
    assert_eq!(answer["choices"][0]["message"]["content"], "echo: hi");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_model_is_a_404_model_not_found_naming_the_model() {
    let (mock, gateway) = gateway().await;
    let response = gateway
        .chat(&chat_body("no-such-model-xyz", "hi"))
        .await
        .expect("the gateway answers");
    let error = read_error(response).await.expect("an OpenAI-shaped error");
    assert_client_error(&error, 404, &["no-such-model-xyz"], "unknown model");
    assert_eq!(
        error.code_str(),
        Some("model_not_found"),
        "OpenAI's code for an unknown model: {}",
        error.body
    );
    assert!(mock.requests().is_empty(), "nothing reaches the upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_the_limit_is_a_413() {
    let (mock, gateway) = gateway().await;
    let huge = "a".repeat(BODY_LIMIT * 2);
    let body = chat_body("gpt-test", &huge).to_string();
    let error = post_raw(&gateway, "application/json", body).await;
    assert_eq!(error.status, 413, "oversized body: {}", error.body);
    let message = error.message.to_lowercase();
    assert!(
        ["large", "limit", "size", "bytes"]
            .iter()
            .any(|m| message.contains(m)),
        "the message should say the body is too large: {:?}",
        error.message
    );
    assert!(mock.requests().is_empty(), "nothing reaches the upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_json_content_type_is_a_415() {
    let (mock, gateway) = gateway().await;
    let valid = chat_body("gpt-test", "hi").to_string();
    let error = post_raw(&gateway, "text/plain", valid.clone()).await;
    assert_client_error(
        &error,
        415,
        &["content-type", "content type", "application/json", "json"],
        "text/plain body",
    );
    let error = post_raw(&gateway, "application/x-www-form-urlencoded", valid).await;
    assert_eq!(error.status, 415, "form body: {}", error.body);
    assert!(mock.requests().is_empty(), "nothing reaches the upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_still_answers_after_bad_input() {
    let (mock, gateway) = gateway().await;
    let client = gateway.client();
    let url = gateway.endpoint("/v1/chat/completions");
    let bad_bodies = [
        ("application/json", "{".to_owned()),
        ("application/json", "null".to_owned()),
        ("application/json", json!({"model": "gpt-test"}).to_string()),
        (
            "application/json",
            json!({"model": ["gpt-test"], "messages": []}).to_string(),
        ),
        ("application/json", "\u{0}\u{1}\u{2}".to_owned()),
        ("text/plain", "hello".to_owned()),
        ("application/json", "x".repeat(BODY_LIMIT + 1)),
    ];
    for (content_type, body) in bad_bodies {
        let response = client
            .post(&url)
            .header("content-type", content_type)
            .body(body.clone())
            .send()
            .await
            .expect("the gateway answers");
        let status = response.status();
        assert!(
            status.is_client_error(),
            "bad input {:?} must be a 4xx, got {status}",
            body.chars().take(60).collect::<String>()
        );
    }
    let answer = read_json(
        gateway
            .chat(&chat_body("gpt-test", "still there?"))
            .await
            .expect("the gateway answers"),
    )
    .await
    .expect("a good request succeeds after bad ones");
    assert_eq!(
        e2e::checks::completion_text(&answer),
        Some("echo: still there?"),
        "{answer}"
    );
    assert_eq!(
        mock.chat_requests().len(),
        1,
        "only the good request went upstream"
    );
    let health = gateway.health().await.expect("/health answers");
    assert_eq!(health["status"], "ok", "{health}");
}

/// Errors on the Messages paths are Anthropic-shaped whichever layer refuses them:
/// the announced-size check, the body extractor, the route fallbacks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_paths_refuse_in_anthropics_shape_at_every_layer() {
    let (mock, gateway) = gateway().await;
    let huge = "a".repeat(BODY_LIMIT * 2);
    let oversized = json!({"model": "gpt-test", "max_tokens": 5,
        "messages": [{"role": "user", "content": huge}]});
    let cases = [
        (
            "POST",
            "/v1/messages",
            oversized.to_string(),
            413,
            "request_too_large",
        ),
        (
            "POST",
            "/v1/messages",
            "{not json".to_string(),
            400,
            "invalid_request_error",
        ),
        (
            "POST",
            "/v1/messages/nope",
            "{}".to_string(),
            404,
            "not_found_error",
        ),
        (
            "GET",
            "/v1/messages",
            String::new(),
            405,
            "invalid_request_error",
        ),
    ];
    for (method, path, body, status, kind) in cases {
        let request = match method {
            "GET" => gateway.client().get(gateway.endpoint(path)),
            _ => gateway.client().post(gateway.endpoint(path)),
        };
        let response = request
            .header("content-type", "application/json")
            .header("anthropic-version", "2023-06-01")
            .body(body)
            .send()
            .await
            .expect("the gateway answers");
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        assert!(
            response.headers().contains_key("request-id"),
            "{method} {path}: Anthropic's request-id header"
        );
        let body: serde_json::Value = response.json().await.expect("a JSON error body");
        assert_eq!(body["type"], "error", "{method} {path}: {body}");
        assert_eq!(body["error"]["type"], kind, "{method} {path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    assert!(mock.requests().is_empty(), "nothing reaches the upstream");
}
