//! Stream chunks from the adapter cannot break the client's SSE framing: no early or
//! extra `[DONE]`, no smuggled events, no data that is not JSON.

use e2e::mock_upstream::MOCK_API_KEY;
use e2e::sse::{ChatStream, StreamItem};
use serde_json::{Value, json};

use super::support::{
    ADAPTER, Rig, check_adapter_failure, clip, expect_healthy, hostile_model, report, send,
};

/// What the client got for a streamed request.
enum Answer {
    /// A 502 `adapter_failure` (checked) before the stream started.
    Refused,
    /// A 200 event stream.
    Stream(ChatStream, String),
}

async fn stream(gateway: &e2e::TestGateway, model: &str) -> Result<Answer, String> {
    let response = send(gateway, model, true).await?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response
        .text()
        .await
        .map_err(|err| format!("{status}, then the stream broke off: {err:#}"))?;
    if status == 200 && content_type.starts_with("text/event-stream") {
        return Ok(Answer::Stream(ChatStream::parse(&text), text));
    }
    check_adapter_failure(status, &text).map(|()| Answer::Refused)
}

/// The client-visible promises every stream keeps, whatever the adapter emitted.
fn check_framing(items: &[StreamItem], text: &str) -> Result<(), String> {
    let shown = clip(text, 600);
    if let Some(StreamItem::Garbage(data)) =
        items.iter().find(|i| matches!(i, StreamItem::Garbage(_)))
    {
        return Err(format!("an event's data is not JSON ({data:?}): {shown}"));
    }
    let done = items.iter().filter(|i| **i == StreamItem::Done).count();
    if done > 1 || (done == 1 && items.last() != Some(&StreamItem::Done)) {
        return Err(format!(
            "[DONE] came {done} time(s), not only at the end: {shown}"
        ));
    }
    if items.iter().any(|i| match i {
        StreamItem::Chunk(chunk) => chunk.get("injected").is_some(),
        _ => false,
    }) {
        return Err(format!(
            "the smuggled {{\"injected\":true}} event arrived: {shown}"
        ));
    }
    Ok(())
}

fn adapter_error(items: &[StreamItem], text: &str) -> Result<(), String> {
    let named = items.iter().any(|i| match i {
        StreamItem::Error(error) => {
            error.pointer("/error/code") == Some(&json!("adapter_failure"))
                && error
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .is_some_and(|m| m.contains(ADAPTER))
        }
        _ => false,
    });
    if named {
        Ok(())
    } else {
        Err(format!(
            "no error event with code adapter_failure naming `{ADAPTER}`: {}",
            clip(text, 600)
        ))
    }
}

async fn check(gateway: &e2e::TestGateway, chunk: &str) -> Result<(), String> {
    let answer = stream(gateway, &format!("chunk-{chunk}")).await?;
    match (chunk, answer) {
        // An early [DONE] with an event after it: refused, or at least never framed so.
        ("inject-done", Answer::Refused) => Ok(()),
        ("inject-done", Answer::Stream(s, text)) => check_framing(&s.items, &text),
        // The first output is not JSON: nothing was sent yet, so a real status.
        ("hello-first", Answer::Refused) => Ok(()),
        ("hello-first", Answer::Stream(_, text)) => Err(format!(
            "the first output was not JSON, yet the stream started: {}",
            clip(&text, 600)
        )),
        // Not JSON after valid chunks: an error event ends the stream.
        ("hello-later", Answer::Refused) => Ok(()),
        ("hello-later", Answer::Stream(s, text)) => {
            check_framing(&s.items, &text).and_then(|()| adapter_error(&s.items, &text))
        }
        // Valid JSON with a blank line inside: delivered, and the stream stays whole.
        (_, Answer::Refused) => Err("a valid JSON chunk was refused".to_owned()),
        (_, Answer::Stream(s, text)) => {
            check_framing(&s.items, &text)?;
            if !s.errors().is_empty() || s.done_count() != 1 || !s.ends_with_done() {
                return Err(format!(
                    "expected chunks then one [DONE] at the end: {}",
                    clip(&text, 600)
                ));
            }
            if !s.chunks().iter().any(|c| **c == json!({"choices": []})) {
                return Err(format!(
                    "the {{\"choices\":[]}} chunk did not arrive: {}",
                    clip(&text, 600)
                ));
            }
            Ok(())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_stream_chunks_cannot_break_the_sse_framing() {
    const CHUNKS: &[&str] = &["inject-done", "hello-first", "hello-later", "blank-lines"];
    let rig = Rig::start().await;
    let mut config = rig.config();
    for chunk in CHUNKS {
        let options = [("attack", "chunk"), ("value", *chunk)];
        let base = rig.mock.base_url();
        config = hostile_model(
            config,
            &format!("chunk-{chunk}"),
            &base,
            MOCK_API_KEY,
            &options,
        );
    }
    let gateway = rig.gateway(config).await;

    let mut failures = Vec::new();
    for chunk in CHUNKS {
        if let Err(why) = check(&gateway, chunk).await {
            failures.push(format!("chunk {chunk}: {why}"));
        }
    }
    if let Err(why) = expect_healthy(&gateway).await {
        failures.push(why);
    }
    report("stream chunks", &failures);
}
