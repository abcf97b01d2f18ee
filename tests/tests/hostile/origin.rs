//! A `path-and-query` that would leave the configured origin or base path, or that is
//! not a path at all, is refused before anything is sent.

use super::support::{
    PLANTED_KEY, Rig, expect_healthy, expect_refused_before_sending, hostile_model, report,
};

/// (base URL, path-and-query) for every attack, given the rig's ports.
fn cases(rig: &Rig) -> Vec<(String, String)> {
    let origin = rig.mock_origin();
    let elsewhere = rig.elsewhere();
    let port = rig.sentinel.port();
    let with_base = format!("{origin}/base");
    let chat = "/chat/completions";
    let mut cases = vec![
        // No leading `/`: the path glues onto the base URL's authority.
        (origin.clone(), format!("@{elsewhere}/steal")),
        (origin.clone(), ".evil.example/x".to_owned()),
        (origin.clone(), format!(":{port}/x")),
        // Against a base without a port, `:PORT` really is another port.
        ("http://127.0.0.1".to_owned(), format!(":{port}/x")),
        (origin.clone(), "?steal=1".to_owned()),
        (origin.clone(), String::new()),
        // Authority-relative and absolute references.
        (origin.clone(), format!("//{elsewhere}/steal")),
        (origin.clone(), format!("/\\{elsewhere}/x")),
        (origin.clone(), format!("\\\\{elsewhere}\\x")),
        (origin.clone(), format!("http://{elsewhere}/steal")),
    ];
    // Dot segments climbing out of the base path.
    for path in ["/../../x", "/%2e%2e/x", "/a/../../x", "/.%2E/x"] {
        cases.push((with_base.clone(), path.to_owned()));
    }
    // Control characters, spaces and fragments are not part of a path.
    for path in [
        format!("{chat}\r\nx-injected: 1"),
        format!("{chat}\n"),
        format!("{chat}\t"),
        format!("{chat}\u{1}"),
        format!("{chat}\u{7f}"),
        "/chat completions".to_owned(),
        format!("{chat}?q=a b"),
        format!("{chat}#fragment"),
    ] {
        cases.push((rig.mock.base_url(), path));
    }
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_that_leave_the_configured_origin_are_refused_before_sending() {
    let rig = Rig::start().await;
    let cases = cases(&rig);
    let mut config = rig.config();
    for (i, (base, path)) in cases.iter().enumerate() {
        config = hostile_model(
            config,
            &format!("path-{i}"),
            base,
            PLANTED_KEY,
            &[("attack", "path"), ("value", path)],
        );
    }
    let gateway = rig.gateway(config).await;

    let mut failures = Vec::new();
    for (i, (base, path)) in cases.iter().enumerate() {
        if let Err(why) = expect_refused_before_sending(&rig, &gateway, &format!("path-{i}")).await
        {
            failures.push(format!("base {base:?} + path {path:?}: {why}"));
        }
    }
    if let Err(why) = expect_healthy(&gateway).await {
        failures.push(why);
    }
    report("origin escapes", &failures);
}
