use serde_json::{Value, json};
use switchyard_guest_kit::Endpoint;

use super::*;

fn ok(body: &[u8]) -> UpstreamResponse {
    UpstreamResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_vec(),
    }
}

fn call(base64: bool, inputs: usize) -> Call {
    Call {
        base64,
        inputs: Some(inputs),
    }
}

fn ctx(options: &[(&str, &str)]) -> CallContext {
    CallContext {
        endpoint: Endpoint::Embeddings,
        public_model: "gem-embed".into(),
        upstream_model: "gemini-embedding-001".into(),
        streaming: false,
        include_usage: false,
        client_id: "client-1".into(),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

#[test]
fn single_and_batch_inputs_become_batch_requests() {
    let request = json!({"model": "gem-embed", "input": ["a", "b"], "dimensions": 8});
    let upstream = from_openai(
        &ctx(&[("embedding-task-type", "RETRIEVAL_QUERY")]),
        request.to_string().as_bytes(),
    )
    .expect("ok");
    assert_eq!(
        upstream.path_and_query,
        "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    );
    let body: Value = serde_json::from_slice(&upstream.body).expect("JSON");
    assert_eq!(
        body["requests"][1],
        json!({"model": "models/gemini-embedding-001",
        "content": {"parts": [{"text": "b"}]}, "outputDimensionality": 8, "taskType": "RETRIEVAL_QUERY"})
    );

    let upstream = from_openai(&ctx(&[]), br#"{"input":"one"}"#).expect("ok");
    let body: Value = serde_json::from_slice(&upstream.body).expect("JSON");
    assert_eq!(body["requests"].as_array().map(Vec::len), Some(1));
}

#[test]
fn token_arrays_and_empty_input_are_400s() {
    for body in [
        &br#"{"input":[[1,2]]}"#[..],
        br#"{"input":[]}"#,
        br#"{"input":""}"#,
        br#"{}"#,
    ] {
        let e = from_openai(&ctx(&[]), body).expect_err("rejected");
        assert_eq!((e.status, e.param.as_deref()), (400, Some("input")));
    }
}

#[test]
fn answer_is_an_openai_list_in_floats_or_base64() {
    let answer = br#"{"embeddings":[{"values":[1.0,-2.5]},{"values":[0.5]}]}"#;
    let out = to_openai_for(&ctx(&[]), &ok(answer), call(false, 2)).expect("ok");
    let body: Value = serde_json::from_slice(&out.body).expect("JSON");
    assert_eq!(body["object"], "list");
    assert_eq!(
        body["data"][0],
        json!({"object": "embedding", "index": 0, "embedding": [1.0, -2.5]})
    );
    assert_eq!(body["data"][1]["index"], 1);
    assert_eq!(body["usage"]["prompt_tokens"], 0);

    let out = to_openai_for(&ctx(&[]), &ok(answer), call(true, 2)).expect("ok");
    let body: Value = serde_json::from_slice(&out.body).expect("JSON");
    // 1.0f32 = 00 00 80 3f, -2.5f32 = 00 00 20 c0
    assert_eq!(body["data"][0]["embedding"], "AACAPwAAIMA=");
}

#[test]
fn encoding_format_is_remembered_between_the_two_calls() {
    from_openai(&ctx(&[]), br#"{"input":"x","encoding_format":"base64"}"#).expect("ok");
    let out = to_openai(&ctx(&[]), &ok(br#"{"embeddings":[{"values":[1.0]}]}"#)).expect("ok");
    let body: Value = serde_json::from_slice(&out.body).expect("JSON");
    assert_eq!(body["data"][0]["embedding"], "AACAPw==");
}

#[test]
fn a_vector_count_that_does_not_match_the_inputs_is_a_502() {
    from_openai(&ctx(&[]), br#"{"input":["a","b","c"]}"#).expect("ok");
    for (answer, vectors) in [
        &br#"{"embeddings":[{"values":[1.0]},{"values":[2.0]}]}"#[..],
        br#"{"embeddings":[{"values":[1.0]},{"values":[2.0]},{"values":[3.0]},{"values":[4.0]}]}"#,
        br#"{}"#,
    ]
    .into_iter()
    .zip([2, 4, 0])
    {
        let e = to_openai(&ctx(&[]), &ok(answer))
            .expect_err("vectors would be paired with the wrong inputs");
        assert_eq!((e.status, e.error_type.as_str()), (502, "server_error"));
        assert!(
            e.message
                .contains(&format!("{vectors} embedding vector(s) for 3 input(s)")),
            "the message says how many of each: {}",
            e.message
        );
    }
    let out = to_openai(
        &ctx(&[]),
        &ok(br#"{"embeddings":[{"values":[1.0]},{"values":[2.0]},{"values":[3.0]}]}"#),
    )
    .expect("one vector per input");
    let body: Value = serde_json::from_slice(&out.body).expect("JSON");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(3));
}

#[test]
fn an_unknown_input_count_still_refuses_an_empty_answer() {
    let e = to_openai_for(
        &ctx(&[]),
        &ok(br#"{"embeddings":[]}"#),
        Call {
            base64: false,
            inputs: None,
        },
    )
    .expect_err("an input is never empty, so neither is its answer");
    assert_eq!(e.status, 502);
}

#[test]
fn a_2xx_carrying_an_error_or_no_answer_is_an_error() {
    let e = to_openai_for(
        &ctx(&[]),
        &ok(br#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}"#),
        call(false, 1),
    )
    .expect_err("an error, whatever the HTTP status");
    assert_eq!(
        (e.status, e.message.as_str()),
        (429, "Resource has been exhausted")
    );

    let page = UpstreamResponse {
        status: 200,
        headers: vec![("content-type".into(), "text/html".into())],
        body: b"<html>Service Unavailable</html>".to_vec(),
    };
    let e = to_openai_for(&ctx(&[]), &page, call(false, 1)).expect_err("no answer");
    assert_eq!(e.status, 502);
    assert!(
        e.message.contains("(text/html)") && e.message.contains("Service Unavailable"),
        "{}",
        e.message
    );
}
