use super::end::StreamEnd;
use super::*;

/// A stream whose events say what to do: `fail:<message>` is an error, `end` the
/// terminal event, anything else one chunk of that text.
struct Script {
    end: StreamEnd,
    seen: u32,
}

impl StreamState for Script {
    fn start(_ctx: &CallContext) -> Self {
        Script {
            end: StreamEnd::new("Script", "`end`"),
            seen: 0,
        }
    }

    fn event(&mut self, event: StreamEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        self.seen += 1;
        match event.data.as_str() {
            "end" => self.end.reach(),
            data => match data.strip_prefix("fail:") {
                Some(message) => return Err(bad_gateway(message)),
                None => out.push(data.to_owned()),
            },
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<String>) -> Result<(), ApiError> {
        self.end.finish()?;
        out.push(format!("done {}", self.seen));
        Ok(())
    }

    fn usage(&self) -> Option<Usage> {
        None
    }
}

fn ctx() -> CallContext {
    CallContext {
        endpoint: crate::Endpoint::ChatCompletions,
        public_model: "m".into(),
        upstream_model: "m".into(),
        streaming: true,
        include_usage: false,
        client_id: "c".into(),
        options: Vec::new(),
    }
}

fn events(data: &[&str]) -> Vec<StreamEvent> {
    data.iter()
        .map(|data| StreamEvent {
            event: None,
            data: (*data).to_owned(),
        })
        .collect()
}

#[test]
fn state_is_kept_across_calls_of_one_stream() {
    let stream = <Stream<Script> as GuestStreamTransformer>::new(ctx(), 200, Vec::new());
    assert_eq!(stream.push(events(&["a", "b"])).unwrap().chunks, ["a", "b"]);
    assert!(stream.push(events(&["end"])).unwrap().chunks.is_empty());
    assert_eq!(stream.finish().unwrap().chunks, ["done 3"]);
}

#[test]
fn a_stream_without_its_terminal_event_ends_truncated() {
    let mut driver = Driver::<Script>::new(&ctx());
    driver.push(events(&["a"])).expect("a chunk");
    let e = driver.finish().expect_err("no `end` came");
    assert_eq!(e.code.as_deref(), Some("upstream_stream_truncated"));
    assert_eq!(
        driver.finish().map(|_| ()).map_err(|e| e.code),
        Err(Some("upstream_stream_truncated".to_owned())),
        "a stream ends once: later calls report the same error"
    );
}

#[test]
fn an_error_after_chunks_waits_for_the_next_call_and_wins_over_truncation() {
    let mut driver = Driver::<Script>::new(&ctx());
    let out = driver
        .push(events(&["a", "fail:overloaded", "b"]))
        .expect("chunks of the same batch go out first");
    assert_eq!(out.chunks, ["a"], "the batch stops at the error");
    let e = driver.finish().expect_err("the pending error");
    assert_eq!(
        e.message, "overloaded",
        "the upstream's own error, not a truncation, explains the end"
    );
    assert_eq!(
        driver
            .push(events(&["c"]))
            .map(|_| ())
            .map_err(|e| e.message),
        Err("overloaded".to_owned())
    );
}

#[test]
fn an_error_with_nothing_before_it_is_returned_at_once_and_stays_the_answer() {
    let mut driver = Driver::<Script>::new(&ctx());
    let e = driver
        .push(events(&["fail:failed", "a"]))
        .expect_err("nothing to send first");
    assert_eq!(e.message, "failed");
    assert_eq!(
        driver
            .push(events(&["a"]))
            .map(|_| ())
            .map_err(|e| e.message),
        Err("failed".to_owned()),
        "a stream ends once: later calls report the same error"
    );
    assert_eq!(
        driver.finish().map(|_| ()).map_err(|e| e.message),
        Err("failed".to_owned())
    );
}
