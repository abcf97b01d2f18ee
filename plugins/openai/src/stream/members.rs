//! Finds the top-level members of a JSON object without parsing it.
//!
//! Stream chunks are small, trusted-shape objects and arrive by the thousand; finding
//! `usage` or `error` by skimming bytes costs a fraction of a parse, and removing a
//! member is one in-place move. Malformed input simply yields fewer members.

use std::ops::Range;

/// Where one member sits in the object's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// Offset of the member name's opening quote.
    pub start: usize,
    /// The value's text.
    pub value: Range<usize>,
}

/// Iterates over `(name, span)` of the top-level members of the object in `json`.
///
/// Names are compared raw: a name written with escapes does not match its plain form.
pub fn members(json: &str) -> Members<'_> {
    let bytes = json.as_bytes();
    let open = skip_ws(bytes, 0);
    let pos = (bytes.get(open) == Some(&b'{')).then_some(open + 1);
    Members { json, pos }
}

/// Iterator returned by [`members`].
#[derive(Debug)]
pub struct Members<'a> {
    json: &'a str,
    /// Where the next member name may start; `None` once done or lost.
    pos: Option<usize>,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, Span);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.json.as_bytes();
        let start = skip_ws(bytes, self.pos.take()?);
        if bytes.get(start) != Some(&b'"') {
            return None;
        }
        let name_end = skip_string(bytes, start)?;
        let name = self.json.get(start + 1..name_end - 1)?;
        let colon = skip_ws(bytes, name_end);
        if bytes.get(colon) != Some(&b':') {
            return None;
        }
        let value_start = skip_ws(bytes, colon + 1);
        let value_end = skip_value(bytes, value_start)?;
        let after = skip_ws(bytes, value_end);
        if bytes.get(after) == Some(&b',') {
            self.pos = Some(after + 1);
        }
        let span = Span {
            start,
            value: value_start..value_end,
        };
        Some((name, span))
    }
}

/// Removes the member at `span` from the object in `json`, with one adjacent comma.
pub fn remove(json: &mut String, span: &Span) {
    let bytes = json.as_bytes();
    let after = skip_ws(bytes, span.value.end);
    let range = if bytes.get(after) == Some(&b',') {
        span.start..after + 1
    } else {
        // The last member: take the comma before it, if any.
        let before = json
            .get(..span.start)
            .map_or(span.start, |head| head.trim_end().len());
        match before.checked_sub(1) {
            Some(comma) if bytes.get(comma) == Some(&b',') => comma..span.value.end,
            _ => span.start..span.value.end,
        }
    };
    // Every offset here sits on an ASCII byte, hence on a character boundary; the check
    // keeps a malformed span from ever panicking.
    if json.is_char_boundary(range.start)
        && json.is_char_boundary(range.end)
        && range.end <= json.len()
    {
        json.replace_range(range, "");
    }
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

/// `pos` is at an opening quote; returns the offset after the closing one.
fn skip_string(bytes: &[u8], pos: usize) -> Option<usize> {
    let mut i = pos + 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// Returns the offset after the value starting at `pos`.
fn skip_value(bytes: &[u8], pos: usize) -> Option<usize> {
    match bytes.get(pos)? {
        b'"' => skip_string(bytes, pos),
        b'{' | b'[' => skip_nested(bytes, pos),
        _ => {
            let mut i = pos;
            while bytes
                .get(i)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
            {
                i += 1;
            }
            (i > pos).then_some(i)
        }
    }
}

fn skip_nested(bytes: &[u8], pos: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = pos;
    loop {
        match bytes.get(i)? {
            b'"' => {
                i = skip_string(bytes, i)?;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_and_values(json: &str) -> Vec<(&str, &str)> {
        members(json)
            .map(|(name, span)| (name, json.get(span.value).expect("in bounds")))
            .collect()
    }

    #[test]
    fn lists_top_level_members_only() {
        let json = r#" { "a" : 1 , "b":{"usage":null,"s":"}]\"{"}, "c":[1,[2],{"d":3}],"e":"x\\","f":true,"g":null} "#;
        assert_eq!(
            names_and_values(json),
            vec![
                ("a", "1"),
                ("b", r#"{"usage":null,"s":"}]\"{"}"#),
                ("c", r#"[1,[2],{"d":3}]"#),
                ("e", r#""x\\""#),
                ("f", "true"),
                ("g", "null"),
            ]
        );
    }

    #[test]
    fn malformed_or_non_objects_yield_what_they_can() {
        assert!(names_and_values("[1,2]").is_empty());
        assert!(names_and_values("").is_empty());
        assert!(names_and_values("{}").is_empty());
        assert_eq!(names_and_values(r#"{"a":1,"b":"#), vec![("a", "1")]);
        assert_eq!(names_and_values(r#"{"a":[1,"b":2"#), vec![]);
        assert_eq!(names_and_values(r#"{"a" 1}"#), vec![]);
    }

    fn without(json: &str, name: &str) -> String {
        let mut json = json.to_owned();
        let span = members(&json)
            .find(|(n, _)| *n == name)
            .map(|(_, span)| span)
            .expect("member exists");
        remove(&mut json, &span);
        json
    }

    #[test]
    fn remove_takes_one_comma() {
        assert_eq!(
            without(r#"{"a":1,"usage":null,"b":2}"#, "usage"),
            r#"{"a":1,"b":2}"#
        );
        assert_eq!(without(r#"{"a":1,"usage":null}"#, "usage"), r#"{"a":1}"#);
        assert_eq!(without(r#"{"usage":null,"b":2}"#, "usage"), r#"{"b":2}"#);
        assert_eq!(without(r#"{"usage":null}"#, "usage"), r#"{}"#);
        assert_eq!(
            without(r#"{"a":1 , "usage" : null }"#, "usage"),
            r#"{"a":1  }"#
        );
        assert_eq!(
            without(r#"{"é":"ü","usage":{"x":1},"z":"ß"}"#, "usage"),
            r#"{"é":"ü","z":"ß"}"#
        );
    }
}
