//! Complete upstream answers. Chat calls are always streamed, so a complete answer is a
//! failure, never a chat to translate:
//!
//! - a non-2xx status;
//! - a 2xx that is not `text/event-stream`, which the host hands over whole: Coze's
//!   JSON error body (`{"code": <non-zero>, "msg": …}`, sent with HTTP 200 when a
//!   stream request fails), mapped by its code, or anything else (an HTML page, a
//!   chat object to poll), a 502 naming the content type with the start of the body.
//!
//! Coze's only non-streamed chat is a chat object to poll (`stream: false`), which this
//! adapter never asks for and the host never polls, so no 2xx body is an answer.

use switchyard_guest_kit::{ApiError, TranslatedResponse, UpstreamResponse};

use super::error::from_upstream;

/// Translates a complete upstream answer: always an error for Coze chat.
pub fn to_openai(response: &UpstreamResponse) -> Result<TranslatedResponse, ApiError> {
    Err(from_upstream(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2xx answer to a streamed chat that is not `text/event-stream`, as the host
    /// hands it over.
    fn not_a_stream(content_type: &str, body: &str) -> UpstreamResponse {
        UpstreamResponse {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_json_error_body_instead_of_a_stream_is_mapped_by_its_code() {
        let one_line = r#"{"code":4100,"msg":"authentication is invalid"}"#;
        let pretty = "{\n  \"code\": 4020,\n  \"msg\": \"too many\"\n}";
        for (body, status, message) in [
            (one_line, 401, "Coze error 4100: authentication is invalid"),
            (pretty, 429, "Coze error 4020: too many"),
        ] {
            let e = to_openai(&not_a_stream("application/json", body))
                .expect_err("a failed stream request");
            assert_eq!(
                (e.status, e.message.as_str()),
                (status, message),
                "the Coze code decides, not the HTTP 200"
            );
        }
    }

    #[test]
    fn any_other_2xx_body_is_a_502_naming_what_came() {
        let e = to_openai(&not_a_stream(
            "text/html",
            "<html>\n<body>oops</body>\n</html>",
        ))
        .expect_err("no chat in a web page");
        assert_eq!((e.status, e.error_type.as_str()), (502, "server_error"));
        assert!(
            e.message.contains("HTTP 200 (text/html)") && e.message.contains("oops"),
            "{}",
            e.message
        );

        let chat_to_poll = r#"{"code":0,"msg":"","data":{"id":"1","status":"in_progress"}}"#;
        let e = to_openai(&not_a_stream("application/json", chat_to_poll))
            .expect_err("a chat object is not an answer: nothing here polls");
        assert_eq!(e.status, 502);
        assert!(e.message.contains("in_progress"), "{}", e.message);
    }
}
