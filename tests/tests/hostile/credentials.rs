//! The adapter chooses where the credential goes, per request; a placement that is not
//! a plain header or query parameter name is refused before the key leaves the host.

use super::support::{
    PLANTED_KEY, Rig, expect_healthy, expect_refused_before_sending, hostile_model, report,
};

/// (attack, placement name) for every attack, given the second listener's address.
fn cases(elsewhere: &str) -> Vec<(&'static str, String)> {
    let mut cases = Vec::new();
    for name in [
        "host".to_owned(),
        "Host".to_owned(),
        "content-length".to_owned(),
        "transfer-encoding".to_owned(),
        format!("x-key\r\nhost: {elsewhere}"),
        "x key".to_owned(),
        String::new(),
    ] {
        cases.push(("credential-header", name));
    }
    for name in [
        String::new(),
        format!("key\r\nhost: {elsewhere}"),
        "key#".to_owned(),
        format!("key&host={elsewhere}"),
        "key=".to_owned(),
        "a key".to_owned(),
    ] {
        cases.push(("credential-query", name));
    }
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_credential_placements_are_refused_before_the_key_leaves() {
    let rig = Rig::start().await;
    let cases = cases(&rig.elsewhere());
    let mut config = rig.config();
    for (i, (attack, name)) in cases.iter().enumerate() {
        config = hostile_model(
            config,
            &format!("credential-{i}"),
            &rig.mock.base_url(),
            PLANTED_KEY,
            &[("attack", attack), ("value", name)],
        );
    }
    let gateway = rig.gateway(config).await;

    let mut failures = Vec::new();
    for (i, (attack, name)) in cases.iter().enumerate() {
        let model = format!("credential-{i}");
        if let Err(why) = expect_refused_before_sending(&rig, &gateway, &model).await {
            failures.push(format!("{attack} {name:?}: {why}"));
        }
    }
    if let Err(why) = expect_healthy(&gateway).await {
        failures.push(why);
    }
    report("credential placements", &failures);
}
