//! A whole `chat.completion` told as a stream, for a client that asked for one when the
//! upstream answered whole (a platform that ignored `stream`, or a non-streaming
//! adapter). Each choice becomes a delta chunk with everything the message holds, then a
//! chunk with its `finish_reason`; the usage chunk follows when the client asked for it
//! (`stream_options.include_usage`), as OpenAI sends it.

use serde_json::{Map, Value, json};

/// The chunks (JSON text) of `completion`, or why it is not a chat completion.
pub fn chunks(completion: &[u8], include_usage: bool) -> Result<Vec<String>, String> {
    let completion: Map<String, Value> = serde_json::from_slice(completion)
        .map_err(|err| format!("its answer is not a chat completion ({err})"))?;
    let choices = completion
        .get("choices")
        .and_then(Value::as_array)
        .ok_or("its answer is not a chat completion (no `choices` list)")?;
    let base = |choices: Value| {
        let mut chunk = Map::new();
        for field in ["id", "created", "model", "system_fingerprint"] {
            if let Some(value) = completion.get(field) {
                chunk.insert(field.into(), value.clone());
            }
        }
        chunk.insert("object".into(), json!("chat.completion.chunk"));
        chunk.insert("choices".into(), choices);
        chunk
    };
    let mut out = Vec::with_capacity(choices.len() * 2 + 1);
    for (position, choice) in choices.iter().enumerate() {
        let index = choice.get("index").cloned().unwrap_or(json!(position));
        let mut delta = choice
            .get("message")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        delta.retain(|_, value| !value.is_null());
        if let Some(Value::Array(calls)) = delta.get_mut("tool_calls") {
            for (i, call) in calls.iter_mut().enumerate() {
                if let Some(call) = call.as_object_mut() {
                    call.entry("index").or_insert(json!(i));
                }
            }
        }
        let logprobs = choice.get("logprobs").cloned().unwrap_or(Value::Null);
        let opening =
            json!([{"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": null}]);
        out.push(Value::Object(base(opening)).to_string());
        let finish_reason = choice
            .get("finish_reason")
            .cloned()
            .unwrap_or(json!("stop"));
        let closing = json!([{"index": index, "delta": {}, "finish_reason": finish_reason}]);
        out.push(Value::Object(base(closing)).to_string());
    }
    if include_usage && let Some(usage) = completion.get("usage").filter(|u| u.is_object()) {
        let mut chunk = base(json!([]));
        chunk.insert("usage".into(), usage.clone());
        out.push(Value::Object(chunk).to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[String]) -> Vec<Value> {
        chunks
            .iter()
            .map(|c| serde_json::from_str(c).unwrap())
            .collect()
    }

    #[test]
    fn a_text_answer_becomes_a_delta_then_its_finish_reason() {
        let completion = br#"{"id":"c1","object":"chat.completion","created":1,"model":"m",
            "choices":[{"index":0,"message":{"role":"assistant","content":"hi","refusal":null},
            "finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#;
        let plain = parse(&chunks(completion, false).unwrap());
        assert_eq!(plain.len(), 2, "no usage chunk unless asked for");
        assert_eq!(plain[0]["object"], "chat.completion.chunk");
        assert_eq!(plain[0]["id"], "c1");
        assert_eq!(
            plain[0]["choices"][0]["delta"],
            json!({"role": "assistant", "content": "hi"})
        );
        assert_eq!(plain[1]["choices"][0]["finish_reason"], "length");

        let with_usage = parse(&chunks(completion, true).unwrap());
        assert_eq!(with_usage.len(), 3);
        assert_eq!(with_usage[2]["usage"]["total_tokens"], 4);
        assert_eq!(with_usage[2]["choices"], json!([]));
    }

    #[test]
    fn tool_calls_get_their_stream_index() {
        let completion = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":null,
            "tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},
            {"id":"b","type":"function","function":{"name":"g","arguments":"{\"x\":1}"}}]},
            "finish_reason":"tool_calls"}]}"#;
        let told = parse(&chunks(completion, true).unwrap());
        let calls = &told[0]["choices"][0]["delta"]["tool_calls"];
        assert_eq!(calls[0]["index"], 0);
        assert_eq!(calls[1]["index"], 1);
        assert_eq!(calls[1]["function"]["arguments"], "{\"x\":1}");
        assert_eq!(told[1]["choices"][0]["finish_reason"], "tool_calls");
    }

    #[test]
    fn something_else_is_refused() {
        assert!(
            chunks(br#"{"data":[]}"#, false)
                .unwrap_err()
                .contains("choices")
        );
        assert!(chunks(b"[]", false).is_err());
    }
}
