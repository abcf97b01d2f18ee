use super::*;

fn error(status: u16, error_type: &str, code: Option<&str>, message: &str) -> ApiError {
    ApiError {
        status,
        message: message.into(),
        error_type: error_type.into(),
        param: None,
        code: code.map(str::to_owned),
        retry_after: None,
    }
}

#[test]
fn known_codes_are_kept() {
    let e = error(
        400,
        "invalid_request_error",
        Some("context_length_exceeded"),
        "x",
    );
    assert_eq!(failure(&e), ("context_length_exceeded", "x".to_owned()));
    let e = error(500, "server_error", Some("invalid_prompt"), "bad");
    assert_eq!(failure(&e).0, "invalid_prompt");
}

#[test]
fn context_messages_become_context_length_exceeded() {
    for message in [
        "This model's maximum context length is 128000 tokens.",
        "prompt is too long: 210000 tokens > 200000 maximum",
        "The input token count exceeds the context window",
    ] {
        let e = error(400, "invalid_request_error", None, message);
        assert_eq!(failure(&e).0, "context_length_exceeded", "{message}");
    }
    let e = error(400, "invalid_request_error", None, "bad image");
    assert_eq!(failure(&e).0, "server_error");
}

#[test]
fn rate_limits_say_when_to_try_again() {
    let mut e = error(429, "rate_limit_exceeded", None, "slow down");
    e.retry_after = Some(7);
    assert_eq!(
        failure(&e),
        (
            "rate_limit_exceeded",
            "Rate limit reached: slow down. Please try again in 7s.".to_owned()
        )
    );
    let e = error(
        429,
        "rate_limit_exceeded",
        Some("rate_limit_exceeded"),
        "Rate limit reached for gpt-x. Please try again in 2.5s.",
    );
    assert_eq!(
        failure(&e).1,
        "Rate limit reached for gpt-x. Please try again in 2.5s."
    );
    let e = error(429, "rate_limit_error", None, "busy");
    assert_eq!(failure(&e).1, "Rate limit reached: busy.");
}

#[test]
fn quota_overload_and_the_rest() {
    let e = error(429, "insufficient_quota", None, "no credit");
    assert_eq!(failure(&e).0, "insufficient_quota");
    let e = error(429, "x", Some("insufficient_quota"), "no credit");
    assert_eq!(failure(&e).0, "insufficient_quota");
    assert_eq!(
        failure(&error(529, "x", None, "m")).0,
        "server_is_overloaded"
    );
    assert_eq!(
        failure(&error(503, "x", None, "m")).0,
        "server_is_overloaded"
    );
    let e = error(500, "overloaded_error", None, "m");
    assert_eq!(failure(&e).0, "server_is_overloaded");
    assert_eq!(
        failure(&error(502, "api_error", None, "m")).0,
        "server_error"
    );
    assert_eq!(failure(&error(401, "auth", None, "m")).0, "server_error");
}
