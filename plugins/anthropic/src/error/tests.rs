use super::*;

use super::super::fixtures::{body, text};

fn response(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> UpstreamResponse {
    UpstreamResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body,
    }
}

fn fixture_response(name: &str, status: u16, headers: &[(&str, &str)]) -> UpstreamResponse {
    response(
        status,
        headers,
        serde_json::to_vec(&body(name)).expect("serializes"),
    )
}

#[test]
fn recorded_400_keeps_the_message_and_is_an_invalid_request() {
    let e = from_upstream(&fixture_response(
        "anthropic-error-400.json",
        400,
        &[("x-should-retry", "false")],
    ));
    assert_eq!(
        (e.status, e.error_type.as_str()),
        (400, "invalid_request_error")
    );
    assert!(
        e.message
            .starts_with("messages.0.content.1: unexpected `tool_use_id`"),
        "{}",
        e.message
    );
    assert_eq!((e.code, e.retry_after), (None, None));
}

#[test]
fn rate_limit_keeps_retry_after() {
    let e = from_upstream(&fixture_response(
        "anthropic-error-429.json",
        429,
        &[
            ("retry-after", "17"),
            ("anthropic-ratelimit-requests-remaining", "0"),
        ],
    ));
    assert_eq!((e.status, e.retry_after), (429, Some(17)));
    assert_eq!(e.error_type, "rate_limit_exceeded");
    assert_eq!(e.code.as_deref(), Some("rate_limit_exceeded"));
    assert!(e.message.contains("rate limit"), "{}", e.message);
}

#[test]
fn overloaded_529_becomes_503() {
    let e = from_upstream(&fixture_response("anthropic-error-529.json", 529, &[]));
    assert_eq!((e.status, e.error_type.as_str()), (503, "server_error"));
    assert_eq!(e.code.as_deref(), Some("overloaded"));
    assert_eq!(e.message, "Overloaded");
}

#[test]
fn every_documented_status_maps_to_openai_conventions() {
    let cases = [
        (
            400,
            "invalid_request_error",
            400,
            "invalid_request_error",
            None,
        ),
        (
            401,
            "authentication_error",
            401,
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        (403, "permission_error", 403, "permission_error", None),
        (
            404,
            "not_found_error",
            404,
            "invalid_request_error",
            Some("model_not_found"),
        ),
        (
            413,
            "request_too_large",
            413,
            "invalid_request_error",
            Some("request_too_large"),
        ),
        (
            429,
            "rate_limit_error",
            429,
            "rate_limit_exceeded",
            Some("rate_limit_exceeded"),
        ),
        (500, "api_error", 500, "server_error", None),
        (504, "timeout_error", 504, "server_error", Some("timeout")),
        (
            529,
            "overloaded_error",
            503,
            "server_error",
            Some("overloaded"),
        ),
    ];
    for (upstream, kind, status, error_type, code) in cases {
        let body = format!(
            r#"{{"type":"error","error":{{"type":"{kind}","message":"m"}},"request_id":"req_1"}}"#
        );
        let e = from_upstream(&response(upstream, &[], body.into_bytes()));
        assert_eq!(e.status, status, "{kind}");
        assert_eq!(e.error_type, error_type, "{kind}");
        assert_eq!(e.code.as_deref(), code, "{kind}");
        assert_eq!(e.message, "m");
    }
}

#[test]
fn a_foreign_body_names_the_status() {
    let e = from_upstream(&response(
        413,
        &[],
        b"<html>Request Entity Too Large</html>".to_vec(),
    ));
    assert_eq!(e.status, 413);
    assert_eq!(e.code.as_deref(), Some("request_too_large"));
    assert_eq!(
        e.message,
        "upstream answered HTTP 413: <html>Request Entity Too Large</html>"
    );
    let empty = from_upstream(&response(500, &[], Vec::new()));
    assert_eq!(
        empty.message,
        "upstream answered HTTP 500 with an empty body"
    );
    assert_eq!(empty.error_type, "server_error");
}

#[test]
fn mid_stream_overloaded_is_a_503() {
    let data = text("anthropic-stream-error.sse")
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("a data line");
    let e = from_stream_error(data);
    assert_eq!((e.status, e.error_type.as_str()), (503, "server_error"));
    assert_eq!(e.code.as_deref(), Some("overloaded"));
    assert_eq!(e.message, "Overloaded");
}

#[test]
fn mid_stream_garbage_is_a_502() {
    let e = from_stream_error("not json");
    assert_eq!((e.status, e.error_type.as_str()), (502, "server_error"));
    assert!(e.message.contains("not json"), "{}", e.message);
}

#[test]
fn a_redirect_is_a_502_naming_the_real_status() {
    let e = from_upstream(&response(307, &[], b"Temporary Redirect".to_vec()));
    assert_eq!(
        (e.status, e.error_type.as_str()),
        (502, "server_error"),
        "redirects are not followed, and no client error carries a 3xx"
    );
    assert!(e.message.contains("HTTP 307"), "{}", e.message);
}
