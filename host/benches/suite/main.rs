//! The benchmark suite: one run measures a fast mock upstream directly, Switchyard
//! (a separate release process) through the OpenAI adapter and through the
//! Anthropic adapter, many concurrent streams, a hot swap under load, the gateway's
//! memory, and nginx / LiteLLM as baselines where installed. Loopback only; every
//! phase lasts `BENCH_SECS` and a watchdog ends the run if anything hangs.
//!
//! `bash tests/bench.sh`, or `cargo bench -p switchyard --bench suite`.
//! Switchyard runs three ways: its embedded defaults (client keys on, a key in every
//! request, request log on), with client keys off, and with the request log off; and
//! at a fixed offered load (open loop, `BENCH_RATE` req/s) against the mock directly.
//!
//! Knobs: BENCH_SECS (5), BENCH_CONNS (32), BENCH_RATE (1000), BENCH_STREAMS (1000),
//! BENCH_STREAM_EVENTS (10), BENCH_STREAM_GAP_MS (20), BENCH_SWAPS (3),
//! BENCH_NGINX / BENCH_LITELLM (path or `off`), SWITCHYARD_BIN. `BENCH_MILLION=1` runs
//! the million-request memory check instead ([`million`]).

// Blocking sleeps only run on threads of their own (watchdog, RSS sampler, process start).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods
)]

#[path = "../common/mod.rs"]
mod common;

mod baselines;
mod gateway;
mod million;
mod mock;
mod report;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Load, Outcome, any_body, env_num};
use gateway::Gateway;
use report::{Memory, Row, Swap};

const OPENAI_PLAIN: &str = r#"{"model":"bench-openai","messages":[{"role":"user","content":"Say hello in five languages."}]}"#;
const ANTHROPIC_PLAIN: &str = r#"{"model":"bench-anthropic","max_tokens":256,"messages":[{"role":"user","content":"Say hello in five languages."}]}"#;
const OPENAI_STREAM: &str = r#"{"model":"bench-openai","stream":true,"messages":[{"role":"user","content":"Say hello in five languages."}]}"#;
const ANTHROPIC_STREAM: &str = r#"{"model":"bench-anthropic","max_tokens":256,"stream":true,"messages":[{"role":"user","content":"Say hello in five languages."}]}"#;

/// A complete OpenAI stream: ends with `[DONE]`, carries no error event.
fn whole_stream(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    text.trim_end().ends_with("data: [DONE]") && !text.contains("data: {\"error\"")
}

struct Settings {
    secs: f64,
    conns: usize,
    streams: usize,
    swaps: u32,
}

fn main() {
    if std::env::var("BENCH_MILLION").is_ok_and(|v| v == "1") {
        million::main();
        return;
    }
    let settings = Settings {
        secs: env_num("BENCH_SECS", 5).max(1) as f64,
        conns: env_num("BENCH_CONNS", 32).max(1) as usize,
        streams: env_num("BENCH_STREAMS", 1000).max(1) as usize,
        swaps: env_num("BENCH_SWAPS", 3) as u32,
    };
    let pace = mock::Pace {
        events: env_num("BENCH_STREAM_EVENTS", 10) as usize,
        gap: Duration::from_millis(env_num("BENCH_STREAM_GAP_MS", 20)),
    };
    // 16 phases plus warm-ups and process start-ups: anything beyond this is a hang.
    watchdog(Duration::from_secs_f64(settings.secs * 26.0 + 240.0));

    let mock = mock::start(pace);
    let dir = tempfile::Builder::new()
        .prefix("switchyard-bench-")
        .tempdir()
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    let started = Instant::now();
    let gw = Gateway::start(dir.path(), mock);
    watch_pid(gw.pid());
    let startup = started.elapsed();
    // A first start serves baseline code at once while a child compiles the optimized
    // code: wait for it (and for the child to leave the cores) before measuring.
    let optimized =
        rt.block_on(gw.wait_optimized(&reqwest::Client::new(), started, Duration::from_secs(180)));
    // A second process on the same folder loads the compiled adapters the first one
    // cached: the start-up a restart sees.
    let restarted = Instant::now();
    let (cached_startup, cached_idle_kib) = {
        let again = Gateway::start(dir.path(), mock);
        let ready = restarted.elapsed();
        std::thread::sleep(Duration::from_millis(200));
        (ready, gateway::rss_kib(again.pid()))
    };
    // The same gateway with its embedded defaults (client keys on: the bench sends a
    // key) and with the request log off, each in a folder of its own, compiled
    // adapters from the first one's cache.
    let cache = dir.path().join("adapter-cache");
    let defaults_dir = dir.path().join("defaults");
    let no_log_dir = dir.path().join("no-log");
    let defaults = Gateway::start_with(
        &defaults_dir,
        mock,
        gateway::Profile::DEFAULTS,
        Some(&cache),
    );
    watch_pid(defaults.pid());
    let no_log = Gateway::start_with(&no_log_dir, mock, gateway::Profile::NO_LOG, Some(&cache));
    watch_pid(no_log.pid());
    let nginx = baselines::nginx(dir.path(), mock);
    if let Ok(b) = &nginx {
        watch_pid(b.pid());
    }
    let litellm = baselines::litellm(dir.path(), mock);
    if let Ok(b) = &litellm {
        watch_pid(b.pid());
    }

    let pieces = Pieces {
        defaults: &defaults,
        no_log: &no_log,
    };
    let (rows, swap, memory) = rt.block_on(run(&settings, &gw, &pieces, mock, &nginx, &litellm));
    report::print(&report::Report {
        secs: settings.secs,
        conns: settings.conns,
        streams: settings.streams,
        pace,
        startup,
        optimized,
        cached_startup,
        cached_idle_kib,
        rows,
        swap,
        memory,
    });
}

/// The gateways that measure each piece: embedded defaults (client key and request
/// log on), and defaults with the request log off. `gw` itself runs without keys.
struct Pieces<'g> {
    defaults: &'g Gateway,
    no_log: &'g Gateway,
}

async fn run(
    s: &Settings,
    gw: &Gateway,
    pieces: &Pieces<'_>,
    mock: std::net::SocketAddr,
    nginx: &Result<baselines::Baseline, String>,
    litellm: &Result<baselines::Baseline, String>,
) -> (Vec<Row>, Swap, Memory) {
    let client = reqwest::Client::new();
    let direct = format!("http://{mock}/v1/chat/completions");
    let through = format!("http://{}/v1/chat/completions", gw.addr);
    let anthropic_ready = gw.adapter_source(&client, "anthropic").await.is_some();

    let plain = |url: &str, body: &'static str, conns: usize, secs: f64| {
        let url = url.to_string();
        async move {
            Load {
                url: &url,
                body,
                headers: &[],
                conns,
                secs,
                check: any_body,
            }
            .run()
            .await
        }
    };
    let stream = |url: &str, body: &'static str, conns: usize, secs: f64| {
        let url = url.to_string();
        async move {
            Load {
                url: &url,
                body,
                headers: &[],
                conns,
                secs,
                check: whole_stream,
            }
            .run()
            .await
        }
    };
    // Idle: adapters loaded, a few requests served, nothing in flight.
    plain(&through, OPENAI_PLAIN, 1, 0.2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = gw.rss_kib();
    let peak = Arc::new(AtomicU64::new(idle));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = sample_rss(gw.pid(), peak.clone(), sampling.clone());

    let warm = s.secs.min(1.0);
    plain(&direct, OPENAI_PLAIN, 4, warm).await;
    plain(&through, OPENAI_PLAIN, 4, warm).await;
    if anthropic_ready {
        plain(&through, ANTHROPIC_PLAIN, 4, warm).await;
    }

    let (secs, conns, streams) = (s.secs, s.conns, s.streams);
    let mut rows = Vec::new();
    let direct_one = plain(&direct, OPENAI_PLAIN, 1, secs).await;
    let gw_one = plain(&through, OPENAI_PLAIN, 1, secs).await;
    rows.push(Row::measured("(a) mock directly, 1 conn", direct_one, None));
    rows.push(Row::measured(
        "(b) switchyard openai, 1 conn",
        gw_one,
        Some(0),
    ));

    let direct_many = plain(&direct, OPENAI_PLAIN, conns, secs).await;
    rows.push(Row::measured(
        &format!("(a) mock directly, {conns} conns"),
        direct_many,
        None,
    ));
    let base = rows.len() - 1;
    match nginx {
        Ok(b) => {
            let url = format!("http://{}/v1/chat/completions", b.addr);
            plain(&url, OPENAI_PLAIN, 4, warm).await;
            let o = plain(&url, OPENAI_PLAIN, conns, secs).await;
            rows.push(Row::measured(
                &format!("nginx -> mock, {conns} conns"),
                o,
                Some(base),
            ));
        }
        Err(why) => rows.push(Row::skipped("nginx -> mock", why)),
    }
    match litellm {
        Ok(b) => {
            let url = format!("http://{}/v1/chat/completions", b.addr);
            let o = Load {
                url: &url,
                body: r#"{"model":"bench","messages":[{"role":"user","content":"Say hello in five languages."}]}"#,
                headers: &[("authorization", "Bearer sk-bench")],
                conns,
                secs,
                check: any_body,
            }
            .run()
            .await;
            rows.push(Row::measured(
                &format!("litellm -> mock, {conns} conns"),
                o,
                Some(base),
            ));
        }
        Err(why) => rows.push(Row::skipped("litellm -> mock", why)),
    }
    // The headline: the embedded defaults, a client key in every request.
    let keyed = |gateway: &Gateway, key: &'static str, conns: usize, secs: f64| {
        let url = format!("http://{}/v1/chat/completions", gateway.addr);
        async move {
            Load {
                url: &url,
                body: OPENAI_PLAIN,
                headers: &[("authorization", key)],
                conns,
                secs,
                check: any_body,
            }
            .run()
            .await
        }
    };
    let bearer =
        |secret: String| -> &'static str { Box::leak(format!("Bearer {secret}").into_boxed_str()) };
    let defaults_key = bearer(pieces.defaults.create_key(&client).await);
    let no_log_key = bearer(pieces.no_log.create_key(&client).await);
    keyed(pieces.defaults, defaults_key, 4, warm).await;
    keyed(pieces.no_log, no_log_key, 4, warm).await;
    let o = keyed(pieces.defaults, defaults_key, conns, secs).await;
    rows.push(Row::measured(
        &format!("(b) switchyard defaults, key, {conns} conns"),
        o,
        Some(base),
    ));
    let o = plain(&through, OPENAI_PLAIN, conns, secs).await;
    rows.push(Row::measured(
        &format!("(b)   client keys off, {conns} conns"),
        o,
        Some(base),
    ));
    let o = keyed(pieces.no_log, no_log_key, conns, secs).await;
    rows.push(Row::measured(
        &format!("(b)   request log off, {conns} conns"),
        o,
        Some(base),
    ));

    // Latency at a fixed offered load, not at saturation.
    let rate = env_num("BENCH_RATE", 1000);
    let open = |url: String, headers: &'static [(&'static str, &'static str)]| async move {
        let load = Load {
            url: &url,
            body: OPENAI_PLAIN,
            headers,
            conns: 1,
            secs,
            check: any_body,
        };
        common::open_loop(&load, rate).await
    };
    let o = open(direct.clone(), &[]).await;
    rows.push(Row::measured(
        &format!("(f) mock directly, open loop {rate} req/s"),
        o,
        None,
    ));
    let open_base = rows.len() - 1;
    // The floor: what one reverse-proxy hop adds at this load on this machine.
    if let Ok(b) = nginx {
        let o = open(format!("http://{}/v1/chat/completions", b.addr), &[]).await;
        rows.push(Row::measured(
            &format!("(f) nginx -> mock, open loop {rate} req/s"),
            o,
            Some(open_base),
        ));
    }
    let defaults_url = format!("http://{}/v1/chat/completions", pieces.defaults.addr);
    let headers: &'static [(&'static str, &'static str)] =
        Box::leak(vec![("authorization", defaults_key)].into_boxed_slice());
    let o = open(defaults_url, headers).await;
    rows.push(Row::measured(
        &format!("(f) switchyard defaults, open loop {rate} req/s"),
        o,
        Some(open_base),
    ));
    if anthropic_ready {
        let o = plain(&through, ANTHROPIC_PLAIN, conns, secs).await;
        rows.push(Row::measured(
            &format!("(c) switchyard anthropic, {conns} conns"),
            o,
            Some(base),
        ));
    } else {
        rows.push(Row::skipped(
            "(c) switchyard anthropic",
            "skipped: anthropic adapter not built",
        ));
    }

    // Time to first token at a moderate load, then many streams at once (the Anthropic
    // adapter only under the large one).
    let few = env_num("BENCH_FEW_STREAMS", 10).max(1) as usize;
    for (count, large) in [(few, false), (streams, true)] {
        let o = stream(&direct, OPENAI_STREAM, count, secs).await;
        rows.push(Row::measured(
            &format!("(d) mock directly, {count} streams"),
            o,
            None,
        ));
        let base = rows.len() - 1;
        let o = stream(&through, OPENAI_STREAM, count, secs).await;
        rows.push(Row::measured(
            &format!("(d) switchyard openai, {count} streams"),
            o,
            Some(base),
        ));
        if anthropic_ready && large {
            let o = stream(&through, ANTHROPIC_STREAM, count, secs).await;
            rows.push(Row::measured(
                &format!("(d) switchyard anthropic, {count} streams"),
                o,
                Some(base),
            ));
        }
    }

    // (e) Hot swap: plain requests and some streams run while the OpenAI adapter is
    // replaced by a file, removed (back to the built-in), replaced again...
    let swap_streams = (streams / 10).max(1);
    let (plain_out, stream_out, swap) = tokio::join!(
        plain(&through, OPENAI_PLAIN, conns, secs),
        stream(&through, OPENAI_STREAM, swap_streams, secs),
        hot_swap(gw, &client, s.swaps, secs),
    );
    let mut swapped = plain_out;
    merge(&mut swapped, stream_out);
    rows.push(Row::measured(
        &format!(
            "(e) hot swap x{}, {conns} conns + {swap_streams} streams",
            s.swaps
        ),
        swapped,
        None,
    ));

    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let memory = Memory {
        idle_kib: idle,
        peak_kib: peak.load(Ordering::Relaxed),
        after_kib: gw.rss_kib(),
    };
    (rows, swap, memory)
}

fn merge(into: &mut Outcome, other: Outcome) {
    into.requests += other.requests;
    into.errors += other.errors;
    into.latencies.extend(other.latencies);
    into.first_bytes.extend(other.first_bytes);
}

/// `swaps` changes of `openai.wasm` in the plugins folder, spread over `secs`:
/// even ones install a freshly tagged copy of the OpenAI adapter (temp name, then
/// rename), odd ones delete it. Each waits until `/health` shows the change.
async fn hot_swap(gw: &Gateway, client: &reqwest::Client, swaps: u32, secs: f64) -> Swap {
    let wasm_path = openai_wasm();
    let Ok(wasm) = std::fs::read(&wasm_path) else {
        return Swap::Skipped(format!("skipped: {} not found", wasm_path.display()));
    };
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(secs);
    let mut visible = Vec::new();
    for i in 0..swaps {
        let at = start + Duration::from_secs_f64(secs * f64::from(i + 1) / f64::from(swaps + 1));
        tokio::time::sleep_until(at.into()).await;
        let since = Instant::now();
        let (to_file, expect) = if i % 2 == 0 {
            (true, "file")
        } else {
            (false, "builtin")
        };
        if to_file {
            gateway::install(
                &gw.plugins_dir,
                "openai.wasm",
                &gateway::tagged_component(&wasm, i),
            );
        } else {
            let _ = std::fs::remove_file(gw.plugins_dir.join("openai.wasm"));
        }
        let seen = gw
            .wait_source(
                client,
                "openai",
                expect,
                since,
                end.max(since + Duration::from_secs(2)),
            )
            .await;
        visible.push((to_file, seen));
    }
    Swap::Done(visible)
}

/// The OpenAI adapter built by `host/build.rs`.
fn openai_wasm() -> PathBuf {
    std::env::var_os("BENCH_OPENAI_WASM")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/wasm-guests/wasm32-wasip2/release/plugin_openai.wasm")
        })
}

/// Samples `pid`'s RSS every 50 ms into `peak` while `on`.
fn sample_rss(pid: u32, peak: Arc<AtomicU64>, on: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while on.load(Ordering::Relaxed) {
            peak.fetch_max(gateway::rss_kib(pid), Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

static CHILDREN: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

fn watch_pid(pid: u32) {
    CHILDREN.lock().unwrap().push(pid);
}

/// Ends the whole run (and the processes it started) if it outlives `limit`.
fn watchdog(limit: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        eprintln!("bench: exceeded {limit:?}, stopping");
        for pid in CHILDREN.lock().map(|c| c.clone()).unwrap_or_default() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        std::process::exit(2);
    });
}
