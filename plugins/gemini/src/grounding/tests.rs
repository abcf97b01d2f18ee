//! Grounding with Google Search through the adapter: the request's tool, the whole
//! answer's annotations, the stream's annotation chunk.

use serde_json::{Value, json};
use switchyard_guest_kit::{
    CallContext, Driver, Endpoint, StreamEvent, UpstreamRequest, UpstreamResponse,
};

use super::*;
use crate::fixtures::{body as fixture, events};
use crate::{request, response, stream};

fn ctx(streaming: bool) -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "gem".into(),
        upstream_model: "gemini-2.5-flash".into(),
        streaming,
        include_usage: true,
        client_id: "client-1".into(),
        options: Vec::new(),
    }
}

fn translate(request: Value) -> Result<Value, switchyard_guest_kit::ApiError> {
    let upstream: UpstreamRequest =
        request::from_openai(&ctx(false), request.to_string().as_bytes())?;
    Ok(serde_json::from_slice(&upstream.body).expect("body is JSON"))
}

fn cite(url: &str, title: &str, start: u64, end: u64) -> Value {
    json!({"type": "url_citation", "url_citation":
        {"url": url, "title": title, "start_index": start, "end_index": end}})
}

/// The three citations of the search fixtures: the text is 83 characters, 85 bytes
/// (an em dash), its second sentence at bytes 44..85, characters 42..83.
fn fixture_citations() -> Vec<Value> {
    let redirect = "https://vertexaisearch.cloud.google.com/grounding-api-redirect";
    vec![
        cite(&format!("{redirect}/mock-switchyard"), "example.com", 0, 39),
        cite(
            &format!("{redirect}/mock-switchyard"),
            "example.com",
            42,
            83,
        ),
        cite(&format!("{redirect}/mock-platforms"), "example.org", 42, 83),
    ]
}

const TEXT: &str =
    "Switchyard is a self-hosted LLM gateway \u{2014} it serves OpenAI clients on any platform.";

fn metadata(value: Value) -> GroundingMetadata {
    serde_json::from_value(value).expect("metadata")
}

#[test]
fn supports_become_url_citations_in_characters() {
    // "Née à Paris." is 14 bytes and 12 characters; "Née à " is 8 bytes.
    let text = "Née à Paris. Then Rome.";
    let grounding = metadata(json!({
        "webSearchQueries": ["q"],
        "groundingChunks": [
            {"web": {"uri": "https://r.test/1", "title": "a.test"}},
            {"web": {"uri": "https://r.test/2"}},
            {"maps": {"uri": "https://maps.test"}}
        ],
        "groundingSupports": [
            {"segment": {"endIndex": 14, "text": "Née à Paris."}, "groundingChunkIndices": [0, 1, 2, 9]},
            {"segment": {"startIndex": 8, "endIndex": 14}, "groundingChunkIndices": [0]},
            {"segment": {"startIndex": 15, "endIndex": 999}, "groundingChunkIndices": [1]},
            {"segment": {"startIndex": 3}, "groundingChunkIndices": [0]},
            {"groundingChunkIndices": [0]}
        ]
    }));
    assert_eq!(
        annotations(&grounding, text),
        [
            cite("https://r.test/1", "a.test", 0, 12),
            cite("https://r.test/2", "", 0, 12),
            cite("https://r.test/1", "a.test", 6, 12),
            cite("https://r.test/2", "", 13, 23),
        ]
    );
    let mut twice = Some(grounding.clone());
    append(&mut twice, grounding);
    let twice = twice.expect("metadata");
    assert_eq!(twice.grounding_chunks.len(), 6);
    assert_eq!(annotations(&twice, text).len(), 4, "repeats are left out");
}

#[test]
fn web_search_options_become_google_search_unless_functions_are_declared() {
    let messages = json!([{"role": "user", "content": "what is switchyard?"}]);
    let body = translate(json!({"messages": messages, "web_search_options": {
        "search_context_size": "low",
        "user_location": {"type": "approximate", "approximate": {"country": "DE"}}}}))
    .expect("translates");
    assert_eq!(body["tools"], json!([{"google_search": {}}]));
    assert!(body.get("toolConfig").is_none());
    let function = json!({"type": "function", "function": {"name": "lookup",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}});
    let body = translate(json!({"messages": messages, "tools": [function],
        "web_search_options": {}}))
    .expect("translates");
    assert_eq!(
        body["tools"],
        json!([{"functionDeclarations": [{"name": "lookup",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}]}]),
        "the functions win; the search is dropped"
    );
    let body =
        translate(json!({"messages": messages, "web_search_options": null})).expect("translates");
    assert!(body.get("tools").is_none());
    let error = translate(json!({"messages": messages, "web_search_options": "yes"}))
        .expect_err("not an object");
    assert_eq!(error.param.as_deref(), Some("web_search_options"));
}

#[test]
fn a_grounded_answer_carries_its_sources_as_annotations() {
    let upstream = UpstreamResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: serde_json::to_vec(&fixture("gemini-search.response.json")).expect("JSON"),
    };
    let out = response::to_openai(&ctx(false), &upstream).expect("translates");
    let completion: Value = serde_json::from_slice(&out.body).expect("JSON");
    let message = &completion["choices"][0]["message"];
    assert_eq!(message["content"], TEXT, "the text is unchanged");
    assert_eq!(message["annotations"], json!(fixture_citations()));
    assert_eq!(completion["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        completion["usage"]["prompt_tokens"], 129,
        "the search results Gemini read count as prompt tokens"
    );
}

#[test]
fn a_grounded_stream_sends_its_annotations_just_before_the_finish() {
    let mut driver = Driver::<stream::Transformer>::new(&ctx(true));
    let mut chunks: Vec<String> = Vec::new();
    for event in events("gemini-stream-search.sse") {
        chunks.extend(driver.push(vec![event]).expect("translates").chunks);
    }
    chunks.extend(driver.finish().expect("finishes").chunks);
    let chunks: Vec<Value> = chunks
        .iter()
        .map(|c| serde_json::from_str(c).expect("JSON"))
        .collect();
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, TEXT);
    let at = chunks
        .iter()
        .position(|c| c["choices"][0]["delta"].get("annotations").is_some())
        .expect("an annotations chunk");
    assert_eq!(
        chunks[at]["choices"][0]["delta"],
        json!({"annotations": fixture_citations()})
    );
    assert_eq!(chunks[at + 1]["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        chunks
            .iter()
            .filter(|c| c["choices"][0]["delta"].get("annotations").is_some())
            .count(),
        1
    );
}

#[test]
fn grounding_spread_over_events_is_gathered_once() {
    let event = |text: &str, finish: Option<&str>, grounding: Option<Value>| {
        let mut candidate =
            json!({"content": {"parts": [{"text": text}], "role": "model"}, "index": 0});
        if let Some(finish) = finish {
            candidate["finishReason"] = json!(finish);
        }
        if let Some(grounding) = grounding {
            candidate["groundingMetadata"] = grounding;
        }
        StreamEvent {
            event: None,
            data: json!({"candidates": [candidate], "responseId": "r1"}).to_string(),
        }
    };
    let first = json!({"groundingChunks": [{"web": {"uri": "https://a.test", "title": "a"}}],
        "groundingSupports": [{"segment": {"endIndex": 3}, "groundingChunkIndices": [0]}]});
    let second = json!({"groundingChunks": [{"web": {"uri": "https://b.test", "title": "b"}}],
        "groundingSupports": [{"segment": {"startIndex": 4, "endIndex": 7}, "groundingChunkIndices": [0]}]});
    let mut driver = Driver::<stream::Transformer>::new(&ctx(true));
    let out = driver
        .push(vec![
            event("One ", None, Some(first.clone())),
            event("two.", Some("STOP"), Some(second)),
        ])
        .expect("translates");
    let annotations: Vec<Value> = out
        .chunks
        .iter()
        .map(|c| serde_json::from_str::<Value>(c).expect("JSON"))
        .filter_map(|c| c["choices"][0]["delta"].get("annotations").cloned())
        .collect();
    assert_eq!(
        annotations,
        [json!([
            cite("https://a.test", "a", 0, 3),
            cite("https://b.test", "b", 4, 7)
        ])]
    );
}
