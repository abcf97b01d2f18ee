use super::super::fixtures::{body, status};
use super::*;

fn recorded(name: &str) -> UpstreamResponse {
    UpstreamResponse {
        status: status(name),
        headers: vec![(
            "content-type".into(),
            "application/json; charset=UTF-8".into(),
        )],
        body: serde_json::to_vec(&body(name)).expect("serializes"),
    }
}

#[test]
fn invalid_api_key_is_a_401() {
    let e = from_upstream(&recorded("gemini-error-400-api-key.json"));
    assert_eq!(
        (e.status, e.error_type.as_str()),
        (401, "authentication_error")
    );
    assert_eq!(e.code.as_deref(), Some("invalid_api_key"));
    assert_eq!(e.message, "API key not valid. Please pass a valid API key.");
}

#[test]
fn quota_429_waits_as_retry_info_says() {
    let e = from_upstream(&recorded("gemini-error-429.json"));
    assert_eq!((e.status, e.retry_after), (429, Some(37)));
    assert_eq!(e.error_type, "rate_limit_exceeded");
    assert!(e.message.starts_with("You exceeded your current quota"));
}

#[test]
fn invalid_argument_stays_a_400_with_the_message() {
    for name in [
        "gemini-error-400-thought-signature.json",
        "gemini-error-400-function-response-count.json",
    ] {
        let e = from_upstream(&recorded(name));
        assert_eq!(
            (e.status, e.error_type.as_str()),
            (400, "invalid_request_error"),
            "{name}"
        );
        assert!(!e.message.is_empty());
    }
}

#[test]
fn rpc_statuses_map_to_openai_types() {
    let cases = [
        (403, "PERMISSION_DENIED", 403, "permission_error"),
        (404, "NOT_FOUND", 404, "not_found_error"),
        (500, "INTERNAL", 500, "server_error"),
        (503, "UNAVAILABLE", 503, "server_error"),
        (504, "DEADLINE_EXCEEDED", 504, "server_error"),
    ];
    for (http, rpc, expected_status, expected_type) in cases {
        let body = format!(r#"[{{"error":{{"code":{http},"message":"m","status":"{rpc}"}}}}]"#);
        let e = from_upstream(&UpstreamResponse {
            status: http,
            headers: vec![],
            body: body.into_bytes(),
        });
        assert_eq!(
            (e.status, e.error_type.as_str()),
            (expected_status, expected_type),
            "{rpc}"
        );
    }
}

#[test]
fn foreign_bodies_keep_the_status() {
    let e = from_upstream(&UpstreamResponse {
        status: 502,
        headers: vec![("retry-after".into(), "3".into())],
        body: b"<html>Bad Gateway</html>".to_vec(),
    });
    assert_eq!((e.status, e.retry_after), (502, Some(3)));
    assert!(e.message.contains("Bad Gateway"));
}

#[test]
fn a_redirect_is_a_502_unless_its_body_names_an_error_status() {
    let moved = UpstreamResponse {
        status: 302,
        headers: Vec::new(),
        body: b"<html>Moved</html>".to_vec(),
    };
    let e = from_upstream(&moved);
    assert_eq!(
        e.status, 502,
        "redirects are not followed, and no client error carries a 3xx"
    );
    assert!(e.message.contains("HTTP 302"), "{}", e.message);

    let with_error = UpstreamResponse {
        body: br#"{"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}}"#.to_vec(),
        ..moved
    };
    assert_eq!(
        from_upstream(&with_error).status,
        403,
        "the error's own code decides"
    );
}
