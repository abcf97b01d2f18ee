//! `POST /v1/chat/completions` as an adapter reads it.
//!
//! Every field a chat request may carry that a platform could honour is here, typed;
//! members this crate does not know are ignored, so a newer client does not break an
//! adapter. Schemas (`parameters`, `json_schema.schema`) stay JSON values: adapters
//! often rewrite them for their platform.

use serde::Deserialize;
use serde_json::Value;

use super::content::Content;
use crate::ApiError;
use crate::error::bad_request;

/// A chat completion request.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChatRequest {
    /// The model the client named. Adapters send the call's `upstream-model` instead.
    pub model: String,
    /// The conversation, oldest first.
    pub messages: Vec<Message>,
    /// Tools the model may call.
    pub tools: Vec<Tool>,
    /// Whether and which tool the model must call.
    pub tool_choice: Option<ToolChoice>,
    /// Whether the model may call several tools in one turn.
    pub parallel_tool_calls: Option<bool>,
    /// Plain text, any JSON object, or JSON matching a schema.
    pub response_format: Option<ResponseFormat>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// The output limit, older name; see [`ChatRequest::max_output_tokens`].
    pub max_tokens: Option<u32>,
    /// The output limit, current name.
    pub max_completion_tokens: Option<u32>,
    /// Stop sequences.
    pub stop: Option<Stop>,
    /// How many choices to generate.
    pub n: Option<u32>,
    /// A seed for deterministic sampling.
    pub seed: Option<i64>,
    /// Penalty on tokens already present.
    pub presence_penalty: Option<f64>,
    /// Penalty on frequent tokens.
    pub frequency_penalty: Option<f64>,
    /// `low`, `medium`, `high` (or `minimal`, `none`) for reasoning models.
    pub reasoning_effort: Option<String>,
    /// The end user, for the platform's abuse monitoring.
    pub user: Option<String>,
    /// Whether the answer is streamed. The call's `streaming` says the same.
    pub stream: bool,
}

impl ChatRequest {
    /// Reads a request body. A body that does not fit is a 400 naming the field at
    /// fault (`messages[1].content`) in `param` and in the message.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let request: ChatRequest =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
                let path = e.path().to_string();
                if path == "." {
                    bad_request(format!("invalid request body: {}", e.inner()), None)
                } else {
                    let message = format!("invalid request body at `{path}`: {}", e.inner());
                    bad_request(message, Some(&path))
                }
            })?;
        deserializer
            .end()
            .map_err(|e| bad_request(format!("invalid request body: {e}"), None))?;
        if request.messages.is_empty() {
            return Err(bad_request(
                "`messages` must hold at least one message",
                Some("messages"),
            ));
        }
        Ok(request)
    }

    /// The output limit, whichever name the client used (`max_completion_tokens` wins).
    pub fn max_output_tokens(&self) -> Option<u32> {
        self.max_completion_tokens.or(self.max_tokens)
    }

    /// The stop sequences as a list (empty when none).
    pub fn stop_sequences(&self) -> Vec<String> {
        match &self.stop {
            None => Vec::new(),
            Some(Stop::One(one)) => vec![one.clone()],
            Some(Stop::Many(many)) => many.clone(),
        }
    }

    /// A 400 when the client asked for more than one choice: for platforms that
    /// generate one.
    pub fn refuse_several_choices(&self, platform: &str) -> Result<(), ApiError> {
        match self.n {
            Some(n) if n > 1 => Err(bad_request(
                format!("`n` greater than 1 is not supported by {platform}: it returns one choice"),
                Some("n"),
            )),
            _ => Ok(()),
        }
    }
}

/// One message of the conversation, by `role`.
#[derive(Debug, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum Message {
    /// Instructions from the application.
    System {
        /// The instructions.
        content: Content,
    },
    /// Instructions from the application, as newer OpenAI models name them; most
    /// platforms treat them as `system`.
    Developer {
        /// The instructions.
        content: Content,
    },
    /// What the user said: text, images, audio, files.
    User {
        /// The user's turn.
        content: Content,
    },
    /// An earlier answer of the model, replayed.
    Assistant {
        /// Its text; `None` when it only called tools.
        #[serde(default)]
        content: Option<Content>,
        /// The tools it called.
        #[serde(default)]
        tool_calls: Vec<ToolCall>,
        /// Its refusal, when it refused.
        #[serde(default)]
        refusal: Option<String>,
        /// Its reasoning, for platforms that take it back (DeepSeek's name).
        #[serde(default)]
        reasoning_content: Option<String>,
    },
    /// A tool's result.
    Tool {
        /// The id of the call this answers ([`ToolCall::id`]).
        tool_call_id: String,
        /// The result.
        content: Content,
    },
}

/// A tool call in an assistant message.
#[derive(Clone, Debug, Deserialize)]
pub struct ToolCall {
    /// The call's id; the tool message with the result names it.
    pub id: String,
    /// The called function.
    pub function: FunctionCallIn,
}

/// The function of a [`ToolCall`].
#[derive(Clone, Debug, Deserialize)]
pub struct FunctionCallIn {
    /// The function's name.
    pub name: String,
    /// Its arguments: a JSON object, as a string.
    #[serde(default)]
    pub arguments: String,
}

/// A tool the model may call.
#[derive(Clone, Debug, Deserialize)]
pub struct Tool {
    /// `function` (the only type chat completions define for client tools).
    #[serde(rename = "type")]
    pub kind: String,
    /// The function, for `function` tools.
    #[serde(default)]
    pub function: Option<FunctionDef>,
}

impl Tool {
    /// The function of a `function` tool; a 400 naming the tool's position for any
    /// other type, which a plain chat platform cannot run.
    pub fn function(&self, position: usize) -> Result<&FunctionDef, ApiError> {
        match (&*self.kind, &self.function) {
            ("function", Some(function)) => Ok(function),
            ("function", None) => Err(bad_request(
                format!("`tools[{position}]` is a function tool without `function`"),
                Some(&format!("tools[{position}].function")),
            )),
            (kind, _) => Err(bad_request(
                format!(
                    "`tools[{position}]` has type `{kind}`; only `function` tools are supported"
                ),
                Some(&format!("tools[{position}].type")),
            )),
        }
    }
}

/// A function the model may call.
#[derive(Clone, Debug, Deserialize)]
pub struct FunctionDef {
    /// Its name.
    pub name: String,
    /// What it does, for the model.
    #[serde(default)]
    pub description: Option<String>,
    /// Its parameters: a JSON schema object.
    #[serde(default)]
    pub parameters: Option<Value>,
    /// Whether the arguments must match the schema exactly.
    #[serde(default)]
    pub strict: Option<bool>,
}

/// `tool_choice`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawToolChoice")]
pub enum ToolChoice {
    /// Call no tool.
    None,
    /// The model decides.
    Auto,
    /// Call at least one tool.
    Required,
    /// Call this function.
    Function(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawToolChoice {
    Mode(String),
    Named { function: Named },
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

impl TryFrom<RawToolChoice> for ToolChoice {
    type Error = String;

    fn try_from(raw: RawToolChoice) -> Result<Self, String> {
        match raw {
            RawToolChoice::Mode(mode) => match &*mode {
                "none" => Ok(ToolChoice::None),
                "auto" => Ok(ToolChoice::Auto),
                "required" => Ok(ToolChoice::Required),
                other => Err(format!(
                    "unknown tool_choice `{other}`, expected `none`, `auto`, `required` or a function"
                )),
            },
            RawToolChoice::Named { function } => Ok(ToolChoice::Function(function.name)),
        }
    }
}

/// `response_format`.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    /// Plain text, the default.
    Text,
    /// Any JSON object.
    JsonObject,
    /// JSON matching a schema.
    JsonSchema {
        /// The schema and its name.
        json_schema: JsonSchema,
    },
}

/// The schema of a `json_schema` response format.
#[derive(Clone, Debug, Deserialize)]
pub struct JsonSchema {
    /// The schema's name.
    pub name: String,
    /// What the schema is for.
    #[serde(default)]
    pub description: Option<String>,
    /// The JSON schema.
    #[serde(default)]
    pub schema: Option<Value>,
    /// Whether the output must match exactly.
    #[serde(default)]
    pub strict: Option<bool>,
}

/// `stop`: one sequence or several.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    /// One stop sequence.
    One(String),
    /// Several.
    Many(Vec<String>),
}

#[cfg(test)]
mod tests;
