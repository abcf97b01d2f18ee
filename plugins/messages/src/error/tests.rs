use super::*;

fn error(status: u16, error_type: &str) -> ApiError {
    ApiError {
        status,
        message: "boom".into(),
        error_type: error_type.into(),
        param: None,
        code: None,
        retry_after: None,
    }
}

#[test]
fn anthropic_types_are_kept() {
    assert_eq!(
        anthropic_error_type(&error(500, "overloaded_error")),
        "overloaded_error"
    );
    assert_eq!(
        anthropic_error_type(&error(400, "rate_limit_error")),
        "rate_limit_error"
    );
}

#[test]
fn other_types_map_by_status() {
    let cases = [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (429, "rate_limit_error"),
        (503, "overloaded_error"),
        (529, "overloaded_error"),
        (500, "api_error"),
        (502, "api_error"),
    ];
    for (status, expected) in cases {
        assert_eq!(
            anthropic_error_type(&error(status, "rate_limit_exceeded")),
            expected,
            "status {status}"
        );
    }
}

#[test]
fn error_event_has_the_anthropic_shape() {
    assert_eq!(
        error_event(&error(429, "rate_limit_exceeded")),
        json!({"type": "error", "error": {"type": "rate_limit_error", "message": "boom"}})
    );
}
