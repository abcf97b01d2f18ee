use serde_json::Value;

use super::*;

fn recorded(name: &str) -> UpstreamResponse {
    let fixture: Value =
        serde_json::from_str(super::super::fixtures::text(name)).expect("fixture is JSON");
    let headers = fixture["_headers"]
        .as_object()
        .map(|h| {
            h.iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default();
    UpstreamResponse {
        status: fixture["_status"].as_u64().expect("_status") as u16,
        headers,
        body: serde_json::to_vec(&fixture["body"]).expect("body"),
    }
}

fn raw(status: u16, body: &str) -> UpstreamResponse {
    UpstreamResponse {
        status,
        headers: vec![],
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn blocked_prompt_keeps_content_filter_and_names_the_category() {
    let e = from_upstream(&recorded("azure-error-400-content-filter.json"));
    assert_eq!(e.status, 400);
    assert_eq!(e.code.as_deref(), Some("content_filter"));
    assert_eq!(
        e.error_type, "invalid_request_error",
        "type null gets a real type"
    );
    assert_eq!(e.param.as_deref(), Some("prompt"));
    assert!(
        e.message.contains("content management policy"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("sexual (severity high)"),
        "{}",
        e.message
    );
    assert!(
        !e.message.contains("hate"),
        "only categories that fired: {}",
        e.message
    );
    assert!(
        e.message.contains("ResponsibleAIPolicyViolation"),
        "{}",
        e.message
    );
}

#[test]
fn spec_spelling_of_the_inner_error_is_read_too() {
    let body = r#"{"error":{"code":"content_filter","message":"filtered","inner_error":{"code":"ResponsibleAIPolicyViolation","content_filter_results":{"jailbreak":{"filtered":true,"detected":true}}}}}"#;
    let e = from_upstream(&raw(400, body));
    assert!(
        e.message.contains("[content filter: jailbreak]"),
        "{}",
        e.message
    );
}

#[test]
fn rate_limit_with_string_code_becomes_an_openai_rate_limit() {
    let e = from_upstream(&recorded("azure-error-429.json"));
    assert_eq!(e.status, 429);
    assert_eq!(e.error_type, "rate_limit_exceeded");
    assert_eq!(e.code.as_deref(), Some("rate_limit_exceeded"));
    assert_eq!(e.retry_after, Some(86400));
    assert!(
        e.message
            .starts_with("Requests to the ChatCompletions_Create")
    );
}

#[test]
fn string_status_codes_and_unknown_deployments() {
    let e = from_upstream(&raw(
        401,
        r#"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint."}}"#,
    ));
    assert_eq!(
        (e.status, e.error_type.as_str()),
        (401, "authentication_error")
    );
    assert_eq!(e.code.as_deref(), Some("invalid_api_key"));

    let e = from_upstream(&raw(
        404,
        r#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}"#,
    ));
    assert_eq!(e.code.as_deref(), Some("model_not_found"));
    assert_eq!(e.error_type, "invalid_request_error");
}

#[test]
fn openai_shaped_errors_pass_through() {
    let e = from_upstream(&raw(
        400,
        r#"{"error":{"message":"Unknown parameter: 'stream_options'.","type":"invalid_request_error","param":"stream_options","code":"unknown_parameter"}}"#,
    ));
    assert_eq!(e.code.as_deref(), Some("unknown_parameter"));
    assert_eq!(e.param.as_deref(), Some("stream_options"));
}

#[test]
fn foreign_bodies_name_the_status() {
    let e = from_upstream(&raw(503, "<html>Service Unavailable</html>"));
    assert_eq!((e.status, e.error_type.as_str()), (503, "server_error"));
    assert!(e.message.contains("HTTP 503"), "{}", e.message);
    let e = from_upstream(&raw(500, ""));
    assert!(e.message.contains("empty body"), "{}", e.message);
}

#[test]
fn stream_errors_take_a_status_from_the_code() {
    let e = from_stream_error(r#"{"message":"slow down","code":"429"}"#);
    assert_eq!(
        (e.status, e.error_type.as_str()),
        (429, "rate_limit_exceeded")
    );
    let e = from_stream_error(r#"{"message":"boom","type":"server_error"}"#);
    assert_eq!(e.status, 502);
    let e = from_stream_error("not json");
    assert!(e.message.contains("not json"), "{}", e.message);
}

#[test]
fn a_redirect_is_a_502_naming_the_real_status() {
    let e = from_upstream(&UpstreamResponse {
        status: 301,
        headers: Vec::new(),
        body: b"Moved Permanently".to_vec(),
    });
    assert_eq!(
        e.status, 502,
        "redirects are not followed, and no client error carries a 3xx"
    );
    assert!(e.message.contains("HTTP 301"), "{}", e.message);
}
