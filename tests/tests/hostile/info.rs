//! An adapter whose `info()` is oversized (a 4 MiB version, a 1 KiB name) is refused
//! at load; `/health` says why without repeating the megabytes, and the gateway's
//! other models keep serving.

use e2e::{TestGateway, wasm};
use serde_json::Value;

use super::support::{Rig, clip, expect_serving, report, toml};

/// A `/health` document larger than this is not a health check any more.
const HEALTH_LIMIT: usize = 64 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_info_is_refused_at_load() {
    let rig = Rig::start().await;
    let gateway = TestGateway::start_with_plugins(
        &toml(rig.config()),
        &[
            ("bloat.wasm", wasm::BLOAT),
            ("longname.wasm", wasm::LONGNAME),
        ],
    )
    .await
    .expect("the gateway starts next to oversized adapters");

    let mut failures = Vec::new();
    let response = gateway
        .client()
        .get(gateway.endpoint("/health"))
        .send()
        .await
        .expect("/health answers");
    let text = response.text().await.expect("/health sends its body");
    if text.len() >= HEALTH_LIMIT {
        failures.push(format!(
            "/health is {} bytes, not under {HEALTH_LIMIT}",
            text.len()
        ));
    }
    let health: Value = serde_json::from_str(&text).expect("/health is JSON");
    let adapters = health["adapters"].as_array().cloned().unwrap_or_default();
    for file in ["bloat", "longname"] {
        let entry = adapters.iter().find(|a| a["name"] == file);
        match entry {
            None => failures.push(format!(
                "/health does not list {file}.wasm: {}",
                clip(&text, 400)
            )),
            Some(entry) if !entry["last_error"].is_string() => failures.push(format!(
                "{file}.wasm was not refused (no last_error): {}",
                clip(&entry.to_string(), 400)
            )),
            Some(_) => {}
        }
    }
    // Only an adapter that declared that name could be listed under it.
    if adapters
        .iter()
        .any(|a| a["name"].as_str().is_some_and(|n| n.len() > 64))
    {
        failures.push("/health lists an adapter with a name over 64 bytes".to_owned());
    }
    // The refused files make `/health` degraded; the other models serve regardless.
    if let Err(why) = expect_serving(&gateway).await {
        failures.push(why);
    }
    report("oversized info()", &failures);
}
