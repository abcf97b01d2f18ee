use super::*;

#[test]
fn upstream_errors_keep_status_type_code_and_retry_after() {
    let err = GatewayError::Upstream(ApiError {
        status: 429,
        message: "slow down".into(),
        error_type: "rate_limit_exceeded".into(),
        param: None,
        code: Some("rate_limit_exceeded".into()),
        retry_after: Some(7),
    });
    let response = err.into_response();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()[http::header::RETRY_AFTER], "7");
}

#[test]
fn an_impossible_upstream_status_becomes_502() {
    let err = GatewayError::Upstream(ApiError {
        status: 1000,
        message: "odd".into(),
        error_type: "server_error".into(),
        param: None,
        code: None,
        retry_after: None,
    });
    assert_eq!(err.status(), StatusCode::BAD_GATEWAY);
    for status in [101, 200, 204, 302] {
        let err = GatewayError::Upstream(ApiError {
            status,
            message: "odd".into(),
            error_type: "server_error".into(),
            param: None,
            code: None,
            retry_after: None,
        });
        assert_eq!(err.status(), StatusCode::BAD_GATEWAY, "{status}");
    }
}

#[test]
fn a_huge_model_name_is_not_echoed_whole() {
    let err = GatewayError::ModelNotFound("m".repeat(1 << 20));
    assert!(err.message().len() < 300, "{}", err.message().len());
}

#[test]
fn the_gateways_own_advice_is_not_scrubbed() {
    let err = GatewayError::Unauthorized {
        message: "send it as `Authorization: Bearer <key>`".into(),
        code: "missing_api_key",
    };
    assert!(err.message().contains("Bearer <key>"), "{}", err.message());
}

#[test]
fn unknown_model_names_the_model_and_the_param() {
    let err = GatewayError::ModelNotFound("gpt-9".into());
    let body = serde_json::to_value(err.body()).unwrap();
    assert_eq!(body["error"]["code"], "model_not_found");
    assert_eq!(body["error"]["param"], "model");
    assert!(body["error"]["message"].as_str().unwrap().contains("gpt-9"));
}

#[test]
fn a_database_that_is_down_is_503_and_other_store_failures_500() {
    let down = GatewayError::from(crate::store::StoreError::PostgresUnavailable {
        server: "db:5432/gw".into(),
        source: "connection refused".into(),
    });
    assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    let broken = GatewayError::from(crate::store::StoreError::Inconsistent("x"));
    assert_eq!(broken.status(), StatusCode::INTERNAL_SERVER_ERROR);
}
