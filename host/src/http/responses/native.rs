//! A Responses call on a platform that speaks Responses (pass-through): the platform's
//! body and events as they came, kept when asked. A failure after the stream started
//! ends it with `response.failed`, the event Responses clients (Codex) wait for: a
//! stream never ends without a terminal event. An upstream `error` event with no
//! `response.failed` after it gets one too, carrying the error's code and message
//! (Codex ignores `error` events).

use std::convert::Infallible;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::keep::Keeper;
use crate::dispatch::relay::{Started, Step};
use crate::dispatch::{Forwarded, Outcome};
use crate::error::GatewayError;
use crate::http::render;

/// Renders a pass-through call.
pub async fn render(forwarded: Forwarded, keeper: Option<Keeper>) -> Response {
    let Forwarded { outcome, passed } = forwarded;
    let mut response = match outcome {
        Ok(Outcome::Whole(body)) => {
            if let Some(keeper) = keeper {
                keeper.body(&body).await;
            }
            render::json(body)
        }
        Ok(Outcome::Chunks(events)) => {
            let mut trail = Trail::new(keeper);
            let bytes = trail.step(Step::End(events)).await;
            render::event_stream(Body::from(bytes))
        }
        Ok(Outcome::Stream(started)) => render::event_stream(body(*started, Trail::new(keeper))),
        Err(err) => err.into_response(),
    };
    render::pass_headers(&mut response, passed);
    response
}

/// The stream's body: each step's events as they come, through the trail.
fn body(started: Started, trail: Trail) -> Body {
    let Started { relay, first } = started;
    let steps = futures_util::stream::unfold(
        (Some(relay), first, trail),
        |(relay, pending, mut trail)| async move {
            let mut relay = relay?;
            let step = match pending {
                Some(step) => step,
                None => match relay.advance().await {
                    Some(step) => step,
                    None => Step::End(Vec::new()),
                },
            };
            let ended = !matches!(step, Step::Chunks(_));
            let bytes = trail.step(step).await;
            if ended {
                relay.release();
                return Some((Ok::<_, Infallible>(bytes), (None, None, trail)));
            }
            Some((Ok(bytes), (Some(relay), None, trail)))
        },
    );
    Body::from_stream(steps)
}

/// What a stream has shown so far: enough to end it with a well-formed
/// `response.failed`, and the keeper that stores its terminal response.
struct Trail {
    keeper: Option<Keeper>,
    /// The response as `response.created` announced it.
    created: Option<Value>,
    /// The last `sequence_number` seen.
    sequence: Option<u64>,
    /// A terminal event went out.
    ended: bool,
    /// The code and message of an upstream `error` event.
    error: Option<(String, String)>,
}

/// The members of an event the trail reads.
#[derive(Deserialize)]
struct Seen {
    #[serde(rename = "type")]
    kind: Option<String>,
    sequence_number: Option<u64>,
    response: Option<Value>,
    code: Option<String>,
    message: Option<String>,
}

impl Trail {
    fn new(keeper: Option<Keeper>) -> Self {
        Self {
            keeper,
            created: None,
            sequence: None,
            ended: false,
            error: None,
        }
    }

    /// SSE bytes for one step; a failure, or an end without a terminal event, closes
    /// the stream with `response.failed`.
    async fn step(&mut self, step: Step) -> Bytes {
        let (mut events, failure) = match step {
            Step::Chunks(events) => (events, None),
            Step::End(events) => (events, Some(None)),
            Step::Failed(events, err) => (events, Some(Some(err))),
        };
        for event in &events {
            self.observe(event);
        }
        if let Some(err) = failure
            && !self.ended
        {
            let err = match (err, self.error.take()) {
                (Some(err), _) => err,
                (None, Some((code, message))) => reported(code, message),
                (None, None) => truncated(),
            };
            let next = self.sequence.map_or(0, |n| n + 1);
            events.push(failed_event(&err, next, self.created.as_ref()));
            self.ended = true;
        }
        if let Some(keeper) = self.keeper.as_mut() {
            keeper.events(&events).await;
        }
        render::encode_events(&events)
    }

    fn observe(&mut self, event: &str) {
        // Deltas are most events and carry nothing the trail needs beyond the number.
        let Ok(seen) = serde_json::from_str::<Seen>(event) else {
            return;
        };
        if let Some(n) = seen.sequence_number {
            self.sequence = Some(n);
        }
        match seen.kind.as_deref() {
            Some("response.created") => self.created = seen.response,
            Some("response.completed" | "response.incomplete" | "response.failed") => {
                self.ended = true;
            }
            Some("error") => {
                let code = seen.code.unwrap_or_else(|| "server_error".into());
                self.error = Some((code, seen.message.unwrap_or_default()));
            }
            _ => {}
        }
    }
}

/// A platform stream that ended without saying how the response ended.
fn truncated() -> GatewayError {
    GatewayError::Upstream(crate::plugins::bindings::ApiError {
        status: 502,
        message: "the platform's stream ended before the response completed".into(),
        error_type: "server_error".into(),
        param: None,
        code: Some("upstream_stream_truncated".into()),
        retry_after: None,
    })
}

/// What an upstream `error` event said, as an error to close the stream with.
fn reported(code: String, message: String) -> GatewayError {
    let status = match code.as_str() {
        "rate_limit_exceeded" => 429,
        "context_length_exceeded" | "invalid_prompt" => 400,
        _ => 502,
    };
    GatewayError::Upstream(crate::plugins::bindings::ApiError {
        status,
        message,
        error_type: "server_error".into(),
        param: None,
        code: Some(code),
        retry_after: None,
    })
}

/// The `response.failed` event for `err`, numbered `sequence`, around the response the
/// stream announced (or a minimal one).
pub fn failed_event(err: &GatewayError, sequence: u64, created: Option<&Value>) -> String {
    let mut response = created.cloned().unwrap_or_else(|| {
        json!({
            "id": format!("resp_{}", crate::http::dialect::new_call_id()),
            "object": "response",
            "created_at": crate::http::dialect::created_now(),
            "model": "",
            "output": [],
            "parallel_tool_calls": true,
            "tool_choice": "auto",
            "tools": [],
        })
    });
    if let Value::Object(members) = &mut response {
        members.insert("status".into(), Value::from("failed"));
        members.insert(
            "error".into(),
            json!({ "code": failure_code(err), "message": failure_message(err) }),
        );
    }
    json!({ "type": "response.failed", "sequence_number": sequence, "response": response })
        .to_string()
}

/// The error code Responses clients act on.
pub fn failure_code(err: &GatewayError) -> &'static str {
    let api = err.api_error();
    match (api.status, api.code.as_deref()) {
        (_, Some("context_length_exceeded")) => "context_length_exceeded",
        (_, Some("insufficient_quota")) => "insufficient_quota",
        (429, _) => "rate_limit_exceeded",
        (503 | 529, _) => "server_is_overloaded",
        (400..=499, _) => "invalid_prompt",
        _ => "server_error",
    }
}

/// The message, with the wait in it for a rate limit (Codex reads "try again in").
fn failure_message(err: &GatewayError) -> String {
    let api = err.api_error();
    match api.retry_after {
        Some(secs) if api.status == 429 && !api.message.contains("try again in") => {
            format!("{} Please try again in {secs}s.", api.message)
        }
        _ => api.message,
    }
}

/// `response.failed` for a dialect that faulted (no stream context).
pub fn fallback(err: &GatewayError) -> String {
    failed_event(err, 0, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: Option<&str>, retry_after: Option<u32>) -> GatewayError {
        GatewayError::Upstream(crate::plugins::bindings::ApiError {
            status,
            message: "Rate limit reached.".into(),
            error_type: "rate_limit_exceeded".into(),
            param: None,
            code: code.map(Into::into),
            retry_after,
        })
    }

    #[test]
    fn failures_carry_the_codes_clients_act_on() {
        assert_eq!(
            failure_code(&api(429, None, Some(7))),
            "rate_limit_exceeded"
        );
        assert_eq!(
            failure_code(&api(400, Some("context_length_exceeded"), None)),
            "context_length_exceeded"
        );
        assert_eq!(
            failure_code(&api(429, Some("insufficient_quota"), None)),
            "insufficient_quota"
        );
        assert_eq!(failure_code(&api(502, None, None)), "server_error");
        assert_eq!(failure_code(&api(529, None, None)), "server_is_overloaded");
        let event: Value =
            serde_json::from_str(&failed_event(&api(429, None, Some(7)), 9, None)).unwrap();
        assert_eq!(event["sequence_number"], 9);
        assert_eq!(event["response"]["status"], "failed");
        assert_eq!(
            event["response"]["error"]["message"],
            "Rate limit reached. Please try again in 7s."
        );
    }

    #[tokio::test]
    async fn a_stream_cut_after_creation_ends_with_response_failed() {
        let mut trail = Trail::new(None);
        let created = r#"{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","output":[]}}"#;
        let first = trail.step(Step::Chunks(vec![created.into()])).await;
        assert!(first.starts_with(b"event: response.created\n"));
        let last = trail.step(Step::End(Vec::new())).await;
        let text = String::from_utf8(last.to_vec()).unwrap();
        assert!(text.starts_with("event: response.failed\n"), "{text}");
        assert!(text.contains(r#""sequence_number":1"#), "{text}");
        assert!(text.contains(r#""id":"resp_1""#), "{text}");
    }

    #[tokio::test]
    async fn an_error_event_alone_is_closed_by_response_failed_with_its_code() {
        let mut trail = Trail::new(None);
        let error = r#"{"type":"error","sequence_number":4,"code":"insufficient_quota","message":"You exceeded your current quota."}"#;
        let bytes = trail.step(Step::End(vec![error.into()])).await;
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let last = text.rsplit("data: ").next().unwrap().trim();
        let event: Value = serde_json::from_str(last).unwrap();
        assert_eq!(event["type"], "response.failed");
        assert_eq!(event["sequence_number"], 5);
        assert_eq!(event["response"]["error"]["code"], "insufficient_quota");
        assert_eq!(
            event["response"]["error"]["message"],
            "You exceeded your current quota."
        );
    }

    #[tokio::test]
    async fn a_stream_with_its_terminal_event_is_left_as_it_is() {
        let mut trail = Trail::new(None);
        let done = r#"{"type":"response.completed","sequence_number":3,"response":{"id":"r"}}"#;
        let bytes = trail.step(Step::End(vec![done.into()])).await;
        assert_eq!(
            String::from_utf8_lossy(&bytes).matches("event: ").count(),
            1
        );
    }
}
