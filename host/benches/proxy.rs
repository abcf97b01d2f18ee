//! Whole-proxy throughput and latency against a fast local upstream, compared with
//! calling that upstream directly in the same run. Loopback only, bounded in time.
//!
//! `cargo bench -p switchyard --bench proxy` (BENCH_SECS=5 per phase, BENCH_CONNS=32)

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "a benchmark: its load generator builds its own HTTP client, and failures abort loudly"
)]

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use common::{Load, RESPONSE, any_body, env_num, spawn_server};

use switchyard::{App, Config};

/// The bench's chat request as Anthropic's Messages API puts it.
const MESSAGES_REQUEST: &str = r#"{"model":"bench","max_tokens":64,"system":"You are a benchmark.","messages":[{"role":"user","content":"Say hello in five words."}]}"#;
/// The bench's chat request for the Anthropic-platform model, in chat and in the
/// Responses API (not stored: the phase measures translation, not the store).
const CLAUDE_CHAT_REQUEST: &str = r#"{"model":"bench-claude","max_tokens":64,"messages":[{"role":"system","content":"You are a benchmark."},{"role":"user","content":"Say hello in five words."}]}"#;
const CLAUDE_RESPONSES_REQUEST: &str = r#"{"model":"bench-claude","max_output_tokens":64,"store":false,"instructions":"You are a benchmark.","input":"Say hello in five words."}"#;
/// A Message as Anthropic answers it.
const ANTHROPIC_RESPONSE: &str = r#"{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hello, Hola, Bonjour, Hallo, Ciao"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":21,"output_tokens":12}}"#;

/// `conns` loops sending `body` to the Anthropic-platform model for `secs`.
fn claude<'a>(url: &'a str, body: &'static str, conns: usize, secs: u64) -> Load<'a> {
    Load {
        url,
        body,
        headers: &[],
        conns,
        secs: secs as f64,
        check: any_body,
    }
}

/// `conns` loops sending requests back to back for `secs`.
async fn load(url: &str, conns: usize, secs: u64) -> common::Outcome {
    Load::plain(url, conns, secs as f64).run().await
}

fn main() {
    let secs = env_num("BENCH_SECS", 5);
    let conns = env_num("BENCH_CONNS", 32) as usize;

    let upstream = spawn_server(1, |listener| {
        Box::pin(async move {
            let app = Router::new()
                .route(
                    "/v1/chat/completions",
                    post(|| async { ([("content-type", "application/json")], RESPONSE) }),
                )
                .route(
                    "/v1/messages",
                    post(|| async { ([("content-type", "application/json")], ANTHROPIC_RESPONSE) }),
                );
            axum::serve(listener, app).await.unwrap();
        })
    });
    let data = tempfile::tempdir().unwrap();
    // `record`: the request log and conversation storage, on or off.
    let config = |warm: usize, record: bool| {
        Config::from_toml_str(&format!(
            r#"
        [server]
        log_level = "warn"
        [storage]
        database_url = "sqlite://{db}"
        request_log = {record}
        [conversations]
        enabled = {record}
        [auth]
        enable_client_auth = false
        [plugins]
        dir = "{dir}"
        hot_reload = false
        warm_instances = {warm}
        [[models]]
        name = "bench"
        adapter = "openai"
        upstream_model = "gpt-4o-mini"
        base_url = "http://{upstream}/v1"
        api_key = "sk-bench"
        [[models]]
        name = "bench-claude"
        adapter = "anthropic"
        upstream_model = "claude-sonnet-4-5"
        base_url = "http://{upstream}"
        api_key = "sk-bench"
        "#,
            dir = std::env::temp_dir().join("switchyard-bench-none").display(),
            db = data
                .path()
                .join(format!("bench-{warm}-{record}.db"))
                .display(),
        ))
        .unwrap()
    };
    let start_gateway = |config: Config| {
        spawn_server(2, move |listener| {
            Box::pin(async move {
                let app = App::build(config).await.unwrap();
                app.ready().await;
                // The gateway's own accept loop, as the binary runs it.
                app.serve(listener, std::future::pending()).await;
            })
        })
    };
    let gateway = start_gateway(config(32, false));
    let fresh_gateway = start_gateway(config(0, false));
    let recording_gateway = start_gateway(config(32, true));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let direct_url = format!("http://{upstream}/v1/chat/completions");
    let proxy_url = format!("http://{gateway}/v1/chat/completions");
    let fresh_url = format!("http://{fresh_gateway}/v1/chat/completions");
    let recording_url = format!("http://{recording_gateway}/v1/chat/completions");
    let messages_url = format!("http://{gateway}/v1/messages");
    let messages = |conns: usize, secs: u64| Load {
        url: &messages_url,
        body: MESSAGES_REQUEST,
        headers: &[("anthropic-version", "2023-06-01")],
        conns,
        secs: secs as f64,
        check: any_body,
    };
    let chat_url = proxy_url.as_str();
    let responses_url = format!("http://{gateway}/v1/responses");
    let responses_url = responses_url.as_str();
    let results = rt.block_on(async {
        // Warm connections and the adapter code paths.
        load(&direct_url, 4, 1).await;
        load(&proxy_url, 4, 1).await;
        load(&fresh_url, 4, 1).await;
        load(&recording_url, 4, 1).await;
        messages(4, 1).run().await;
        claude(chat_url, CLAUDE_CHAT_REQUEST, 4, 1).run().await;
        claude(responses_url, CLAUDE_RESPONSES_REQUEST, 4, 1)
            .run()
            .await;
        let direct_lat = load(&direct_url, 1, secs).await;
        let proxy_lat = load(&proxy_url, 1, secs).await;
        let direct = load(&direct_url, conns, secs).await;
        let proxy = load(&proxy_url, conns, secs).await;
        // Right after the chat phase on the same gateway, before the recording
        // gateway's writer (still flushing after its phase) shares the cores.
        let translated = messages(conns, secs).run().await;
        let claude_chat = claude(chat_url, CLAUDE_CHAT_REQUEST, conns, secs)
            .run()
            .await;
        let claude_responses = claude(responses_url, CLAUDE_RESPONSES_REQUEST, conns, secs)
            .run()
            .await;
        let fresh = load(&fresh_url, conns, secs).await;
        let recording = load(&recording_url, conns, secs).await;
        Arc::new((
            (direct_lat, proxy_lat, direct, proxy, fresh, recording),
            (translated, claude_chat, claude_responses),
        ))
    });
    let (
        (direct_lat, proxy_lat, direct, proxy, fresh, recording),
        (translated, claude_chat, claude_responses),
    ) = &*results;

    println!(
        "\nSwitchyard proxy benchmark ({secs}s per phase, loopback, {} cores)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!(
        "{:<44} {:>10} {:>10} {:>10} {:>7}",
        "phase", "req/s", "p50", "p99", "errors"
    );
    for (name, o) in [
        ("direct upstream, 1 connection", direct_lat),
        ("through switchyard (openai), 1 connection", proxy_lat),
        (&*format!("direct upstream, {conns} connections"), direct),
        (
            &*format!("through switchyard (openai), {conns} conns"),
            proxy,
        ),
        (
            &*format!("  + request log, conversations, {conns} conns"),
            recording,
        ),
        (
            &*format!("messages -> openai (dialect), {conns} conns"),
            translated,
        ),
        (&*format!("chat -> anthropic, {conns} conns"), claude_chat),
        (
            &*format!("responses -> anthropic (dialect), {conns} conns"),
            claude_responses,
        ),
    ] {
        println!(
            "{:<44} {:>10.0} {:>10.1?} {:>10.1?} {:>7}",
            name,
            o.rps(),
            o.pct(0.5),
            o.pct(0.99),
            o.errors
        );
    }
    let added_p50 = proxy_lat.pct(0.5).saturating_sub(direct_lat.pct(0.5));
    let added_p99 = proxy_lat.pct(0.99).saturating_sub(direct_lat.pct(0.99));
    println!("\nadded latency at 1 connection: p50 {added_p50:.1?}, p99 {added_p99:.1?}");
    println!(
        "throughput ratio (switchyard / direct) at {conns} connections: {:.2}",
        proxy.rps() / direct.rps()
    );
    println!(
        "warm pool vs fresh instance per request: {:.2}x throughput",
        proxy.rps() / fresh.rps()
    );
    println!(
        "request log + conversation storage on vs off: {:.2}x throughput",
        recording.rps() / proxy.rps()
    );
    println!(
        "Messages translated by the dialect vs the same call in chat: {:.2}x throughput",
        translated.rps() / proxy.rps()
    );
    println!(
        "Responses translated by the dialect vs the same call in chat (anthropic): {:.2}x throughput",
        claude_responses.rps() / claude_chat.rps()
    );
    println!("note: client, gateway and upstream share this machine's cores.");
}
