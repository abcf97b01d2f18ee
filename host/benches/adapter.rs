//! Adapter overhead per request, measured on the built-in OpenAI adapter:
//! a fresh instance (what each request pays today) against a warm one (what a
//! pool of instances would pay), plus per-event stream translation.
//!
//! `cargo bench -p switchyard --bench adapter`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use switchyard::config::PluginsConfig;
use switchyard::plugins::Plugins;
use switchyard::plugins::bindings::{CallContext, Endpoint, StreamEvent, UpstreamResponse};
use switchyard::plugins::session::Session;

const REQUEST: &[u8] = br#"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello in five languages."}],"temperature":0.2}"#;
const RESPONSE: &[u8] = br#"{"id":"chatcmpl-1","object":"chat.completion","created":1755133856,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello, Hola, Bonjour, Hallo, Ciao","refusal":null,"annotations":[]},"finish_reason":"stop"}],"usage":{"prompt_tokens":21,"completion_tokens":12,"total_tokens":33}}"#;
const CHUNK: &str = r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1755133856,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}"#;

fn ctx(streaming: bool) -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "gpt-4o-mini".into(),
        upstream_model: "gpt-4o-mini".into(),
        streaming,
        include_usage: false,
        client_id: "bench".into(),
        options: Vec::new(),
    }
}

fn response() -> UpstreamResponse {
    UpstreamResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: RESPONSE.to_vec(),
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let plugins = rt
        .block_on(Plugins::start(&PluginsConfig::default()))
        .expect("built-in adapters load");
    let adapter = plugins.snapshot().get("openai").expect("openai adapter");
    let memory = plugins.engine.limits.memory_limit;
    let timeout = Duration::from_secs(1);
    let chat = ctx(false);
    let upstream = response();

    let mut group = c.benchmark_group("adapter");
    group.bench_function("fresh instance + info", |b| {
        b.to_async(&rt).iter(|| async {
            let mut s = Session::start(&adapter.pre, timeout, memory).await.unwrap();
            s.info().await.unwrap()
        })
    });
    group.bench_function("fresh instance + request + response", |b| {
        b.to_async(&rt).iter(|| async {
            let mut s = Session::start(&adapter.pre, timeout, memory).await.unwrap();
            s.transform_request(&chat, REQUEST).await.unwrap().unwrap();
            s.transform_response(&chat, &upstream)
                .await
                .unwrap()
                .unwrap()
        })
    });
    let mut warm = rt
        .block_on(Session::start(&adapter.pre, timeout, memory))
        .unwrap();
    group.bench_function("warm instance: request + response", |b| {
        b.iter(|| {
            rt.block_on(async {
                warm.transform_request(&chat, REQUEST)
                    .await
                    .unwrap()
                    .unwrap();
                warm.transform_response(&chat, &upstream)
                    .await
                    .unwrap()
                    .unwrap()
            })
        })
    });

    let stream_ctx = ctx(true);
    let mut streaming = rt
        .block_on(Session::start(&adapter.pre, timeout, memory))
        .unwrap();
    let transformer = rt
        .block_on(streaming.open_stream(&stream_ctx, 200, &[]))
        .unwrap();
    let event = vec![StreamEvent {
        event: None,
        data: CHUNK.to_string(),
    }];
    group.bench_function("stream: one event through push", |b| {
        b.iter(|| {
            rt.block_on(streaming.push(transformer, &event))
                .unwrap()
                .unwrap()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
