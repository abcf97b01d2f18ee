//! OpenAI request body → the platform's request.
//!
//! What the platform cannot do is refused here with a 400 naming the field, before
//! anything is sent: a silent drop would give the client an answer to a question it
//! did not ask.

use serde_json::{Value, json};
use switchyard_guest_kit::error::{bad_gateway, bad_request};
use switchyard_guest_kit::openai::request::ToolCall;
use switchyard_guest_kit::openai::{
    ChatRequest, Content, Message, Part, ResponseFormat, ToolChoice,
};
use switchyard_guest_kit::{ApiError, CallContext, Method, StreamFraming, UpstreamRequest};

use crate::PLATFORM;
use crate::wire::{self, StreamOptions};

/// The platform's chat path, relative to the base URL (which ends in `/v1`).
pub const CHAT_PATH: &str = "/chat/completions";

/// Builds the upstream request for one call.
pub fn from_openai(ctx: &CallContext, body: &[u8]) -> Result<UpstreamRequest, ApiError> {
    let request = ChatRequest::parse(body)?;
    request.refuse_several_choices(PLATFORM)?;
    let messages = request
        .messages
        .iter()
        .enumerate()
        .map(|(position, message)| message_to_wire(position, message))
        .collect::<Result<Vec<_>, _>>()?;
    let tools = request
        .tools
        .iter()
        .enumerate()
        .map(|(position, tool)| {
            let function = tool.function(position)?;
            Ok(wire::Tool {
                kind: "function",
                function: wire::FunctionDef {
                    name: function.name.clone(),
                    description: function.description.clone(),
                    parameters: function.parameters.clone(),
                },
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;

    let upstream = wire::ChatRequest {
        model: ctx.upstream_model.clone(),
        messages,
        tools,
        tool_choice: request.tool_choice.as_ref().map(tool_choice),
        response_format: request.response_format.as_ref().map(response_format),
        temperature: request.temperature,
        top_p: request.top_p,
        max_tokens: request.max_output_tokens(),
        stop: request.stop_sequences(),
        seed: request.seed,
        stream: ctx.streaming,
        // Usage is always asked for on streams so the gateway can count tokens; the
        // kit's stream writer shows it to clients only if they asked.
        stream_options: ctx.streaming.then_some(StreamOptions {
            include_usage: true,
        }),
    };
    let body = serde_json::to_vec(&upstream)
        .map_err(|e| bad_gateway(format!("cannot write the request: {e}")))?;
    Ok(UpstreamRequest {
        method: Method::Post,
        path_and_query: CHAT_PATH.to_owned(),
        // The gateway adds `content-type: application/json` and the credential.
        headers: Vec::new(),
        body,
        response_framing: ctx.streaming.then_some(StreamFraming::Sse),
        credential: None,
    })
}

/// One message. The platform knows no `developer` role: it becomes `system`.
fn message_to_wire(position: usize, message: &Message) -> Result<wire::Message, ApiError> {
    let plain = |role, content: &Content| wire::Message {
        role,
        content: Some(wire::Content::Text(content.text().into_owned())),
        tool_calls: Vec::new(),
        tool_call_id: None,
    };
    Ok(match message {
        Message::System { content } | Message::Developer { content } => plain("system", content),
        Message::User { content } => wire::Message {
            role: "user",
            content: Some(user_content(position, content)?),
            tool_calls: Vec::new(),
            tool_call_id: None,
        },
        Message::Assistant {
            content,
            tool_calls,
            ..
        } => wire::Message {
            role: "assistant",
            content: content
                .as_ref()
                .map(|content| wire::Content::Text(content.text().into_owned())),
            tool_calls: tool_calls.iter().map(tool_call).collect(),
            tool_call_id: None,
        },
        Message::Tool {
            tool_call_id,
            content,
        } => wire::Message {
            tool_call_id: Some(tool_call_id.clone()),
            ..plain("tool", content)
        },
    })
}

/// A user turn: text (parts of text only are joined into one string, which every
/// server takes) or text and images; audio and files are refused, naming the part.
fn user_content(position: usize, content: &Content) -> Result<wire::Content, ApiError> {
    let Content::Parts(parts) = content else {
        return Ok(wire::Content::Text(content.text().into_owned()));
    };
    if content.first_non_text().is_none() {
        return Ok(wire::Content::Text(content.text().into_owned()));
    }
    parts
        .iter()
        .enumerate()
        .map(|(index, part)| match part {
            Part::Text { text } => Ok(wire::Part::Text { text: text.clone() }),
            Part::ImageUrl { image_url } => Ok(wire::Part::ImageUrl {
                image_url: wire::ImageUrl {
                    url: image_url.url.clone(),
                },
            }),
            other => Err(bad_request(
                format!(
                    "{PLATFORM} takes text and images; `{}` parts are not supported",
                    other.kind()
                ),
                Some(&format!("messages[{position}].content[{index}]")),
            )),
        })
        .collect::<Result<_, _>>()
        .map(wire::Content::Parts)
}

fn tool_call(call: &ToolCall) -> wire::ToolCall {
    wire::ToolCall {
        id: call.id.clone(),
        kind: "function",
        function: wire::FunctionCall {
            name: call.function.name.clone(),
            arguments: call.function.arguments.clone(),
        },
    }
}

fn tool_choice(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::None => json!("none"),
        ToolChoice::Auto => json!("auto"),
        ToolChoice::Required => json!("required"),
        ToolChoice::Function(name) => json!({"type": "function", "function": {"name": name}}),
    }
}

fn response_format(format: &ResponseFormat) -> Value {
    match format {
        ResponseFormat::Text => json!({"type": "text"}),
        ResponseFormat::JsonObject => json!({"type": "json_object"}),
        ResponseFormat::JsonSchema { json_schema } => json!({
            "type": "json_schema",
            "json_schema": {
                "name": json_schema.name,
                "schema": json_schema.schema,
                "strict": json_schema.strict,
            },
        }),
    }
}

#[cfg(test)]
mod tests;
