use super::*;

fn frame_all(framing: StreamFraming, pieces: &[&[u8]]) -> Vec<StreamEvent> {
    let mut framer = Framer::new(framing);
    let mut out = Vec::new();
    for piece in pieces {
        framer.push(piece, &mut out).unwrap();
    }
    framer.finish(&mut out);
    out
}

fn pairs(events: &[StreamEvent]) -> Vec<(Option<&str>, &str)> {
    events
        .iter()
        .map(|e| (e.event.as_deref(), e.data.as_str()))
        .collect()
}

/// Every way of splitting `input` in two, and byte by byte, frames like the whole.
fn assert_split_invariant(framing: StreamFraming, input: &[u8]) -> Vec<StreamEvent> {
    let whole = frame_all(framing, &[input]);
    for cut in 0..=input.len() {
        let split = frame_all(framing, &[&input[..cut], &input[cut..]]);
        assert_eq!(
            pairs(&split),
            pairs(&whole),
            "split at byte {cut} changed the events"
        );
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(
        pairs(&frame_all(framing, &bytes)),
        pairs(&whole),
        "byte-by-byte reads"
    );
    whole
}

#[test]
fn lf_crlf_and_cr_terminators_frame_the_same_events() {
    let lf = b"event: a\ndata: 1\n\ndata: 2\n\n";
    let crlf = b"event: a\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n";
    let cr = b"event: a\rdata: 1\r\rdata: 2\r\r";
    let expected = vec![(Some("a"), "1"), (None, "2")];
    for input in [&lf[..], &crlf[..], &cr[..]] {
        assert_eq!(
            pairs(&assert_split_invariant(StreamFraming::Sse, input)),
            expected
        );
    }
}

#[test]
fn multi_line_data_comments_and_missing_space() {
    let input = b": keep-alive\nevent:done\ndata:\"[DONE]\"\n\ndata: line one\ndata: line two\nid: 7\nretry: 10\n\n";
    let events = assert_split_invariant(StreamFraming::Sse, input);
    assert_eq!(
        pairs(&events),
        vec![(Some("done"), "\"[DONE]\""), (None, "line one\nline two")]
    );
}

#[test]
fn last_event_without_blank_line_is_delivered() {
    let events = assert_split_invariant(StreamFraming::Sse, b"data: {\"a\":1}\n\ndata: {\"b\":2}");
    assert_eq!(
        pairs(&events),
        vec![(None, "{\"a\":1}"), (None, "{\"b\":2}")]
    );
}

#[test]
fn only_one_space_after_the_colon_is_stripped() {
    let events = frame_all(StreamFraming::Sse, &[b"data:  x\n\n"]);
    assert_eq!(events[0].data, " x");
}

#[test]
fn gemini_crlf_fixture_frames_every_chunk() {
    let input = include_bytes!("../../../../tests/fixtures/sse/gemini-stream.sse");
    let events = assert_split_invariant(StreamFraming::Sse, input);
    assert!(!events.is_empty());
    for event in &events {
        let json: serde_json::Value =
            serde_json::from_str(&event.data).expect("each event is whole JSON");
        assert!(json.get("candidates").is_some() || json.get("usageMetadata").is_some());
    }
}

#[test]
fn anthropic_fixture_keeps_event_names() {
    let input = include_bytes!("../../../../tests/fixtures/sse/anthropic-stream-text-tool.sse");
    let events = assert_split_invariant(StreamFraming::Sse, input);
    assert_eq!(
        events.first().and_then(|e| e.event.as_deref()),
        Some("message_start")
    );
    assert_eq!(
        events.last().and_then(|e| e.event.as_deref()),
        Some("message_stop")
    );
    for event in &events {
        let json: serde_json::Value = serde_json::from_str(&event.data).unwrap();
        assert_eq!(
            json["type"].as_str(),
            event.event.as_deref(),
            "type matches the event name"
        );
    }
}

#[test]
fn coze_fixture_without_spaces_after_colons() {
    let input = include_bytes!("../../../../tests/fixtures/sse/coze-v3-stream.sse");
    let events = assert_split_invariant(StreamFraming::Sse, input);
    assert_eq!(
        events.last().map(|e| (e.event.as_deref(), e.data.as_str())),
        Some((Some("done"), "\"[DONE]\""))
    );
}

#[test]
fn ndjson_lines_split_anywhere() {
    let input = b"{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}";
    let events = assert_split_invariant(StreamFraming::Ndjson, input);
    assert_eq!(
        pairs(&events),
        vec![
            (None, "{\"a\":1}"),
            (None, "{\"b\":2}"),
            (None, "{\"c\":3}")
        ]
    );
}

#[test]
fn an_endless_event_is_refused() {
    let mut framer = Framer::new(StreamFraming::Sse);
    let mut out = Vec::new();
    let line = vec![b'x'; 1024 * 1024];
    framer.push(b"data: ", &mut out).unwrap();
    let mut refused = false;
    for _ in 0..20 {
        if framer.push(&line, &mut out).is_err() {
            refused = true;
            break;
        }
    }
    assert!(
        refused,
        "an event over MAX_EVENT_BYTES must be refused, not buffered forever"
    );
}

#[test]
fn chunks_encode_as_data_events() {
    let bytes = encode_chunks(&["{\"a\":1}".to_string(), "{}".to_string()]);
    assert_eq!(&bytes[..], b"data: {\"a\":1}\n\ndata: {}\n\n");
}
