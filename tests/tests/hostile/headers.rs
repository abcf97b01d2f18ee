//! Adapter headers: at most 64, names up to 256 bytes, values up to 8 KiB, none of the
//! headers the host owns (framing, routing, the credential), no CR/LF. Anything else
//! is a 502 `adapter_failure`, and the client always gets that answer.

use super::support::{
    Rig, clip, expect_adapter_failure, expect_healthy, hostile_model, report, send,
};
use e2e::checks::read_json;
use e2e::mock_upstream::MOCK_API_KEY;

/// One adapter header attack: the hostile adapter's options and what they are.
struct Case {
    what: String,
    options: Vec<(&'static str, String)>,
}

fn count(n: usize) -> Case {
    Case {
        what: format!("{n} headers"),
        options: vec![("attack", "header-count".into()), ("value", n.to_string())],
    }
}

fn header(name: &str, value: &str, repeat: usize) -> Case {
    Case {
        what: format!(
            "header {:?}: {:?} x{repeat}",
            clip(name, 40),
            clip(value, 40)
        ),
        options: vec![
            ("attack", "header".into()),
            ("name", name.into()),
            ("value", value.into()),
            ("repeat", repeat.to_string()),
        ],
    }
}

fn refused_cases(elsewhere: &str) -> Vec<Case> {
    let mut cases = vec![
        // Today this panics the request task (the header map is full): no answer at all.
        count(40_000),
        count(65),
        header("x-big", "a", 1_000_000),
        header("x-big", "a", 8 * 1024 + 1),
        header(&"x".repeat(257), "1", 1),
        header("x-crlf", &format!("a\r\nhost: {elsewhere}"), 1),
        header("x-lf", "a\nb", 1),
        header("", "1", 1),
    ];
    for (name, value) in [
        ("host", elsewhere),
        ("Host", elsewhere),
        ("authorization", "Bearer sk-adapter-chosen"),
        ("content-length", "0"),
        ("transfer-encoding", "chunked"),
        ("Transfer-Encoding", "chunked"),
        ("connection", "close"),
        ("upgrade", "websocket"),
        ("te", "trailers"),
        ("keep-alive", "timeout=5"),
        ("proxy-authorization", "Basic aG9zdGlsZTpob3N0aWxl"),
    ] {
        cases.push(header(name, value, 1));
    }
    cases
}

/// The limits themselves are allowed: a fix must not refuse what the contract permits.
fn allowed_cases() -> Vec<Case> {
    vec![count(64), header(&"x".repeat(256), "a", 8 * 1024)]
}

fn add(config: e2e::TestConfig, rig: &Rig, model: &str, case: &Case) -> e2e::TestConfig {
    let options: Vec<(&str, &str)> = case.options.iter().map(|(k, v)| (*k, v.as_str())).collect();
    hostile_model(config, model, &rig.mock.base_url(), MOCK_API_KEY, &options)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_beyond_the_contract_are_refused_and_the_client_always_gets_an_answer() {
    let rig = Rig::start().await;
    let refused = refused_cases(&rig.elsewhere());
    let allowed = allowed_cases();
    let mut config = rig.config();
    for (i, case) in refused.iter().enumerate() {
        config = add(config, &rig, &format!("refused-{i}"), case);
    }
    for (i, case) in allowed.iter().enumerate() {
        config = add(config, &rig, &format!("allowed-{i}"), case);
    }
    let gateway = rig.gateway(config).await;

    let mut failures = Vec::new();
    for (i, case) in refused.iter().enumerate() {
        if let Err(why) = expect_adapter_failure(&gateway, &format!("refused-{i}")).await {
            failures.push(format!("{}: {why}", case.what));
        }
    }
    for (i, case) in allowed.iter().enumerate() {
        let answer = match send(&gateway, &format!("allowed-{i}"), false).await {
            Ok(response) => read_json(response).await.map_err(|e| format!("{e:#}")),
            Err(why) => Err(why),
        };
        if let Err(why) = answer {
            failures.push(format!("{} is within the contract: {why}", case.what));
        }
    }
    if rig.sentinel.connections() > 0 {
        failures.push(format!(
            "{} connection(s) reached the second listener",
            rig.sentinel.connections()
        ));
    }
    if let Err(why) = expect_healthy(&gateway).await {
        failures.push(why);
    }
    report("adapter headers", &failures);
}
