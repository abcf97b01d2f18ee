//! The rig the hostile-adapter tests share: the mock upstream, a second listener on
//! loopback that no request may reach, the gateway with the hostile adapter, and
//! checks that return what went wrong instead of stopping at the first attack.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use e2e::checks::{chat_body, check_error_object, completion_text, read_json};
use e2e::{MockUpstream, TestConfig, TestGateway, wasm};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The adapter under attack, as error messages must name it.
pub const ADAPTER: &str = "hostile";

/// The upstream key of the attacking models: it must never reach anyone but the
/// configured upstream, and that only where a credential belongs.
pub const PLANTED_KEY: &str = "sk-planted-secret";

/// `upstream.max_response_bytes` in these tests.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// A plain TCP listener on loopback standing for "somewhere else": it counts the
/// connections it accepts, keeps the bytes it reads, and answers each with a valid
/// completion so an escaped request visibly succeeds.
pub struct Sentinel {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<u8>>>,
    task: JoinHandle<()>,
}

impl Sentinel {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the second listener binds on loopback");
        let addr = listener.local_addr().expect("the listener has an address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (count, log) = (Arc::clone(&accepted), Arc::clone(&received));
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(answer(socket, Arc::clone(&log)));
            }
        });
        Self {
            addr,
            accepted,
            received,
            task,
        }
    }

    /// The port the listener is on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Every byte read so far, from all connections.
    pub fn received(&self) -> Vec<u8> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads a request head (for at most a second), then answers 200 with a completion.
async fn answer(mut socket: TcpStream, log: Arc<Mutex<Vec<u8>>>) {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut head = Vec::new();
    while let Ok(Ok(read @ 1..)) =
        tokio::time::timeout(Duration::from_secs(1), socket.read(&mut buffer)).await
    {
        head.extend_from_slice(&buffer[..read]);
        log.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(&buffer[..read]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let body = json!({
        "id": "chatcmpl-sentinel",
        "object": "chat.completion",
        "created": 0,
        "model": "sentinel",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "the second listener answered"}, "finish_reason": "stop"}],
    })
    .to_string();
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(reply.as_bytes()).await;
}

/// The mock upstream and the second listener; the gateway is started from a
/// configuration that names their ports.
pub struct Rig {
    /// The model's real upstream.
    pub mock: MockUpstream,
    /// Somewhere no request may go.
    pub sentinel: Sentinel,
}

impl Rig {
    /// Starts the mock upstream and the second listener.
    pub async fn start() -> Self {
        Self {
            mock: MockUpstream::start().await.expect("mock upstream starts"),
            sentinel: Sentinel::start().await,
        }
    }

    /// The mock's origin without a path, `http://127.0.0.1:PORT`.
    pub fn mock_origin(&self) -> String {
        format!("http://{}", self.mock.addr())
    }

    /// The second listener's `127.0.0.1:PORT`.
    pub fn elsewhere(&self) -> String {
        format!("127.0.0.1:{}", self.sentinel.port())
    }

    /// A configuration with the healthy `gpt-test` model on the built-in OpenAI adapter.
    pub fn config(&self) -> TestConfig {
        TestConfig::new().model("gpt-test", "openai", "mock-echo", &self.mock.base_url())
    }

    /// Starts the gateway with `config` and the hostile adapter in its plugin folder.
    pub async fn gateway(&self, config: TestConfig) -> TestGateway {
        TestGateway::start_with_plugins(&toml(config), &[("hostile.wasm", wasm::HOSTILE)])
            .await
            .expect("the gateway starts with the hostile adapter")
    }
}

/// Adds a model served by the hostile adapter with `options` (`attack`, `value`, ...).
pub fn hostile_model(
    config: TestConfig,
    model: &str,
    base_url: &str,
    api_key: &str,
    options: &[(&str, &str)],
) -> TestConfig {
    let config = config.model_with_key(model, ADAPTER, "mock-echo", base_url, api_key);
    options
        .iter()
        .fold(config, |config, (key, value)| config.option(key, value))
}

/// The TOML of `config` with this suite's settings `TestConfig` has no builder for:
/// a 1 MiB upstream answer limit and one attempt per request (a refused request is
/// not retried into the upstream). DEL, which TOML strings may not hold raw, is escaped.
pub fn toml(config: TestConfig) -> String {
    let text = config
        .raw("[routing]\nmax_attempts = 1")
        .to_toml()
        .replace('\u{7f}', "\\u007F");
    assert!(
        text.contains("\n[upstream]\n"),
        "the test configuration has an [upstream] table to extend:\n{text}"
    );
    text.replacen(
        "\n[upstream]\n",
        &format!("\n[upstream]\nmax_response_bytes = {MAX_RESPONSE_BYTES}\n"),
        1,
    )
}

/// At most `max` characters of `text`, for messages about possibly huge answers.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let head: String = text.chars().take(max).collect();
    format!("{head}… ({} bytes)", text.len())
}

/// Sends one chat request for `model`; `Err` says why there was no answer at all.
pub async fn send(
    gateway: &TestGateway,
    model: &str,
    stream: bool,
) -> Result<reqwest::Response, String> {
    let mut body = chat_body(model, "attack");
    body["stream"] = json!(stream);
    gateway
        .chat(&body)
        .await
        .map_err(|err| format!("the client got no answer at all (the request task died?): {err:#}"))
}

/// Checks that `status`/`text` is a 502 OpenAI error with code `adapter_failure` whose
/// message names the hostile adapter.
pub fn check_adapter_failure(status: u16, text: &str) -> Result<(), String> {
    let shown = clip(text, 300);
    if status != 502 {
        return Err(format!("expected 502, got {status}: {shown}"));
    }
    let body: Value =
        serde_json::from_str(text).map_err(|_| format!("the 502 body is not JSON: {shown}"))?;
    let (message, _, _, code) = check_error_object(&body)
        .map_err(|err| format!("the 502 body is not an OpenAI error ({err}): {shown}"))?;
    if code != "adapter_failure" {
        return Err(format!(
            "expected code adapter_failure, got {code}: {shown}"
        ));
    }
    if !message.contains(ADAPTER) {
        return Err(format!(
            "the message should name the adapter `{ADAPTER}`: {message:?}"
        ));
    }
    if text.contains(PLANTED_KEY) {
        return Err(format!("the error shows the upstream key: {shown}"));
    }
    Ok(())
}

/// Sends a non-streamed request for `model` and checks the answer is an adapter failure.
pub async fn expect_adapter_failure(gateway: &TestGateway, model: &str) -> Result<(), String> {
    let response = send(gateway, model, false).await?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|err| format!("{status}, then the body broke off: {err:#}"))?;
    check_adapter_failure(status, &text)
}

/// Like [`expect_adapter_failure`], and nothing reached the mock upstream or the second
/// listener while the request ran (the request was refused before sending), and the
/// planted key reached neither.
pub async fn expect_refused_before_sending(
    rig: &Rig,
    gateway: &TestGateway,
    model: &str,
) -> Result<(), String> {
    rig.mock.clear();
    let before = rig.sentinel.connections();
    let read_before = rig.sentinel.received().len();
    let mut problems = Vec::new();
    if let Err(why) = expect_adapter_failure(gateway, model).await {
        problems.push(why);
    }
    let escaped = rig.sentinel.connections() - before;
    if escaped > 0 {
        problems.push(format!(
            "{escaped} connection(s) reached the second listener on {}",
            rig.elsewhere()
        ));
    }
    let upstream = rig.mock.requests();
    if !upstream.is_empty() {
        let seen: Vec<String> = upstream
            .iter()
            .map(|r| format!("{} {:?}", r.method, r.path))
            .collect();
        problems.push(format!("the mock upstream received {seen:?}"));
    }
    if serde_json::to_string(&upstream)
        .unwrap_or_default()
        .contains(PLANTED_KEY)
    {
        problems.push(format!("the mock upstream saw the key {PLANTED_KEY}"));
    }
    let read = rig.sentinel.received();
    if read[read_before..]
        .windows(PLANTED_KEY.len())
        .any(|w| w == PLANTED_KEY.as_bytes())
    {
        problems.push(format!("the second listener saw the key {PLANTED_KEY}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// The healthy model still answers and `/health` is ok.
pub async fn expect_healthy(gateway: &TestGateway) -> Result<(), String> {
    expect_serving(gateway).await?;
    let health = gateway
        .health()
        .await
        .map_err(|err| format!("/health failed after the attacks: {err:#}"))?;
    if health["status"] != "ok" {
        return Err(format!("/health is not ok after the attacks: {health}"));
    }
    Ok(())
}

/// The healthy model (`gpt-test`, built-in OpenAI adapter) still answers.
pub async fn expect_serving(gateway: &TestGateway) -> Result<(), String> {
    let response = gateway
        .chat(&chat_body("gpt-test", "after the attacks"))
        .await
        .map_err(|err| format!("gpt-test got no answer after the attacks: {err:#}"))?;
    let answer = read_json(response)
        .await
        .map_err(|err| format!("gpt-test failed after the attacks: {err:#}"))?;
    if completion_text(&answer) != Some("echo: after the attacks") {
        return Err(format!(
            "gpt-test answered oddly after the attacks: {answer}"
        ));
    }
    Ok(())
}

/// Fails the test once, listing every case that failed, so one run shows them all.
pub fn report(what: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{what}: {} case(s) failed:\n  - {}",
        failures.len(),
        failures.join("\n  - ")
    );
}
