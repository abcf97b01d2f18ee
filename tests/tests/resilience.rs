//! Routing and resilience against failing mock upstreams on loopback: several
//! deployments, retries, fallbacks, timeouts, the circuit breaker, and cancellation
//! when the client goes away.

use std::time::{Duration, Instant};

use e2e::checks::{chat_body, read_error, read_json, read_stream};
use e2e::mock_upstream::MOCK_API_KEY;
use e2e::{MockUpstream, TestConfig, TestGateway};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A `[[models]]` table with one deployment per upstream model, in order.
fn model(name: &str, mock: &MockUpstream, deployments: &[(&str, u32)], extra: &str) -> String {
    let deployments: Vec<String> = deployments
        .iter()
        .map(|(upstream, priority)| {
            format!(
                "{{ name = \"{upstream}\", upstream_model = \"{upstream}\", priority = {priority} }}"
            )
        })
        .collect();
    format!(
        "[[models]]\nname = \"{name}\"\nadapter = \"openai\"\nbase_url = \"{}\"\napi_key = \"{MOCK_API_KEY}\"\ndeployments = [{}]\n{extra}\n",
        mock.base_url(),
        deployments.join(", ")
    )
}

const FAST_RETRIES: &str =
    "[routing]\nbackoff_initial_ms = 10\nbackoff_max_ms = 50\nbreaker_failures = 1000\n";

async fn start(toml: String) -> TestGateway {
    TestGateway::start(&TestConfig::new().raw(&toml).to_toml())
        .await
        .expect("gateway starts")
}

fn upstream_calls(mock: &MockUpstream, upstream_model: &str) -> usize {
    mock.chat_requests()
        .iter()
        .filter(|r| r.body["model"] == upstream_model)
        .count()
}

async fn deployment_state(gateway: &TestGateway, deployment: &str) -> String {
    let health = gateway.health().await.expect("health");
    health["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .find(|d| d["deployment"] == deployment)
        .and_then(|d| d["state"].as_str())
        .expect("the deployment is listed")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_failing_deployment_beside_a_healthy_one_fails_no_request() {
    let mock = MockUpstream::start().await.expect("mock");
    let toml = model("mix", &mock, &[("mock-flaky", 0), ("mock-echo", 0)], "") + FAST_RETRIES;
    let gateway = start(toml).await;
    for n in 0..20 {
        let answer = read_json(
            gateway
                .chat(&chat_body("mix", &format!("n{n}")))
                .await
                .expect("answer"),
        )
        .await
        .unwrap_or_else(|err| panic!("request {n} failed: {err}"));
        assert_eq!(
            answer["choices"][0]["message"]["content"],
            format!("echo: n{n}")
        );
    }
    let flaky = upstream_calls(&mock, "mock-flaky");
    assert!(
        flaky >= 2,
        "the flaky deployment got traffic (and failed half of it): {flaky}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_not_retried_sooner_than_its_retry_after_and_fails_over_at_once() {
    let mock = MockUpstream::start().await.expect("mock");
    let toml = model("limited", &mock, &[("mock-429", 0)], "")
        + &model("spread", &mock, &[("mock-429", 0), ("mock-echo", 1)], "")
        + "[routing]\nretry_budget_ms = 2000\nbackoff_initial_ms = 10\nbreaker_failures = 1000\n";
    let gateway = start(toml).await;

    // retry-after (7 s) is beyond the budget: the client gets the 429 and its advice.
    let started = Instant::now();
    let response = gateway
        .chat(&chat_body("limited", "x"))
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "7");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no waiting past the budget"
    );
    assert_eq!(
        upstream_calls(&mock, "mock-429"),
        1,
        "no retry before retry-after"
    );

    // Another deployment does not have to wait.
    mock.clear();
    let started = Instant::now();
    let answer = read_json(
        gateway
            .chat(&chat_body("spread", "y"))
            .await
            .expect("answer"),
    )
    .await
    .expect("the second deployment answers");
    assert_eq!(answer["choices"][0]["message"]["content"], "echo: y");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(upstream_calls(&mock, "mock-429"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_upstream_is_a_504_within_the_first_byte_limit_and_is_cancelled() {
    let mock = MockUpstream::start().await.expect("mock");
    let toml = model(
        "hang",
        &mock,
        &[("mock-hang", 0)],
        "max_attempts = 1\ntimeouts = { first_byte_ms = 400 }",
    );
    let gateway = start(toml).await;
    let started = Instant::now();
    let response = gateway.chat(&chat_body("hang", "x")).await.expect("answer");
    let elapsed = started.elapsed();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    let error = read_error(response).await.expect("an OpenAI error");
    assert_eq!(error.code_str(), Some("upstream_timeout"));
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < Duration::from_millis(2500),
        "{elapsed:?}"
    );
    for _ in 0..50 {
        if mock.cancelled() == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "the upstream request was not abandoned: {}",
        mock.cancelled()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_cancels_the_upstream_call() {
    let mock = MockUpstream::start().await.expect("mock");
    let gateway = start(model("hang", &mock, &[("mock-hang", 0)], "")).await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let gave_up = impatient
        .post(gateway.endpoint("/v1/chat/completions"))
        .json(&chat_body("hang", "x"))
        .send()
        .await;
    assert!(gave_up.is_err(), "the client timed out");
    for _ in 0..100 {
        if mock.cancelled() == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the gateway kept the upstream call open after the client left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_breaks_midway_ends_with_an_error_event_and_is_not_retried() {
    let mock = MockUpstream::start().await.expect("mock");
    let gateway = start(
        model(
            "drop",
            &mock,
            &[("mock-drop-stream", 0), ("mock-echo", 1)],
            "",
        ) + FAST_RETRIES,
    )
    .await;
    let mut body = chat_body("drop", "x");
    body["stream"] = json!(true);
    let stream = read_stream(gateway.chat(&body).await.expect("answer"))
        .await
        .expect("a 200 stream");
    assert_eq!(
        stream.content(),
        "Hi",
        "what arrived before the break is kept"
    );
    assert_eq!(stream.errors().len(), 1, "then one error event");
    assert!(!stream.ends_with_done());
    assert_eq!(upstream_calls(&mock, "mock-drop-stream"), 1);
    assert_eq!(
        upstream_calls(&mock, "mock-echo"),
        0,
        "no retry once bytes reached the client"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_stream_ends_with_a_timeout_event_after_the_idle_limit() {
    let mock = MockUpstream::start().await.expect("mock");
    let gateway = start(model(
        "stall",
        &mock,
        &[("mock-stall-stream", 0)],
        "timeouts = { stream_idle_ms = 300 }",
    ))
    .await;
    let mut body = chat_body("stall", "x");
    body["stream"] = json!(true);
    let started = Instant::now();
    let stream = read_stream(gateway.chat(&body).await.expect("answer"))
        .await
        .expect("a 200 stream");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(stream.content(), "Hi");
    let errors = stream.errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0]["error"]["code"], "upstream_timeout",
        "{:?}",
        errors[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_circuit_opens_on_failures_skips_the_deployment_and_closes_after_a_good_probe() {
    let mock = MockUpstream::start().await.expect("mock");
    let toml = model("guarded", &mock, &[("mock-flaky", 0), ("mock-echo", 1)], "")
        + "[routing]\nbreaker_failures = 1\nbreaker_cooldown_ms = 600\nbackoff_initial_ms = 10\n";
    let gateway = start(toml).await;
    assert_eq!(deployment_state(&gateway, "mock-flaky").await, "closed");

    // 1st request: the flaky deployment fails (its 1st answer) -> open; the backup answers.
    let answer = read_json(
        gateway
            .chat(&chat_body("guarded", "a"))
            .await
            .expect("answer"),
    )
    .await;
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(deployment_state(&gateway, "mock-flaky").await, "open");
    for text in ["b", "c", "d"] {
        let answer = read_json(
            gateway
                .chat(&chat_body("guarded", text))
                .await
                .expect("answer"),
        )
        .await;
        assert!(answer.is_ok());
    }
    assert_eq!(upstream_calls(&mock, "mock-flaky"), 1, "skipped while open");
    assert_eq!(upstream_calls(&mock, "mock-echo"), 4);

    // After the cool-down one probe goes through; it succeeds (the 2nd flaky answer)
    // and the circuit closes.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(deployment_state(&gateway, "mock-flaky").await, "half_open");
    let answer = read_json(
        gateway
            .chat(&chat_body("guarded", "e"))
            .await
            .expect("answer"),
    )
    .await
    .expect("the probe answers");
    assert_eq!(answer["choices"][0]["message"]["content"], "echo: e");
    assert_eq!(upstream_calls(&mock, "mock-flaky"), 2);
    assert_eq!(deployment_state(&gateway, "mock-flaky").await, "closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fallbacks_answer_when_every_deployment_fails_but_not_for_a_bad_request() {
    let mock = MockUpstream::start().await.expect("mock");
    let toml = model(
        "primary",
        &mock,
        &[("mock-500", 0)],
        "fallbacks = [\"backup\"]",
    ) + &model(
        "picky",
        &mock,
        &[("mock-400", 0)],
        "fallbacks = [\"backup\"]",
    ) + &model("backup", &mock, &[("mock-echo", 0)], "")
        + FAST_RETRIES;
    let gateway = start(toml).await;
    let answer = read_json(
        gateway
            .chat(&chat_body("primary", "x"))
            .await
            .expect("answer"),
    )
    .await
    .expect("the fallback answers");
    assert_eq!(answer["choices"][0]["message"]["content"], "echo: x");
    assert_eq!(
        upstream_calls(&mock, "mock-500"),
        3,
        "max_attempts on the primary first"
    );

    let refused = gateway
        .chat(&chat_body("picky", "x"))
        .await
        .expect("answer");
    assert_eq!(
        refused.status(),
        StatusCode::BAD_REQUEST,
        "a 400 is the client's, not retried"
    );
    assert_eq!(upstream_calls(&mock, "mock-400"), 1);
    assert_eq!(upstream_calls(&mock, "mock-echo"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weights_split_traffic_between_healthy_deployments() {
    let mock = MockUpstream::start().await.expect("mock");
    let toml = format!(
        "[[models]]\nname = \"split\"\nadapter = \"openai\"\nbase_url = \"{}\"\napi_key = \"{MOCK_API_KEY}\"\n\
         deployments = [{{ upstream_model = \"mock-echo\", weight = 3 }}, {{ upstream_model = \"mock-slow\", weight = 1 }}]\n",
        mock.base_url()
    );
    let gateway = start(toml).await;
    let bodies: Vec<Value> = (0..40)
        .map(|n| chat_body("split", &format!("{n}")))
        .collect();
    let requests = bodies.iter().map(|body| gateway.chat(body));
    for response in futures_util::future::join_all(requests).await {
        assert_eq!(response.expect("answer").status(), StatusCode::OK);
    }
    let heavy = upstream_calls(&mock, "mock-echo");
    assert_eq!(heavy + upstream_calls(&mock, "mock-slow"), 40);
    // Expected 30; binomial(40, 0.75) is within 20..=38 with overwhelming probability.
    assert!(
        (20..=38).contains(&heavy),
        "{heavy} of 40 to the weight-3 deployment"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fallbacks_tokens_are_counted_under_the_model_that_answered() {
    let mock = MockUpstream::start().await.expect("mock");
    let toml = model(
        "tokens-primary",
        &mock,
        &[("mock-500", 0)],
        "fallbacks = [\"tokens-backup\"]",
    ) + &model("tokens-backup", &mock, &[("mock-echo", 0)], "")
        + FAST_RETRIES;
    let gateway = start(toml).await;
    read_json(
        gateway
            .chat(&chat_body("tokens-primary", "x"))
            .await
            .expect("answer"),
    )
    .await
    .expect("the fallback answers");
    let metrics = gateway
        .client()
        .get(gateway.endpoint("/metrics"))
        .send()
        .await
        .expect("/metrics answers")
        .text()
        .await
        .expect("text");
    let tokens = |model: &str| -> f64 {
        metrics
            .lines()
            .filter(|l| l.starts_with("switchyard_tokens_total{"))
            .filter(|l| l.contains(&format!("model=\"{model}\"")))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    assert!(
        tokens("tokens-backup") > 0.0,
        "the backup's tokens: {metrics}"
    );
    assert_eq!(
        tokens("tokens-primary"),
        0.0,
        "the primary answered nothing"
    );
}
