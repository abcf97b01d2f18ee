//! Client connections cannot take the gateway offline: a request head that trickles
//! in (slowloris) or never comes is cut off after `server.header_read_timeout_ms`, and
//! so is an idle keep-alive connection waiting for its next request head (a slow
//! request is not idle), a connection beyond `server.max_connections` is answered 503
//! `too_many_connections` and closed, and the real binary raises its open-file soft
//! limit so 1,100 idle connections do not stop it from serving.

mod raw_http;

use std::time::{Duration, Instant};

use e2e::checks::{chat_body, check_error_object, completion_text, read_json};
use e2e::mock_upstream::SLOW_DELAY;
use e2e::{MockUpstream, TestConfig, TestGateway};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::process::{self, GatewayProcess};
use raw_http::{exchange, get, post_json, wait_closed};

/// What a close may take beyond its timeout (scheduling on a busy 2-core box).
const SLACK: Duration = Duration::from_secs(3);
/// The header timeout the gateway uses when none is configured.
const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A response to a request the gateway accepted.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).expect("a short duration")
}

async fn start(config: TestConfig) -> (MockUpstream, TestGateway) {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let config = config
        .model("gpt-test", "openai", "mock-echo", &mock.base_url())
        .model("gpt-slow", "openai", "mock-slow", &mock.base_url());
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    (mock, gateway)
}

async fn connect(gateway: &TestGateway) -> TcpStream {
    TcpStream::connect(gateway.url().trim_start_matches("http://"))
        .await
        .expect("the gateway accepts a TCP connection")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_sent_one_byte_at_a_time_is_cut_off_after_the_header_timeout() {
    let timeout = Duration::from_millis(500);
    let (_mock, gateway) = start(TestConfig::new().header_read_timeout_ms(ms(timeout))).await;
    let mut conn = connect(&gateway).await;
    let started = Instant::now();
    conn.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("the request line goes out");
    // One more header byte every 100 ms, never the blank line that ends the head.
    let trickle = b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut closed = None;
    for byte in trickle
        .iter()
        .cycle()
        .take(usize::try_from(ms(timeout + SLACK) / 100).expect("small"))
    {
        let (mut reader, mut writer) = conn.split();
        let wrote = tokio::select! {
            () = wait_closed_half(&mut reader) => { closed = Some(started.elapsed()); break; }
            wrote = async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                writer.write_all(&[*byte]).await
            } => wrote,
        };
        if wrote.is_err() {
            closed = Some(started.elapsed());
            break;
        }
    }
    let Some(after) = closed else {
        panic!(
            "a head still unfinished after {timeout:?} (header_read_timeout_ms) must be cut off; the connection was open after {:?}",
            started.elapsed()
        );
    };
    assert!(
        after >= timeout / 2 && after <= timeout + SLACK,
        "the slow head is cut off at the header timeout ({timeout:?}), not at {after:?}"
    );
}

/// Reads until the server closes (end of stream or reset).
async fn wait_closed_half(reader: &mut tokio::net::tcp::ReadHalf<'_>) {
    let mut buffer = [0_u8; 1024];
    // A 408 response before the close is fine; keep reading to the end.
    while reader.read(&mut buffer).await.is_ok_and(|n| n > 0) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_nothing_is_closed_after_the_default_header_timeout() {
    // No setting: the default (10 s) applies, so a stock deployment is covered.
    let (_mock, gateway) = start(TestConfig::new()).await;
    let mut conn = connect(&gateway).await;
    let after = wait_closed(&mut conn, DEFAULT_HEADER_TIMEOUT + SLACK)
        .await
        .unwrap_or_else(|err| {
            panic!("a connection that never sends a request is closed after the default header timeout ({DEFAULT_HEADER_TIMEOUT:?}): {err}")
        });
    assert!(
        after >= DEFAULT_HEADER_TIMEOUT - Duration::from_secs(1),
        "the silent connection is closed at the header timeout ({DEFAULT_HEADER_TIMEOUT:?}), not at {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_but_a_slow_request_is_not() {
    let idle = SLOW_DELAY * 5 / 6;
    let (_mock, gateway) = start(TestConfig::new().header_read_timeout_ms(ms(idle))).await;
    let mut conn = connect(&gateway).await;
    // A request whose upstream takes longer than the idle timeout is in flight, not
    // idle: it is answered.
    let slow = exchange(
        &mut conn,
        &post_json("/v1/chat/completions", &chat_body("gpt-slow", "slow one")),
        ANSWER_TIMEOUT,
    )
    .await
    .expect("a request slower than the idle timeout is answered");
    assert_eq!(
        slow.status,
        200,
        "the slow request succeeds: {}",
        String::from_utf8_lossy(&slow.body)
    );
    let body = slow.json().expect("a JSON completion");
    assert_eq!(completion_text(&body), Some("echo: slow one"), "{body}");
    // The connection is kept alive: a next request right away is served on it.
    let next = exchange(&mut conn, &get("/health/live"), ANSWER_TIMEOUT)
        .await
        .expect("a next request on the kept-alive connection is answered");
    assert_eq!(next.status, 200, "/health/live answers: {}", next.head);
    // Then nothing: the connection is closed once idle for the timeout.
    let after = wait_closed(&mut conn, idle + SLACK)
        .await
        .unwrap_or_else(|err| {
            panic!("a keep-alive connection idle for {idle:?} (header_read_timeout_ms) is closed: {err}")
        });
    assert!(
        after >= idle / 2,
        "the connection is closed at the idle timeout ({idle:?}), not at {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_beyond_the_cap_gets_503_and_the_cap_frees_up() {
    const CAP: usize = 8;
    let (_mock, gateway) = start(TestConfig::new().max_connections(CAP)).await;
    let mut held = Vec::new();
    let mut rejected = None;
    // The harness's own client may keep its readiness-check connection open, so the
    // refusal may come one or two connections early, never late.
    for index in 0..CAP + 2 {
        let mut conn = connect(&gateway).await;
        let response = exchange(&mut conn, &get("/health/live"), ANSWER_TIMEOUT)
            .await
            .unwrap_or_else(|err| panic!("connection #{index} gets an answer: {err}"));
        if response.status == 200 {
            held.push(conn);
        } else {
            rejected = Some((index, response, conn));
            break;
        }
    }
    let Some((index, response, mut conn)) = rejected else {
        panic!(
            "with max_connections = {CAP}, {} connections were all served",
            held.len()
        );
    };
    assert!(
        (CAP - 2..=CAP).contains(&index),
        "the connection refused is the one beyond the cap of {CAP}, not #{index}"
    );
    assert_eq!(response.status, 503, "over the cap: {}", response.head);
    let body = response.json().expect("the 503 has a JSON body");
    check_error_object(&body).expect("the 503 is an OpenAI error");
    assert_eq!(
        body["error"]["code"], "too_many_connections",
        "the 503 says why: {body}"
    );
    wait_closed(&mut conn, SLACK)
        .await
        .expect("the refused connection is closed");

    drop(held);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(ANSWER_TIMEOUT)
        .build()
        .expect("a client");
    let deadline = Instant::now() + SLACK;
    loop {
        let response = client
            .post(gateway.endpoint("/v1/chat/completions"))
            .json(&chat_body("gpt-test", "again"))
            .send()
            .await;
        match response {
            Ok(response) if response.status() == 200 => {
                let body = read_json(response).await.expect("a completion");
                assert_eq!(completion_text(&body), Some("echo: again"), "{body}");
                break;
            }
            other if Instant::now() > deadline => {
                panic!("once the held connections are closed, new ones are served again: {other:?}")
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eleven_hundred_idle_connections_do_not_take_the_binary_offline() {
    const IDLE: usize = 1100;
    // The stock soft limit of many systems; the gateway must raise it itself.
    const STOCK_SOFT_LIMIT: u64 = 1024;
    process::ensure_own_limit(2 * IDLE as u64 + 256);
    let (_, hard) = process::open_file_limits("self");
    assert!(
        hard >= 2 * IDLE as u64,
        "this machine's hard limit ({hard}) is too low for the test to mean anything"
    );
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let config = TestConfig::new().model("gpt-test", "openai", "mock-echo", &mock.base_url());
    let gateway = GatewayProcess::start_with_open_files(&config, Some(STOCK_SOFT_LIMIT)).await;

    let mut idle = Vec::with_capacity(IDLE);
    for index in 0..IDLE {
        let conn = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(gateway.addr()))
            .await
            .unwrap_or_else(|_| panic!("connection #{index} is not even queued after 5 s"))
            .unwrap_or_else(|err| panic!("connection #{index}: {err}"));
        idle.push(conn);
    }
    let client = reqwest::Client::builder()
        .timeout(ANSWER_TIMEOUT)
        .build()
        .expect("a client");
    let response = client
        .post(format!("{}/v1/chat/completions", gateway.url))
        .json(&chat_body("gpt-test", "still there?"))
        .send()
        .await
        .unwrap_or_else(|err| {
            panic!(
                "with {IDLE} idle connections open, the gateway still answers: {:#}",
                anyhow::Error::from(err)
            )
        });
    let body = read_json(response)
        .await
        .expect("the chat succeeds next to the idle connections");
    assert_eq!(completion_text(&body), Some("echo: still there?"), "{body}");
    let held = process::open_files(gateway.pid());
    assert!(
        held > IDLE,
        "the gateway accepted every idle connection (it holds {held} descriptors for {IDLE} connections)"
    );
    let (soft, hard) = process::open_file_limits(&gateway.pid().to_string());
    assert_eq!(
        soft, hard,
        "the gateway raised its open-file soft limit ({STOCK_SOFT_LIMIT} at start) to the hard limit"
    );
    drop(idle);
}
