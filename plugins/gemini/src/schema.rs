//! JSON Schema → the OpenAPI 3.0 subset Gemini's `parameters` / `responseSchema`
//! accept.
//!
//! Gemini answers 400 `Unknown name "additionalProperties"` (or `$schema`, `const`,
//! `propertyNames`, `exclusiveMinimum`, …) for keywords outside its `Schema` type, and
//! requires `items` on arrays. This keeps the keywords it knows, turns `const` into a
//! one-value `enum`, a `["string","null"]` type into `nullable`, inlines local `$ref`s,
//! and drops the rest.

use serde_json::{Map, Value};

/// Keywords of Gemini's `Schema` object, kept as they are (after their children are
/// reduced).
const KEPT: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
];

/// How deep `$ref`s are followed before giving up (recursive schemas).
const MAX_DEPTH: usize = 32;

/// Reduces `schema` (an OpenAI tool's `parameters` or a response JSON schema).
pub fn reduce(schema: &Value) -> Value {
    let definitions = schema
        .get("$defs")
        .or_else(|| schema.get("definitions"))
        .cloned()
        .unwrap_or(Value::Null);
    reduce_at(schema, &definitions, 0)
}

fn reduce_at(schema: &Value, definitions: &Value, depth: usize) -> Value {
    let Value::Object(object) = schema else {
        return Value::Object(Map::new());
    };
    if depth > MAX_DEPTH {
        return Value::Object(Map::new());
    }
    if let Some(target) = object
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| resolve(r, definitions))
    {
        return reduce_at(target, definitions, depth + 1);
    }
    let mut out = Map::new();
    for (key, value) in object {
        match key.as_str() {
            "properties" => {
                if let Value::Object(properties) = value {
                    let reduced = properties
                        .iter()
                        .map(|(name, p)| (name.clone(), reduce_at(p, definitions, depth + 1)))
                        .collect();
                    out.insert(key.clone(), Value::Object(reduced));
                }
            }
            "items" => {
                out.insert(key.clone(), reduce_at(value, definitions, depth + 1));
            }
            "anyOf" | "oneOf" => {
                if let Value::Array(variants) = value {
                    let reduced = variants
                        .iter()
                        .map(|v| reduce_at(v, definitions, depth + 1))
                        .collect();
                    out.insert("anyOf".to_owned(), Value::Array(reduced));
                }
            }
            "const" => {
                out.insert("enum".to_owned(), Value::Array(vec![value.clone()]));
            }
            "type" => match value {
                Value::Array(types) => {
                    let named: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
                    if named.len() < types.len() {
                        out.insert("nullable".to_owned(), Value::Bool(true));
                    }
                    if let Some(first) = named.first() {
                        out.insert(key.clone(), (*first).clone());
                    }
                }
                other => {
                    out.insert(key.clone(), other.clone());
                }
            },
            key if KEPT.contains(&key) => {
                out.insert(key.to_owned(), value.clone());
            }
            _ => {}
        }
    }
    // `enum` values must be strings in Gemini's schema.
    if let Some(Value::Array(values)) = out.get_mut("enum") {
        for v in values.iter_mut() {
            if !v.is_string() {
                *v = Value::String(v.to_string());
            }
        }
        if !out.contains_key("type") {
            out.insert("type".to_owned(), Value::String("string".to_owned()));
        }
    }
    if out.get("type").and_then(Value::as_str) == Some("array") && !out.contains_key("items") {
        out.insert("items".to_owned(), Value::Object(Map::new()));
    }
    Value::Object(out)
}

/// A local `#/$defs/Name` or `#/definitions/Name` reference.
fn resolve<'a>(reference: &str, definitions: &'a Value) -> Option<&'a Value> {
    let name = reference
        .strip_prefix("#/$defs/")
        .or_else(|| reference.strip_prefix("#/definitions/"))?;
    definitions.get(name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_schema_only_keywords_are_dropped_or_rewritten() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "city": {"type": "string", "description": "City"},
                "unit": {"const": "celsius"},
                "days": {"type": ["integer", "null"], "exclusiveMinimum": 0},
                "tags": {"type": "array"},
                "place": {"$ref": "#/$defs/Place"}
            },
            "required": ["city"],
            "$defs": {"Place": {"type": "object", "properties": {"lat": {"type": "number"}}, "additionalProperties": false}}
        });
        assert_eq!(
            reduce(&schema),
            json!({
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "City"},
                    "unit": {"enum": ["celsius"], "type": "string"},
                    "days": {"type": "integer", "nullable": true},
                    "tags": {"type": "array", "items": {}},
                    "place": {"type": "object", "properties": {"lat": {"type": "number"}}}
                },
                "required": ["city"]
            })
        );
    }

    #[test]
    fn recursive_refs_stop() {
        let schema = json!({"$defs": {"N": {"type": "object", "properties": {"next": {"$ref": "#/$defs/N"}}}}, "$ref": "#/$defs/N"});
        let reduced = reduce(&schema);
        assert_eq!(reduced["type"], "object");
    }
}
