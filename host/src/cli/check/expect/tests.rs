use serde_json::json;

use super::*;

fn request(headers: &[(&str, &str)], body: &str) -> UpstreamRequest {
    UpstreamRequest {
        method: Method::Post,
        path_and_query: "/v1/messages".into(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
        response_framing: None,
        credential: None,
    }
}

fn path_of(result: Result<(), Failure>) -> String {
    match result {
        Err(Failure::Mismatch { difference, .. }) => difference.path,
        other => panic!("expected a mismatch, got {other:?}"),
    }
}

#[test]
fn request_headers_are_a_case_insensitive_subset() {
    let expected: ExpectedRequest = serde_json::from_value(json!({
        "method": "post", "headers": {"Anthropic-Version": "2023-06-01"}, "body": {"a": 1},
        "framing": null,
    }))
    .unwrap();
    let actual = request(
        &[("anthropic-version", "2023-06-01"), ("x-extra", "1")],
        r#"{"a":1.0}"#,
    );
    assert!(check_request(&expected, &actual).is_ok());

    let missing = request(&[], r#"{"a":1}"#);
    assert_eq!(
        path_of(check_request(&expected, &missing)),
        "upstream_request.headers[\"Anthropic-Version\"]"
    );
    let mut streamed = actual;
    streamed.response_framing = Some(StreamFraming::Sse);
    assert_eq!(
        path_of(check_request(&expected, &streamed)),
        "upstream_request.framing"
    );
}

#[test]
fn errors_check_only_given_keys_and_null_means_none() {
    let actual = ApiError {
        status: 429,
        message: "Rate limit reached, retry later".into(),
        error_type: "rate_limit_exceeded".into(),
        param: None,
        code: Some("rate_limit_exceeded".into()),
        retry_after: Some(7),
    };
    let loose: ExpectedError = serde_json::from_value(json!({"status": 429})).unwrap();
    assert!(check_error("s", "expect_error", &loose, &actual).is_ok());
    let no_code: ExpectedError =
        serde_json::from_value(json!({"status": 429, "code": null})).unwrap();
    assert_eq!(
        path_of(check_error("s", "expect_error", &no_code, &actual)),
        "expect_error.code"
    );
    let text: ExpectedError =
        serde_json::from_value(json!({"status": 429, "message_contains": "quota"})).unwrap();
    assert_eq!(
        path_of(check_error("s", "expect_error", &text, &actual)),
        "expect_error.message_contains"
    );
}

#[test]
fn usage_expected_but_not_reported_is_a_difference() {
    let want: ExpectedUsage = serde_json::from_value(json!({"prompt_tokens": 3})).unwrap();
    let got = Usage {
        prompt_tokens: 3,
        completion_tokens: 9,
        cached_tokens: None,
        reasoning_tokens: None,
    };
    assert!(check_usage("s", "expect_usage", Some(&want), Some(got)).is_ok());
    assert_eq!(
        path_of(check_usage("s", "expect_usage", Some(&want), None)),
        "expect_usage"
    );
    assert_eq!(
        path_of(check_usage("s", "expect_usage", None, Some(got))),
        "expect_usage"
    );
}
