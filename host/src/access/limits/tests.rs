use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use http_body_util::BodyExt;
use tokio::time::advance;

use super::*;

const KEY: &str = "key_test";

fn rpm(n: u32) -> KeyLimits {
    KeyLimits {
        requests_per_minute: Some(n),
        ..KeyLimits::default()
    }
}

fn tpm(n: u32) -> KeyLimits {
    KeyLimits {
        tokens_per_minute: Some(n),
        ..KeyLimits::default()
    }
}

fn concurrent(n: u32) -> KeyLimits {
    KeyLimits {
        max_concurrent: Some(n),
        ..KeyLimits::default()
    }
}

fn refused(limits: &MemoryLimits, key_limits: KeyLimits) -> Limited {
    limits
        .admit(KEY, key_limits)
        .expect_err("the limit should refuse this request")
}

#[tokio::test(start_paused = true)]
async fn rpm_admits_the_burst_then_one_every_interval() {
    let limits = MemoryLimits::new();
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let admission = limits.admit(KEY, rpm(3)).expect("within the burst");
        let window = admission.headers().requests.expect("rpm is set");
        remaining.push((window.remaining, window.reset));
        assert!(admission.headers().tokens.is_none(), "tpm is not set");
    }
    let secs = Duration::from_secs;
    assert_eq!(remaining, [(2, secs(20)), (1, secs(40)), (0, secs(60))]);

    let limited = refused(&limits, rpm(3));
    assert_eq!(limited.kind, LimitKind::Requests);
    assert_eq!(limited.retry_after, secs(20));
    let window = limited.headers.requests.expect("rpm is set");
    assert_eq!((window.limit, window.remaining), (3, 0));
    assert_eq!(
        limited.message,
        "Rate limit reached for requests per minute (RPM) on key key_test: Limit 3, Used 3. \
         Please try again in 20s."
    );

    advance(secs(20) - Duration::from_millis(1)).await;
    refused(&limits, rpm(3));
    advance(Duration::from_millis(1)).await;
    let admission = limits.admit(KEY, rpm(3)).expect("one request refilled");
    assert_eq!(admission.headers().requests.map(|w| w.remaining), Some(0));
    refused(&limits, rpm(3));
}

#[tokio::test(start_paused = true)]
async fn tpm_admits_until_in_debt_and_waits_for_the_debt_to_refill() {
    let limits = MemoryLimits::new();
    let admission = limits.admit(KEY, tpm(100)).expect("a full bucket");
    let window = admission.headers().tokens.expect("tpm is set");
    assert_eq!(
        (window.limit, window.remaining, window.reset),
        (100, 100, Duration::ZERO)
    );
    limits.record(KEY, tpm(100), 60);
    let admission = limits.admit(KEY, tpm(100)).expect("40 tokens left");
    assert_eq!(admission.headers().tokens.map(|w| w.remaining), Some(40));
    limits.record(KEY, tpm(100), 60);

    let limited = refused(&limits, tpm(100));
    assert_eq!(limited.kind, LimitKind::Tokens);
    // 20 tokens of debt at 100/60 tokens per second.
    assert_eq!(limited.retry_after, Duration::from_secs(12));
    let window = limited.headers.tokens.expect("tpm is set");
    assert_eq!(
        (window.remaining, window.reset),
        (0, Duration::from_secs(72))
    );
    assert!(
        limited
            .message
            .contains("(TPM) on key key_test: Limit 100, Used 120.")
    );
    assert!(limited.message.ends_with("Please try again in 12s."));

    advance(Duration::from_millis(11_999)).await;
    refused(&limits, tpm(100));
    advance(Duration::from_millis(1)).await;
    drop(limits.admit(KEY, tpm(100)).expect("debt paid back"));
}

#[tokio::test(start_paused = true)]
async fn concurrency_slots_are_held_by_admissions() {
    let limits = MemoryLimits::new();
    let first = limits.admit(KEY, concurrent(2)).expect("slot 1");
    let _second = limits.admit(KEY, concurrent(2)).expect("slot 2");
    assert!(first.holds_permit());
    assert!(
        first.headers().is_empty(),
        "no per-minute limit, no headers"
    );

    let limited = refused(&limits, concurrent(2));
    assert_eq!(limited.kind, LimitKind::Concurrency);
    assert_eq!(limited.retry_after, Duration::from_secs(1));
    assert!(
        limited
            .message
            .contains("concurrent requests on key key_test: Limit 2, Used 2.")
    );

    drop(first);
    drop(
        limits
            .admit(KEY, concurrent(2))
            .expect("a slot was given back"),
    );
}

#[tokio::test(start_paused = true)]
async fn an_admission_keeps_its_slot_until_dropped_and_reports_openai_headers() {
    let limits = MemoryLimits::new();
    let both = KeyLimits {
        requests_per_minute: Some(10),
        max_concurrent: Some(1),
        ..KeyLimits::default()
    };
    let admission = limits.admit(KEY, both).expect("first request");
    assert!(admission.holds_permit());
    let mut headers = http::HeaderMap::new();
    admission.headers().write_to(&mut headers);
    assert_eq!(headers["x-ratelimit-limit-requests"], "10");
    assert_eq!(headers["x-ratelimit-remaining-requests"], "9");
    assert_eq!(headers["x-ratelimit-reset-requests"], "6s");
    refused(&limits, both);

    drop(admission);
    drop(
        limits
            .admit(KEY, both)
            .expect("the admission is gone, so is the slot"),
    );
}

#[tokio::test(start_paused = true)]
async fn changed_limits_take_effect_at_once() {
    let limits = MemoryLimits::new();
    for _ in 0..3 {
        drop(limits.admit(KEY, rpm(3)).expect("within 3"));
    }
    refused(&limits, rpm(3));
    let admission = limits.admit(KEY, rpm(10)).expect("the new limit has room");
    assert_eq!(admission.headers().requests.map(|w| w.limit), Some(10));

    // Tokens keep what was used: a raise gives room, a cut does not add debt.
    limits.record(KEY, tpm(100), 120);
    refused(&limits, tpm(100));
    let admission = limits
        .admit(KEY, tpm(1000))
        .expect("880 left under the raise");
    assert_eq!(admission.headers().tokens.map(|w| w.remaining), Some(880));
    limits.record(KEY, tpm(1000), 800);
    drop(
        limits
            .admit(KEY, tpm(50))
            .expect("cut to 50 with 920 used: balance 0, not in debt"),
    );
}

#[tokio::test(start_paused = true)]
async fn a_refusal_uses_up_nothing() {
    let limits = MemoryLimits::new();
    let both = KeyLimits {
        requests_per_minute: Some(2),
        tokens_per_minute: Some(60),
        ..KeyLimits::default()
    };
    drop(limits.admit(KEY, both).expect("first request"));
    limits.record(KEY, both, 61);
    for _ in 0..5 {
        let limited = refused(&limits, both);
        assert_eq!(limited.kind, LimitKind::Tokens);
        assert_eq!(limited.retry_after, Duration::from_secs(1));
        let window = limited.headers.requests.expect("rpm is set");
        assert_eq!(window.remaining, 1, "refusals take no request");
    }
    advance(Duration::from_secs(1)).await;
    let admission = limits.admit(KEY, both).expect("tokens refilled");
    assert_eq!(admission.headers().requests.map(|w| w.remaining), Some(0));
}

#[tokio::test(start_paused = true)]
async fn unlimited_keys_are_never_refused_and_get_no_headers() {
    let limits = MemoryLimits::new();
    for _ in 0..1000 {
        let admission = limits.admit(KEY, KeyLimits::default()).expect("unlimited");
        assert!(admission.headers().is_empty());
        assert!(!admission.holds_permit());
        limits.record(KEY, KeyLimits::default(), 1_000_000);
    }
    assert_eq!(limits.tracked_keys(), 0, "unlimited keys keep no state");
    let mut headers = http::HeaderMap::new();
    Admission::unlimited().headers().write_to(&mut headers);
    assert!(headers.is_empty());
}

#[tokio::test(start_paused = true)]
async fn zero_limits_block_the_key() {
    let limits = MemoryLimits::new();
    assert_eq!(refused(&limits, rpm(0)).kind, LimitKind::Requests);
    assert_eq!(refused(&limits, tpm(0)).kind, LimitKind::Tokens);
    assert_eq!(refused(&limits, concurrent(0)).kind, LimitKind::Concurrency);
    assert_eq!(
        refused(&limits, rpm(0)).retry_after,
        Duration::from_secs(60)
    );
}

#[tokio::test(start_paused = true)]
async fn prune_forgets_only_keys_at_rest() {
    let limits = MemoryLimits::new();
    drop(limits.admit("key_idle", rpm(60)).expect("admitted"));
    drop(limits.admit("key_debt", tpm(60)).expect("admitted"));
    limits.record("key_debt", tpm(60), 600);
    let _busy = limits.admit("key_busy", concurrent(1)).expect("admitted");
    assert_eq!(limits.prune(), 0, "every key has used something");

    advance(Duration::from_secs(1)).await;
    assert_eq!(limits.prune(), 1, "the idle key's request came back");
    assert_eq!(limits.tracked_keys(), 2);
    limits
        .admit("key_busy", concurrent(1))
        .expect_err("the slot is still held");
    let limited = limits
        .admit("key_debt", tpm(60))
        .expect_err("the debt is kept");
    assert_eq!(limited.retry_after, Duration::from_secs(539));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_share_one_budget() {
    // Real time: the whole test takes microseconds against a 1 s refill interval.
    let limits = Arc::new(MemoryLimits::new());
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let limits = Arc::clone(&limits);
            tokio::spawn(async move { limits.admit(KEY, rpm(60)).is_ok() })
        })
        .collect();
    let mut admitted = 0;
    for task in tasks {
        admitted += usize::from(task.await.expect("task"));
    }
    assert_eq!(admitted, 60);
}

#[tokio::test]
async fn a_refusal_is_an_openai_429() {
    let headers = RateLimitHeaders {
        requests: Some(Window {
            limit: 3,
            remaining: 0,
            reset: Duration::from_secs(60),
        }),
        tokens: Some(Window {
            limit: 1000,
            remaining: 250,
            reset: Duration::from_millis(45_001),
        }),
    };
    let limited = Limited::new(
        LimitKind::Requests,
        KEY,
        3,
        3,
        Duration::from_millis(19_200),
        headers,
    );
    let response = limited.into_response();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let h = response.headers();
    assert_eq!(h["retry-after"], "20", "whole seconds, rounded up");
    assert_eq!(h["retry-after-ms"], "19200");
    assert_eq!(h["x-ratelimit-limit-requests"], "3");
    assert_eq!(h["x-ratelimit-remaining-requests"], "0");
    assert_eq!(h["x-ratelimit-reset-requests"], "1m0s");
    assert_eq!(h["x-ratelimit-limit-tokens"], "1000");
    assert_eq!(h["x-ratelimit-remaining-tokens"], "250");
    assert_eq!(h["x-ratelimit-reset-tokens"], "45.001s");
    assert_eq!(h["content-type"], "application/json");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON body");
    assert_eq!(
        body,
        serde_json::json!({"error": {
            "message": "Rate limit reached for requests per minute (RPM) on key key_test: \
                        Limit 3, Used 3. Please try again in 19.2s.",
            "type": "requests",
            "param": null,
            "code": "rate_limit_exceeded",
        }})
    );
}

#[test]
fn a_short_wait_still_says_retry_after_one_second() {
    let limited = Limited::new(
        LimitKind::Tokens,
        KEY,
        100,
        101,
        Duration::from_millis(20),
        RateLimitHeaders::default(),
    );
    let response = limited.into_response();
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(response.headers()["retry-after-ms"], "20");
    assert!(response.headers().get("x-ratelimit-limit-tokens").is_none());
}
