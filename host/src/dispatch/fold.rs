//! Folding OpenAI chunks into one `chat.completion`: a pure fold, used to serve a
//! non-streaming client from a streaming-only upstream (Coze v3; see
//! `Relay::collect`) and to capture a streamed answer for its conversation.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::plugins::bindings::Usage;

/// One choice being assembled.
#[derive(Default)]
struct ChoiceAcc {
    role: Option<String>,
    content: Option<String>,
    reasoning: Option<String>,
    refusal: Option<String>,
    tool_calls: BTreeMap<u64, ToolCallAcc>,
    finish_reason: Option<Value>,
}

#[derive(Default)]
struct ToolCallAcc {
    id: Option<Value>,
    kind: Option<Value>,
    name: Option<String>,
    arguments: String,
}

/// Folds chunks into a completion.
#[derive(Default)]
pub struct Aggregator {
    id: Option<Value>,
    created: Option<Value>,
    model: Option<Value>,
    system_fingerprint: Option<Value>,
    choices: BTreeMap<u64, ChoiceAcc>,
    usage: Option<Value>,
}

fn append(slot: &mut Option<String>, piece: Option<&str>) {
    if let Some(piece) = piece {
        slot.get_or_insert_with(String::new).push_str(piece);
    }
}

impl Aggregator {
    /// Adds one chunk (JSON text); chunks that are not JSON objects are ignored.
    pub fn add(&mut self, chunk: &str) {
        let Ok(Value::Object(chunk)) = serde_json::from_str::<Value>(chunk) else {
            return;
        };
        for (field, slot) in [
            ("id", &mut self.id),
            ("created", &mut self.created),
            ("model", &mut self.model),
            ("system_fingerprint", &mut self.system_fingerprint),
        ] {
            if slot.is_none()
                && let Some(value) = chunk.get(field).filter(|v| !v.is_null())
            {
                *slot = Some(value.clone());
            }
        }
        if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
            self.usage = Some(usage.clone());
        }
        for choice in chunk
            .get("choices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let index = choice.get("index").and_then(Value::as_u64).unwrap_or(0);
            let acc = self.choices.entry(index).or_default();
            if let Some(reason) = choice.get("finish_reason").filter(|r| !r.is_null()) {
                acc.finish_reason = Some(reason.clone());
            }
            let Some(delta) = choice.get("delta") else {
                continue;
            };
            if let Some(role) = delta.get("role").and_then(Value::as_str) {
                acc.role = Some(role.to_string());
            }
            append(
                &mut acc.content,
                delta.get("content").and_then(Value::as_str),
            );
            append(
                &mut acc.reasoning,
                delta.get("reasoning_content").and_then(Value::as_str),
            );
            append(
                &mut acc.refusal,
                delta.get("refusal").and_then(Value::as_str),
            );
            for call in delta
                .get("tool_calls")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let call_index = call.get("index").and_then(Value::as_u64).unwrap_or(0);
                let tool = acc.tool_calls.entry(call_index).or_default();
                if let Some(id) = call.get("id").filter(|v| !v.is_null()) {
                    tool.id = Some(id.clone());
                }
                if let Some(kind) = call.get("type").filter(|v| !v.is_null()) {
                    tool.kind = Some(kind.clone());
                }
                if let Some(function) = call.get("function") {
                    if let Some(name) = function.get("name").and_then(Value::as_str) {
                        tool.name = Some(name.to_string());
                    }
                    if let Some(args) = function.get("arguments").and_then(Value::as_str) {
                        tool.arguments.push_str(args);
                    }
                }
            }
        }
    }

    /// The completion, with `usage` from the chunks or else from the adapter's report.
    pub fn finish(self, reported: Option<Usage>) -> Value {
        let choices: Vec<Value> = self
            .choices
            .into_iter()
            .map(|(index, acc)| {
                let mut message = Map::new();
                message.insert(
                    "role".into(),
                    json!(acc.role.unwrap_or_else(|| "assistant".into())),
                );
                message.insert("content".into(), json!(acc.content));
                if let Some(reasoning) = acc.reasoning {
                    message.insert("reasoning_content".into(), json!(reasoning));
                }
                message.insert("refusal".into(), json!(acc.refusal));
                if !acc.tool_calls.is_empty() {
                    let calls: Vec<Value> = acc
                        .tool_calls
                        .into_values()
                        .map(|t| {
                            json!({
                                "id": t.id,
                                "type": t.kind.unwrap_or_else(|| json!("function")),
                                "function": {"name": t.name, "arguments": t.arguments},
                            })
                        })
                        .collect();
                    message.insert("tool_calls".into(), Value::Array(calls));
                }
                json!({
                    "index": index,
                    "message": message,
                    "logprobs": null,
                    "finish_reason": acc.finish_reason,
                })
            })
            .collect();
        let usage = self.usage.or_else(|| reported.map(|u| usage_json(&u)));
        json!({
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": self.system_fingerprint,
            "choices": choices,
            "usage": usage,
        })
    }
}

/// OpenAI `usage` JSON from the contract's record.
pub fn usage_json(usage: &Usage) -> Value {
    let mut value = json!({
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": u64::from(usage.prompt_tokens) + u64::from(usage.completion_tokens),
    });
    if let Some(cached) = usage.cached_tokens {
        value["prompt_tokens_details"] = json!({"cached_tokens": cached});
    }
    if let Some(reasoning) = usage.reasoning_tokens {
        value["completion_tokens_details"] = json!({"reasoning_tokens": reasoning});
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_text_and_tool_call_deltas_into_one_message() {
        let mut agg = Aggregator::default();
        for chunk in [
            r#"{"id":"c1","created":5,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{"content":"Hel"}}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{"content":"lo"}}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
            "not json",
        ] {
            agg.add(chunk);
        }
        let done = agg.finish(Some(Usage {
            prompt_tokens: 3,
            completion_tokens: 4,
            cached_tokens: None,
            reasoning_tokens: Some(1),
        }));
        assert_eq!(done["id"], "c1");
        assert_eq!(done["object"], "chat.completion");
        let message = &done["choices"][0]["message"];
        assert_eq!(message["content"], "Hello");
        assert_eq!(message["tool_calls"][0]["id"], "call_1");
        assert_eq!(
            message["tool_calls"][0]["function"]["arguments"],
            "{\"a\":1}"
        );
        assert_eq!(done["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(done["usage"]["total_tokens"], 7);
        assert_eq!(
            done["usage"]["completion_tokens_details"]["reasoning_tokens"],
            1
        );
    }

    #[test]
    fn usage_in_chunks_wins_over_the_report() {
        let mut agg = Aggregator::default();
        agg.add(
            r#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#,
        );
        let done = agg.finish(None);
        assert_eq!(done["usage"]["total_tokens"], 3);
        assert_eq!(done["choices"], json!([]));
    }
}
