//! A faulty adapter (one that traps, one that never returns, one that eats memory)
//! costs its own caller a prompt 502 with an OpenAI error, and nobody else anything:
//! requests to healthy adapters running at the same time succeed and the server keeps
//! serving.

use std::time::{Duration, Instant};

use e2e::checks::{chat_body, completion_text, read_error, read_json};
use e2e::{MockUpstream, TestConfig, TestGateway, wasm};
use serde_json::json;

/// The adapter call deadline configured for these tests.
const CALL_TIMEOUT: Duration = Duration::from_millis(500);
/// What a faulty call may take beyond the deadline (scheduling on a busy 2-core box).
const SLACK: Duration = Duration::from_millis(2000);

/// (public model, adapter = plugin file stem)
const FAULTY: &[(&str, &str)] = &[
    ("trap-model", "trap"),
    ("spin-model", "spin"),
    ("hog-model", "hog"),
];

async fn gateway() -> (MockUpstream, TestGateway) {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let mut config = TestConfig::new()
        .call_timeout_ms(u64::try_from(CALL_TIMEOUT.as_millis()).expect("small"))
        .memory_limit_mib(64)
        .model("gpt-test", "openai", "mock-echo", &mock.base_url());
    for (model, adapter) in FAULTY {
        config = config.model(model, adapter, "mock-echo", &mock.base_url());
    }
    let gateway = TestGateway::start_with_plugins(
        &config.to_toml(),
        &[
            ("trap.wasm", wasm::TRAP),
            ("spin.wasm", wasm::SPIN),
            ("hog.wasm", wasm::HOG),
        ],
    )
    .await
    .expect("gateway starts");
    (mock, gateway)
}

/// Sends one request to a faulty model and checks the 502 and its timing.
async fn expect_prompt_502(gateway: &TestGateway, model: &str, adapter: &str, stream: bool) {
    let mut body = chat_body(model, "hello");
    body["stream"] = json!(stream);
    let started = Instant::now();
    let response = gateway.chat(&body).await.expect("the gateway answers");
    let error = read_error(response)
        .await
        .unwrap_or_else(|e| panic!("{model}: expected an OpenAI error: {e:#}"));
    let elapsed = started.elapsed();
    assert_eq!(
        error.status, 502,
        "{model} (adapter {adapter}, stream={stream}): a faulty adapter is a bad gateway: {}",
        error.body
    );
    assert!(
        elapsed <= CALL_TIMEOUT + SLACK,
        "{model}: the 502 took {elapsed:?}, beyond the {CALL_TIMEOUT:?} deadline plus {SLACK:?}"
    );
    assert!(
        error.message.contains(adapter),
        "{model}: the error should say which adapter failed ({adapter}): {:?}",
        error.message
    );
}

async fn expect_echo(gateway: &TestGateway, text: &str) {
    let response = gateway
        .chat(&chat_body("gpt-test", text))
        .await
        .expect("the gateway answers");
    let answer = read_json(response)
        .await
        .unwrap_or_else(|e| panic!("a healthy adapter must keep working: {e:#}"));
    assert_eq!(
        completion_text(&answer),
        Some(format!("echo: {text}").as_str()),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_faulty_adapter_gets_a_prompt_502() {
    let (mock, gateway) = gateway().await;
    for (model, adapter) in FAULTY {
        expect_prompt_502(&gateway, model, adapter, false).await;
        // The same adapter fails the same way again: a fault leaves nothing broken behind.
        expect_prompt_502(&gateway, model, adapter, false).await;
    }
    for (model, adapter) in FAULTY {
        expect_prompt_502(&gateway, model, adapter, true).await;
    }
    expect_echo(&gateway, "after the faults").await;
    assert_eq!(
        mock.chat_requests().len(),
        1,
        "faulty adapters fail before any upstream call in these tests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn healthy_requests_succeed_while_adapters_fault() {
    let (_mock, gateway) = gateway().await;
    let gateway = std::sync::Arc::new(gateway);

    let mut faults = Vec::new();
    for round in 0..2 {
        for (model, adapter) in FAULTY {
            let gateway = gateway.clone();
            faults.push(tokio::spawn(async move {
                expect_prompt_502(&gateway, model, adapter, round % 2 == 1).await;
            }));
        }
    }
    let mut healthy = Vec::new();
    for worker in 0..2 {
        let gateway = gateway.clone();
        healthy.push(tokio::spawn(async move {
            for i in 0..15 {
                expect_echo(&gateway, &format!("worker {worker} request {i}")).await;
            }
        }));
    }
    for task in faults.into_iter().chain(healthy) {
        task.await.expect("no assertion failed in the task");
    }

    let health = gateway
        .health()
        .await
        .expect("/health answers after the faults");
    assert_eq!(health["status"], "ok", "{health}");
    expect_echo(&gateway, "still serving").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn faulty_adapters_are_listed_as_loaded_from_files() {
    let (_mock, gateway) = gateway().await;
    for (_, adapter) in FAULTY {
        let entry = gateway
            .adapter_health(adapter)
            .await
            .expect("/health answers")
            .unwrap_or_else(|| panic!("/health lists the {adapter} adapter"));
        assert_eq!(entry["source"], "file", "{entry}");
    }
    let openai = gateway
        .adapter_health("openai")
        .await
        .expect("/health answers")
        .expect("/health lists the openai adapter");
    assert_eq!(openai["source"], "builtin", "{openai}");
    assert!(openai["last_error"].is_null(), "{openai}");
}

/// Voluntary context switches of the process's epoch ticker thread: how often it woke.
#[cfg(target_os = "linux")]
fn ticker_wakeups(pid: u32) -> u64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc lists the threads");
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() == "switchyard-epoc" {
            let status = std::fs::read_to_string(task.path().join("status")).expect("status");
            return status
                .lines()
                .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                .and_then(|n| n.trim().parse().ok())
                .expect("a switch count");
        }
    }
    panic!("the gateway has no epoch ticker thread");
}

/// An idle gateway stops waking up to advance the wasm epoch (200 times a second
/// otherwise), and the first call after the rest still has its deadline: a spinning
/// adapter gets its prompt 502, a healthy one answers.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_gateway_rests_its_epoch_ticker_and_deadlines_still_hold() {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let config = TestConfig::new()
        .call_timeout_ms(u64::try_from(CALL_TIMEOUT.as_millis()).expect("small"))
        .model("gpt-test", "openai", "mock-echo", &mock.base_url())
        .model("spin-model", "spin", "mock-echo", &mock.base_url());
    let gateway =
        crate::process::GatewayProcess::start_with_plugins(&config, &[("spin.wasm", wasm::SPIN)])
            .await;
    let pid = gateway.pid();

    // Idle (once the start's own loading is over): the ticker stops waking.
    let window = Duration::from_millis(500);
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        let before = ticker_wakeups(pid);
        tokio::time::sleep(window).await;
        let woke = ticker_wakeups(pid) - before;
        if woke <= 2 {
            break;
        }
        assert!(
            Instant::now() < give_up,
            "the epoch ticker of an idle gateway still woke {woke} times in {window:?}"
        );
    }

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let chat = |model: &str, text: &str| {
        client
            .post(format!("{}/v1/chat/completions", gateway.url))
            .json(&chat_body(model, text))
            .send()
    };
    let started = Instant::now();
    let response = chat("spin-model", "hello")
        .await
        .expect("the gateway answers a spinning adapter's call");
    let error = read_error(response).await.expect("an OpenAI error");
    let elapsed = started.elapsed();
    assert_eq!(error.status, 502, "{}", error.body);
    assert!(
        elapsed <= CALL_TIMEOUT + SLACK,
        "after a rest, the 502 took {elapsed:?}, beyond the {CALL_TIMEOUT:?} deadline plus {SLACK:?}"
    );
    let response = chat("gpt-test", "still there")
        .await
        .expect("the gateway answers");
    let body = read_json(response).await.expect("a completion");
    assert_eq!(completion_text(&body), Some("echo: still there"), "{body}");
}
