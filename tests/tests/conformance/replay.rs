//! Streams cut at every byte boundary: the mock's `-split` (pseudo-random pieces
//! through blank lines, CRLFs and multi-byte UTF-8) and `-bytewise` (one byte per
//! write) must read exactly like the same stream sent one event per write.

use e2e::checks::check_client_safe;
use e2e::platforms::{Replay, Target, UTF8_TEXT};
use serde_json::{Value, json};

/// The mock's suffixes that cut a stream into other writes.
const PACINGS: [&str; 2] = ["-split", "-bytewise"];

/// The request for one replayed stream; usage is always asked for.
fn request(model: &str, replay: &Replay) -> Value {
    let mut body = json!({
        "model": model,
        "user": "user-7",
        "messages": [{"role": "user", "content": UTF8_TEXT}],
        "stream_options": {"include_usage": true}
    });
    if replay.tools {
        body["tools"] = json!([{"type": "function", "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}
        }}]);
    }
    body
}

/// Each of the platform's replayed streams, whole: a reference that says something
/// (content or tool calls, a finish, one `[DONE]`, no error, usage when recorded).
/// Split and byte by byte: the same, read for read.
pub async fn byte_split(target: Target) {
    let a = target.adapter;
    let modes: Vec<String> = target
        .replays
        .iter()
        .flat_map(|r| {
            [""].into_iter()
                .chain(PACINGS)
                .map(|s| format!("{}{s}", r.mode))
        })
        .collect();
    let modes: Vec<&str> = modes.iter().map(String::as_str).collect();
    let (_mock, gateway) = target.start(&modes).await.expect("mock and gateway start");
    for replay in target.replays {
        let mode = replay.mode;
        let whole_stream = gateway
            .stream(&request(&target.model(mode), replay))
            .await
            .unwrap_or_else(|err| panic!("{a} `{mode}`: a 200 event stream: {err:#}"));
        check_client_safe(&whole_stream).unwrap_or_else(|err| panic!("{a} `{mode}`: {err:#}"));
        let whole = whole_stream.observed();
        // The reference must say something, or equal results prove nothing.
        assert!(
            !whole_stream.content().is_empty() || !whole_stream.tool_calls().is_empty(),
            "{a} `{mode}`: the whole stream carries content or tool calls: {whole}"
        );
        assert!(
            whole_stream.finish_reason().is_some(),
            "{a} `{mode}`: {whole}"
        );
        assert_eq!(whole["done"], 1, "{a} `{mode}`: {whole}");
        assert_eq!(whole["errors"], 0, "{a} `{mode}`: {whole}");
        assert_eq!(whole["garbage"], 0, "{a} `{mode}`: {whole}");
        if replay.usage {
            assert_eq!(
                whole["usage"].as_array().map(Vec::len),
                Some(1),
                "{a} `{mode}`: one usage chunk: {whole}"
            );
        }
        if mode == "echo" {
            assert_eq!(
                whole_stream.content(),
                format!("echo: {UTF8_TEXT}"),
                "{a}: multi-byte text survives"
            );
        }
        for suffix in PACINGS {
            let paced_model = target.model(&format!("{mode}{suffix}"));
            let paced = gateway
                .stream(&request(&paced_model, replay))
                .await
                .unwrap_or_else(|err| panic!("{paced_model}: a 200 event stream: {err:#}"));
            check_client_safe(&paced).unwrap_or_else(|err| panic!("{paced_model}: {err:#}"));
            assert_eq!(
                paced.observed(),
                whole,
                "{paced_model} reads differently from `{mode}` whole"
            );
        }
    }
}
