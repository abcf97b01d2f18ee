//! The honest-stream cases: each starts a mock and a gateway for one platform and checks
//! what an OpenAI client gets when the upstream's answer is not what it claims to be.

use e2e::TestGateway;
use e2e::checks::{ApiError, chat_body, check_error_object, read_error, read_stream};
use e2e::mock_upstream::dishonest::{CUT_TEXT, OK_ERROR_MESSAGE, REDIRECT_PREFIX, WHOLE_TEXT};
use e2e::platforms::Target;
use e2e::sse::StreamItem;
use serde_json::json;

/// Every case; each platform runs or skips each one.
pub const ALL: &[&str] = &[
    "ok_error_stream",
    "ok_error_whole",
    "html_stream",
    "html_whole",
    "whole_json_for_stream",
    "cut_stream",
    "redirect_stream",
    "redirect_whole",
    "short_embeddings",
];

/// Sends a chat to the public model of `mode` and reads the answer as an OpenAI
/// error (fails when it is a 2xx or not OpenAI-shaped).
async fn chat_error(gateway: &TestGateway, target: &Target, mode: &str, stream: bool) -> ApiError {
    let mut body = chat_body(&target.model(mode), "Hello");
    body["stream"] = json!(stream);
    let response = gateway.chat(&body).await.expect("the gateway answers");
    read_error(response).await.unwrap_or_else(|err| {
        panic!(
            "{} `{mode}` (stream={stream}): the client must get an OpenAI error: {err:#}",
            target.adapter
        )
    })
}

/// A 200 whose body is the platform's error object, asked as a stream: the client
/// gets the error with an error status, never a 200 stream.
pub async fn ok_error_stream(target: Target) {
    ok_error(target, true).await;
}

/// The same 200-wrapped error, not streamed: never a 200 completion.
pub async fn ok_error_whole(target: Target) {
    ok_error(target, false).await;
}

async fn ok_error(target: Target, stream: bool) {
    let (_mock, gateway) = target
        .start(&["ok-error"])
        .await
        .expect("mock and gateway start");
    let error = chat_error(&gateway, &target, "ok-error", stream).await;
    assert!(
        error.status >= 400,
        "{}: an upstream error sent with HTTP 200 is still an error: {}",
        target.adapter,
        error.body
    );
    assert!(
        error.message.contains(OK_ERROR_MESSAGE),
        "{}: the client should read the upstream's own message {OK_ERROR_MESSAGE:?}: {:?}",
        target.adapter,
        error.message
    );
}

/// A 200 HTML page where a stream was asked for: a bad gateway.
pub async fn html_stream(target: Target) {
    html(target, true).await;
}

/// A 200 HTML page where a completion was expected: a bad gateway.
pub async fn html_whole(target: Target) {
    html(target, false).await;
}

async fn html(target: Target, stream: bool) {
    let (_mock, gateway) = target
        .start(&["ok-html"])
        .await
        .expect("mock and gateway start");
    let error = chat_error(&gateway, &target, "ok-html", stream).await;
    assert_eq!(
        error.status, 502,
        "{} (stream={stream}): an HTML page is not an answer: {}",
        target.adapter, error.body
    );
}

/// A stream asked for and a whole JSON completion received: the client still gets a
/// well-formed stream with the answer's text, ending with one `[DONE]`.
pub async fn whole_json_for_stream(target: Target) {
    let (_mock, gateway) = target
        .start(&["whole-json"])
        .await
        .expect("mock and gateway start");
    let mut body = chat_body(&target.model("whole-json"), "Hello");
    body["stream"] = json!(true);
    let response = gateway.chat(&body).await.expect("the gateway answers");
    let stream = read_stream(response).await.unwrap_or_else(|err| {
        panic!(
            "{}: a whole answer to a stream request is still served as a stream: {err:#}",
            target.adapter
        )
    });
    assert!(
        stream.errors().is_empty(),
        "{}: a whole answer is not an error: {:?}",
        target.adapter,
        stream.items
    );
    assert_eq!(
        stream.content(),
        WHOLE_TEXT,
        "{}: the stream carries the whole answer's text: {:?}",
        target.adapter,
        stream.items
    );
    assert!(
        stream.ends_with_done() && stream.done_count() == 1,
        "{}: the stream ends with exactly one [DONE]: {:?}",
        target.adapter,
        stream.items
    );
}

/// A stream that ends before the platform's terminal event: the client sees what
/// came, then an error event, and no `[DONE]` that would call the cut answer whole.
pub async fn cut_stream(target: Target) {
    let (_mock, gateway) = target
        .start(&["cut-stream"])
        .await
        .expect("mock and gateway start");
    let mut body = chat_body(&target.model("cut-stream"), "Hello");
    body["stream"] = json!(true);
    let response = gateway.chat(&body).await.expect("the gateway answers");
    let stream = read_stream(response).await.unwrap_or_else(|err| {
        panic!(
            "{}: the stream had started, so it stays a 200 stream: {err:#}",
            target.adapter
        )
    });
    assert_eq!(
        stream.content(),
        CUT_TEXT,
        "{}: the client sees the content that arrived: {:?}",
        target.adapter,
        stream.items
    );
    assert_eq!(
        stream.done_count(),
        0,
        "{}: a cut stream must not end with [DONE], which says the answer is whole: {:?}",
        target.adapter,
        stream.items
    );
    let Some(StreamItem::Error(error)) = stream.items.last() else {
        panic!(
            "{}: a cut stream ends with an error event: {:?}",
            target.adapter, stream.items
        );
    };
    check_error_object(error).unwrap_or_else(|err| {
        panic!(
            "{}: the error event is OpenAI-shaped: {err:#}: {error}",
            target.adapter
        )
    });
}

/// A 302 from the upstream, streamed.
pub async fn redirect_stream(target: Target) {
    redirect(target, true).await;
}

/// A 302 from the upstream, not streamed.
pub async fn redirect_whole(target: Target) {
    redirect(target, false).await;
}

async fn redirect(target: Target, stream: bool) {
    let (mock, gateway) = target
        .start(&["redirect"])
        .await
        .expect("mock and gateway start");
    let error = chat_error(&gateway, &target, "redirect", stream).await;
    assert_eq!(
        error.status, 502,
        "{} (stream={stream}): a redirect from the upstream is a bad gateway, never a 3xx: {}",
        target.adapter, error.body
    );
    let followed: Vec<String> = mock
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|path| path.starts_with(REDIRECT_PREFIX))
        .collect();
    assert!(
        followed.is_empty(),
        "{}: the gateway sends only to the configured upstream, it never follows a redirect: {followed:?}",
        target.adapter
    );
}

/// Gemini embeddings answered with fewer vectors than inputs: a bad gateway, not a
/// list that pairs vectors with the wrong inputs.
pub async fn short_embeddings(target: Target) {
    let (_mock, gateway) = target
        .start(&["short-embeddings"])
        .await
        .expect("mock and gateway start");
    let response = gateway
        .client()
        .post(gateway.endpoint("/v1/embeddings"))
        .json(&json!({
            "model": target.model("short-embeddings"),
            "input": ["first", "second", "third"]
        }))
        .send()
        .await
        .expect("the gateway answers");
    let error = read_error(response).await.unwrap_or_else(|err| {
        panic!(
            "{}: two vectors for three inputs must be an error: {err:#}",
            target.adapter
        )
    });
    assert_eq!(
        error.status, 502,
        "{}: a short embeddings answer is a bad gateway: {}",
        target.adapter, error.body
    );
}
