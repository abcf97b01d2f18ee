//! `POST /v1/embeddings` on the mock: one small deterministic vector per input,
//! derived from the input text, in OpenAI's list shape with usage. Honours
//! `encoding_format: "base64"` (little-endian f32), which the official Python
//! client asks for by default.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::wire;

/// Length of every mock embedding.
pub const DIMENSIONS: usize = 8;

/// Answers one embeddings request.
pub fn create(body: &Value) -> Response {
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("mock-embed");
    let Some(inputs) = inputs(body.get("input")) else {
        return wire::error_response(
            StatusCode::BAD_REQUEST,
            "'input' is a required property and must be a string, an array of strings or an array of token arrays",
            "invalid_request_error",
            None,
        );
    };
    let base64 = body.get("encoding_format").and_then(Value::as_str) == Some("base64");
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let vector = vector_for(text);
            let embedding = if base64 {
                json!(encode_base64(&f32_bytes(&vector)))
            } else {
                json!(vector)
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let tokens: usize = inputs
        .iter()
        .map(|t| t.split_whitespace().count().max(1))
        .sum();
    wire::json_response(
        StatusCode::OK,
        &json!({
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}
        }),
    )
}

/// The inputs as text: a string, strings, or token arrays (written as numbers).
fn inputs(input: Option<&Value>) -> Option<Vec<String>> {
    match input? {
        Value::String(text) => Some(vec![text.clone()]),
        Value::Array(items) if items.iter().all(Value::is_number) => Some(vec![tokens_text(items)]),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => Some(text.clone()),
                Value::Array(tokens) => Some(tokens_text(tokens)),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn tokens_text(tokens: &[Value]) -> String {
    tokens
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `[chars, words, six bytes of an FNV-1a hash scaled to 0..1]`: the same text always
/// gives the same vector, different texts almost always differ.
pub fn vector_for(text: &str) -> Vec<f32> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let mut vector = Vec::with_capacity(DIMENSIONS);
    vector.push(f32::from(
        u16::try_from(text.chars().count()).unwrap_or(u16::MAX),
    ));
    vector.push(f32::from(
        u16::try_from(text.split_whitespace().count()).unwrap_or(u16::MAX),
    ));
    for byte in hash.to_le_bytes().iter().take(DIMENSIONS - 2) {
        vector.push(f32::from(*byte) / 255.0);
    }
    vector
}

fn f32_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Standard base64 with padding.
fn encode_base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [
            group.first().copied().unwrap_or(0),
            group.get(1).copied().unwrap_or(0),
            group.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, sextet) in sextets.iter().enumerate() {
            if i <= group.len() {
                out.push(char::from(ALPHABET[*sextet as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode_base64;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        assert_eq!(encode_base64(b""), "");
        assert_eq!(encode_base64(b"f"), "Zg==");
        assert_eq!(encode_base64(b"fo"), "Zm8=");
        assert_eq!(encode_base64(b"foo"), "Zm9v");
        assert_eq!(encode_base64(b"foobar"), "Zm9vYmFy");
    }
}
