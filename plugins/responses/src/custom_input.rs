//! The `input` of a custom (freeform) tool call, read out of the chat function's
//! arguments as they stream.
//!
//! A custom tool is offered to chat as a function with one string parameter, `input`
//! (`request::tools`), so the model answers `{"input": "*** Begin Patch\n..."}`. A
//! Responses client wants the raw text, and streamed as it comes
//! (`response.custom_tool_call_input.delta`). [`InputDecoder`] reads the arguments
//! fragment by fragment and hands out the decoded string as far as it can be decoded
//! (an escape cut between fragments waits for the next one).
//!
//! | arguments | `input` |
//! |---|---|
//! | `{"input": "<json string>"` … (whitespace allowed; what follows the string is ignored) | the string, decoded as it streams; a string cut short is what came; an invalid escape is kept as written |
//! | any other JSON object with a string `input` member | that member, whole at the end |
//! | a JSON string | that string, whole at the end |
//! | anything else | the arguments as they are, whole at the end |

use std::borrow::Cow;

use serde::Deserialize;

use crate::text::Text;

/// Where the decoder stands in `{"input": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    BeforeObject,
    BeforeKey,
    /// Inside the first key, with the key so far.
    InKey(String),
    AfterKey,
    BeforeValue,
    InValue,
    /// The string ended.
    Done,
    /// The arguments have another shape: the input is worked out at the end.
    Other,
}

/// Reads a custom tool's `input` out of streamed function arguments.
#[derive(Debug, Clone)]
pub struct InputDecoder {
    raw: String,
    /// Byte position in `raw` up to which it has been read.
    read: usize,
    state: State,
    decoded: String,
}

impl Default for InputDecoder {
    fn default() -> Self {
        Self {
            raw: String::new(),
            read: 0,
            state: State::BeforeObject,
            decoded: String::new(),
        }
    }
}

impl InputDecoder {
    /// Adds a fragment of the arguments; the input text it completes (may be empty).
    pub fn push(&mut self, fragment: &str) -> &str {
        self.raw.push_str(fragment);
        let before = self.decoded.len();
        self.advance();
        self.decoded.get(before..).unwrap_or("")
    }

    /// All the arguments so far.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The input decoded so far.
    pub fn decoded(&self) -> &str {
        &self.decoded
    }

    /// Whether the arguments have the `{"input": "..."}` shape, so that the text
    /// handed out so far is the input.
    pub fn recognized(&self) -> bool {
        matches!(self.state, State::InValue | State::Done)
    }

    /// The whole input once the arguments are complete (table in the module doc).
    pub fn input(&self) -> Cow<'_, str> {
        if self.recognized() {
            return Cow::Borrowed(&self.decoded);
        }
        input_of_other(&self.raw)
    }

    /// Reads as far as the arguments allow.
    fn advance(&mut self) {
        while let Some(rest) = self.raw.get(self.read..) {
            let mut chars = rest.chars();
            let Some(c) = chars.next() else {
                return;
            };
            let mut width = c.len_utf8();
            match &mut self.state {
                State::Done | State::Other => return,
                state @ (State::BeforeObject
                | State::BeforeKey
                | State::AfterKey
                | State::BeforeValue) => {
                    if !c.is_whitespace() {
                        *state = match (&*state, c) {
                            (State::BeforeObject, '{') => State::BeforeKey,
                            (State::BeforeKey, '"') => State::InKey(String::new()),
                            (State::AfterKey, ':') => State::BeforeValue,
                            (State::BeforeValue, '"') => State::InValue,
                            _ => State::Other,
                        };
                    }
                }
                State::InKey(key) => match c {
                    '"' if key == "input" => self.state = State::AfterKey,
                    '"' | '\\' => self.state = State::Other,
                    c => key.push(c),
                },
                State::InValue => match c {
                    '"' => self.state = State::Done,
                    '\\' => match unescape(rest) {
                        Escape::Char(decoded, len) => {
                            self.decoded.push(decoded);
                            width = len;
                        }
                        Escape::Incomplete => return,
                        // Not JSON: kept as it came, so what was handed out stays
                        // the start of the input.
                        Escape::Invalid => self.decoded.push('\\'),
                    },
                    c => self.decoded.push(c),
                },
            }
            self.read += width;
        }
    }
}

/// What an escape sequence at the start of a string stands for.
enum Escape {
    /// The character, and the length of the sequence in bytes.
    Char(char, usize),
    /// The sequence is cut: wait for more.
    Incomplete,
    /// Not a JSON escape.
    Invalid,
}

/// Decodes the escape sequence that `text` (starting with `\`) begins with.
fn unescape(text: &str) -> Escape {
    let bytes = text.as_bytes();
    let Some(kind) = bytes.get(1) else {
        return Escape::Incomplete;
    };
    let simple = match kind {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => return unicode_escape(text),
        _ => return Escape::Invalid,
    };
    Escape::Char(simple, 2)
}

/// Decodes `\uXXXX`, or a surrogate pair `\uXXXX\uXXXX`.
fn unicode_escape(text: &str) -> Escape {
    let Some(first) = hex4(text, 2) else {
        return incomplete_or_invalid(text, 6);
    };
    if !(0xD800..0xDC00).contains(&first) {
        return char::from_u32(first).map_or(Escape::Invalid, |c| Escape::Char(c, 6));
    }
    if text.len() < 12 {
        return incomplete_or_invalid(text, 12);
    }
    match (text.get(6..8), hex4(text, 8)) {
        (Some("\\u"), Some(low @ 0xDC00..0xE000)) => {
            let code = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00);
            char::from_u32(code).map_or(Escape::Invalid, |c| Escape::Char(c, 12))
        }
        _ => Escape::Invalid,
    }
}

/// `Incomplete` when `text` is shorter than `needed`, else `Invalid`.
fn incomplete_or_invalid(text: &str, needed: usize) -> Escape {
    if text.len() < needed {
        Escape::Incomplete
    } else {
        Escape::Invalid
    }
}

/// The four hex digits at byte `at` of `text`.
fn hex4(text: &str, at: usize) -> Option<u32> {
    let digits = text.get(at..at + 4)?;
    u32::from_str_radix(digits, 16).ok()
}

/// An object's `input` member, for arguments of another shape.
#[derive(Deserialize)]
struct InputMember<'a> {
    #[serde(borrow)]
    input: Text<'a>,
}

/// The input of arguments that are not `{"input": "..."}` from the start.
fn input_of_other(raw: &str) -> Cow<'_, str> {
    if let Ok(member) = serde_json::from_str::<InputMember<'_>>(raw) {
        return member.input.0;
    }
    if let Ok(text) = serde_json::from_str::<Text<'_>>(raw) {
        return text.0;
    }
    Cow::Borrowed(raw)
}

/// The input of complete arguments.
pub fn input_of(arguments: &str) -> String {
    let mut decoder = InputDecoder::default();
    decoder.push(arguments);
    decoder.input().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `arguments` in pieces of `size` bytes (on char boundaries); the deltas
    /// joined, and the final input.
    fn stream(arguments: &str, size: usize) -> (String, String) {
        let mut decoder = InputDecoder::default();
        let mut deltas = String::new();
        let mut piece = String::new();
        for c in arguments.chars() {
            piece.push(c);
            if piece.len() >= size {
                deltas.push_str(decoder.push(&piece));
                piece.clear();
            }
        }
        deltas.push_str(decoder.push(&piece));
        (deltas, decoder.input().into_owned())
    }

    #[test]
    fn the_input_streams_decoded_in_any_split() {
        let input = "*** Begin Patch\n*** Add File: a.txt\n+say \"hi\" \\ é 😀\t\n*** End Patch";
        let arguments = serde_json::json!({ "input": input }).to_string();
        let escaped = r#"{ "input" : "\u00e9\ud83d\ude00\/\n" }"#;
        for size in 1..=14 {
            assert_eq!(
                stream(&arguments, size),
                (input.into(), input.into()),
                "{size}"
            );
            let expected = "é😀/\n".to_owned();
            assert_eq!(
                stream(escaped, size),
                (expected.clone(), expected),
                "{size}"
            );
        }
    }

    #[test]
    fn a_cut_string_is_what_came() {
        assert_eq!(stream(r#"{"input": "abc"#, 3), ("abc".into(), "abc".into()));
        assert_eq!(stream(r#"{"input": "ab\"#, 3), ("ab".into(), "ab".into()));
    }

    #[test]
    fn other_shapes_are_read_at_the_end() {
        assert_eq!(input_of(r#"{"note": 1, "input": "x"}"#), "x");
        assert_eq!(input_of(r#""plain""#), "plain");
        assert_eq!(input_of("not json"), "not json");
        assert_eq!(input_of(""), "");
        assert_eq!(input_of(r#"{"input": 5}"#), r#"{"input": 5}"#);
        let (deltas, _) = stream(r#"{"note": 1, "input": "x"}"#, 2);
        assert_eq!(deltas, "", "nothing streams for another shape");
    }

    #[test]
    fn invalid_escapes_are_kept_as_they_came() {
        let mut decoder = InputDecoder::default();
        assert_eq!(decoder.push(r#"{"input": "a\q"#), "a\\q");
        assert!(decoder.recognized());
        assert_eq!(decoder.input(), "a\\q");
    }
}
