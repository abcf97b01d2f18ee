//! What `/metrics` shows of requests: labels only for configured models (a client that
//! sends a thousand made-up model names, some of them 10 KB long, gets a 404 for each
//! and cannot grow the exposition; the unknown names are counted together under
//! `model="unknown"`), and in-flight gauges that follow a stream to its end.
//!
//! The Prometheus recorder is global to a process, and this test binary runs every
//! suite's gateways: the gateway here is the real binary, in a process of its own.

use e2e::checks::{chat_body, read_error, read_json};
use e2e::{MockUpstream, TestConfig};
use futures_util::StreamExt;
use serde_json::json;

use crate::process::GatewayProcess;

/// How many unknown model names the client sends.
const UNKNOWN: usize = 1000;
/// Every this many names, one is [`LONG_NAME`] bytes long.
const LONG_EVERY: usize = 10;
/// The length of the long names.
const LONG_NAME: usize = 10 * 1024;
/// Requests in flight at once.
const CONCURRENCY: usize = 16;
/// The largest `/metrics` page accepted after the flood.
const MAX_METRICS_BYTES: usize = 200 * 1024;

/// A name nobody configured: random-looking, unique, sometimes 10 KB long.
fn unknown_name(index: usize, seed: u64) -> String {
    // xorshift64: a different sequence on every run, no dependency.
    let mut state = seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut name = format!("rnd{index:04}-{:016x}", next());
    if index.is_multiple_of(LONG_EVERY) {
        while name.len() < LONG_NAME {
            name.push_str(&format!("{:016x}", next()));
        }
        name.truncate(LONG_NAME);
    }
    name
}

/// The body of request `index` for `model`: chats (streamed and not) and embeddings.
fn request(
    client: &reqwest::Client,
    url: &str,
    index: usize,
    model: &str,
) -> reqwest::RequestBuilder {
    match index % 3 {
        0 => client
            .post(format!("{url}/v1/embeddings"))
            .json(&json!({"model": model, "input": "hello"})),
        1 => {
            let mut body = chat_body(model, "hello");
            body["stream"] = json!(true);
            client
                .post(format!("{url}/v1/chat/completions"))
                .json(&body)
        }
        _ => client
            .post(format!("{url}/v1/chat/completions"))
            .json(&chat_body(model, "hello")),
    }
}

/// The sum of `switchyard_requests_total` samples whose labels include `label`.
fn requests_with(metrics: &str, label: &str) -> f64 {
    metrics
        .lines()
        .filter(|line| line.starts_with("switchyard_requests_total{") && line.contains(label))
        .filter_map(|line| line.rsplit(' ').next())
        .filter_map(|value| value.parse::<f64>().ok())
        .sum()
}

async fn scrape(client: &reqwest::Client, url: &str) -> String {
    let response = client
        .get(format!("{url}/metrics"))
        .send()
        .await
        .expect("the gateway answers /metrics");
    assert_eq!(response.status(), 200, "/metrics answers");
    response.text().await.expect("the /metrics text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_model_names_do_not_become_metric_labels() {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let config = TestConfig::new().model("gpt-test", "openai", "mock-echo", &mock.base_url());
    // Its own process: the metrics recorder is process-wide, and this binary runs
    // every other suite's gateways too.
    let gateway = GatewayProcess::start(&config).await;
    let (client, url) = (reqwest::Client::new(), gateway.url.as_str());
    let before = requests_with(&scrape(&client, url).await, "model=\"unknown\"");
    let answer = read_json(
        client
            .post(format!("{url}/v1/chat/completions"))
            .json(&chat_body("gpt-test", "hello"))
            .send()
            .await
            .expect("the gateway answers"),
    )
    .await
    .expect("a configured model answers");
    assert!(answer.get("choices").is_some(), "a completion: {answer}");

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.as_nanos() as u64);
    let names: Vec<String> = (0..UNKNOWN).map(|i| unknown_name(i, seed)).collect();
    let failures: Vec<String> = futures_util::stream::iter(names.iter().enumerate())
        .map(|(index, name)| {
            let client = &client;
            async move {
                let response = request(client, url, index, name)
                    .send()
                    .await
                    .expect("the gateway answers");
                match read_error(response).await {
                    Ok(error)
                        if error.status == 404 && error.code_str() == Some("model_not_found") =>
                    {
                        None
                    }
                    Ok(error) => Some(format!("#{index}: {} {}", error.status, error.body)),
                    Err(err) => Some(format!("#{index}: {err:#}")),
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .filter_map(|failure| async move { failure })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "every unknown model is a 404 model_not_found; {} were not, e.g. {:.500}",
        failures.len(),
        failures.first().map(String::as_str).unwrap_or_default()
    );

    let metrics = scrape(&client, url).await;
    assert!(
        metrics.len() < MAX_METRICS_BYTES,
        "/metrics must stay small whatever names clients send: {} bytes after {UNKNOWN} unknown names",
        metrics.len()
    );
    let leaked: Vec<&String> = names
        .iter()
        // The first 24 characters (`rnd0042-` and 16 hex digits) are unique to a name.
        .filter(|name| metrics.contains(&name[..24]))
        .collect();
    assert!(
        leaked.is_empty(),
        "/metrics must not carry client-chosen model names: {} leaked, e.g. {:.80}",
        leaked.len(),
        leaked.first().map(|s| s.as_str()).unwrap_or_default()
    );
    let unknown = requests_with(&metrics, "model=\"unknown\"") - before;
    assert!(
        unknown >= UNKNOWN as f64,
        "the unknown names are counted under model=\"unknown\": {unknown} counted, {UNKNOWN} sent"
    );
    assert!(
        requests_with(&metrics, "model=\"gpt-test\"") >= 1.0,
        "the configured model keeps its own label"
    );
}

/// The value of the unlabelled gauge `name`.
fn gauge(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_streams_gauge_counts_a_stream_until_its_client_lets_go() {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let config = TestConfig::new().model("stall", "openai", "mock-stall-stream", &mock.base_url());
    let gateway = GatewayProcess::start(&config).await;
    let (client, url) = (reqwest::Client::new(), gateway.url.as_str());
    let streams = |metrics: &str| gauge(metrics, "switchyard_streams_in_flight");

    let mut body = chat_body("stall", "hello");
    body["stream"] = json!(true);
    let mut stream = client
        .post(format!("{url}/v1/chat/completions"))
        .json(&body)
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(stream.status(), 200);
    assert!(stream.chunk().await.expect("a first chunk").is_some());
    let during = scrape(&client, url).await;
    assert_eq!(streams(&during), Some(1.0), "one stream open:\n{during}");
    assert_eq!(
        gauge(&during, "switchyard_requests_in_flight"),
        Some(1.0),
        "the scrape itself is the one request before its answer"
    );

    drop(stream);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if streams(&scrape(&client, url).await) == Some(0.0) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the stream leaves the gauge when its client goes away"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
