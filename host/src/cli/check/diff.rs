//! The first difference between an expected and an actual JSON value, named by its
//! path (`expect.body.choices[0].message.content`). Objects must have the same keys;
//! the string `"$any"` in the expected value matches any actual value.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

/// The expected-value wildcard: matches any value that is present.
pub const ANY: &str = "$any";

/// Longest rendering of a value in a report; longer ones are cut with `…`.
const MAX_RENDERED: usize = 400;

/// Two values that differ, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Path of the differing value, starting at the fixture key that holds the
    /// expectation.
    pub path: String,
    /// The expected value, rendered (`(missing)` when there should be none).
    pub expected: String,
    /// The actual value, rendered (`(missing)` when there is none).
    pub actual: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} differs\n  expected: {}\n  actual:   {}",
            self.path, self.expected, self.actual
        )
    }
}

/// The first place where `actual` does not match `expected`, keys in sorted order.
pub fn first_difference(path: &str, expected: &Value, actual: &Value) -> Option<Difference> {
    compare(path, Some(expected), Some(actual))
}

fn compare(path: &str, expected: Option<&Value>, actual: Option<&Value>) -> Option<Difference> {
    let (expected, actual) = match (expected, actual) {
        (Some(expected), Some(actual)) => (expected, actual),
        (None, None) => return None,
        (expected, actual) => return Some(difference(path, expected, actual)),
    };
    match (expected, actual) {
        (Value::String(any), _) if any == ANY => None,
        (Value::Object(want), Value::Object(got)) => {
            let keys: BTreeSet<&String> = want.keys().chain(got.keys()).collect();
            keys.into_iter()
                .find_map(|key| compare(&key_path(path, key), want.get(key), got.get(key)))
        }
        (Value::Array(want), Value::Array(got)) => (0..want.len().max(got.len()))
            .find_map(|i| compare(&index_path(path, i), want.get(i), got.get(i))),
        (Value::Number(want), Value::Number(got)) => {
            (!same_number(want, got)).then(|| difference(path, Some(expected), Some(actual)))
        }
        _ => (expected != actual).then(|| difference(path, Some(expected), Some(actual))),
    }
}

/// `1` and `1.0` are the same JSON number.
fn same_number(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
        (Some(a), Some(b), _, _) => a == b,
        (_, _, Some(a), Some(b)) => a == b,
        _ => a.as_f64() == b.as_f64(),
    }
}

fn difference(path: &str, expected: Option<&Value>, actual: Option<&Value>) -> Difference {
    Difference {
        path: path.to_string(),
        expected: render(expected),
        actual: render(actual),
    }
}

/// A value as compact JSON, `(missing)` for none, cut at [`MAX_RENDERED`] characters.
pub fn render(value: Option<&Value>) -> String {
    let Some(value) = value else {
        return "(missing)".to_string();
    };
    let text = value.to_string();
    match text.char_indices().nth(MAX_RENDERED) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text,
    }
}

/// `parent.key`, or `parent["key"]` when the key is not a plain identifier.
pub fn key_path(parent: &str, key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!("{parent}.{key}")
    } else {
        format!("{parent}[{}]", Value::String(key.to_string()))
    }
}

/// `parent[index]`.
pub fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn diff(expected: Value, actual: Value) -> Option<Difference> {
        first_difference("expect.body", &expected, &actual)
    }

    #[test]
    fn names_the_path_and_both_values_of_the_first_difference() {
        let found = diff(
            json!({"choices": [{"message": {"role": "assistant", "content": "Hi"}}]}),
            json!({"choices": [{"message": {"role": "assistant", "content": "HI"}}]}),
        )
        .expect("content differs");
        assert_eq!(found.path, "expect.body.choices[0].message.content");
        assert_eq!(found.expected, "\"Hi\"");
        assert_eq!(found.actual, "\"HI\"");
        assert_eq!(
            found.to_string(),
            "expect.body.choices[0].message.content differs\n  expected: \"Hi\"\n  actual:   \"HI\""
        );
    }

    #[test]
    fn missing_and_extra_keys_and_elements_are_differences() {
        let missing = diff(json!({"a": 1, "b": 2}), json!({"a": 1})).expect("b missing");
        assert_eq!(
            (missing.path.as_str(), missing.actual.as_str()),
            ("expect.body.b", "(missing)")
        );
        let extra = diff(json!({"a": 1}), json!({"a": 1, "z": null})).expect("z extra");
        assert_eq!(
            (extra.path.as_str(), extra.expected.as_str()),
            ("expect.body.z", "(missing)")
        );
        let short = diff(json!([1, 2, 3]), json!([1, 2])).expect("one element short");
        assert_eq!(short.path, "expect.body[2]");
        assert_eq!(short.expected, "3");
    }

    #[test]
    fn any_matches_every_present_value_but_not_absence() {
        assert_eq!(
            diff(
                json!({"id": "$any", "n": [1, "$any"]}),
                json!({"id": "x", "n": [1, {"deep": true}]})
            ),
            None
        );
        let absent = diff(json!({"id": "$any"}), json!({})).expect("id absent");
        assert_eq!(absent.path, "expect.body.id");
    }

    #[test]
    fn numbers_compare_by_value_and_odd_keys_are_quoted() {
        assert_eq!(diff(json!({"t": 1}), json!({"t": 1.0})), None);
        let odd = first_difference(
            "upstream_request.headers",
            &json!({"x-api-key": "a"}),
            &json!({"x-api-key": "b"}),
        )
        .expect("header differs");
        assert_eq!(odd.path, "upstream_request.headers[\"x-api-key\"]");
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(MAX_RENDERED * 2);
        let rendered = render(Some(&Value::String(long)));
        assert!(rendered.ends_with('…'));
        assert_eq!(rendered.chars().count(), MAX_RENDERED + 1);
    }
}
