//! Upstream calls through the proxy the environment names, as an operator behind an
//! egress proxy runs the gateway: plain-HTTP platforms get the request in absolute
//! form with the proxy's credentials, HTTPS platforms a CONNECT tunnel (the platform's
//! host is never resolved by the gateway), and `NO_PROXY` hosts are called directly.
//!
//! The proxy variables are read once per process, so each gateway here is the real
//! binary in a process of its own, with its own environment.

use std::sync::{Arc, Mutex};

use e2e::checks::{chat_body, read_error, read_json};
use e2e::mock_upstream::MOCK_API_KEY;
use e2e::{MockUpstream, TestConfig};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::process::GatewayProcess;

/// A chat completion as the platform would send it.
const ANSWER: &str = r#"{"id":"chatcmpl-proxied","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"via the proxy"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}}"#;

/// The head of a request the proxy received: its request line and headers, names
/// lower-cased.
#[derive(Debug, Clone, Default)]
struct Seen {
    line: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A one-connection-at-a-time HTTP proxy on loopback that records every request head
/// and answers it itself: a CONNECT with 403 (no tunnel), anything else as the
/// platform would.
async fn recording_proxy() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address").to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let record = Arc::clone(&record);
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut reader = BufReader::new(read);
                loop {
                    let mut head = Seen::default();
                    if reader.read_line(&mut head.line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.line = head.line.trim_end().to_owned();
                    let mut length = 0;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let line = line.trim_end();
                        if line.is_empty() {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':') {
                            let name = name.trim().to_ascii_lowercase();
                            let value = value.trim().to_owned();
                            if name == "content-length" {
                                length = value.parse().unwrap_or(0);
                            }
                            head.headers.push((name, value));
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let connect = head.line.starts_with("CONNECT ");
                    record.lock().expect("lock").push(head);
                    let answer = if connect {
                        "HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n".to_owned()
                    } else {
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{ANSWER}",
                            ANSWER.len()
                        )
                    };
                    if write.write_all(answer.as_bytes()).await.is_err() || connect {
                        return;
                    }
                }
            });
        }
    });
    (addr, seen)
}

fn seen(record: &Arc<Mutex<Vec<Seen>>>) -> Vec<Seen> {
    record.lock().expect("lock").clone()
}

/// A gateway whose model `gpt-test` lives at `base_url`, with `env` set.
async fn gateway(base_url: &str, upstream_model: &str, env: &[(&str, &str)]) -> GatewayProcess {
    let config = TestConfig::new().model("gpt-test", "openai", upstream_model, base_url);
    GatewayProcess::start_with_env(&config, env).await
}

/// One chat request to `gpt-test`.
async fn chat(gateway: &GatewayProcess) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", gateway.url))
        .json(&chat_body("gpt-test", "hello"))
        .send()
        .await
        .expect("the gateway answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_platforms_are_called_through_the_proxy_with_its_credentials() {
    let (proxy, record) = recording_proxy().await;
    // The platform's host does not resolve: only the proxy can reach it.
    let proxy_url = format!("http://alice:s3cret@{proxy}");
    let gateway = gateway(
        "http://platform.invalid:8000/v1",
        "gpt-4o-mini",
        &[("HTTP_PROXY", &proxy_url)],
    )
    .await;

    for _ in 0..2 {
        let response = chat(&gateway).await;
        assert_eq!(response.status(), 200);
        let body = read_json(response).await.expect("a chat completion");
        assert_eq!(
            body["choices"][0]["message"]["content"], "via the proxy",
            "{body}"
        );
    }

    let seen = seen(&record);
    assert_eq!(seen.len(), 2, "{seen:?}");
    let first = &seen[0];
    assert_eq!(
        first.line, "POST http://platform.invalid:8000/v1/chat/completions HTTP/1.1",
        "the proxy gets the target in absolute form"
    );
    assert_eq!(
        first.header("proxy-authorization"),
        Some("Basic YWxpY2U6czNjcmV0"),
        "the proxy's own credentials from the variable's user info"
    );
    assert_eq!(
        first.header("authorization"),
        Some(format!("Bearer {MOCK_API_KEY}").as_str()),
        "the platform's key still goes to the platform"
    );
    assert_eq!(first.header("host"), Some("platform.invalid:8000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_platforms_are_reached_through_a_connect_tunnel() {
    let (proxy, record) = recording_proxy().await;
    let proxy_url = format!("http://{proxy}");
    let gateway = gateway(
        "https://platform.invalid/v1",
        "gpt-4o-mini",
        &[("https_proxy", &proxy_url)],
    )
    .await;

    let response = chat(&gateway).await;
    // The proxy refused the tunnel: the platform is unreachable, said in OpenAI's shape.
    assert_eq!(response.status(), 502);
    let error = read_error(response).await.expect("an OpenAI error");
    assert!(
        error
            .message
            .contains("https://platform.invalid/v1/chat/completions"),
        "the error names where the call was going: {}",
        error.message
    );

    // One CONNECT per attempt (an unreachable platform is retried), never a request
    // the proxy could read.
    let seen = seen(&record);
    assert!(!seen.is_empty());
    for head in &seen {
        assert_eq!(
            head.line, "CONNECT platform.invalid:443 HTTP/1.1",
            "TLS runs inside a tunnel; the proxy sees only the host: {seen:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_hosts_are_called_directly() {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let (proxy, record) = recording_proxy().await;
    let proxy_url = format!("http://{proxy}");
    let gateway = gateway(
        &mock.base_url(),
        "mock-echo",
        &[
            ("HTTP_PROXY", &proxy_url),
            ("NO_PROXY", "localhost,127.0.0.1"),
        ],
    )
    .await;

    let response = chat(&gateway).await;
    assert_eq!(response.status(), 200);
    assert_eq!(mock.requests().len(), 1, "the mock answered directly");
    assert!(seen(&record).is_empty(), "the proxy saw nothing");
}
