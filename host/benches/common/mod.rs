//! Load generation shared by the `proxy` and `suite` benches: a server on its own
//! runtime thread, closed-loop clients that send requests back to back until a
//! deadline, and the latency summary.

// Each bench includes this file with `#[path]` and uses a different part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;

/// An OpenAI chat request, small enough that parsing it is not what is measured.
pub const REQUEST: &str =
    r#"{"model":"bench","messages":[{"role":"user","content":"Say hello in five languages."}]}"#;

/// An OpenAI chat answer (non-streamed).
pub const RESPONSE: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1755133856,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello, Hola, Bonjour, Hallo, Ciao","refusal":null,"annotations":[]},"finish_reason":"stop"}],"usage":{"prompt_tokens":21,"completion_tokens":12,"total_tokens":33}}"#;

/// A number from the environment, or `default`.
pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Starts a server on its own runtime thread and returns its address.
pub fn spawn_server<F>(threads: usize, make: F) -> SocketAddr
where
    F: FnOnce(TcpListener) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        + Send
        + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            make(listener).await;
        });
    });
    rx.recv().unwrap()
}

/// What one load phase measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Requests that succeeded.
    pub requests: usize,
    /// Requests that failed (transport error, non-2xx, or a body that fails the check).
    pub errors: usize,
    /// Wall time of the phase.
    pub elapsed: Duration,
    /// Latency of each successful request (whole body read).
    pub latencies: Vec<Duration>,
    /// Time to the first body chunk of each successful request.
    pub first_bytes: Vec<Duration>,
}

impl Outcome {
    /// Successful requests per second.
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Latency percentile `p` (0..=1) of whole requests.
    pub fn pct(&self, p: f64) -> Duration {
        percentile(&self.latencies, p)
    }

    /// Percentile `p` of time to first byte.
    pub fn first_byte_pct(&self, p: f64) -> Duration {
        percentile(&self.first_bytes, p)
    }
}

fn percentile(values: &[Duration], p: f64) -> Duration {
    let mut l = values.to_vec();
    l.sort();
    l.get(((l.len() as f64 - 1.0) * p) as usize)
        .copied()
        .unwrap_or_default()
}

/// One load phase: `conns` clients each sending `body` to `url` back to back until
/// `secs` have passed. A response counts as a success when its status is 2xx and
/// `check` accepts its whole body.
pub struct Load<'a> {
    /// Where to POST.
    pub url: &'a str,
    /// The JSON body.
    pub body: &'static str,
    /// Extra request headers.
    pub headers: &'a [(&'static str, &'static str)],
    /// Concurrent clients (each one request at a time).
    pub conns: usize,
    /// Length of the phase.
    pub secs: f64,
    /// Accepts or rejects a whole response body.
    pub check: fn(&[u8]) -> bool,
}

/// Accepts any body.
pub fn any_body(_: &[u8]) -> bool {
    true
}

impl Load<'_> {
    /// A non-streamed phase with the default request and no extra headers.
    pub fn plain(url: &str, conns: usize, secs: f64) -> Load<'_> {
        Load {
            url,
            body: REQUEST,
            headers: &[],
            conns,
            secs,
            check: any_body,
        }
    }

    /// Runs the phase.
    pub async fn run(&self) -> Outcome {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(self.conns)
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs_f64(self.secs);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..self.conns {
            let client = client.clone();
            let url = self.url.to_string();
            let body = self.body;
            let headers: Vec<_> = self.headers.to_vec();
            let check = self.check;
            tasks.push(tokio::spawn(async move {
                let mut out = Outcome::default();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let mut req = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body);
                    for (k, v) in &headers {
                        req = req.header(*k, *v);
                    }
                    match one(req, check, t).await {
                        Some(first) => {
                            out.latencies.push(t.elapsed());
                            out.first_bytes.push(first);
                        }
                        None => {
                            out.errors += 1;
                            // A refused connection fails at once; do not spin on it.
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                    }
                }
                out
            }));
        }
        let mut out = Outcome::default();
        for task in tasks {
            let o = task.await.unwrap();
            out.requests += o.latencies.len();
            out.errors += o.errors;
            out.latencies.extend(o.latencies);
            out.first_bytes.extend(o.first_bytes);
        }
        out.elapsed = started.elapsed();
        out
    }
}

/// Requests at a fixed `rate` per second for `secs`, each on its own task whatever the
/// earlier ones' latency (an open loop: a slow server does not slow the offered load,
/// so its latency shows as it is). Latency counts from when the request was sent.
pub async fn open_loop(load: &Load<'_>, rate: u64) -> Outcome {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let period = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let total = (load.secs * rate as f64) as u64;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        let due = started + period * u32::try_from(n).unwrap_or(u32::MAX);
        tokio::time::sleep_until(due.into()).await;
        let mut req = client
            .post(load.url)
            .header("content-type", "application/json")
            .body(load.body);
        for (k, v) in load.headers {
            req = req.header(*k, *v);
        }
        let check = load.check;
        tasks.push(tokio::spawn(async move {
            // Counted from the send, not from `due`: tokio's timer fires up to a
            // millisecond late, which would measure the timer rather than the server.
            // Far below capacity there is no queue whose wait this leaves out.
            let sent = Instant::now();
            one(req, check, sent)
                .await
                .map(|first| (sent.elapsed(), first))
        }));
    }
    let mut out = Outcome::default();
    for task in tasks {
        match task.await.unwrap() {
            Some((latency, first)) => {
                out.latencies.push(latency);
                out.first_bytes.push(first);
            }
            None => out.errors += 1,
        }
    }
    out.requests = out.latencies.len();
    out.elapsed = started.elapsed();
    out
}

/// Sends one request and reads its body; the time to the first chunk on success.
async fn one(
    req: reqwest::RequestBuilder,
    check: fn(&[u8]) -> bool,
    t: Instant,
) -> Option<Duration> {
    let mut resp = req.send().await.ok()?;
    if !resp.status().is_success() {
        let _ = resp.bytes().await;
        return None;
    }
    let mut body = Vec::new();
    let mut first = None;
    while let Some(chunk) = resp.chunk().await.ok()? {
        first.get_or_insert_with(|| t.elapsed());
        body.extend_from_slice(&chunk);
    }
    check(&body).then(|| first.unwrap_or_else(|| t.elapsed()))
}
