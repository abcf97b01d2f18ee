//! A JSON object kept as its members' raw text, in order.
//!
//! The request body passes through untouched except for a few top-level members, so it
//! is parsed only as deep as those members: nested values stay borrowed slices of the
//! input, are never rebuilt, and come out byte for byte as they went in.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::{RawValue, to_raw_value};

use crate::ApiError;
use crate::error::bad_request;

/// A JSON object's members as raw JSON text, in input order.
#[derive(Debug)]
pub struct RawObject<'a> {
    members: Vec<(Cow<'a, str>, Cow<'a, RawValue>)>,
}

/// Why a text is not a [`RawObject`].
#[derive(Debug)]
pub enum ObjectError {
    /// Not valid JSON at all.
    Syntax(serde_json::Error),
    /// Valid JSON, but not an object; names what it is instead.
    NotAnObject(&'static str),
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectError::Syntax(e) => write!(f, "is not valid JSON ({e})"),
            ObjectError::NotAnObject(kind) => write!(f, "must be a JSON object, not {kind}"),
        }
    }
}

impl<'a> RawObject<'a> {
    /// Parses `json`, which must be one JSON object.
    pub fn parse(json: &'a [u8]) -> Result<Self, ObjectError> {
        let first = json.trim_ascii_start().first().copied();
        if first == Some(b'{') {
            return serde_json::from_slice(json).map_err(ObjectError::Syntax);
        }
        // Not an object: say what it is if it is valid JSON, the more useful message.
        serde_json::from_slice::<de::IgnoredAny>(json).map_err(ObjectError::Syntax)?;
        Err(ObjectError::NotAnObject(match first {
            Some(b'[') => "an array",
            Some(b'"') => "a string",
            Some(b'n') => "null",
            Some(b't' | b'f') => "a boolean",
            _ => "a number",
        }))
    }

    /// The raw value of the first member named `key`.
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.members
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_ref())
    }

    /// Sets member `key` to `value`: in place of the first member of that name (dropping
    /// later duplicates, which a JSON parser would have let win), or appended.
    pub fn set(&mut self, key: &'static str, value: Box<RawValue>) {
        let mut value = Some(value);
        self.members.retain_mut(|(name, slot)| {
            if name != key {
                return true;
            }
            match value.take() {
                Some(new) => {
                    *slot = Cow::Owned(new);
                    true
                }
                None => false,
            }
        });
        if let Some(new) = value {
            self.members.push((Cow::Borrowed(key), Cow::Owned(new)));
        }
    }

    /// Sets member `key` to `value` serialized as JSON.
    pub fn set_json<T: serde::Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.set(key, to_raw_value(value)?);
        Ok(())
    }

    /// The object as compact JSON; member values are written exactly as they were read.
    pub fn to_vec(&self) -> Result<Vec<u8>, serde_json::Error> {
        let capacity = self
            .members
            .iter()
            .map(|(key, value)| key.len() + value.get().len() + 4)
            .sum::<usize>()
            + 2;
        let mut out = Vec::with_capacity(capacity);
        out.push(b'{');
        for (i, (key, value)) in self.members.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            serde_json::to_writer(&mut out, key.as_ref())?;
            out.push(b':');
            out.extend_from_slice(value.get().as_bytes());
        }
        out.push(b'}');
        Ok(out)
    }

    /// The object as a raw JSON value, to nest in another object.
    pub fn to_raw(&self) -> Result<Box<RawValue>, serde_json::Error> {
        let bytes = self.to_vec()?;
        let text = String::from_utf8(bytes).map_err(de::Error::custom)?;
        RawValue::from_string(text)
    }
}

// === impl Deserialize for RawObject ===

impl<'de: 'a, 'a> Deserialize<'de> for RawObject<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some((Key(key), value)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    members.push((key, Cow::Borrowed(value)));
                }
                Ok(RawObject { members })
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// A member name, borrowed from the input unless it contained escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The client's `stream_options` (absent, `null` or an object) with `include_usage`
/// set and every other field kept.
pub fn with_include_usage(stream_options: Option<&RawValue>) -> Result<Box<RawValue>, ApiError> {
    let invalid = |e: &dyn std::fmt::Display| {
        bad_request(format!("`stream_options` {e}"), Some("stream_options"))
    };
    let text = match stream_options.map(|raw| raw.get()) {
        None | Some("null") => "{}",
        Some(text) => text,
    };
    let mut options = RawObject::parse(text.as_bytes()).map_err(|e| invalid(&e))?;
    options
        .set_json("include_usage", &true)
        .map_err(|e| invalid(&e))?;
    options.to_raw().map_err(|e| invalid(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(object: &RawObject<'_>) -> String {
        String::from_utf8(object.to_vec().expect("serializes")).expect("utf-8")
    }

    #[test]
    fn round_trips_values_byte_for_byte_in_order() {
        let json = br#" {"z": 1.50, "a":{"nested" : [1, 2]}, "esc\"aped":"\u00e9", "n":null} "#;
        let object = RawObject::parse(json).expect("an object");
        assert_eq!(
            text(&object),
            r#"{"z":1.50,"a":{"nested" : [1, 2]},"esc\"aped":"\u00e9","n":null}"#
        );
        assert_eq!(
            object.get("a").map(RawValue::get),
            Some(r#"{"nested" : [1, 2]}"#)
        );
    }

    #[test]
    fn set_replaces_in_place_drops_duplicates_and_appends() {
        let mut object = RawObject::parse(br#"{"model":"a","x":1,"model":"b"}"#).expect("object");
        object.set_json("model", "gpt").expect("serializes");
        object.set_json("y", &true).expect("serializes");
        assert_eq!(text(&object), r#"{"model":"gpt","x":1,"y":true}"#);
    }

    #[test]
    fn empty_object() {
        let object = RawObject::parse(b"{}").expect("object");
        assert_eq!(text(&object), "{}");
    }

    #[test]
    fn says_what_the_body_is_instead() {
        let message = |json: &[u8]| RawObject::parse(json).expect_err("rejected").to_string();
        assert_eq!(message(b"[1,2]"), "must be a JSON object, not an array");
        assert_eq!(message(b" \"hi\""), "must be a JSON object, not a string");
        assert_eq!(message(b"42"), "must be a JSON object, not a number");
        assert_eq!(message(b"null"), "must be a JSON object, not null");
        assert!(message(b"{\"a\":").starts_with("is not valid JSON"));
        assert!(message(b"[1,").starts_with("is not valid JSON"));
        assert!(message(b"").starts_with("is not valid JSON"));
        assert!(message(b"{} {}").starts_with("is not valid JSON"));
    }
}
