//! The platform's recorded errors as OpenAI errors, streamed or not, and a stream
//! that fails after it started.

use e2e::TestGateway;
use e2e::checks::{chat_body, check_error_object};
use e2e::platforms::{Target, UpstreamError, WRONG_KEY};
use e2e::sse::StreamItem;
use futures_util::future::join_all;
use serde_json::json;

/// The public model of one error row: streamed requests get their own deployment,
/// so that the two requests of a row do not share a circuit breaker's count.
fn model(target: &Target, row: &UpstreamError, stream: bool) -> String {
    let name = target.model(row.mode);
    if stream {
        format!("{name}-streamed")
    } else {
        name
    }
}

/// Every row of the platform's error table, streamed and not: the status, type,
/// code, `retry-after` and message the client must get, and never the upstream key.
pub async fn error_mapping(target: Target) {
    let names: Vec<(String, &str)> = target
        .errors
        .iter()
        .flat_map(|row| [false, true].map(|stream| (model(&target, row, stream), row.mode)))
        .collect();
    let models: Vec<(&str, &str)> = names.iter().map(|(n, m)| (n.as_str(), *m)).collect();
    let (mock, gateway) = target
        .start_named(&models)
        .await
        .expect("mock and gateway start");
    // Rows wait out the upstream's retry-after independently: run them together, and
    // report every row that is wrong, not only the first.
    let checks = target
        .errors
        .iter()
        .flat_map(|row| [false, true].map(|stream| check_row(&gateway, &target, row, stream)));
    let problems: Vec<String> = join_all(checks).await.into_iter().flatten().collect();
    assert!(
        problems.is_empty(),
        "{}: the client must get the platform's errors as these OpenAI errors:\n{}",
        target.adapter,
        problems.join("\n")
    );

    if target.errors.iter().any(|row| row.mode == WRONG_KEY) {
        let sent = mock.requests();
        assert!(
            sent.iter()
                .any(|r| r.headers.values().any(|v| v.contains(target.wrong_key))),
            "{}: the model's own (wrong) key is the one sent: {sent:?}",
            target.adapter
        );
    }
}

/// What is wrong with the answer to one row, streamed or not.
async fn check_row(
    gateway: &TestGateway,
    target: &Target,
    row: &UpstreamError,
    stream: bool,
) -> Vec<String> {
    let mode = row.mode;
    let mut body = chat_body(&model(target, row, stream), "Hi");
    body["stream"] = json!(stream);
    let context = format!("`{mode}` (stream={stream})");
    let error = match gateway.chat_error(&body).await {
        Ok(error) => error,
        Err(err) => {
            return vec![format!(
                "{context}: not an OpenAI error (an error before any byte is never a 200 stream): {err:#}"
            )];
        }
    };
    let mut problems = Vec::new();
    let mut expect = |ok: bool, what: String| {
        if !ok {
            problems.push(format!("{context}: {what}: {}", error.body));
        }
    };
    expect(
        error.status == row.status,
        format!("status {} is not {}", error.status, row.status),
    );
    expect(
        error.kind == row.kind,
        format!("type {:?} is not {:?}", error.kind, row.kind),
    );
    expect(
        error.code_str() == row.code,
        format!("code {:?} is not {:?}", error.code_str(), row.code),
    );
    if let Some(seconds) = row.retry_after {
        expect(
            error.retry_after.as_deref() == Some(seconds),
            format!(
                "retry-after {:?} is not the upstream's {seconds:?}",
                error.retry_after
            ),
        );
    }
    if let Some(text) = row.message {
        expect(
            error.message.contains(text),
            format!("the message lacks the upstream's words {text:?}"),
        );
    }
    if mode == WRONG_KEY {
        expect(
            !error.body.to_string().contains(target.wrong_key),
            "the configured key reaches the client".to_owned(),
        );
    }
    problems
}

/// A stream that fails after it started: the content that came, then one
/// OpenAI-shaped error event with the upstream's message, and nothing after it (no
/// `[DONE]`, which would call the answer whole).
pub async fn midstream_error(target: Target) {
    let a = target.adapter;
    let Some(failing) = target.midstream else {
        panic!("{a}: the mock has no stream that fails after it started on this platform");
    };
    let (_mock, gateway) = target
        .start(&[failing.mode])
        .await
        .expect("mock and gateway start");
    let events = gateway
        .stream(&chat_body(&target.model(failing.mode), "Hi"))
        .await
        .unwrap_or_else(|err| panic!("{a}: the stream started, so it stays a 200 stream: {err:#}"));
    let items = &events.items;
    assert_eq!(
        events.content(),
        failing.content,
        "{a}: the content before the error arrives: {items:?}"
    );
    let errors = events.errors();
    assert_eq!(errors.len(), 1, "{a}: one error event: {items:?}");
    check_error_object(errors[0])
        .unwrap_or_else(|err| panic!("{a}: an OpenAI-shaped error event: {err:#}: {}", errors[0]));
    assert!(
        errors[0]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(failing.message)),
        "{a}: the upstream's message reaches the client: {}",
        errors[0]
    );
    assert!(
        matches!(items.last(), Some(StreamItem::Error(_))),
        "{a}: the error ends the stream: {items:?}"
    );
}
