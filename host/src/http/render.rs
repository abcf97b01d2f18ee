//! Dispatch's [`Forwarded`] as an HTTP response in the client's dialect. Only the OpenAI
//! dialect exists so far: a JSON body, or SSE chunks closed by `data: [DONE]`, and an
//! error as `{"error": {...}}` (a status before the stream, an error event after it
//! started). A second dialect adds its own function beside [`openai`].

use std::convert::Infallible;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderName, HeaderValue, StatusCode, header};
use serde::Deserialize;

use crate::dispatch::relay::{Started, Step};
use crate::dispatch::sse;
use crate::dispatch::{Forwarded, Outcome};

/// Renders `forwarded` for an OpenAI client.
pub fn openai(forwarded: Forwarded) -> Response {
    let Forwarded { outcome, passed } = forwarded;
    let mut response = match outcome {
        Ok(Outcome::Whole(body)) => json(body),
        // A whole answer told as a stream is a stream that ended at its first step.
        Ok(Outcome::Chunks(chunks)) => event_stream(Body::from(encode(Step::End(chunks)))),
        Ok(Outcome::Stream(started)) => event_stream(stream(*started)),
        Err(err) => err.into_response(),
    };
    pass_headers(&mut response, passed);
    response
}

/// Upstream headers clients act on (rate-limit state, retry advice); the gateway's own
/// values (an adapter's retry-after) win.
pub fn pass_headers(response: &mut Response, passed: Vec<(HeaderName, HeaderValue)>) {
    let headers = response.headers_mut();
    for (name, value) in passed {
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    }
}

/// A 200 JSON response around an already-serialized body.
pub fn json(body: Bytes) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The body of a relayed stream: each step's chunks as they come, then `[DONE]` or
/// the error event.
fn stream(started: Started) -> Body {
    relay_body(started, encode)
}

/// The body of a relayed stream in some dialect: each step as `encode` writes it, as
/// it comes. A stream that ended normally gives its instance back; one that failed
/// drops it.
pub fn relay_body(started: Started, encode: fn(Step) -> Bytes) -> Body {
    let Started { relay, first } = started;
    let steps =
        futures_util::stream::unfold((Some(relay), first), move |(relay, pending)| async move {
            let mut relay = relay?;
            let step = match pending {
                Some(step) => step,
                None => relay.advance().await?,
            };
            let ended = matches!(step, Step::End(_));
            let bytes = encode(step);
            if ended {
                relay.release();
                return Some((Ok::<_, Infallible>(bytes), (None, None)));
            }
            Some((Ok(bytes), (Some(relay), None)))
        });
    Body::from_stream(steps)
}

/// SSE bytes for a step: its chunks, then `[DONE]` or the error event.
fn encode(step: Step) -> Bytes {
    let (chunks, tail) = match step {
        Step::Chunks(chunks) => (chunks, None),
        Step::End(chunks) => (chunks, Some(Bytes::from_static(sse::DONE))),
        Step::Failed(chunks, err) => {
            let body = serde_json::to_string(&err.body()).unwrap_or_default();
            (chunks, Some(Bytes::from(format!("data: {body}\n\n"))))
        }
    };
    let encoded = sse::encode_chunks(&chunks);
    match tail {
        None => encoded,
        Some(tail) if encoded.is_empty() => tail,
        Some(tail) => {
            let mut out = BytesMut::with_capacity(encoded.len() + tail.len());
            out.extend_from_slice(&encoded);
            out.extend_from_slice(&tail);
            out.freeze()
        }
    }
}

/// A stream response around `body`, with the headers that keep proxies from buffering it.
pub fn event_stream(body: Body) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// An event's `type`, which names its SSE event.
#[derive(Deserialize)]
struct Typed<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<&'a str>,
}

/// SSE bytes for dialect events: `event: <type>` and `data: <json>` each.
pub fn encode_events(events: &[String]) -> Bytes {
    let len = events.iter().map(|e| e.len() + 40).sum();
    let mut out = BytesMut::with_capacity(len);
    for event in events {
        let kind = serde_json::from_str::<Typed<'_>>(event)
            .ok()
            .and_then(|typed| typed.kind)
            .filter(|kind| !kind.contains(['\n', '\r']));
        if let Some(kind) = kind {
            out.put_slice(b"event: ");
            out.put_slice(kind.as_bytes());
            out.put_slice(b"\n");
        }
        out.put_slice(b"data: ");
        out.put_slice(event.as_bytes());
        out.put_slice(b"\n\n");
    }
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_named_after_their_type() {
        let encoded = encode_events(&[
            r#"{"type":"message_start","message":{}}"#.to_owned(),
            r#"{"no_type":1}"#.to_owned(),
        ]);
        assert_eq!(
            encoded,
            Bytes::from_static(
                b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{}}\n\ndata: {\"no_type\":1}\n\n"
            )
        );
    }
}
