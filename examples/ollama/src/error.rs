//! OpenAI-shaped errors: for input Ollama cannot take, for Ollama's error answers
//! (`{"error": "text"}` with an HTTP status), and for answers this adapter cannot read.
//!
//! Ollama's errors carry only a message, so type and code follow the status the way
//! OpenAI's do: 404 (an unknown model) is `not_found_error` / `model_not_found`, so a
//! client SDK raises the same exception it would for OpenAI.

use crate::wire::ErrorBody;
use crate::{ApiError, UpstreamResponse};

/// `type` of an error the caller must fix.
pub const INVALID_REQUEST: &str = "invalid_request_error";
/// `type` of a failure on the platform's side.
pub const SERVER: &str = "server_error";

/// Characters of a foreign body quoted in a message.
const SNIPPET_CHARS: usize = 200;

/// A 400 about the client's request; `param` names the field at fault.
pub fn bad_request(message: impl Into<String>, param: Option<String>) -> ApiError {
    ApiError {
        status: 400,
        message: message.into(),
        error_type: INVALID_REQUEST.to_owned(),
        param,
        code: None,
        retry_after: None,
    }
}

/// A 500 about the gateway's configuration of this adapter (a bad model option).
pub fn misconfigured(message: impl Into<String>) -> ApiError {
    ApiError {
        status: 500,
        message: message.into(),
        error_type: SERVER.to_owned(),
        param: None,
        code: None,
        retry_after: None,
    }
}

/// A 502: Ollama answered something this adapter cannot use, or failed mid-stream.
pub fn bad_gateway(message: impl Into<String>) -> ApiError {
    ApiError {
        status: 502,
        message: message.into(),
        error_type: SERVER.to_owned(),
        param: None,
        code: None,
        retry_after: None,
    }
}

/// The OpenAI error `type` for an HTTP status.
pub fn default_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_exceeded",
        400..=499 => INVALID_REQUEST,
        _ => SERVER,
    }
}

/// The OpenAI error `code` for an HTTP status, where one is conventional.
pub fn default_code(status: u16) -> Option<&'static str> {
    match status {
        401 => Some("invalid_api_key"),
        404 => Some("model_not_found"),
        429 => Some("rate_limit_exceeded"),
        _ => None,
    }
}

/// A non-2xx answer: Ollama's status and message; `retry-after` kept (a proxy in
/// front of Ollama may rate-limit).
pub fn from_upstream(response: &UpstreamResponse) -> ApiError {
    let status = response.status;
    let message = match serde_json::from_slice::<ErrorBody>(&response.body) {
        Ok(body) if !body.error.is_empty() => body.error,
        _ => format!(
            "upstream answered HTTP {status}: {}",
            snippet(&response.body)
        ),
    };
    ApiError {
        status,
        message,
        error_type: default_type(status).to_owned(),
        param: None,
        code: default_code(status).map(str::to_owned),
        retry_after: retry_after(&response.headers),
    }
}

/// An `{"error": …}` line in a stream that had already begun with status 200.
pub fn from_stream_error(body: ErrorBody) -> ApiError {
    bad_gateway(if body.error.is_empty() {
        "the upstream stream failed".to_owned()
    } else {
        body.error
    })
}

/// Seconds from a `retry-after` header in seconds (the host lower-cases names).
fn retry_after(headers: &[(String, String)]) -> Option<u32> {
    let (_, value) = headers.iter().find(|(name, _)| name == "retry-after")?;
    let seconds: f64 = value.trim().parse().ok()?;
    // `as` saturates, which is what an absurd value deserves.
    (seconds.is_finite() && seconds >= 0.0).then(|| seconds.ceil() as u32)
}

/// The start of a body for a message: lossy UTF-8, whitespace folded, cut with `…`.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}…", folded.get(..cut).unwrap_or_default()),
        None if folded.is_empty() => "(empty body)".to_owned(),
        None => folded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> UpstreamResponse {
        UpstreamResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn an_unknown_model_is_openais_model_not_found() {
        let e = from_upstream(&answer(404, &[], r#"{"error":"model 'llama9' not found"}"#));
        assert_eq!(
            (e.status, e.message.as_str()),
            (404, "model 'llama9' not found")
        );
        assert_eq!(e.error_type, "not_found_error");
        assert_eq!(e.code.as_deref(), Some("model_not_found"));
    }

    #[test]
    fn statuses_pick_type_and_code() {
        let cases = [
            (400, INVALID_REQUEST, None),
            (401, "authentication_error", Some("invalid_api_key")),
            (403, "permission_error", None),
            (429, "rate_limit_exceeded", Some("rate_limit_exceeded")),
            (500, SERVER, None),
            (502, SERVER, None),
        ];
        for (status, error_type, code) in cases {
            let e = from_upstream(&answer(status, &[], r#"{"error":"x"}"#));
            assert_eq!(e.status, status);
            assert_eq!(e.error_type, error_type, "{status}");
            assert_eq!(e.code.as_deref(), code, "{status}");
        }
    }

    #[test]
    fn retry_after_is_kept_and_foreign_bodies_quoted() {
        let e = from_upstream(&answer(
            429,
            &[("retry-after", "2.5")],
            "Too Many Requests\n",
        ));
        assert_eq!(e.retry_after, Some(3));
        assert_eq!(e.message, "upstream answered HTTP 429: Too Many Requests");
        assert!(
            from_upstream(&answer(500, &[], ""))
                .message
                .ends_with("(empty body)")
        );
    }

    #[test]
    fn a_stream_error_is_a_502_with_ollamas_message() {
        let e = from_stream_error(ErrorBody {
            error: "an error was encountered while running the model".into(),
        });
        assert_eq!((e.status, e.error_type.as_str()), (502, SERVER));
        assert_eq!(
            e.message,
            "an error was encountered while running the model"
        );
    }
}
