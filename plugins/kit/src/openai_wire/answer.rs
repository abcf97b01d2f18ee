//! A 2xx body in OpenAI's own shape (OpenAI, Azure OpenAI, OpenAI-compatible servers),
//! read once before it passes through untouched.
//!
//! A 2xx status does not make a body an answer: some servers and proxies answer 200
//! with `{"error": {...}}`, or with an object that is neither a completion nor a list.
//! Passing those through would hand the client an empty "success".

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{Usage, usage};

/// What a 2xx OpenAI-shaped body turned out to be.
#[derive(Debug)]
pub enum Answer<'a> {
    /// A chat completion (`choices`) or an embeddings list (`data`), with its usage.
    Complete(Option<Usage>),
    /// A non-null top-level `error`: the platform failed despite its 2xx status.
    Error(&'a RawValue),
}

/// The top-level members that decide what the body is.
#[derive(Deserialize)]
struct Members<'a> {
    #[serde(borrow, default)]
    usage: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
    #[serde(borrow, default)]
    choices: Option<&'a RawValue>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

/// Reads a 2xx body. The error says why it is no answer, worded to follow "a body
/// that" (`is not JSON (…)`, `is not a JSON object`, …).
///
/// A missing, `null` or malformed `usage` is no usage, never an error: accounting must
/// not fail an answer the client can use.
pub fn read(body: &[u8]) -> Result<Answer<'_>, String> {
    // Serde would also read a struct from an array; an answer must be an object.
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Ok(_) => "is not a JSON object".to_owned(),
                Err(e) => format!("is not JSON ({e})"),
            },
        );
    }
    let members: Members<'_> =
        serde_json::from_slice(body).map_err(|e| format!("is not JSON ({e})"))?;
    if let Some(error) = members.error {
        return Ok(Answer::Error(error));
    }
    let is_array = |raw: Option<&RawValue>| raw.is_some_and(|raw| raw.get().starts_with('['));
    if !is_array(members.choices) && !is_array(members.data) {
        return Err(
            "is neither a chat completion (`choices`) nor an embeddings list (`data`)".to_owned(),
        );
    }
    Ok(Answer::Complete(
        members.usage.and_then(|raw| usage::parse(raw.get())),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(body: &[u8]) -> Option<Usage> {
        match read(body) {
            Ok(Answer::Complete(usage)) => usage,
            other => panic!("expected an answer, got {other:?}"),
        }
    }

    #[test]
    fn completions_and_lists_are_answers_with_their_top_level_usage() {
        let usage = complete(br#"{"id":"x","choices":[{"usage":{"prompt_tokens":1}}],"usage":{"prompt_tokens":5,"completion_tokens":7}}"#)
            .expect("usage");
        assert_eq!(
            (usage.prompt_tokens, usage.completion_tokens),
            (5, 7),
            "only the top-level usage counts"
        );
        assert!(complete(br#"{"object":"list","data":[]}"#).is_none());
        assert!(
            complete(br#"{"choices":[],"usage":"n/a","error":null}"#).is_none(),
            "a malformed usage and a null error do not fail a usable answer"
        );
    }

    #[test]
    fn an_error_member_is_an_error_whatever_the_status() {
        let body = br#"{"error":{"message":"quota","type":"insufficient_quota"}}"#;
        match read(body) {
            Ok(Answer::Error(raw)) => assert!(raw.get().contains("quota")),
            other => panic!("a 200 with an error body is an error, got {other:?}"),
        }
        assert!(
            matches!(read(br#"{"error":"down"}"#), Ok(Answer::Error(_))),
            "compatible servers send a bare message too"
        );
    }

    #[test]
    fn bodies_that_are_no_answer_say_why() {
        let reason = |body: &[u8]| read(body).expect_err("no answer");
        assert!(reason(b"<html>busy</html>").starts_with("is not JSON"));
        assert_eq!(reason(b"[1]"), "is not a JSON object");
        assert!(
            reason(br#"{"detail":"Not Found"}"#).contains("neither a chat completion"),
            "a foreign JSON object is not a success"
        );
        assert!(reason(br#"{"choices":null}"#).contains("neither"));
    }
}
