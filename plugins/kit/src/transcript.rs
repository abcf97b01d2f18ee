//! Recorded upstream streams as the events the host hands a stream transformer, for an
//! adapter's native tests: `sse(include_str!("../fixtures/stream.sse"))` feeds the same
//! transcript `switchyard plugin check` replays.
//!
//! The host's framer is the reference; this one follows the same rules for what
//! platforms send: SSE events end at a blank line (LF or CRLF), `event:` names one,
//! its `data:` lines are joined with `\n` (one space after the colon dropped), comment
//! lines (`:`) and other fields are skipped, and an event without data is no event.
//! NDJSON is one event per non-blank line.

use crate::StreamEvent;

/// The events of a server-sent-events transcript.
pub fn sse(transcript: &str) -> Vec<StreamEvent> {
    let mut events = Vec::new();
    let mut name = None;
    let mut data: Option<String> = None;
    for line in transcript
        .lines()
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
    {
        if line.is_empty() {
            if let Some(data) = data.take() {
                events.push(StreamEvent {
                    event: name.take(),
                    data,
                });
            }
            name = None;
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => name = Some(value.to_owned()),
            "data" => match &mut data {
                Some(joined) => {
                    joined.push('\n');
                    joined.push_str(value);
                }
                None => data = Some(value.to_owned()),
            },
            _ => {}
        }
    }
    if let Some(data) = data {
        events.push(StreamEvent { event: name, data });
    }
    events
}

/// The events of an NDJSON transcript: one per non-blank line.
pub fn ndjson(transcript: &str) -> Vec<StreamEvent> {
    transcript
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| StreamEvent {
            event: None,
            data: line.to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(events: &[StreamEvent]) -> Vec<(Option<&str>, &str)> {
        events
            .iter()
            .map(|e| (e.event.as_deref(), e.data.as_str()))
            .collect()
    }

    #[test]
    fn sse_events_are_named_joined_and_end_at_blank_lines() {
        let transcript = ": keep-alive\r\nevent: message-start\r\ndata: {\"a\":1}\r\n\r\n\
                          data: one\ndata:two\nid: 7\n\n\nevent: lonely\n\ndata: [DONE]";
        assert_eq!(
            pairs(&sse(transcript)),
            [
                (Some("message-start"), "{\"a\":1}"),
                (None, "one\ntwo"),
                (None, "[DONE]"),
            ]
        );
    }

    #[test]
    fn ndjson_is_one_event_per_line() {
        assert_eq!(
            pairs(&ndjson("{\"a\":1}\n\n  {\"b\":2}  \n")),
            [(None, "{\"a\":1}"), (None, "{\"b\":2}")]
        );
    }
}
