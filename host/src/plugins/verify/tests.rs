use super::*;

use crate::plugins::bindings::{CredentialPlacement, Endpoint};

fn plugin_info(name: &str, version: &str) -> PluginInfo {
    PluginInfo {
        name: name.into(),
        version: version.into(),
        description: "test".into(),
        endpoints: vec![Endpoint::ChatCompletions],
        credential: CredentialPlacement::Bearer,
        default_base_url: "https://api.example.com/v1".into(),
    }
}

fn api(status: u16, message: &str) -> ApiError {
    ApiError {
        status,
        message: message.into(),
        error_type: "invalid_request_error".into(),
        param: None,
        code: Some("c".repeat(1000)),
        retry_after: None,
    }
}

#[test]
fn info_strings_are_bounded_and_named() {
    assert!(info(&plugin_info("openai", "1.0.0")).is_ok());
    let huge = info(&plugin_info("openai", &"9".repeat(4 << 20))).unwrap_err();
    assert!(
        huge.contains("info().version") && huge.len() < 200,
        "{huge}"
    );
    assert!(
        info(&plugin_info(&"n".repeat(1024), "1"))
            .unwrap_err()
            .contains("name")
    );
    assert!(
        info(&plugin_info("a b", "1")).is_err(),
        "names are file stems"
    );
    assert!(
        info(&plugin_info("ok", "1\n2"))
            .unwrap_err()
            .contains("control")
    );
    let mut bad_url = plugin_info("ok", "1");
    bad_url.default_base_url = "file:///etc/passwd".into();
    assert!(info(&bad_url).unwrap_err().contains("http"));
    bad_url.default_base_url = String::new();
    assert!(
        info(&bad_url).is_ok(),
        "an adapter may leave the base URL to the config"
    );
}

#[test]
fn translated_bodies_must_be_one_json_object_within_the_bound() {
    assert!(body(br#"{"choices":[]}"#, 1024).is_ok());
    assert!(body(b" \n{\"a\":1}\n", 1024).is_ok());
    for (bytes, why) in [
        (&b"<html>oops</html>"[..], "not a JSON object"),
        (b"", "empty"),
        (b"   ", "empty"),
        (b"{\"choices\":[", "not valid JSON"),
        (b"[1,2]", "not a JSON object"),
        (b"\"text\"", "not a JSON object"),
        (b"{\"a\":1} trailing", "not valid JSON"),
        (b"{\"a\":\"\xff\xfe\"}", "not UTF-8"),
    ] {
        let err = body(bytes, 1024).unwrap_err();
        assert!(err.contains(why), "{bytes:?}: {err}");
    }
    let big = format!("{{\"a\":\"{}\"}}", "x".repeat(2048));
    assert!(
        body(big.as_bytes(), 1024)
            .unwrap_err()
            .contains("at most 1024")
    );
}

#[test]
fn chunks_cannot_break_the_host_framing() {
    let mut spread = "{\n\n\"choices\":\r\n[]}".to_string();
    chunk_in_place(&mut spread).unwrap();
    assert_eq!(spread, "{\"choices\":[]}");
    // Strings cannot hold raw line breaks in valid JSON, so none is lost from content.
    let mut escaped = r#"{"content":"a\nb"}"#.to_string();
    chunk_in_place(&mut escaped).unwrap();
    assert_eq!(escaped, r#"{"content":"a\nb"}"#);
    for injected in [
        "{\"choices\":[]}\n\ndata: [DONE]\n\ndata: {\"injected\":true}",
        "hello",
        "[DONE]",
        "",
    ] {
        let mut chunk = injected.to_string();
        assert!(chunk_in_place(&mut chunk).is_err(), "{injected:?}");
    }
}

#[test]
fn error_statuses_must_be_errors_and_text_is_cut() {
    for status in [0, 101, 200, 204, 302, 399, 600, 1000] {
        let err = bounded(api(status, "m")).unwrap_err();
        assert!(err.contains(&status.to_string()), "{err}");
    }
    let kept = bounded(api(429, &"é".repeat(5000))).unwrap();
    assert!(
        kept.message.len() <= MAX_ERROR_MESSAGE + 8,
        "{}",
        kept.message.len()
    );
    assert!(kept.message.ends_with("[...]"));
    assert!(kept.code.unwrap().len() <= MAX_ERROR_FIELD + 8);
}
