//! One gateway process's throughput and latency on Postgres + Redis (shared keys, log
//! and limits) against one on SQLite + in-memory limits, same run, same mock upstream,
//! a key with a requests-per-minute limit (so every request is admitted by the
//! limiter) and the request log on. Loopback only, bounded in time.
//!
//! `bash tests/bench-scale-out.sh` starts throwaway Postgres and Redis servers and runs
//! this with `BENCH_POSTGRES_URL` and `BENCH_REDIS_URL` set (BENCH_SECS per phase).

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
use common::{Load, REQUEST, RESPONSE, any_body, env_num, open_loop, spawn_server};
use switchyard::access::keys;
use switchyard::store::{KeyLimits, NewKey};
use switchyard::{App, Config};

/// Requests per second of the open-loop latency phase.
const RATE: u64 = 1_000;

fn main() {
    let secs = env_num("BENCH_SECS", 5);
    let conns = env_num("BENCH_CONNS", 32) as usize;
    let (Ok(postgres), Ok(redis)) = (
        std::env::var("BENCH_POSTGRES_URL"),
        std::env::var("BENCH_REDIS_URL"),
    ) else {
        panic!("set BENCH_POSTGRES_URL and BENCH_REDIS_URL (tests/bench-scale-out.sh does)");
    };
    let upstream = spawn_server(1, |listener| {
        Box::pin(async move {
            let app = Router::new().route(
                "/v1/chat/completions",
                post(|| async { ([("content-type", "application/json")], RESPONSE) }),
            );
            axum::serve(listener, app).await.unwrap();
        })
    });
    let data = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", data.path().join("bench.db").display());
    let config = |database: &str, redis: &str| {
        Config::from_toml_str(&format!(
            r#"
        [server]
        log_level = "warn"
        [storage]
        database_url = "{database}"
        redis_url = "{redis}"
        [auth]
        enable_client_auth = true
        [plugins]
        dir = "{dir}"
        hot_reload = false
        [[models]]
        name = "bench"
        adapter = "openai"
        upstream_model = "gpt-4o-mini"
        base_url = "http://{upstream}/v1"
        api_key = "sk-bench"
        "#,
            dir = std::env::temp_dir().join("switchyard-bench-none").display(),
        ))
        .unwrap()
    };
    // A key whose limit is never reached: every request goes through the admission.
    let key = |database: &str| {
        let store = switchyard::store::open(database).unwrap();
        let issued = keys::create(
            store.as_ref(),
            NewKey {
                name: "bench".into(),
                limits: KeyLimits {
                    requests_per_minute: Some(100_000_000),
                    ..KeyLimits::default()
                },
                ..NewKey::default()
            },
        )
        .unwrap();
        format!("Bearer {}", issued.secret)
    };
    let local_key: &'static str = key(&sqlite).leak();
    let shared_key: &'static str = key(&postgres).leak();
    let start = |config: Config| {
        spawn_server(2, move |listener| {
            Box::pin(async move {
                let app = App::build(config).await.unwrap();
                app.ready().await;
                app.serve(listener, std::future::pending()).await;
            })
        })
    };
    let local = start(config(&sqlite, ""));
    let shared = start(config(&postgres, &redis));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let local_url = format!("http://{local}/v1/chat/completions");
    let shared_url = format!("http://{shared}/v1/chat/completions");
    let local_headers = [("authorization", local_key)];
    let shared_headers = [("authorization", shared_key)];
    let load = |url: &'static str,
                headers: &'static [(&'static str, &'static str)],
                conns: usize,
                secs: u64| Load {
        url,
        body: REQUEST,
        headers,
        conns,
        secs: secs as f64,
        check: any_body,
    };
    let local_url: &'static str = local_url.leak();
    let shared_url: &'static str = shared_url.leak();
    let local_headers: &'static [(&str, &str)] = Vec::from(local_headers).leak();
    let shared_headers: &'static [(&str, &str)] = Vec::from(shared_headers).leak();
    let results = rt.block_on(async {
        load(local_url, local_headers, 4, 1).run().await;
        load(shared_url, shared_headers, 4, 1).run().await;
        let local_rps = load(local_url, local_headers, conns, secs).run().await;
        let shared_rps = load(shared_url, shared_headers, conns, secs).run().await;
        let local_lat = open_loop(&load(local_url, local_headers, 1, secs), RATE).await;
        let shared_lat = open_loop(&load(shared_url, shared_headers, 1, secs), RATE).await;
        Arc::new((local_rps, shared_rps, local_lat, shared_lat))
    });
    let (local_rps, shared_rps, local_lat, shared_lat) = &*results;
    println!(
        "\nSwitchyard scale-out benchmark ({secs}s per phase, loopback, a limited key, request log on)"
    );
    println!(
        "{:<48} {:>10} {:>10} {:>10} {:>7}",
        "phase", "req/s", "p50", "p99", "errors"
    );
    for (name, o) in [
        (
            &*format!("SQLite + memory limits, {conns} conns"),
            local_rps,
        ),
        (&*format!("Postgres + Redis, {conns} conns"), shared_rps),
        (
            &*format!("SQLite + memory limits, {RATE} req/s open loop"),
            local_lat,
        ),
        (
            &*format!("Postgres + Redis, {RATE} req/s open loop"),
            shared_lat,
        ),
    ] {
        println!(
            "{:<48} {:>10.0} {:>10.1?} {:>10.1?} {:>7}",
            name,
            o.rps(),
            o.pct(0.5),
            o.pct(0.99),
            o.errors
        );
    }
    println!(
        "\nPostgres + Redis vs SQLite + memory: {:.2}x throughput; at {RATE} req/s the shared admission adds p50 {:.1?}, p99 {:.1?}",
        shared_rps.rps() / local_rps.rps(),
        shared_lat.pct(0.5).saturating_sub(local_lat.pct(0.5)),
        shared_lat.pct(0.99).saturating_sub(local_lat.pct(0.99)),
    );
    println!("note: client, gateways, upstream, Postgres and Redis share this machine's cores.");
}
