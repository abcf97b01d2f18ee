//! The platform's whole answer → what the client receives: a 2xx body becomes an
//! OpenAI `chat.completion` (written by the kit), anything else an OpenAI-shaped error.

use switchyard_guest_kit::error::unusable_answer;
use switchyard_guest_kit::openai::ids::{completion_id, now, tool_call_id};
use switchyard_guest_kit::openai::{Answer, FinishReason, FunctionCall, completion};
use switchyard_guest_kit::{ApiError, CallContext, TranslatedResponse, UpstreamResponse, Usage};

use crate::wire::{self, ChatResponse};
use crate::{PLATFORM, error};

/// How much of an unreadable answer an error quotes.
const SNIPPET_CHARS: usize = 200;

/// Translates a complete answer.
pub fn to_openai(
    ctx: &CallContext,
    response: UpstreamResponse,
) -> Result<TranslatedResponse, ApiError> {
    if !(200..300).contains(&response.status) {
        return Err(error::from_upstream(&response));
    }
    let answer: ChatResponse = serde_json::from_slice(&response.body).map_err(|e| {
        let reason = format!("is not a chat completion ({e})");
        unusable_answer(PLATFORM, &response, &reason, SNIPPET_CHARS)
    })?;
    let answers: Vec<Answer> = answer.choices.into_iter().map(choice).collect();
    completion(
        &completion_id(answer.id.as_deref()),
        answer.created.unwrap_or_else(now),
        answer.model.as_deref().unwrap_or(&ctx.upstream_model),
        &answers,
        answer.usage.map(usage),
    )
}

fn choice(choice: wire::Choice) -> Answer {
    let message = choice.message;
    Answer {
        content: message.content,
        reasoning: message.reasoning_content,
        refusal: None,
        tool_calls: message
            .tool_calls
            .into_iter()
            .map(|call| FunctionCall {
                id: call.id.unwrap_or_else(tool_call_id),
                name: call.function.name.unwrap_or_default(),
                arguments: call.function.arguments.unwrap_or_default(),
            })
            .collect(),
        finish_reason: finish_reason(choice.finish_reason.as_deref()),
    }
}

/// The platform's finish reason in OpenAI's terms.
pub fn finish_reason(reason: Option<&str>) -> FinishReason {
    match reason {
        Some("length") => FinishReason::Length,
        Some("tool_calls" | "function_call") => FinishReason::ToolCalls,
        Some("content_filter") => FinishReason::ContentFilter,
        _ => FinishReason::Stop,
    }
}

/// The platform's counts for the gateway's accounting.
pub fn usage(usage: wire::Usage) -> Usage {
    switchyard_guest_kit::usage::counts(usage.prompt_tokens.into(), usage.completion_tokens.into())
}

#[cfg(test)]
mod tests;
