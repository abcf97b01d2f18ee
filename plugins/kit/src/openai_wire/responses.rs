//! OpenAI's Responses API (`POST /v1/responses`, contract 0.2's `responses` endpoint)
//! on a platform that serves it itself (OpenAI, Azure OpenAI, compatible servers):
//! pass-through, as an Anthropic platform passes Messages through.
//!
//! - The request body goes upstream byte for byte except its `model` value, the
//!   deployment's model ([`body`]): `include`, `reasoning.encrypted_content`,
//!   `prompt_cache_key`, fields newer than this code and the member order survive.
//!   Unlike chat, no `stream_options` is added: the Responses API rejects it, and a
//!   stream's usage comes in its terminal event anyway.
//! - A whole answer, a Response object, passes through as it came, read once for its
//!   `usage` ([`to_openai`]); errors are OpenAI's error bodies, read as for chat.
//! - A stream's events pass through as they came ([`stream::Passthrough`]).
//!
//! [`Streams`] is the stream state of an adapter that serves chat and Responses both:
//! its own chat translation, or the pass-through.

pub mod stream;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::Platform;
use super::error::{SNIPPET_CHARS, from_error_in_answer, from_upstream};
use crate::error::unusable_answer;
use crate::passthrough::with_model;
use crate::usage::saturate;
use crate::{
    ApiError, CallContext, Endpoint, StreamEvent, StreamState, TranslatedResponse,
    UpstreamResponse, Usage,
};

pub use stream::Passthrough;

/// The upstream body for a Responses call: the client's, with `model` set to the
/// deployment's model and nothing else changed.
pub fn body(ctx: &CallContext, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    with_model(body, &ctx.upstream_model)
}

/// A Response's `usage` (`input_tokens`, `output_tokens` and their details) in
/// OpenAI's chat terms. Missing counts read as zero.
#[derive(Debug, Default, Deserialize)]
struct ResponsesUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    input_tokens_details: Option<InputTokensDetails>,
    #[serde(default)]
    output_tokens_details: Option<OutputTokensDetails>,
}

#[derive(Debug, Default, Deserialize)]
struct InputTokensDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct OutputTokensDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

impl From<ResponsesUsage> for Usage {
    fn from(usage: ResponsesUsage) -> Self {
        Usage {
            prompt_tokens: saturate(usage.input_tokens),
            completion_tokens: saturate(usage.output_tokens),
            cached_tokens: usage
                .input_tokens_details
                .and_then(|d| d.cached_tokens)
                .map(saturate),
            reasoning_tokens: usage
                .output_tokens_details
                .and_then(|d| d.reasoning_tokens)
                .map(saturate),
        }
    }
}

/// Parses a Response's `usage` value: `input_tokens` → prompt tokens, `output_tokens`
/// → completion tokens, `input_tokens_details.cached_tokens` → cached tokens,
/// `output_tokens_details.reasoning_tokens` → reasoning tokens. `None` for `null` or
/// anything that is not a usage object: accounting never fails an answer.
pub fn usage(json: &str) -> Option<Usage> {
    serde_json::from_str::<Option<ResponsesUsage>>(json)
        .ok()
        .flatten()
        .map(Usage::from)
}

/// The top-level members that say what a 2xx body is.
#[derive(Deserialize)]
struct Members<'a> {
    #[serde(borrow, default)]
    object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    output: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
    #[serde(borrow, default)]
    usage: Option<&'a RawValue>,
}

/// A complete upstream answer to a Responses call, for the client.
///
/// A 2xx Response object (`"object": "response"`, or an `output` array) passes through
/// byte for byte with its usage, a failed or incomplete one too (its `status` and
/// `error` are the client's to read). Anything else is an error, by the rules of chat
/// answers: a non-2xx answer keeps its status and OpenAI error ([`from_upstream`]); a
/// 2xx `{"error": …}` is that error ([`from_error_in_answer`]); any other 2xx body is
/// a 502 naming its content type with the start of the body.
pub fn to_openai<P: Platform>(response: UpstreamResponse) -> Result<TranslatedResponse, ApiError> {
    if !(200..300).contains(&response.status) {
        return Err(from_upstream::<P>(&response));
    }
    let unusable = |reason: &str| unusable_answer(P::NAME, &response, reason, SNIPPET_CHARS);
    if response.body.trim_ascii_start().first() != Some(&b'{') {
        let reason = match serde_json::from_slice::<serde::de::IgnoredAny>(&response.body) {
            Ok(_) => "is not a JSON object".to_owned(),
            Err(e) => format!("is not JSON ({e})"),
        };
        return Err(unusable(&reason));
    }
    let members: Members<'_> = match serde_json::from_slice(&response.body) {
        Ok(members) => members,
        Err(e) => return Err(unusable(&format!("is not JSON ({e})"))),
    };
    let is_response = members.object.is_some_and(|o| o.get() == "\"response\"")
        || members.output.is_some_and(|o| o.get().starts_with('['));
    if !is_response {
        if let Some(error) = members.error.filter(|e| e.get() != "null") {
            return Err(from_error_in_answer::<P>(error.get(), &response.headers));
        }
        return Err(unusable(
            "is not a Response object (`\"object\": \"response\"`)",
        ));
    }
    let usage = members.usage.and_then(|raw| usage(raw.get()));
    Ok(TranslatedResponse {
        body: response.body,
        usage,
    })
}

/// The stream state of an adapter serving chat and Responses: `Chat` is its own chat
/// stream translation, used for every endpoint but [`Endpoint::Responses`], which gets
/// the pass-through.
#[derive(Debug)]
pub enum Streams<Chat, P> {
    /// A chat completions stream, translated by the adapter.
    Chat(Chat),
    /// A Responses stream, passed through.
    Responses(Passthrough<P>),
}

impl<Chat: StreamState, P: Platform + 'static> StreamState for Streams<Chat, P> {
    fn start(ctx: &CallContext) -> Self {
        match ctx.endpoint {
            Endpoint::Responses => Self::Responses(Passthrough::start(ctx)),
            _ => Self::Chat(Chat::start(ctx)),
        }
    }

    fn event(&mut self, event: StreamEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        match self {
            Self::Chat(state) => state.event(event, out),
            Self::Responses(state) => state.event(event, out),
        }
    }

    fn push(&mut self, events: Vec<StreamEvent>, out: &mut Vec<String>) -> Result<(), ApiError> {
        match self {
            Self::Chat(state) => state.push(events, out),
            Self::Responses(state) => state.push(events, out),
        }
    }

    fn finish(&mut self, out: &mut Vec<String>) -> Result<(), ApiError> {
        match self {
            Self::Chat(state) => state.finish(out),
            Self::Responses(state) => state.finish(out),
        }
    }

    fn usage(&self) -> Option<Usage> {
        match self {
            Self::Chat(state) => state.usage(),
            Self::Responses(state) => state.usage(),
        }
    }
}

#[cfg(test)]
mod tests;
