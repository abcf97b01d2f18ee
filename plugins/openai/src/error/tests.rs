use serde_json::Value;

use super::*;

/// A recorded error fixture: `{"_status", "_headers", "body"}`.
fn recorded(name: &str) -> UpstreamResponse {
    let text = super::super::fixtures::text(name);
    let fixture: Value = serde_json::from_str(text).expect("fixture is JSON");
    let status = fixture["_status"].as_u64().expect("_status") as u16;
    let headers = fixture["_headers"]
        .as_object()
        .expect("_headers")
        .iter()
        .map(|(k, v)| {
            (
                k.to_ascii_lowercase(),
                v.as_str().expect("string").to_owned(),
            )
        })
        .collect();
    let body = serde_json::to_vec(&fixture["body"]).expect("serializes");
    UpstreamResponse {
        status,
        headers,
        body,
    }
}

fn raw(status: u16, headers: &[(&str, &str)], body: &str) -> UpstreamResponse {
    UpstreamResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn openai_400_keeps_message_type_param_and_code() {
    let e = from_upstream(&recorded("openai-error-400-unsupported-param.json"));
    assert_eq!(e.status, 400);
    assert_eq!(e.error_type, "invalid_request_error");
    assert_eq!(e.param.as_deref(), Some("max_tokens"));
    assert_eq!(e.code.as_deref(), Some("unsupported_parameter"));
    assert!(e.message.starts_with("Unsupported parameter: 'max_tokens'"));
    assert_eq!(e.retry_after, None);
}

#[test]
fn openai_401_and_404_keep_their_codes() {
    let e = from_upstream(&recorded("openai-error-401.json"));
    assert_eq!(
        (e.status, e.error_type.as_str()),
        (401, "invalid_request_error")
    );
    assert_eq!(e.code.as_deref(), Some("invalid_api_key"));
    assert_eq!(e.param, None);

    let e = from_upstream(&recorded("openai-error-404-model-not-found.json"));
    assert_eq!(e.status, 404);
    assert_eq!(e.code.as_deref(), Some("model_not_found"));
    assert_eq!(
        e.message,
        "The model `gpt-4.1-nano-wrong` does not exist or you do not have access to it."
    );
}

#[test]
fn openai_429_carries_retry_after() {
    let e = from_upstream(&recorded("openai-error-429.json"));
    assert_eq!((e.status, e.error_type.as_str()), (429, "tokens"));
    assert_eq!(e.code.as_deref(), Some("rate_limit_exceeded"));
    assert_eq!(e.retry_after, Some(1));

    let ms = raw(
        429,
        &[("retry-after-ms", "2500")],
        r#"{"error":{"message":"slow"}}"#,
    );
    assert_eq!(from_upstream(&ms).retry_after, Some(3), "rounded up");
}

#[test]
fn foreign_bodies_name_the_status_and_show_a_snippet() {
    let html = raw(
        502,
        &[],
        "<html>\n<head><title>502 Bad Gateway</title></head>\n</html>",
    );
    let e = from_upstream(&html);
    assert_eq!((e.status, e.error_type.as_str()), (502, "server_error"));
    assert_eq!(
        e.message,
        "upstream answered HTTP 502: <html> <head><title>502 Bad Gateway</title></head> </html>"
    );

    let long = raw(500, &[], &"x".repeat(10_000));
    let e = from_upstream(&long);
    assert!(e.message.chars().count() < 260, "the snippet is short");
    assert!(e.message.ends_with('…'));

    let empty = raw(503, &[("retry-after", "7")], "");
    let e = from_upstream(&empty);
    assert_eq!(e.message, "upstream answered HTTP 503 with an empty body");
    assert_eq!(e.retry_after, Some(7));

    let json_other = raw(422, &[], r#"{"detail":"field required"}"#);
    let e = from_upstream(&json_other);
    assert_eq!(
        (e.status, e.error_type.as_str()),
        (422, "invalid_request_error")
    );
    assert_eq!(
        e.message,
        r#"upstream answered HTTP 422: {"detail":"field required"}"#
    );
}

#[test]
fn status_defaults_fill_in_a_bare_error() {
    let e = from_upstream(&raw(401, &[], r#"{"error":"bad key"}"#));
    assert_eq!(e.message, "bad key");
    assert_eq!(e.error_type, "authentication_error");
    assert_eq!(e.code.as_deref(), Some("invalid_api_key"));

    let e = from_upstream(&raw(
        400,
        &[],
        r#"{"error":{"message":"no","code":400,"param":null}}"#,
    ));
    assert_eq!(e.code.as_deref(), Some("400"), "numeric codes become text");
    assert_eq!(e.error_type, "invalid_request_error");
}

#[test]
fn midstream_error_keeps_type_and_message_as_a_502() {
    let e = from_stream_error(
        r#"{"message":"The server had an error","type":"server_error","param":null,"code":null}"#,
    );
    assert_eq!(e.status, 502);
    assert_eq!(e.error_type, "server_error");
    assert_eq!(e.message, "The server had an error");
    assert_eq!(e.code, None);
}

#[test]
fn midstream_error_hints_win_over_502() {
    let e = from_stream_error(
        r#"{"message":"slow down","type":"tokens","code":"rate_limit_exceeded"}"#,
    );
    assert_eq!(e.status, 429);
    let e = from_stream_error(r#"{"message":"context too long","code":400}"#);
    assert_eq!(
        (e.status, e.error_type.as_str()),
        (400, "invalid_request_error")
    );
    let e = from_stream_error(r#"{"message":"odd","code":200}"#);
    assert_eq!(e.status, 502, "a non-error status is no hint");
    let e = from_stream_error(r#""overloaded""#);
    assert_eq!((e.status, e.message.as_str()), (502, "overloaded"));
    let e = from_stream_error("[1]");
    assert_eq!(e.status, 502);
    assert_eq!(e.error_type, "server_error");
    assert!(e.message.contains("[1]"));
}

#[test]
fn a_redirect_is_a_502_naming_the_real_status() {
    let e = from_upstream(&raw(302, &[], "<html>Moved</html>"));
    assert_eq!(
        (e.status, e.error_type.as_str()),
        (502, "server_error"),
        "redirects are not followed, and no client error carries a 3xx"
    );
    assert!(e.message.contains("HTTP 302"), "{}", e.message);
}
