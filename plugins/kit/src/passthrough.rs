//! The client's body for a platform that speaks the client's own dialect (pass-through
//! endpoints such as OpenAI's Responses API): every byte kept except the top-level
//! `model` value, which becomes the deployment's model.
//!
//! Pass-through bodies carry what a gateway must not touch: encrypted reasoning, cache
//! keys, fields newer than this code, and an order and spacing some clients hash for
//! prompt caching. So the body is not parsed into a tree and written again: only the
//! position of `model` is found, and its value is spliced.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::ApiError;
use crate::error::bad_request;
use crate::openai_wire::object::RawObject;

/// The top-level `model` member, borrowed where it sits in the body.
#[derive(Deserialize)]
struct ModelMember<'a> {
    #[serde(borrow, default)]
    model: Option<&'a RawValue>,
}

/// `body` with its top-level `model` value replaced by `model` (a JSON string), every
/// other byte kept. A body without `model` gets one, first: the deployment decides
/// the model whatever the client named. A body that is not one JSON object (or names
/// `model` twice, which platforms would read differently) is a 400.
pub fn with_model(body: &[u8], model: &str) -> Result<Vec<u8>, ApiError> {
    let invalid = |reason: String| bad_request(format!("the request body {reason}"), None);
    let Ok(text) = std::str::from_utf8(body) else {
        return Err(invalid("is not UTF-8".to_owned()));
    };
    let object = text.trim_start_matches(|c: char| c.is_ascii_whitespace());
    if object.is_empty() {
        return Err(invalid("is empty".to_owned()));
    }
    if !object.starts_with('{') {
        // Not an object: the object reader says what it is instead.
        let reason = RawObject::parse(body).err().map(|e| e.to_string());
        return Err(invalid(reason.unwrap_or_default()));
    }
    let member: ModelMember<'_> = serde_json::from_str(text).map_err(|err| {
        let param = err.to_string().contains("`model`").then_some("model");
        bad_request(format!("the request body is not valid JSON ({err})"), param)
    })?;
    let quoted = serde_json::to_string(model)
        .map_err(|err| bad_request(format!("cannot write the model name: {err}"), None))?;

    let (before, after, separator) = match member.model {
        Some(old) => {
            let old = old.get();
            // The raw value borrows from `text`: its address says where it sits.
            let start = (old.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
            let end = start.saturating_add(old.len());
            match (text.get(..start), text.get(start..end), text.get(end..)) {
                (Some(before), Some(found), Some(after)) if found == old => (before, after, ""),
                _ => {
                    return Err(bad_request(
                        "cannot locate `model` in the request body",
                        Some("model"),
                    ));
                }
            }
        }
        None => {
            // Just inside the opening brace (one byte, after the leading whitespace).
            let inside = text.len() - object.len() + 1;
            let Some((before, rest)) = text.split_at_checked(inside) else {
                return Err(invalid("is not a JSON object".to_owned()));
            };
            let empty = rest
                .trim_start_matches(|c: char| c.is_ascii_whitespace())
                .starts_with('}');
            (before, rest, if empty { "" } else { "," })
        }
    };
    let inserted = member.model.is_none();
    let mut out = Vec::with_capacity(body.len() + quoted.len() + 10);
    out.extend_from_slice(before.as_bytes());
    if inserted {
        out.extend_from_slice(b"\"model\":");
    }
    out.extend_from_slice(quoted.as_bytes());
    out.extend_from_slice(separator.as_bytes());
    out.extend_from_slice(after.as_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swapped(body: &str) -> String {
        let out = with_model(body.as_bytes(), "gpt-5.1-2025-11-13").expect("a valid body");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn only_the_model_value_changes() {
        let body = " {\"input\" : [ {\"role\":\"user\",\"content\":\"h\\u00e9\"} ],\n \"model\":  \"gpt-5.1\" ,\"reasoning\":{\"effort\":\"high\"},\"x-future\":[1.50,2e3]}\n";
        assert_eq!(
            swapped(body),
            body.replace("\"gpt-5.1\"", "\"gpt-5.1-2025-11-13\""),
            "spacing, escapes, number spellings, order and unknown members are kept"
        );
    }

    #[test]
    fn a_nested_model_is_not_the_model() {
        let body = r#"{"tools":[{"type":"x","model":"keep"}],"model":"m"}"#;
        assert_eq!(
            swapped(body),
            r#"{"tools":[{"type":"x","model":"keep"}],"model":"gpt-5.1-2025-11-13"}"#
        );
    }

    #[test]
    fn a_missing_model_is_put_first() {
        assert_eq!(
            swapped(r#" { "input":"hi"}"#),
            r#" {"model":"gpt-5.1-2025-11-13", "input":"hi"}"#
        );
        assert_eq!(swapped("{ }"), r#"{"model":"gpt-5.1-2025-11-13" }"#);
    }

    #[test]
    fn the_model_name_is_written_as_a_json_string() {
        let out = with_model(br#"{"model":"a"}"#, "dep\"loy").expect("valid");
        assert_eq!(out, br#"{"model":"dep\"loy"}"#);
    }

    #[test]
    fn bodies_that_are_no_single_object_are_400s_saying_why() {
        let message = |body: &[u8]| {
            let e = with_model(body, "m").expect_err("refused");
            assert_eq!(e.status, 400);
            e.message
        };
        assert_eq!(
            message(b"[1]"),
            "the request body must be a JSON object, not an array"
        );
        assert_eq!(message(b"  "), "the request body is empty");
        assert_eq!(message(b"{\xff}"), "the request body is not UTF-8");
        assert!(message(b"{\"model\":").contains("not valid JSON"));
        assert!(message(b"{} {}").contains("not valid JSON"));
        let twice = with_model(br#"{"model":"a","model":"b"}"#, "m").expect_err("ambiguous");
        assert_eq!(twice.param.as_deref(), Some("model"));
        assert!(
            twice.message.contains("duplicate field"),
            "{}",
            twice.message
        );
    }
}
