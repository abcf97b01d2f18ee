//! Building OpenAI-shaped [`ApiError`]s.
//!
//! When a platform says nothing useful, the type and code follow the HTTP status, so a
//! client (whose SDK picks its exception class from the status) sees a consistent error.

use crate::headers::header;
use crate::{ApiError, Endpoint, UpstreamResponse};

/// `type` for a request the caller must fix.
pub const INVALID_REQUEST: &str = "invalid_request_error";
/// `type` for a rejected or missing credential.
pub const AUTHENTICATION: &str = "authentication_error";
/// `type` for a credential that may not do this.
pub const PERMISSION: &str = "permission_error";
/// `type` for an unknown model, deployment or route.
pub const NOT_FOUND: &str = "not_found_error";
/// `type` (and `code`) for a rate limit or exhausted quota.
pub const RATE_LIMIT: &str = "rate_limit_exceeded";
/// `type` for a failure on the platform's side.
pub const SERVER: &str = "server_error";

/// The OpenAI error `type` that goes with an HTTP status.
pub fn default_type(status: u16) -> &'static str {
    match status {
        401 => AUTHENTICATION,
        403 => PERMISSION,
        404 => NOT_FOUND,
        429 => RATE_LIMIT,
        400..=499 => INVALID_REQUEST,
        _ => SERVER,
    }
}

/// The OpenAI error `code` that goes with an HTTP status, where one is conventional.
///
/// 404 maps to `model_not_found`: on the endpoints Switchyard forwards, a 404 from the
/// platform nearly always means the model, deployment or bot does not exist.
pub fn default_code(status: u16) -> Option<&'static str> {
    match status {
        401 => Some("invalid_api_key"),
        404 => Some("model_not_found"),
        413 => Some("request_too_large"),
        429 => Some(RATE_LIMIT),
        504 => Some("timeout"),
        _ => None,
    }
}

/// The status of the error for an upstream answer with `status`: the same when it is
/// an error status (400..=599), else 502.
///
/// A non-2xx answer can be a 1xx or a 3xx (redirects are not followed, so they carry
/// no credential elsewhere); no client error carries those, and the gateway refuses an
/// `api-error` outside 400..=599. Said as 502 by the adapter, the message can still
/// name the upstream's real status.
pub fn error_status(status: u16) -> u16 {
    if (400..=599).contains(&status) {
        status
    } else {
        502
    }
}

/// An error with `status`, filling in what the platform did not say.
///
/// A missing (or empty) `error_type` becomes [`default_type`]; a missing `code` becomes
/// [`default_code`] only when the type was missing too, because a platform that names
/// the type but no code meant "no code".
pub fn from_status(
    status: u16,
    message: impl Into<String>,
    error_type: Option<&str>,
    code: Option<&str>,
) -> ApiError {
    let error_type = error_type.filter(|t| !t.is_empty());
    let code = code.filter(|c| !c.is_empty());
    let code = match (error_type, code) {
        (_, Some(code)) => Some(code.to_owned()),
        (None, None) => default_code(status).map(str::to_owned),
        (Some(_), None) => None,
    };
    ApiError {
        status,
        message: message.into(),
        error_type: error_type.unwrap_or(default_type(status)).to_owned(),
        param: None,
        code,
        retry_after: None,
    }
}

/// A 400 `invalid_request_error` about the client's input; `param` names the field.
pub fn bad_request(message: impl Into<String>, param: Option<&str>) -> ApiError {
    ApiError {
        status: 400,
        message: message.into(),
        error_type: INVALID_REQUEST.to_owned(),
        param: param.map(str::to_owned),
        code: None,
        retry_after: None,
    }
}

/// A 404 for an endpoint the adapter does not list in `plugin-info.endpoints`. The host
/// never sends one; this keeps a direct caller's mistake (a test, `plugin check`) a
/// clear answer instead of a translation for the wrong API.
pub fn unsupported_endpoint(endpoint: Endpoint) -> ApiError {
    ApiError {
        status: 404,
        message: format!("this adapter does not serve the {endpoint:?} endpoint"),
        error_type: NOT_FOUND.to_owned(),
        param: None,
        code: Some("unsupported_endpoint".to_owned()),
        retry_after: None,
    }
}

/// A 502 `server_error`: the platform answered something the adapter cannot use.
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

/// The HTTP status an OpenAI-style error `code` or `type` stands for, when the error
/// came without a usable status of its own (inside a 2xx body, or as a stream event).
///
/// The code is read first, because OpenAI sends a bad key as type
/// `invalid_request_error` with code `invalid_api_key`; a code that is itself an error
/// status (`429`, `"429"`) is taken as is. `None` when neither says anything known: the
/// caller then answers 502, the upstream's failure.
pub fn status_hint(error_type: Option<&str>, code: Option<&str>) -> Option<u16> {
    let by_word = |word: &str| match word {
        "invalid_api_key" | AUTHENTICATION => Some(401),
        PERMISSION => Some(403),
        "model_not_found" | NOT_FOUND => Some(404),
        RATE_LIMIT | "insufficient_quota" | "rate_limit_error" => Some(429),
        INVALID_REQUEST | "context_length_exceeded" => Some(400),
        _ => None,
    };
    let from_code = code.and_then(|code| match code.trim().parse::<u16>() {
        Ok(status) => Some(status).filter(|s| (400..=599).contains(s)),
        Err(_) => by_word(code),
    });
    from_code.or_else(|| error_type.and_then(by_word))
}

/// A 502 for a 2xx answer the adapter cannot use: `"{who} answered HTTP {status}
/// ({content type}) with a body that {reason}: {start of the body}"`.
///
/// The content type is named because it is usually the explanation: a streamed request
/// answered with an HTML error page, or with JSON from a proxy in between.
pub fn unusable_answer(
    who: &str,
    response: &UpstreamResponse,
    reason: &str,
    max_chars: usize,
) -> ApiError {
    let content_type = match header(&response.headers, "content-type") {
        Some(value) => format!(" ({value})"),
        None => String::new(),
    };
    let body = snippet(&response.body, max_chars);
    let body = if body.is_empty() {
        " (empty)".to_owned()
    } else {
        format!(": {body}")
    };
    bad_gateway(format!(
        "{who} answered HTTP {}{content_type} with a body that {reason}{body}",
        response.status
    ))
}

/// At most `max_chars` characters of `body` for an error message: lossy UTF-8,
/// whitespace runs folded into one space, `…` appended when cut.
pub fn snippet(body: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::with_capacity(max_chars.min(text.len()) + 3);
    let mut words = text
        .split_whitespace()
        .flat_map(|word| std::iter::once(' ').chain(word.chars()));
    // The first word's leading space is skipped.
    words.next();
    for (count, c) in words.by_ref().enumerate() {
        if count == max_chars {
            out.push('…');
            return out;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_defaults_follow_openai_conventions() {
        let cases = [
            (400, INVALID_REQUEST, None),
            (401, AUTHENTICATION, Some("invalid_api_key")),
            (403, PERMISSION, None),
            (404, NOT_FOUND, Some("model_not_found")),
            (413, INVALID_REQUEST, Some("request_too_large")),
            (422, INVALID_REQUEST, None),
            (429, RATE_LIMIT, Some("rate_limit_exceeded")),
            (500, SERVER, None),
            (503, SERVER, None),
            (504, SERVER, Some("timeout")),
            (302, SERVER, None),
        ];
        for (status, error_type, code) in cases {
            assert_eq!(default_type(status), error_type, "type for {status}");
            assert_eq!(default_code(status), code, "code for {status}");
        }
    }

    #[test]
    fn only_error_statuses_are_error_statuses() {
        for (upstream, client) in [
            (400, 400),
            (429, 429),
            (599, 599),
            (302, 502),
            (101, 502),
            (200, 502),
            (600, 502),
        ] {
            assert_eq!(
                error_status(upstream),
                client,
                "{upstream}: a client error carries 400..=599, anything else is the upstream's failure"
            );
        }
    }

    #[test]
    fn from_status_keeps_what_the_platform_said() {
        let e = from_status(
            429,
            "slow down",
            Some("tokens"),
            Some("rate_limit_exceeded"),
        );
        assert_eq!((e.status, e.message.as_str()), (429, "slow down"));
        assert_eq!(e.error_type, "tokens");
        assert_eq!(e.code.as_deref(), Some("rate_limit_exceeded"));
        assert_eq!((e.param, e.retry_after), (None, None));
    }

    #[test]
    fn from_status_fills_in_only_when_nothing_was_said() {
        let silent = from_status(401, "no", None, None);
        assert_eq!(silent.error_type, AUTHENTICATION);
        assert_eq!(silent.code.as_deref(), Some("invalid_api_key"));

        let typed = from_status(404, "no such route", Some("invalid_request_error"), None);
        assert_eq!(typed.error_type, "invalid_request_error");
        assert_eq!(
            typed.code, None,
            "a named type without a code means no code"
        );

        let empty = from_status(404, "x", Some(""), Some(""));
        assert_eq!(
            empty.error_type, NOT_FOUND,
            "empty strings count as missing"
        );
        assert_eq!(empty.code.as_deref(), Some("model_not_found"));
    }

    #[test]
    fn bad_request_names_the_param() {
        let e = bad_request("`messages` is required", Some("messages"));
        assert_eq!((e.status, e.error_type.as_str()), (400, INVALID_REQUEST));
        assert_eq!(e.param.as_deref(), Some("messages"));
        assert_eq!(e.message, "`messages` is required");
    }

    #[test]
    fn bad_gateway_is_a_502_server_error() {
        let e = bad_gateway("garbage");
        assert_eq!((e.status, e.error_type.as_str()), (502, SERVER));
    }

    #[test]
    fn status_hints_read_the_code_first_then_the_type() {
        let cases = [
            (Some(INVALID_REQUEST), Some("invalid_api_key"), Some(401)),
            (Some(INVALID_REQUEST), Some("model_not_found"), Some(404)),
            (Some("tokens"), Some(RATE_LIMIT), Some(429)),
            (Some("insufficient_quota"), None, Some(429)),
            (Some(INVALID_REQUEST), None, Some(400)),
            (Some(AUTHENTICATION), None, Some(401)),
            (Some(PERMISSION), None, Some(403)),
            (Some(NOT_FOUND), None, Some(404)),
            (None, Some("429"), Some(429)),
            (None, Some("200"), None),
            (Some(SERVER), None, None),
            (Some("something_new"), Some("odd"), None),
            (None, None, None),
        ];
        for (error_type, code, status) in cases {
            assert_eq!(
                status_hint(error_type, code),
                status,
                "{error_type:?}/{code:?}: a client error keeps its class, anything unknown is left to the caller"
            );
        }
    }

    #[test]
    fn unusable_answers_name_status_content_type_and_body() {
        let response = UpstreamResponse {
            status: 200,
            headers: vec![("content-type".into(), "text/html".into())],
            body: b"<html>\n<body>maintenance</body></html>".to_vec(),
        };
        let e = unusable_answer("Gemini", &response, "is not JSON", 100);
        assert_eq!((e.status, e.error_type.as_str()), (502, SERVER));
        assert_eq!(
            e.message,
            "Gemini answered HTTP 200 (text/html) with a body that is not JSON: <html> <body>maintenance</body></html>",
            "the operator sees what came back and why it is unusable"
        );
        let empty = UpstreamResponse {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        };
        assert_eq!(
            unusable_answer("Coze", &empty, "is not an answer", 100).message,
            "Coze answered HTTP 204 with a body that is not an answer (empty)"
        );
    }

    #[test]
    fn snippet_folds_whitespace_and_truncates_on_characters() {
        assert_eq!(
            snippet(b"  <html>\n  <body>Bad   Gateway</body> ", 100),
            "<html> <body>Bad Gateway</body>"
        );
        assert_eq!(snippet("ééééé".as_bytes(), 3), "ééé…");
        assert_eq!(snippet(b"abc", 3), "abc", "exactly max is not cut");
        assert_eq!(snippet(b"", 10), "");
        assert_eq!(snippet(&[0xff, b'a'], 10), "\u{fffd}a");
    }
}
