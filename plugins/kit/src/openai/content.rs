//! Message content: a string, or a list of typed parts (text, images, audio, files).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// What a message says.
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// Plain text.
    Text(String),
    /// Typed parts, in order.
    Parts(Vec<Part>),
}

impl Content {
    /// The text of the content: the string, or its text parts joined by newlines.
    /// Other parts are left out; [`Content::first_non_text`] finds them.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Content::Text(text) => Cow::Borrowed(text),
            Content::Parts(parts) => {
                let mut texts = parts.iter().filter_map(Part::as_text);
                match (texts.next(), texts.next()) {
                    (None, _) => Cow::Borrowed(""),
                    (Some(only), None) => Cow::Borrowed(only),
                    (Some(first), Some(second)) => {
                        let mut joined = format!("{first}\n{second}");
                        for text in texts {
                            joined.push('\n');
                            joined.push_str(text);
                        }
                        Cow::Owned(joined)
                    }
                }
            }
        }
    }

    /// The parts, a string being one text part.
    pub fn parts(&self) -> Cow<'_, [Part]> {
        match self {
            Content::Text(text) => Cow::Owned(vec![Part::Text { text: text.clone() }]),
            Content::Parts(parts) => Cow::Borrowed(parts),
        }
    }

    /// The position and type of the first part that is not text, for platforms that
    /// take text only and refuse the rest with a 400 naming it.
    pub fn first_non_text(&self) -> Option<(usize, &'static str)> {
        match self {
            Content::Text(_) => None,
            Content::Parts(parts) => parts
                .iter()
                .position(|part| part.as_text().is_none())
                .map(|position| (position, parts[position].kind())),
        }
    }
}

/// One content part.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// An image, by URL or as a `data:` URL.
    ImageUrl {
        /// Where the image is.
        image_url: ImageUrl,
    },
    /// Audio, base64-encoded.
    InputAudio {
        /// The audio.
        input_audio: InputAudio,
    },
    /// A file, inline or uploaded.
    File {
        /// The file.
        file: File,
    },
    /// A refusal, in a replayed assistant message.
    Refusal {
        /// The refusal's text.
        refusal: String,
    },
}

impl Part {
    /// The text of a text part.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Part::Text { text } => Some(text),
            _ => None,
        }
    }

    /// The part's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Part::Text { .. } => "text",
            Part::ImageUrl { .. } => "image_url",
            Part::InputAudio { .. } => "input_audio",
            Part::File { .. } => "file",
            Part::Refusal { .. } => "refusal",
        }
    }
}

/// `image_url` of an image part.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ImageUrl {
    /// An `https:` URL, or `data:<media type>;base64,<data>`.
    pub url: String,
    /// `low`, `high` or `auto`.
    #[serde(default)]
    pub detail: Option<String>,
}

impl ImageUrl {
    /// The media type and base64 data of a `data:` URL; `None` for other URLs.
    pub fn data(&self) -> Option<(&str, &str)> {
        let rest = self.url.strip_prefix("data:")?;
        let (media_type, data) = rest.split_once(";base64,")?;
        Some((media_type, data))
    }
}

/// `input_audio` of an audio part.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct InputAudio {
    /// Base64-encoded audio.
    pub data: String,
    /// `wav` or `mp3`.
    pub format: String,
}

/// `file` of a file part.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct File {
    /// The file, as a `data:` URL or base64.
    #[serde(default)]
    pub file_data: Option<String>,
    /// An uploaded file's id.
    #[serde(default)]
    pub file_id: Option<String>,
    /// Its name.
    #[serde(default)]
    pub filename: Option<String>,
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ContentVisitor)
    }
}

/// Reads a string or a list of parts, with an error that says which two are allowed
/// (an untagged enum would only say that nothing matched).
struct ContentVisitor;

impl<'de> Visitor<'de> for ContentVisitor {
    type Value = Content;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a list of content parts")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Content, E> {
        Ok(Content::Text(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Content, E> {
        Ok(Content::Text(text))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Content, A::Error> {
        let mut parts = Vec::with_capacity(seq.size_hint().unwrap_or(1));
        while let Some(part) = seq.next_element()? {
            parts.push(part);
        }
        Ok(Content::Parts(parts))
    }
}
