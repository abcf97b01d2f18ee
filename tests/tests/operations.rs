//! What operators rely on: request ids, the overhead header, Prometheus metrics that
//! move, CORS from an allowlist, and keys that never reach a client.

use e2e::checks::{chat_body, read_error, read_json, read_stream};
use e2e::mock_upstream::MOCK_API_KEY;
use e2e::{MockUpstream, TestConfig, TestGateway};
use serde_json::json;

async fn setup(config: TestConfig) -> (MockUpstream, TestGateway) {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let config = config
        .model("ops-echo", "openai", "mock-echo", &mock.base_url())
        .model("ops-echo-key", "openai", "mock-echo-key", &mock.base_url());
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    (mock, gateway)
}

/// The value of one sample line of the Prometheus text output, if present.
fn sample(metrics: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        let (label_part, value) = rest.rsplit_once(' ')?;
        let all = labels
            .iter()
            .all(|(k, v)| label_part.contains(&format!("{k}=\"{v}\"")));
        (label_part.starts_with('{') && all).then(|| value.parse().ok())?
    })
}

async fn metrics(gateway: &TestGateway) -> String {
    let response = gateway
        .client()
        .get(gateway.endpoint("/metrics"))
        .send()
        .await
        .expect("/metrics answers");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.expect("metrics body")
}

#[tokio::test]
async fn request_ids_are_returned_and_accepted() {
    let (_mock, gateway) = setup(TestConfig::new()).await;
    let response = gateway.chat(&chat_body("ops-echo", "hi")).await.unwrap();
    let generated = response
        .headers()
        .get("x-request-id")
        .expect("an id is assigned");
    assert!(!generated.is_empty());

    let response = gateway
        .client()
        .post(gateway.endpoint("/v1/chat/completions"))
        .header("x-request-id", "req-from-client-42")
        .json(&chat_body("ops-echo", "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-from-client-42");
}

#[tokio::test]
async fn proxied_calls_report_the_gateway_overhead() {
    let (_mock, gateway) = setup(TestConfig::new()).await;
    let response = gateway.chat(&chat_body("ops-echo", "hi")).await.unwrap();
    let overhead: f64 = response.headers()["x-switchyard-overhead-ms"]
        .to_str()
        .unwrap()
        .parse()
        .expect("milliseconds as a number");
    assert!((0.0..10_000.0).contains(&overhead), "{overhead}");
    read_json(response).await.expect("a completion");
}

#[tokio::test]
async fn counters_and_histograms_move_with_traffic() {
    let (_mock, gateway) = setup(TestConfig::new()).await;
    let labels = [
        ("route", "/v1/chat/completions"),
        ("model", "ops-echo"),
        ("status", "200"),
    ];
    let before = sample(
        &metrics(&gateway).await,
        "switchyard_requests_total",
        &labels,
    )
    .unwrap_or(0.0);

    for _ in 0..3 {
        read_json(gateway.chat(&chat_body("ops-echo", "hi")).await.unwrap())
            .await
            .expect("a completion");
    }
    let mut streamed = chat_body("ops-echo", "stream me");
    streamed["stream"] = json!(true);
    read_stream(gateway.chat(&streamed).await.unwrap())
        .await
        .expect("a stream");
    let unknown = gateway.chat(&chat_body("nope", "hi")).await.unwrap();
    assert_eq!(unknown.status(), 404);

    let text = metrics(&gateway).await;
    let after = sample(&text, "switchyard_requests_total", &labels).expect("request counter");
    assert!(after >= before + 4.0, "before {before}, after {after}");
    assert!(
        sample(
            &text,
            "switchyard_requests_total",
            &[("model", "unknown"), ("status", "404")]
        )
        .is_some(),
        "failed requests are counted with their status, an unconfigured model as `unknown`"
    );
    assert!(
        !text.contains("\"nope\""),
        "a name no model has never becomes a label"
    );
    let prompt = sample(
        &text,
        "switchyard_tokens_total",
        &[("model", "ops-echo"), ("direction", "prompt")],
    )
    .expect("token counter");
    assert!(prompt > 0.0);
    assert!(
        sample(
            &text,
            "switchyard_time_to_first_token_seconds_count",
            &[("platform", "openai")]
        )
        .is_some_and(|n| n >= 1.0),
        "the stream's first token is timed"
    );
    assert!(
        text.contains("switchyard_overhead_seconds_bucket"),
        "overhead histogram"
    );
    assert!(
        text.contains("switchyard_adapter_sessions_capacity"),
        "pool usage gauge"
    );
}

#[tokio::test]
async fn cors_preflight_is_allowed_for_listed_origins_only() {
    let (_mock, gateway) = setup(TestConfig::new().cors(&["https://app.example"])).await;
    let preflight = |origin: &'static str| {
        gateway
            .client()
            .request(
                reqwest::Method::OPTIONS,
                gateway.endpoint("/v1/chat/completions"),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight("https://app.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(methods.contains("POST"), "{methods}");

    let denied = preflight("https://evil.example").await.unwrap();
    assert!(
        denied
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "an unlisted origin gets no CORS grant"
    );
}

#[tokio::test]
async fn without_an_allowlist_no_origin_is_granted() {
    let (_mock, gateway) = setup(TestConfig::new()).await;
    let response = gateway
        .client()
        .post(gateway.endpoint("/v1/chat/completions"))
        .header("origin", "https://app.example")
        .json(&chat_body("ops-echo", "hi"))
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn an_upstream_that_echoes_the_key_does_not_leak_it() {
    let (mock, gateway) = setup(TestConfig::new()).await;
    let response = gateway
        .chat(&chat_body("ops-echo-key", "hi"))
        .await
        .unwrap();
    let error = read_error(response).await.expect("an OpenAI error");
    assert_eq!(error.status, 401);
    assert!(
        !error.message.contains(MOCK_API_KEY),
        "the key reached the client: {}",
        error.message
    );
    assert!(error.message.contains("[REDACTED]"), "{}", error.message);
    assert!(
        mock.requests()
            .iter()
            .any(|r| r.header("authorization") == Some(&format!("Bearer {MOCK_API_KEY}"))),
        "the upstream did get the key"
    );
}

#[tokio::test]
async fn liveness_and_readiness_answer() {
    let (_mock, gateway) = setup(TestConfig::new()).await;
    for path in ["/health/live", "/health/ready"] {
        let response = gateway
            .client()
            .get(gateway.endpoint(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    let health = gateway.health().await.unwrap();
    assert_eq!(health["ready"], true);
}

#[tokio::test]
async fn upstream_rate_limit_headers_and_retry_advice_pass_through() {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let config = TestConfig::new().model("ops-429", "openai", "mock-429", &mock.base_url());
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    let response = gateway.chat(&chat_body("ops-429", "hi")).await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["x-ratelimit-remaining-tokens"], "0");
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn models_are_listed_and_fetched_one_by_one() {
    let (_mock, gateway) = setup(TestConfig::new()).await;
    let one = gateway
        .client()
        .get(gateway.endpoint("/v1/models/ops-echo"))
        .send()
        .await
        .unwrap();
    let one = read_json(one).await.expect("a model object");
    assert_eq!(one["id"], "ops-echo");
    assert_eq!(one["object"], "model");
    assert_eq!(one["owned_by"], "openai");

    let missing = gateway
        .client()
        .get(gateway.endpoint("/v1/models/no-such-model"))
        .send()
        .await
        .unwrap();
    let error = read_error(missing).await.expect("an OpenAI error");
    assert_eq!(error.status, 404);
    assert_eq!(error.code_str(), Some("model_not_found"));
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502_that_names_the_model_and_the_url_tried() {
    let config = TestConfig::new()
        .model("ops-down", "openai", "x", "http://127.0.0.1:9/v1")
        .model_with_key(
            "ops-down-query",
            "gemini",
            "g",
            "http://127.0.0.1:9",
            "query-secret-123",
        );
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    for stream in [false, true] {
        let mut body = chat_body("ops-down", "hi");
        body["stream"] = json!(stream);
        let error = read_error(gateway.chat(&body).await.unwrap())
            .await
            .expect("an OpenAI error");
        assert_eq!(error.status, 502, "stream={stream}");
        assert_eq!(error.code_str(), Some("upstream_unreachable"));
        assert!(error.message.contains("ops-down"), "{}", error.message);
        assert!(
            error
                .message
                .contains("http://127.0.0.1:9/v1/chat/completions")
                && error.message.contains("base_url"),
            "says what it tried and what to check: {}",
            error.message
        );
    }
    // Gemini's key travels in the query: the URL is named without it.
    let error = read_error(
        gateway
            .chat(&chat_body("ops-down-query", "hi"))
            .await
            .unwrap(),
    )
    .await
    .expect("an OpenAI error");
    assert!(
        error.message.contains("http://127.0.0.1:9/v1beta/models/"),
        "{}",
        error.message
    );
    assert!(
        !error.message.contains("query-secret-123") && !error.message.contains("key="),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_model_whose_adapter_is_missing_says_which_file_to_add_and_where_to_look() {
    let config = TestConfig::new().model("ops-orphan", "acme", "x", "http://127.0.0.1:9/v1");
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    let error = read_error(gateway.chat(&chat_body("ops-orphan", "hi")).await.unwrap())
        .await
        .expect("an OpenAI error");
    assert_eq!(error.status, 503);
    assert_eq!(error.code_str(), Some("adapter_unavailable"));
    assert!(
        error.message.contains("`acme.wasm`") && error.message.contains("/health"),
        "{}",
        error.message
    );
}
