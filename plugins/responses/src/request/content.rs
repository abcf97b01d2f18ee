//! Content parts: of messages, and of tool outputs.
//!
//! | Responses part | Chat |
//! |---|---|
//! | `input_text`, `output_text`, `text` | text part (in a system or assistant message: text, parts joined with `\n`) |
//! | `refusal` (assistant) | its text |
//! | `input_image` with `image_url` (URL or `data:` URL) | `image_url` part; `detail` kept (`original` → `high`) |
//! | `input_image` with `file_id` | 400 naming the field: the gateway has no files API |
//! | `input_file` with `file_data` (`data:` URL, or base64) and `filename` | `file` part (`file_data` as a `data:` URL) |
//! | `input_file` with `file_id` or `file_url` | 400 naming the field |
//! | `input_audio` | `input_audio` part, as sent |
//! | anything else | 400 naming the part |
//!
//! Chat tool messages carry text only: a tool output's images and files move to a user
//! message right after the tool messages of that turn, and the tool text says so
//! ([`MOVED_NOTE`]).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::chat::{File, ImageUrl, Part as ChatPart};
use super::param::Param;
use crate::bindings::ApiError;
use crate::error::bad_request;
use crate::text::{Text, TextOr};

/// Added to a tool message whose images or files moved to the user message after it.
pub const MOVED_NOTE: &str = "[attachment sent in the next user message]";

/// The file name of an `input_file` without one.
pub const DEFAULT_FILE_NAME: &str = "file";

/// One content part; the fields a type does not use stay `None`.
#[derive(Debug, Deserialize)]
pub struct Part<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(default, borrow)]
    text: Option<Text<'a>>,
    #[serde(default, borrow)]
    refusal: Option<Text<'a>>,
    #[serde(default, borrow)]
    image_url: Option<Text<'a>>,
    #[serde(default, borrow)]
    detail: Option<Text<'a>>,
    #[serde(default, borrow)]
    file_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    file_data: Option<Text<'a>>,
    #[serde(default, borrow)]
    file_url: Option<Text<'a>>,
    #[serde(default, borrow)]
    filename: Option<Text<'a>>,
    #[serde(default, borrow)]
    input_audio: Option<&'a RawValue>,
}

impl<'a> Part<'a> {
    /// The text of a text-like part (`input_text`, `output_text`, `text`,
    /// `summary_text`, `reasoning_text`, `refusal`).
    pub fn text(&self) -> Option<&str> {
        match &*self.kind {
            "input_text" | "output_text" | "text" | "summary_text" | "reasoning_text" => {
                Some(self.text.as_deref().unwrap_or(""))
            }
            "refusal" => Some(self.refusal.as_deref().unwrap_or("")),
            _ => None,
        }
    }

    /// The part as a chat user part.
    pub fn to_chat(&'a self, at: Param<'_>) -> Result<ChatPart<'a>, ApiError> {
        if let Some(text) = self.text() {
            return Ok(ChatPart::Text {
                text: Cow::Borrowed(text),
            });
        }
        match &*self.kind {
            "input_image" => self.image(at),
            "input_file" => self.file(at),
            "input_audio" => match self.input_audio {
                Some(input_audio) => Ok(ChatPart::InputAudio { input_audio }),
                None => Err(bad_request(
                    "an input_audio part needs `input_audio`",
                    Some(&at.to_string()),
                )),
            },
            other => Err(unsupported(other, at)),
        }
    }

    /// An `input_image` as an `image_url` part.
    fn image(&'a self, at: Param<'_>) -> Result<ChatPart<'a>, ApiError> {
        if let Some(url) = self.image_url.as_deref() {
            let detail = self.detail.as_deref().map(|d| match d {
                "original" => "high",
                other => other,
            });
            return Ok(ChatPart::ImageUrl {
                image_url: ImageUrl { url, detail },
            });
        }
        if self.file_id.is_some() {
            return Err(no_files_api(at.member("file_id"), "image_url"));
        }
        Err(bad_request(
            "an input_image needs an `image_url`",
            Some(&at.member("image_url").to_string()),
        ))
    }

    /// An `input_file` as a `file` part.
    fn file(&'a self, at: Param<'_>) -> Result<ChatPart<'a>, ApiError> {
        let filename = self.filename.as_deref().unwrap_or(DEFAULT_FILE_NAME);
        if let Some(data) = self.file_data.as_deref() {
            let file_data = if data.starts_with("data:") {
                Cow::Borrowed(data)
            } else {
                Cow::Owned(["data:", media_type(filename), ";base64,", data].concat())
            };
            return Ok(ChatPart::File {
                file: File {
                    file_data,
                    filename,
                },
            });
        }
        if self.file_id.is_some() {
            return Err(no_files_api(at.member("file_id"), "file_data"));
        }
        if self.file_url.is_some() {
            return Err(bad_request(
                "a file by URL cannot be translated to chat completions; send it inline as `file_data`",
                Some(&at.member("file_url").to_string()),
            ));
        }
        Err(bad_request(
            "an input_file needs `file_data`",
            Some(&at.member("file_data").to_string()),
        ))
    }
}

/// The media type of a file sent as bare base64, guessed from its name.
fn media_type(filename: &str) -> &'static str {
    let lower = filename.to_ascii_lowercase();
    if lower.ends_with(".pdf") {
        "application/pdf"
    } else if lower.ends_with(".txt") {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

/// The 400 for a part that names an uploaded file.
fn no_files_api(at: Param<'_>, instead: &str) -> ApiError {
    bad_request(
        format!(
            "file ids cannot be used here: this gateway has no files API; send the content inline as `{instead}`"
        ),
        Some(&at.to_string()),
    )
}

/// The 400 for a part of a type that cannot be translated where it stands.
pub fn unsupported(kind: &str, at: Param<'_>) -> ApiError {
    bad_request(
        format!("content part type {kind:?} cannot be translated to chat completions here"),
        Some(&at.to_string()),
    )
}

/// The text of content that must be text (system, developer and assistant messages):
/// the string, or its text parts joined with `\n`.
pub fn text_only<'a>(
    content: &'a TextOr<'a, Part<'a>>,
    at: Param<'_>,
) -> Result<Cow<'a, str>, ApiError> {
    match content {
        TextOr::Text(text) => Ok(Cow::Borrowed(text)),
        TextOr::List(parts) => {
            let mut texts = Vec::with_capacity(parts.len());
            for (i, part) in parts.iter().enumerate() {
                match part.text() {
                    Some(text) => texts.push(text),
                    None => return Err(unsupported(&part.kind, at.element(i))),
                }
            }
            Ok(match texts.as_slice() {
                [one] => Cow::Borrowed(*one),
                _ => Cow::Owned(texts.join("\n")),
            })
        }
    }
}

/// A tool output as the tool message's text; its images and files go to `moved`.
pub fn tool_output<'a>(
    output: Option<&'a TextOr<'a, Part<'a>>>,
    at: Param<'_>,
    moved: &mut Vec<ChatPart<'a>>,
) -> Result<Cow<'a, str>, ApiError> {
    match output {
        None => Ok(Cow::Borrowed("")),
        Some(TextOr::Text(text)) => Ok(Cow::Borrowed(text)),
        Some(TextOr::List(parts)) => {
            let mut texts = Vec::with_capacity(parts.len());
            for (i, part) in parts.iter().enumerate() {
                match part.to_chat(at.element(i))? {
                    ChatPart::Text { text } => texts.push(text),
                    other => {
                        moved.push(other);
                        texts.push(Cow::Borrowed(MOVED_NOTE));
                    }
                }
            }
            if texts.len() == 1
                && let Some(one) = texts.pop()
            {
                return Ok(one);
            }
            Ok(Cow::Owned(texts.join("\n")))
        }
    }
}
