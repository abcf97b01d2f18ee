//! Hot reload as an operator sees it: dropping a new `openai.wasm` into the plugin
//! folder changes the answers within a second without failing a single request; a bad
//! file changes nothing but `/health`; removing the override brings back the built-in.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use e2e::checks::{chat_body, completion_text, read_json, read_stream};
use e2e::{MockUpstream, TestConfig, TestGateway, wasm};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// The shout adapter's version, as it reports it.
const SHOUT_VERSION: &str = "9.9.9-shout";
/// How soon after the file lands the new version must answer.
const SWAP_WITHIN: Duration = Duration::from_secs(1);
/// How long to wait for `/health` to report a rejected file.
const REJECT_WITHIN: Duration = Duration::from_secs(5);
/// Pause between two requests of one client: steady load that leaves the reload
/// (a compile) some of the 2 cores, as a real deployment would.
const CLIENT_PAUSE: Duration = Duration::from_millis(2);

/// The tests here measure reload latency; run them one at a time so they do not
/// compete with each other for the CPU.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const LOWER: &str = "echo: hello";
const UPPER: &str = "ECHO: HELLO";

/// One request of the client loop.
#[derive(Debug, Clone)]
struct Observation {
    started: Instant,
    finished: Instant,
    /// The answer text, or what went wrong.
    outcome: Result<String, String>,
}

/// A few clients sending requests back to back until stopped; one of them streams.
struct Load {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Observation>>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Load {
    fn start(gateway: &Arc<TestGateway>, clients: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let tasks = (0..clients)
            .map(|client| {
                let (gateway, stop, seen) = (gateway.clone(), stop.clone(), seen.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let started = Instant::now();
                        let outcome = ask(&gateway, client == 0).await;
                        let finished = Instant::now();
                        seen.lock().expect("lock").push(Observation {
                            started,
                            finished,
                            outcome,
                        });
                        tokio::time::sleep(CLIENT_PAUSE).await;
                    }
                })
            })
            .collect();
        Self { stop, seen, tasks }
    }

    fn observations(&self) -> Vec<Observation> {
        self.seen.lock().expect("lock").clone()
    }

    /// Waits until an answer equal to `text` has finished; returns when it did.
    async fn wait_for_answer(&self, text: &str, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        loop {
            let first = self
                .observations()
                .into_iter()
                .filter(|o| o.outcome.as_deref() == Ok(text))
                .map(|o| o.finished)
                .min();
            if first.is_some() || Instant::now() > deadline {
                return first;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn stop(self) -> Vec<Observation> {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.expect("client loop task");
        }
        self.seen.lock().expect("lock").clone()
    }
}

/// One chat request for "hello", plain or streamed; the answer text or the failure.
async fn ask(gateway: &TestGateway, stream: bool) -> Result<String, String> {
    let mut body = chat_body("gpt-test", "hello");
    if stream {
        body["stream"] = json!(true);
    }
    let response = gateway.chat(&body).await.map_err(|e| e.to_string())?;
    if stream {
        let stream = read_stream(response).await.map_err(|e| format!("{e:#}"))?;
        if !stream.errors().is_empty() || !stream.ends_with_done() {
            return Err(format!("broken stream: {:?}", stream.items));
        }
        Ok(stream.content())
    } else {
        let answer = read_json(response).await.map_err(|e| format!("{e:#}"))?;
        completion_text(&answer)
            .map(str::to_owned)
            .ok_or_else(|| format!("no content in {answer}"))
    }
}

fn assert_no_failures(observations: &[Observation]) {
    let failures: Vec<_> = observations
        .iter()
        .filter_map(|o| o.outcome.as_ref().err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} requests failed during reloads; first: {:?}",
        failures.len(),
        observations.len(),
        failures.first()
    );
    for o in observations {
        let text = o.outcome.as_deref().unwrap_or_default();
        assert!(
            text == LOWER || text == UPPER,
            "every answer comes whole from one adapter version: {text:?}"
        );
    }
}

async fn gateway_with_plugins(plugins: &[(&str, &str)]) -> (MockUpstream, Arc<TestGateway>) {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let config = TestConfig::new()
        .model("gpt-test", "openai", "mock-echo", &mock.base_url())
        .model("gpt-slow", "openai", "mock-slow", &mock.base_url());
    let gateway = TestGateway::start_with_plugins(&config.to_toml(), plugins)
        .await
        .expect("gateway starts");
    (mock, Arc::new(gateway))
}

async fn openai_health(gateway: &TestGateway) -> Value {
    gateway
        .adapter_health("openai")
        .await
        .expect("/health answers")
        .expect("/health lists the openai adapter")
}

/// Polls `/health` until the openai entry satisfies `ok`; returns the last entry seen.
async fn wait_for_openai_health(
    gateway: &TestGateway,
    timeout: Duration,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let entry = openai_health(gateway).await;
        if ok(&entry) || Instant::now() > deadline {
            return entry;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Bytes that are certainly not a component.
fn garbage(len: usize) -> Vec<u8> {
    let mut state = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
        | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swapping_the_adapter_under_load_fails_no_request() {
    let _serial = SERIAL.lock().await;
    let (_mock, gateway) = gateway_with_plugins(&[]).await;
    let before = openai_health(&gateway).await;
    assert_eq!(before["source"], "builtin", "{before}");
    assert!(before["last_error"].is_null(), "{before}");
    assert_ne!(before["version"], SHOUT_VERSION, "{before}");

    let load = Load::start(&gateway, 2);
    assert!(
        load.wait_for_answer(LOWER, Duration::from_secs(10))
            .await
            .is_some(),
        "the built-in adapter answers before the swap: {:?}",
        load.observations().first()
    );

    // A stream that starts on the built-in adapter and is still waiting for the (slow)
    // upstream when the new file lands must finish on the code it started with.
    let in_flight = {
        let gateway = gateway.clone();
        tokio::spawn(async move {
            let mut body = chat_body("gpt-slow", "hello");
            body["stream"] = json!(true);
            let response = gateway.chat(&body).await.expect("the gateway answers");
            read_stream(response).await.expect("a 200 stream")
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;

    gateway
        .install_plugin("openai.wasm", wasm::SHOUT)
        .expect("install shout as openai.wasm");
    let landed = Instant::now();
    let first_upper = load
        .wait_for_answer(UPPER, Duration::from_secs(10))
        .await
        .expect("the shout adapter answers after the swap");
    let swap_latency = first_upper.saturating_duration_since(landed);
    eprintln!("the new adapter answered {swap_latency:?} after the file landed");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let observations = load.stop().await;

    assert_no_failures(&observations);
    assert!(
        swap_latency <= SWAP_WITHIN,
        "the new adapter answered {swap_latency:?} after the file landed (want <= {SWAP_WITHIN:?})"
    );
    let stale: Vec<_> = observations
        .iter()
        .filter(|o| o.started > first_upper && o.outcome.as_deref() != Ok(UPPER))
        .collect();
    assert!(
        stale.is_empty(),
        "requests started after the new version answered must use it: {stale:?}"
    );

    let in_flight = in_flight.await.expect("in-flight stream task");
    assert!(in_flight.ends_with_done(), "{:?}", in_flight.items);
    assert_eq!(
        in_flight.content(),
        LOWER,
        "a stream keeps the adapter version it started with"
    );

    let after = openai_health(&gateway).await;
    assert_eq!(after["version"], SHOUT_VERSION, "{after}");
    assert_eq!(after["source"], "file", "{after}");
    assert!(after["last_error"].is_null(), "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_files_keep_the_previous_version_serving() {
    let _serial = SERIAL.lock().await;
    let (_mock, gateway) = gateway_with_plugins(&[]).await;
    let builtin = openai_health(&gateway).await;
    let load = Load::start(&gateway, 2);

    // 1. Random bytes over the built-in: rejected, the built-in keeps answering.
    gateway
        .install_plugin_bytes("openai.wasm", &garbage(64 * 1024))
        .expect("write a corrupt openai.wasm");
    let entry = wait_for_openai_health(&gateway, REJECT_WITHIN, |e| {
        e["last_error"].as_str().is_some_and(|s| !s.is_empty())
    })
    .await;
    assert!(
        entry["last_error"].is_string(),
        "/health explains why the corrupt file was not loaded: {entry}"
    );
    assert_eq!(entry["version"], builtin["version"], "{entry}");
    assert_eq!(entry["source"], "builtin", "{entry}");
    assert_eq!(ask(&gateway, false).await.as_deref(), Ok(LOWER));

    // 2. A component built for a newer contract: rejected, and the error names it.
    gateway
        .install_plugin("openai.wasm", wasm::FUTURE)
        .expect("install future as openai.wasm");
    let entry = wait_for_openai_health(&gateway, REJECT_WITHIN, |e| {
        e["last_error"]
            .as_str()
            .is_some_and(|s| s.contains("0.3.0"))
    })
    .await;
    assert!(
        entry["last_error"]
            .as_str()
            .is_some_and(|s| s.contains("0.3.0")),
        "/health says the file targets contract 0.3.0: {entry}"
    );
    assert_eq!(entry["source"], "builtin", "{entry}");
    assert_eq!(ask(&gateway, false).await.as_deref(), Ok(LOWER));

    // 3. A good file is taken, and clears the error.
    let landed = Instant::now();
    gateway
        .install_plugin("openai.wasm", wasm::SHOUT)
        .expect("install shout as openai.wasm");
    let swapped = load.wait_for_answer(UPPER, Duration::from_secs(10)).await;
    assert!(
        swapped.is_some_and(|t| t.saturating_duration_since(landed) <= SWAP_WITHIN),
        "shout answers within {SWAP_WITHIN:?} of landing (first at {:?})",
        swapped.map(|t| t.saturating_duration_since(landed))
    );
    let entry =
        wait_for_openai_health(&gateway, REJECT_WITHIN, |e| e["version"] == SHOUT_VERSION).await;
    assert_eq!(entry["source"], "file", "{entry}");
    assert!(
        entry["last_error"].is_null(),
        "a good load clears the error: {entry}"
    );

    // 4. Corrupt again: now the previous version is the file one, and it keeps serving.
    gateway
        .install_plugin_bytes("openai.wasm", &garbage(1000))
        .expect("write a corrupt openai.wasm");
    let entry =
        wait_for_openai_health(&gateway, REJECT_WITHIN, |e| e["last_error"].is_string()).await;
    assert!(entry["last_error"].is_string(), "{entry}");
    assert_eq!(entry["version"], SHOUT_VERSION, "{entry}");
    assert_eq!(ask(&gateway, false).await.as_deref(), Ok(UPPER));

    // 5. Removing the override falls back to the built-in.
    gateway
        .remove_plugin("openai.wasm")
        .expect("remove openai.wasm");
    let removed = Instant::now();
    let mut back = None;
    while removed.elapsed() < Duration::from_secs(10) {
        if ask(&gateway, false).await.as_deref() == Ok(LOWER) {
            back = Some(removed.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        back.is_some_and(|t| t <= SWAP_WITHIN),
        "the built-in answers again within {SWAP_WITHIN:?} of the removal (took {back:?})"
    );
    let entry = openai_health(&gateway).await;
    assert_eq!(entry["source"], "builtin", "{entry}");
    assert_eq!(entry["version"], builtin["version"], "{entry}");
    assert!(
        entry["last_error"].is_null(),
        "the removed bad file's error no longer applies: {entry}"
    );

    let observations = load.stop().await;
    assert_no_failures(&observations);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_override_present_at_start_serves_until_removed() {
    let _serial = SERIAL.lock().await;
    let (_mock, gateway) = gateway_with_plugins(&[("openai.wasm", wasm::SHOUT)]).await;
    let entry = openai_health(&gateway).await;
    assert_eq!(entry["version"], SHOUT_VERSION, "{entry}");
    assert_eq!(entry["source"], "file", "{entry}");
    assert_eq!(ask(&gateway, false).await.as_deref(), Ok(UPPER));
    assert_eq!(ask(&gateway, true).await.as_deref(), Ok(UPPER));

    gateway
        .remove_plugin("openai.wasm")
        .expect("remove openai.wasm");
    let entry = wait_for_openai_health(&gateway, Duration::from_secs(5), |e| {
        e["source"] == "builtin"
    })
    .await;
    assert_eq!(entry["source"], "builtin", "{entry}");
    assert_ne!(entry["version"], SHOUT_VERSION, "{entry}");
    assert_eq!(ask(&gateway, false).await.as_deref(), Ok(LOWER));
    assert_eq!(ask(&gateway, true).await.as_deref(), Ok(LOWER));
}

/// An adapter built for contract 0.1 (before dialects) loads and serves unchanged,
/// whole and streamed, through the host's 0.1 bindings; `/health` names its contract.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contract_0_1_adapter_keeps_serving() {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let config = TestConfig::new().model("old", "legacy", "mock-echo", &mock.base_url());
    let gateway =
        TestGateway::start_with_plugins(&config.to_toml(), &[("legacy.wasm", wasm::LEGACY)])
            .await
            .expect("gateway starts");
    let entry = gateway
        .adapter_health("legacy")
        .await
        .expect("/health answers")
        .expect("/health lists the legacy adapter");
    assert_eq!(entry["contract"], "0.1.0", "{entry}");
    assert_eq!(entry["source"], "file", "{entry}");

    let answer = read_json(
        gateway
            .chat(&chat_body("old", "hello"))
            .await
            .expect("answers"),
    )
    .await
    .expect("a completion");
    assert_eq!(completion_text(&answer), Some(LOWER), "{answer}");

    let mut body = chat_body("old", "hello");
    body["stream"] = json!(true);
    let stream = read_stream(gateway.chat(&body).await.expect("answers"))
        .await
        .expect("a stream");
    assert!(
        stream.errors().is_empty() && stream.ends_with_done(),
        "{:?}",
        stream.items
    );
    assert_eq!(stream.content(), LOWER);
    let sent = mock.requests();
    assert!(
        sent.len() == 2 && sent.iter().all(|r| r.path == "/v1/chat/completions"),
        "the 0.1 adapter's own path reached the upstream: {sent:?}"
    );
}
