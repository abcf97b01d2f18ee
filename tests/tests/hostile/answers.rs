//! What `transform-response` returns reaches the client only as a JSON object within
//! the response limit, or as an OpenAI error with an error status.

use super::support::{Rig, expect_adapter_failure, expect_healthy, hostile_model, report, send};
use e2e::checks::{completion_text, read_json};
use e2e::mock_upstream::MOCK_API_KEY;

/// Garbage bodies (see the hostile adapter's `garbage_body`); `big` is 2 MiB of valid
/// JSON against the 1 MiB `upstream.max_response_bytes` these tests configure.
const BODIES: &[&str] = &[
    "html",
    "invalid-utf8",
    "empty",
    "truncated",
    "array",
    "string",
    "big",
];

/// Statuses an api-error may not carry: not errors, or not HTTP statuses at all.
const STATUSES: &[&str] = &["101", "200", "204", "302", "0", "600"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bodies_and_odd_error_statuses_become_adapter_failures() {
    let rig = Rig::start().await;
    let base = rig.mock.base_url();
    let mut config = rig.config();
    for body in BODIES.iter().chain(&["object"]) {
        let options = [("attack", "body"), ("value", *body)];
        config = hostile_model(
            config,
            &format!("body-{body}"),
            &base,
            MOCK_API_KEY,
            &options,
        );
    }
    for status in STATUSES {
        let options = [("attack", "status"), ("value", *status)];
        config = hostile_model(
            config,
            &format!("status-{status}"),
            &base,
            MOCK_API_KEY,
            &options,
        );
    }
    let gateway = rig.gateway(config).await;

    let mut failures = Vec::new();
    for body in BODIES {
        if let Err(why) = expect_adapter_failure(&gateway, &format!("body-{body}")).await {
            failures.push(format!("body {body}: {why}"));
        }
    }
    for status in STATUSES {
        if let Err(why) = expect_adapter_failure(&gateway, &format!("status-{status}")).await {
            failures.push(format!("api-error status {status}: {why}"));
        }
    }
    // The same adapter with a proper body still serves: the check is on what it
    // returns, not on the adapter.
    let normal = match send(&gateway, "body-object", false).await {
        Ok(response) => read_json(response).await.map_err(|e| format!("{e:#}")),
        Err(why) => Err(why),
    };
    match normal {
        Ok(answer) if completion_text(&answer) == Some("a normal answer") => {}
        Ok(answer) => failures.push(format!("a proper body came back changed: {answer}")),
        Err(why) => failures.push(format!("a proper body was refused: {why}")),
    }
    if let Err(why) = expect_healthy(&gateway).await {
        failures.push(why);
    }
    report("transform-response answers", &failures);
}
