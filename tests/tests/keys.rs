//! Client keys end to end: the admin API creates, updates, rotates and revokes them,
//! and the API answers accordingly (401, 403, 200), with the database holding no
//! secret in clear.

use std::time::Duration;

use e2e::checks::{chat_body, read_error, read_json};
use e2e::{MockUpstream, TestConfig, TestGateway};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ADMIN: &str = "admin-key-for-tests-0123456789";

async fn setup(config: TestConfig) -> (MockUpstream, TestGateway) {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let config = config
        .client_auth(true)
        .admin_key(ADMIN)
        .model("gpt-a", "openai", "mock-echo", &mock.base_url())
        .model("gpt-b", "openai", "mock-echo", &mock.base_url());
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    (mock, gateway)
}

async fn admin(
    gateway: &TestGateway,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = gateway
        .client()
        .request(method, gateway.endpoint(path))
        .bearer_auth(ADMIN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("the gateway answers")
}

async fn create_key(gateway: &TestGateway, body: Value) -> Value {
    let response = admin(gateway, reqwest::Method::POST, "/admin/keys", Some(body)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("a key as JSON")
}

async fn chat_as(gateway: &TestGateway, secret: Option<&str>, model: &str) -> reqwest::Response {
    let mut request = gateway
        .client()
        .post(gateway.endpoint("/v1/chat/completions"))
        .json(&chat_body(model, "hi"));
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    request.send().await.expect("the gateway answers")
}

async fn expect_401(response: reqwest::Response, code: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let error = read_error(response).await.expect("an OpenAI error");
    assert_eq!(error.code_str(), Some(code), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_works_until_revoked_and_missing_or_wrong_keys_get_401() {
    let (_mock, gateway) = setup(TestConfig::new()).await;
    expect_401(chat_as(&gateway, None, "gpt-a").await, "missing_api_key").await;
    expect_401(
        chat_as(&gateway, Some("sy-not-a-real-key"), "gpt-a").await,
        "invalid_api_key",
    )
    .await;

    let key = create_key(&gateway, json!({"name": "ci"})).await;
    let secret = key["secret"].as_str().expect("a secret").to_string();
    assert!(secret.starts_with("sy-"), "{key}");
    assert_eq!(key["prefix"].as_str(), Some(&secret[..10]));
    let answer = read_json(chat_as(&gateway, Some(&secret), "gpt-a").await)
        .await
        .expect("a completion with a valid key");
    assert_eq!(answer["choices"][0]["message"]["content"], "echo: hi");
    // Anthropic- and Azure-style headers carry the key too.
    let via_x_api_key = gateway
        .client()
        .post(gateway.endpoint("/v1/chat/completions"))
        .header("x-api-key", &secret)
        .json(&chat_body("gpt-a", "hi"))
        .send()
        .await
        .expect("answer");
    assert_eq!(via_x_api_key.status(), StatusCode::OK);

    let id = key["id"].as_str().expect("an id");
    let listed = read_json(admin(&gateway, reqwest::Method::GET, "/admin/keys", None).await)
        .await
        .expect("a list");
    let listed_ids = |list: &Value| -> Vec<String> {
        list["data"]
            .as_array()
            .expect("data")
            .iter()
            .filter_map(|k| k["id"].as_str().map(str::to_string))
            .collect()
    };
    assert!(listed_ids(&listed).contains(&id.to_string()), "{listed}");
    assert!(
        !listed.to_string().contains(&secret),
        "a listing never shows the secret: {listed}"
    );

    let revoked = admin(
        &gateway,
        reqwest::Method::DELETE,
        &format!("/admin/keys/{id}"),
        None,
    )
    .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    expect_401(
        chat_as(&gateway, Some(&secret), "gpt-a").await,
        "invalid_api_key",
    )
    .await;
    let listed = read_json(admin(&gateway, reqwest::Method::GET, "/admin/keys", None).await)
        .await
        .expect("a list");
    assert!(
        !listed_ids(&listed).contains(&id.to_string()),
        "revoked keys are hidden by default: {listed}"
    );
    let all = read_json(
        admin(
            &gateway,
            reqwest::Method::GET,
            "/admin/keys?include_revoked=true",
            None,
        )
        .await,
    )
    .await
    .expect("a list");
    let revoked = all["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|k| k["id"] == id)
        .expect("listed with include_revoked");
    assert!(revoked["revoked_at"].is_i64(), "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_allowlist_gives_403_and_filters_the_model_list() {
    let (_mock, gateway) = setup(TestConfig::new()).await;
    let key = create_key(&gateway, json!({"name": "only-a", "models": ["gpt-a"]})).await;
    let secret = key["secret"].as_str().expect("secret");
    assert_eq!(
        chat_as(&gateway, Some(secret), "gpt-a").await.status(),
        StatusCode::OK
    );
    let refused = chat_as(&gateway, Some(secret), "gpt-b").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let error = read_error(refused).await.expect("an OpenAI error");
    assert_eq!(error.code_str(), Some("model_not_allowed"));
    assert!(error.message.contains("gpt-b"), "{error:?}");

    let models: Value = gateway
        .client()
        .get(gateway.endpoint("/v1/models"))
        .bearer_auth(secret)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    let ids: Vec<&str> = models["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(ids, ["gpt-a"]);

    // Widening the allowlist takes effect at once.
    let id = key["id"].as_str().expect("id");
    let updated = admin(
        &gateway,
        reqwest::Method::PATCH,
        &format!("/admin/keys/{id}"),
        Some(json!({"models": null})),
    )
    .await;
    assert_eq!(updated.status(), StatusCode::OK);
    assert_eq!(
        chat_as(&gateway, Some(secret), "gpt-b").await.status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_and_expired_keys_are_refused_and_enabling_restores_access() {
    let (_mock, gateway) = setup(TestConfig::new()).await;
    let key = create_key(&gateway, json!({"name": "k"})).await;
    let (id, secret) = (
        key["id"].as_str().expect("id"),
        key["secret"].as_str().expect("secret"),
    );
    let path = format!("/admin/keys/{id}");
    admin(
        &gateway,
        reqwest::Method::PATCH,
        &path,
        Some(json!({"enabled": false})),
    )
    .await;
    expect_401(
        chat_as(&gateway, Some(secret), "gpt-a").await,
        "key_disabled",
    )
    .await;
    admin(
        &gateway,
        reqwest::Method::PATCH,
        &path,
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(
        chat_as(&gateway, Some(secret), "gpt-a").await.status(),
        StatusCode::OK
    );

    let soon = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 2;
    let short = create_key(&gateway, json!({"name": "short", "expires_at": soon})).await;
    let short_secret = short["secret"].as_str().expect("secret");
    assert_eq!(
        chat_as(&gateway, Some(short_secret), "gpt-a")
            .await
            .status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    expect_401(
        chat_as(&gateway, Some(short_secret), "gpt-a").await,
        "key_expired",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_replaces_the_secret_keeping_identity_with_an_optional_grace_period() {
    let (_mock, gateway) = setup(TestConfig::new()).await;
    let key = create_key(
        &gateway,
        json!({"name": "rot", "limits": {"requests_per_minute": 7}}),
    )
    .await;
    let (id, old) = (
        key["id"].as_str().expect("id"),
        key["secret"].as_str().expect("secret"),
    );

    // Without grace, the old secret stops at once.
    let rotated = read_json(
        admin(
            &gateway,
            reqwest::Method::POST,
            &format!("/admin/keys/{id}/rotate"),
            None,
        )
        .await,
    )
    .await
    .expect("rotated");
    let new = rotated["secret"].as_str().expect("new secret");
    assert_ne!(new, old);
    assert_eq!(rotated["id"], id, "same identity");
    assert_eq!(rotated["limits"]["requests_per_minute"], 7, "same settings");
    expect_401(
        chat_as(&gateway, Some(old), "gpt-a").await,
        "invalid_api_key",
    )
    .await;
    assert_eq!(
        chat_as(&gateway, Some(new), "gpt-a").await.status(),
        StatusCode::OK
    );

    // With a grace period both work until it ends.
    let graced = read_json(
        admin(
            &gateway,
            reqwest::Method::POST,
            &format!("/admin/keys/{id}/rotate"),
            Some(json!({"grace_seconds": 2})),
        )
        .await,
    )
    .await
    .expect("rotated");
    let newest = graced["secret"].as_str().expect("secret");
    assert_eq!(
        chat_as(&gateway, Some(new), "gpt-a").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        chat_as(&gateway, Some(newest), "gpt-a").await.status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    expect_401(
        chat_as(&gateway, Some(new), "gpt-a").await,
        "invalid_api_key",
    )
    .await;
    assert_eq!(
        chat_as(&gateway, Some(newest), "gpt-a").await.status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_access_serves_keyless_requests_but_still_refuses_wrong_keys() {
    let (_mock, gateway) = setup(TestConfig::new().anonymous(true)).await;
    assert_eq!(
        chat_as(&gateway, None, "gpt-a").await.status(),
        StatusCode::OK
    );
    expect_401(
        chat_as(&gateway, Some("sy-wrong"), "gpt-a").await,
        "invalid_api_key",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_needs_the_admin_key_and_explains_bad_input() {
    let (_mock, gateway) = setup(TestConfig::new()).await;
    let client = gateway.client();
    let no_key = client
        .get(gateway.endpoint("/admin/keys"))
        .send()
        .await
        .expect("answer");
    expect_401(no_key, "missing_api_key").await;
    let key = create_key(&gateway, json!({"name": "client"})).await;
    let as_client = client
        .get(gateway.endpoint("/admin/keys"))
        .bearer_auth(key["secret"].as_str().expect("secret"))
        .send()
        .await
        .expect("answer");
    expect_401(as_client, "invalid_api_key").await;

    let post = reqwest::Method::POST;
    let cases: Vec<(reqwest::Method, String, Option<Value>, StatusCode, &str)> = vec![
        (
            post.clone(),
            "/admin/keys".into(),
            Some(json!({})),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            post.clone(),
            "/admin/keys".into(),
            Some(json!({"name": 5})),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            post.clone(),
            "/admin/keys".into(),
            Some(json!({"name": " "})),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            post.clone(),
            "/admin/keys".into(),
            Some(json!({"name": "x", "models": ["nope"]})),
            StatusCode::BAD_REQUEST,
            "nope",
        ),
        (
            post.clone(),
            "/admin/keys".into(),
            Some(json!({"name": "x", "expires_at": 5})),
            StatusCode::BAD_REQUEST,
            "past",
        ),
        (
            post.clone(),
            "/admin/keys".into(),
            Some(json!({"name": "x", "colour": "red"})),
            StatusCode::BAD_REQUEST,
            "colour",
        ),
        (
            post.clone(),
            "/admin/keys".into(),
            Some(json!({"name": "x", "limits": {"requests_per_minute": -1}})),
            StatusCode::BAD_REQUEST,
            "requests_per_minute",
        ),
        (
            reqwest::Method::GET,
            "/admin/keys/key_missing".into(),
            None,
            StatusCode::NOT_FOUND,
            "key_missing",
        ),
        (
            reqwest::Method::PATCH,
            "/admin/keys/key_missing".into(),
            Some(json!({"name": "y"})),
            StatusCode::NOT_FOUND,
            "key_missing",
        ),
        (
            reqwest::Method::DELETE,
            "/admin/keys/key_missing".into(),
            None,
            StatusCode::NOT_FOUND,
            "key_missing",
        ),
        (
            post.clone(),
            "/admin/keys/key_missing/rotate".into(),
            None,
            StatusCode::NOT_FOUND,
            "key_missing",
        ),
        (
            post,
            format!("/admin/keys/{}/rotate", key["id"].as_str().expect("id")),
            Some(json!({"grace_seconds": "soon"})),
            StatusCode::BAD_REQUEST,
            "grace_seconds",
        ),
        (
            reqwest::Method::GET,
            "/admin/usage?since=10&until=5".into(),
            None,
            StatusCode::BAD_REQUEST,
            "since",
        ),
        (
            reqwest::Method::GET,
            "/admin/usage?group_by=colour".into(),
            None,
            StatusCode::BAD_REQUEST,
            "group_by",
        ),
        (
            reqwest::Method::GET,
            "/admin/requests?limit=0".into(),
            None,
            StatusCode::BAD_REQUEST,
            "limit",
        ),
        (
            reqwest::Method::GET,
            "/admin/conversations?limit=1000".into(),
            None,
            StatusCode::BAD_REQUEST,
            "limit",
        ),
        (
            reqwest::Method::GET,
            "/admin/conversations/anonymous/none".into(),
            None,
            StatusCode::NOT_FOUND,
            "none",
        ),
    ];
    for (method, path, body, status, mentions) in cases {
        let response = admin(&gateway, method.clone(), &path, body.clone()).await;
        assert_eq!(response.status(), status, "{method} {path} {body:?}");
        let error = read_error(response).await.expect("an OpenAI error");
        assert!(
            error.message.contains(mentions),
            "{method} {path} {body:?}: the message names `{mentions}`: {error:?}"
        );
    }
    let not_json = client
        .post(gateway.endpoint("/admin/keys"))
        .bearer_auth(ADMIN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answer");
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_admin_key_the_admin_api_is_off() {
    let mock = MockUpstream::start().await.expect("mock");
    let config = TestConfig::new().model("gpt-a", "openai", "mock-echo", &mock.base_url());
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway");
    let response = gateway
        .client()
        .get(gateway.endpoint("/admin/keys"))
        .bearer_auth("anything-at-all-here")
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let error = read_error(response).await.expect("error");
    assert!(error.message.contains("admin_key"), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_holds_no_secret_in_clear_and_keys_survive_a_restart() {
    let mock = MockUpstream::start().await.expect("mock");
    let data = tempfile::tempdir().expect("tempdir");
    let toml = TestConfig::new()
        .client_auth(true)
        .admin_key(ADMIN)
        .model("gpt-a", "openai", "mock-echo", &mock.base_url())
        .to_toml()
        .replace("{data_dir}", &data.path().display().to_string());
    let gateway = TestGateway::start(&toml).await.expect("gateway");
    let key = create_key(&gateway, json!({"name": "durable"})).await;
    let secret = key["secret"].as_str().expect("secret").to_string();
    assert_eq!(
        chat_as(&gateway, Some(&secret), "gpt-a").await.status(),
        StatusCode::OK
    );
    drop(gateway);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(data.path()).expect("data dir") {
        let path = entry.expect("entry").path();
        bytes.extend(std::fs::read(&path).unwrap_or_default());
    }
    assert!(!bytes.is_empty());
    let secret_tail = &secret[3..];
    assert!(
        !bytes
            .windows(secret_tail.len())
            .any(|w| w == secret_tail.as_bytes()),
        "the secret is not stored in clear in the database files"
    );

    let gateway = TestGateway::start(&toml).await.expect("gateway restarts");
    assert_eq!(
        chat_as(&gateway, Some(&secret), "gpt-a").await.status(),
        StatusCode::OK
    );
    // The log is written off the request path: poll briefly for the second row.
    let mut usage = Value::Null;
    for _ in 0..50 {
        usage = read_json(admin(&gateway, reqwest::Method::GET, "/admin/usage", None).await)
            .await
            .expect("usage");
        let requests = usage["data"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["group"] == key["id"]))
            .map(|row| row["requests"].clone());
        if requests == Some(json!(2)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("both runs' requests are counted for the key: {usage}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_limits_are_exact_at_the_boundary_with_openai_headers() {
    let mock = MockUpstream::start().await.expect("mock");
    let config = TestConfig::new()
        .client_auth(true)
        .admin_key(ADMIN)
        .model("gpt-a", "openai", "mock-echo", &mock.base_url())
        .model("gpt-slow", "openai", "mock-slow", &mock.base_url());
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway");

    // Requests per minute: three, then a 429 saying when to come back.
    let rpm = create_key(
        &gateway,
        json!({"name": "rpm", "limits": {"requests_per_minute": 3}}),
    )
    .await;
    let rpm = rpm["secret"].as_str().expect("secret");
    for remaining in ["2", "1", "0"] {
        let response = chat_as(&gateway, Some(rpm), "gpt-a").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["x-ratelimit-limit-requests"], "3");
        assert_eq!(
            response.headers()["x-ratelimit-remaining-requests"],
            remaining
        );
    }
    let limited = chat_as(&gateway, Some(rpm), "gpt-a").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((19..=20).contains(&retry_after), "{retry_after}");
    let error = read_error(limited).await.expect("an OpenAI error");
    assert_eq!(error.code_str(), Some("rate_limit_exceeded"));

    // Tokens per minute, charged from real usage: "hi" costs 7 + 2 tokens at the mock.
    let tpm = create_key(
        &gateway,
        json!({"name": "tpm", "limits": {"tokens_per_minute": 10}}),
    )
    .await;
    let tpm = tpm["secret"].as_str().expect("secret");
    assert_eq!(
        chat_as(&gateway, Some(tpm), "gpt-a").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        chat_as(&gateway, Some(tpm), "gpt-a").await.status(),
        StatusCode::OK,
        "1 token left: still admitted"
    );
    let over = chat_as(&gateway, Some(tpm), "gpt-a").await;
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(over.headers()["x-ratelimit-limit-tokens"], "10");

    // Concurrency: one in flight at a time.
    let one = create_key(
        &gateway,
        json!({"name": "one", "limits": {"max_concurrent": 1}}),
    )
    .await;
    let one = one["secret"].as_str().expect("secret");
    let (first, second) = tokio::join!(chat_as(&gateway, Some(one), "gpt-slow"), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        chat_as(&gateway, Some(one), "gpt-slow").await
    });
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        chat_as(&gateway, Some(one), "gpt-a").await.status(),
        StatusCode::OK,
        "the slot is free again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_holds_its_concurrency_slot_until_the_client_lets_go() {
    let mock = MockUpstream::start().await.expect("mock");
    let config = TestConfig::new()
        .client_auth(true)
        .admin_key(ADMIN)
        .model("gpt-a", "openai", "mock-echo", &mock.base_url())
        .model("gpt-stall", "openai", "mock-stall-stream", &mock.base_url());
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    let one = create_key(
        &gateway,
        json!({"name": "one", "limits": {"max_concurrent": 1}}),
    )
    .await;
    let one = one["secret"].as_str().expect("secret");

    // The upstream sends a first chunk, then nothing: the stream is open.
    let mut body = chat_body("gpt-stall", "hi");
    body["stream"] = json!(true);
    let mut stream = gateway
        .client()
        .post(gateway.endpoint("/v1/chat/completions"))
        .bearer_auth(one)
        .json(&body)
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(stream.status(), StatusCode::OK);
    let first = stream.chunk().await.expect("a first chunk");
    assert!(first.is_some(), "the stream has begun");
    assert_eq!(
        chat_as(&gateway, Some(one), "gpt-a").await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the open stream holds the key's one slot"
    );

    // The client goes away: the slot comes back without waiting for the upstream.
    drop(stream);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let status = chat_as(&gateway, Some(one), "gpt-a").await.status();
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            std::time::Instant::now() < deadline,
            "the slot of an abandoned stream is given back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
