//! A whole `chat.completion`, written from what the platform answered.

use serde::Serialize;

use super::FinishReason;
use crate::error::bad_gateway;
use crate::usage::UsageJson;
use crate::{ApiError, TranslatedResponse, Usage};

/// One choice of the answer, as the platform gave it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answer {
    /// The text; `None` when the model only called tools.
    pub content: Option<String>,
    /// The reasoning (thinking) text, written as `reasoning_content`.
    pub reasoning: Option<String>,
    /// Why the model refused, when it did.
    pub refusal: Option<String>,
    /// The tools the model called.
    pub tool_calls: Vec<FunctionCall>,
    /// Why the choice ended. `Stop` with tool calls is written `tool_calls`.
    pub finish_reason: FinishReason,
}

/// A tool call of an [`Answer`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FunctionCall {
    /// The call's id ([`super::ids::tool_call_id`] when the platform has none).
    pub id: String,
    /// The function's name.
    pub name: String,
    /// Its arguments: a JSON object, as a string.
    pub arguments: String,
}

/// The `chat.completion` body for `answers` (one per choice, in order) with its usage,
/// ready to return from `transform-response`. `id` and `created` come from the
/// platform or from [`super::ids`]; `model` is the platform's name for the model, or
/// the call's upstream model.
pub fn completion(
    id: &str,
    created: u64,
    model: &str,
    answers: &[Answer],
    usage: Option<Usage>,
) -> Result<TranslatedResponse, ApiError> {
    let body = Completion {
        id,
        object: "chat.completion",
        created,
        model,
        choices: answers
            .iter()
            .enumerate()
            .map(|(index, answer)| Choice::new(index, answer))
            .collect(),
        usage: usage.as_ref().map(UsageJson),
    };
    let body = serde_json::to_vec(&body)
        .map_err(|e| bad_gateway(format!("cannot write the completion: {e}")))?;
    Ok(TranslatedResponse { body, usage })
}

#[derive(Serialize)]
struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: Vec<Choice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<UsageJson<'a>>,
}

#[derive(Serialize)]
struct Choice<'a> {
    index: usize,
    message: Message<'a>,
    logprobs: (),
    finish_reason: FinishReason,
}

impl<'a> Choice<'a> {
    fn new(index: usize, answer: &'a Answer) -> Self {
        let called = !answer.tool_calls.is_empty();
        Choice {
            index,
            message: Message {
                role: "assistant",
                content: answer.content.as_deref(),
                reasoning_content: answer.reasoning.as_deref(),
                refusal: answer.refusal.as_deref(),
                tool_calls: answer.tool_calls.iter().map(ToolCall::new).collect(),
            },
            logprobs: (),
            finish_reason: answer.finish_reason.with_tool_calls(called),
        }
    }
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    /// `null` when the model only called tools, as OpenAI writes it.
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
    refusal: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<ToolCall<'a>>,
}

#[derive(Serialize)]
struct ToolCall<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: Function<'a>,
}

impl<'a> ToolCall<'a> {
    fn new(call: &'a FunctionCall) -> Self {
        ToolCall {
            id: &call.id,
            kind: "function",
            function: Function {
                name: &call.name,
                arguments: if call.arguments.is_empty() {
                    "{}"
                } else {
                    &call.arguments
                },
            },
        }
    }
}

#[derive(Serialize)]
struct Function<'a> {
    name: &'a str,
    arguments: &'a str,
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn written(answers: &[Answer], usage: Option<Usage>) -> Value {
        let response = completion("chatcmpl-1", 9, "m", answers, usage).expect("writes");
        serde_json::from_slice(&response.body).expect("JSON")
    }

    #[test]
    fn a_text_answer_is_an_openai_completion() {
        let usage = Usage {
            prompt_tokens: 2,
            completion_tokens: 3,
            cached_tokens: None,
            reasoning_tokens: None,
        };
        let answer = Answer {
            content: Some("Hi".into()),
            ..Answer::default()
        };
        assert_eq!(
            written(&[answer], Some(usage)),
            json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 9, "model": "m",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi",
                    "refusal": null}, "logprobs": null, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}})
        );
    }

    #[test]
    fn tool_calls_finish_with_tool_calls_and_null_content() {
        let answer = Answer {
            tool_calls: vec![FunctionCall {
                id: "call_1".into(),
                name: "get_weather".into(),
                arguments: String::new(),
            }],
            reasoning: Some("think".into()),
            ..Answer::default()
        };
        let choice = &written(&[answer], None)["choices"][0];
        assert_eq!(choice["finish_reason"], "tool_calls");
        assert_eq!(choice["message"]["content"], Value::Null);
        assert_eq!(choice["message"]["reasoning_content"], "think");
        assert_eq!(
            choice["message"]["tool_calls"],
            json!([{"id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{}"}}]),
            "a call without arguments has the empty object, which clients can parse"
        );
    }

    #[test]
    fn a_length_cut_stays_length_even_with_tool_calls() {
        let answer = Answer {
            tool_calls: vec![FunctionCall::default()],
            finish_reason: FinishReason::Length,
            ..Answer::default()
        };
        assert_eq!(
            written(&[answer], None)["choices"][0]["finish_reason"],
            "length"
        );
    }
}
