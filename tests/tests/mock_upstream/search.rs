//! The mock's web searches, asked directly: `claude-search` (Anthropic's server tool)
//! and `gemini-search` (grounding with Google Search) answer in the platforms' shapes,
//! say so when no search was offered, and refuse the tools the platforms refuse.

use e2e::MockUpstream;
use e2e::mock_upstream::{
    CLAUDE_NO_SEARCH_TEXT, CLAUDE_SEARCH_TEXT, GEMINI_NO_SEARCH_TEXT, GEMINI_SEARCH_TEXT,
    MOCK_API_KEY,
};
use serde_json::{Value, json};

/// The `data:` payloads of an SSE body, as JSON.
fn data(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).expect("event data is JSON"))
        .collect()
}

async fn messages(mock: &MockUpstream, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("http://{}/v1/messages", mock.addr()))
        .header("x-api-key", MOCK_API_KEY)
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .expect("the mock answers")
}

fn claude(stream: bool, tools: Value) -> Value {
    json!({"model": "claude-search", "max_tokens": 256, "stream": stream, "tools": tools,
        "messages": [{"role": "user", "content": "What is Switchyard?"}]})
}

#[tokio::test]
async fn claude_search_answers_after_its_own_search() {
    let mock = MockUpstream::start().await.expect("mock starts");
    let search = json!([{"type": "web_search_20250305", "name": "web_search", "max_uses": 5,
        "user_location": {"type": "approximate", "country": "DE"}}]);
    let answer: Value = messages(&mock, claude(false, search.clone()))
        .await
        .json()
        .await
        .expect("JSON");
    let kinds: Vec<&str> = answer["content"]
        .as_array()
        .expect("content")
        .iter()
        .filter_map(|b| b["type"].as_str())
        .collect();
    assert_eq!(kinds, ["server_tool_use", "web_search_tool_result", "text"]);
    assert_eq!(answer["content"][2]["text"], CLAUDE_SEARCH_TEXT);
    assert_eq!(
        answer["content"][2]["citations"][0]["type"],
        "web_search_result_location"
    );
    assert_eq!(answer["stop_reason"], "end_turn");
    assert_eq!(answer["usage"]["server_tool_use"]["web_search_requests"], 1);

    let text = messages(&mock, claude(true, search))
        .await
        .text()
        .await
        .expect("body");
    let events = data(&text);
    let started: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "content_block_start")
        .filter_map(|e| e["content_block"]["type"].as_str())
        .collect();
    assert_eq!(
        started,
        ["server_tool_use", "web_search_tool_result", "text"]
    );
    let streamed: String = events
        .iter()
        .filter_map(|e| e["delta"]["text"].as_str())
        .collect();
    assert_eq!(streamed, CLAUDE_SEARCH_TEXT);
    assert!(
        events
            .iter()
            .any(|e| e["delta"]["type"] == "citations_delta")
    );
    assert_eq!(events.last().expect("events")["type"], "message_stop");

    let function = json!([{"name": "lookup", "input_schema": {"type": "object"}}]);
    let answer: Value = messages(&mock, claude(false, function))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(answer["content"][0]["text"], CLAUDE_NO_SEARCH_TEXT);
}

#[tokio::test]
async fn the_anthropic_mock_refuses_server_tools_anthropic_refuses() {
    let mock = MockUpstream::start().await.expect("mock starts");
    for (tools, says) in [
        (
            json!([{"type": "google_search_20250101", "name": "web_search"}]),
            "Input tag 'google_search_20250101'",
        ),
        (
            json!([{"type": "web_search_20250305", "name": "search"}]),
            "Input should be 'web_search'",
        ),
        (
            json!([{"type": "web_search_20250305", "name": "web_search", "max_uses": 0}]),
            "greater than or equal to 1",
        ),
    ] {
        let response = messages(&mock, claude(false, tools)).await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.expect("JSON");
        let message = body["error"]["message"].as_str().expect("message");
        assert!(message.contains(says), "{message}");
    }
}

async fn gemini(mock: &MockUpstream, method: &str, tools: Value) -> reqwest::Response {
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "What is Switchyard?"}]}],
        "tools": tools});
    reqwest::Client::new()
        .post(format!(
            "http://{}/v1beta/models/gemini-search:{method}",
            mock.addr()
        ))
        .header("x-goog-api-key", MOCK_API_KEY)
        .json(&body)
        .send()
        .await
        .expect("the mock answers")
}

#[tokio::test]
async fn gemini_search_answers_grounded_and_refuses_search_beside_functions() {
    let mock = MockUpstream::start().await.expect("mock starts");
    let search = json!([{"google_search": {}}]);
    let answer: Value = gemini(&mock, "generateContent", search.clone())
        .await
        .json()
        .await
        .expect("JSON");
    let candidate = &answer["candidates"][0];
    assert_eq!(candidate["content"]["parts"][0]["text"], GEMINI_SEARCH_TEXT);
    assert_eq!(
        candidate["groundingMetadata"]["groundingSupports"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let text = gemini(&mock, "streamGenerateContent?alt=sse", search)
        .await
        .text()
        .await
        .expect("body");
    assert!(text.contains("\r\n\r\n"), "Gemini frames with CRLF");
    let events = data(&text);
    let streamed: String = events
        .iter()
        .filter_map(|e| e["candidates"][0]["content"]["parts"][0]["text"].as_str())
        .collect();
    assert_eq!(streamed, GEMINI_SEARCH_TEXT);
    let last = &events.last().expect("events")["candidates"][0];
    assert_eq!(last["finishReason"], "STOP");
    assert!(last.get("groundingMetadata").is_some());

    let answer: Value = gemini(&mock, "generateContent", json!([]))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        answer["candidates"][0]["content"]["parts"][0]["text"],
        GEMINI_NO_SEARCH_TEXT
    );

    let both = json!([{"google_search": {}}, {"functionDeclarations": [{"name": "lookup"}]}]);
    let response = gemini(&mock, "generateContent", both).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(
        body["error"]["message"],
        "Tool use with function calling is unsupported"
    );
}
