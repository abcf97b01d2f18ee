//! Conversation storage and the request log through the real gateway: exchanges
//! stored whole (streamed or not), grouped by the client's or the server's id, kept
//! per client, paginated; one log row per request with what a user would look for.

use std::time::Duration;

use e2e::checks::{read_error, read_json, read_stream};
use e2e::{MockUpstream, TestConfig, TestGateway};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ADMIN: &str = "admin-key-for-tests-0123456789";

struct Setup {
    mock: MockUpstream,
    gateway: TestGateway,
    alice: String,
    bob: String,
}

async fn setup(config: TestConfig) -> Setup {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let config = config
        .client_auth(true)
        .admin_key(ADMIN)
        .model("gpt-a", "openai", "mock-echo", &mock.base_url())
        .model("gpt-429", "openai", "mock-429", &mock.base_url())
        .model(
            "gpt-midstream",
            "openai",
            "mock-midstream-error",
            &mock.base_url(),
        );
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    let mut secrets = Vec::new();
    for name in ["alice", "bob"] {
        let key: Value = gateway
            .client()
            .post(gateway.endpoint("/admin/keys"))
            .bearer_auth(ADMIN)
            .json(&json!({"name": name}))
            .send()
            .await
            .expect("answer")
            .json()
            .await
            .expect("key");
        secrets.push(key["secret"].as_str().expect("secret").to_string());
    }
    let bob = secrets.pop().expect("bob");
    let alice = secrets.pop().expect("alice");
    Setup {
        mock,
        gateway,
        alice,
        bob,
    }
}

impl Setup {
    async fn chat(
        &self,
        secret: &str,
        conversation: Option<&str>,
        body: Value,
    ) -> reqwest::Response {
        let mut request = self
            .gateway
            .client()
            .post(self.gateway.endpoint("/v1/chat/completions"))
            .bearer_auth(secret)
            .json(&body);
        if let Some(id) = conversation {
            request = request.header("x-conversation-id", id);
        }
        request.send().await.expect("the gateway answers")
    }

    async fn get(&self, secret: &str, path: &str) -> reqwest::Response {
        self.gateway
            .client()
            .get(self.gateway.endpoint(path))
            .bearer_auth(secret)
            .send()
            .await
            .expect("the gateway answers")
    }

    /// The stored conversation, once the writer has committed `messages` of them.
    async fn conversation(&self, secret: &str, id: &str, messages: usize) -> Value {
        let mut last = Value::Null;
        for _ in 0..50 {
            let response = self.get(secret, &format!("/v1/conversations/{id}")).await;
            if response.status() == StatusCode::OK {
                last = response.json().await.expect("json");
                if last["messages"].as_array().map(Vec::len) == Some(messages) {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("conversation {id} never had {messages} messages: {last}");
    }

    /// Request-log rows, once there are `count`.
    async fn log_rows(&self, count: usize) -> Vec<Value> {
        let mut rows = Vec::new();
        for _ in 0..50 {
            let log: Value = self
                .get(ADMIN, "/admin/requests")
                .await
                .json()
                .await
                .expect("json");
            rows = log["data"].as_array().cloned().unwrap_or_default();
            if rows.len() >= count {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the request log never had {count} rows: {rows:?}");
    }
}

fn contents(conversation: &Value) -> Vec<String> {
    conversation["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            format!(
                "{}: {}",
                m["message"]["role"].as_str().unwrap_or("?"),
                m["message"]["content"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turns_are_stored_once_each_streamed_answers_whole_and_only_for_their_owner() {
    let s = setup(TestConfig::new().conversations(true)).await;
    let first = s
        .chat(
            &s.alice,
            Some("trip"),
            json!({"model": "gpt-a", "messages": [
            {"role": "user", "content": "Plan a trip"}]}),
        )
        .await;
    assert_eq!(first.headers()["x-conversation-id"], "trip");
    let first = read_json(first).await.expect("completion");
    let reply = first["choices"][0]["message"].clone();

    // The second turn resends the history, as OpenAI clients do, and streams.
    let second = s
        .chat(
            &s.alice,
            Some("trip"),
            json!({"model": "gpt-a", "stream": true, "messages": [
            {"role": "user", "content": "Plan a trip"},
            reply,
            {"role": "user", "content": "Make it short"}]}),
        )
        .await;
    let streamed = read_stream(second).await.expect("a stream");
    let conversation = s.conversation(&s.alice, "trip", 4).await;
    assert_eq!(
        contents(&conversation),
        [
            "user: Plan a trip".to_string(),
            "assistant: echo: Plan a trip".into(),
            "user: Make it short".into(),
            format!("assistant: {}", streamed.content()),
        ]
    );
    assert_eq!(streamed.content(), "echo: Make it short");
    assert_eq!(conversation["message_count"], 4);

    // Bob sees nothing of Alice's; the admin sees it.
    let theirs = s.get(&s.bob, "/v1/conversations/trip").await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    let bobs: Value = s
        .get(&s.bob, "/v1/conversations")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(bobs["data"], json!([]));
    let all: Value = s
        .get(ADMIN, "/admin/conversations")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(all["data"][0]["id"], "trip");
    let owner = all["data"][0]["client_id"].as_str().expect("owner");
    let via_admin = s
        .get(ADMIN, &format!("/admin/conversations/{owner}/trip"))
        .await;
    assert_eq!(via_admin.status(), StatusCode::OK);

    // Bob may reuse the id: it is his own conversation, not Alice's.
    let bob_turn = s
        .chat(
            &s.bob,
            Some("trip"),
            json!({"model": "gpt-a", "messages": [
            {"role": "user", "content": "Mine"}]}),
        )
        .await;
    assert_eq!(bob_turn.status(), StatusCode::OK);
    assert_eq!(
        s.conversation(&s.bob, "trip", 2).await["messages"][0]["message"]["content"],
        "Mine"
    );
    assert_eq!(
        s.conversation(&s.alice, "trip", 4).await["message_count"],
        4
    );

    // Deleting is final and only for the owner.
    let delete = |secret: String| {
        let client = s.gateway.client();
        let url = s.gateway.endpoint("/v1/conversations/trip");
        async move {
            client
                .delete(url)
                .bearer_auth(secret)
                .send()
                .await
                .expect("answer")
        }
    };
    assert_eq!(delete(s.alice.clone()).await.status(), StatusCode::OK);
    assert_eq!(
        delete(s.alice.clone()).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.get(&s.bob, "/v1/conversations/trip").await.status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_come_from_metadata_or_the_server_and_pages_run_newest_first() {
    let s = setup(TestConfig::new().conversations(true)).await;
    let assigned = s
        .chat(
            &s.alice,
            None,
            json!({"model": "gpt-a", "messages": [
            {"role": "user", "content": "one"}]}),
        )
        .await;
    let id = assigned.headers()["x-conversation-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert_eq!(id.len(), 36, "a server-assigned UUID: {id}");
    s.conversation(&s.alice, &id, 2).await;

    s.mock.clear();
    let tagged = s
        .chat(
            &s.alice,
            None,
            json!({"model": "gpt-a", "metadata": {"conversation_id": "from-meta"},
            "messages": [{"role": "user", "content": "two"}]}),
        )
        .await;
    assert_eq!(tagged.headers()["x-conversation-id"], "from-meta");
    let upstream = s.mock.chat_requests();
    assert!(
        upstream[0].body.get("metadata").is_none(),
        "the gateway's metadata key is not sent upstream: {}",
        upstream[0].body
    );
    s.conversation(&s.alice, "from-meta", 2).await;
    for n in 0..3 {
        s.chat(
            &s.alice,
            Some(&format!("page-{n}")),
            json!({"model": "gpt-a", "messages": [
            {"role": "user", "content": "p"}]}),
        )
        .await;
        s.conversation(&s.alice, &format!("page-{n}"), 2).await;
        // Distinct update times, so the order is the order of the turns.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let first: Value = s
        .get(&s.alice, "/v1/conversations?limit=2")
        .await
        .json()
        .await
        .expect("json");
    let ids: Vec<&str> = first["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, ["page-2", "page-1"]);
    assert_eq!(first["has_more"], true);
    let after = first["last_id"].as_str().expect("cursor");
    let next: Value = s
        .get(
            &s.alice,
            &format!("/v1/conversations?limit=10&after={after}"),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(next["data"].as_array().map(Vec::len), Some(3));
    assert_eq!(next["has_more"], false);

    for (path, param) in [
        ("/v1/conversations?limit=0", "limit"),
        ("/v1/conversations?after=nope", "after"),
        ("/v1/conversations?limit=x", "limit"),
    ] {
        let response = s.get(&s.alice, path).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let error = read_error(response).await.expect("error");
        assert!(error.message.contains(param), "{path}: {error:?}");
    }
    let bad_id = s
        .chat(
            &s.alice,
            Some("no spaces allowed"),
            json!({"model": "gpt-a", "messages": [
            {"role": "user", "content": "x"}]}),
        )
        .await;
    assert_eq!(bad_id.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_can_opt_out_of_storage_and_nothing_is_stored_when_it_is_off() {
    let s = setup(TestConfig::new()).await;
    let off = s
        .chat(
            &s.alice,
            Some("c"),
            json!({"model": "gpt-a", "messages": [
            {"role": "user", "content": "x"}]}),
        )
        .await;
    assert_eq!(off.status(), StatusCode::OK);
    assert!(off.headers().get("x-conversation-id").is_none());
    let key: Value = s
        .gateway
        .client()
        .post(s.gateway.endpoint("/admin/keys"))
        .bearer_auth(ADMIN)
        .json(&json!({"name": "keeper", "store_conversations": true}))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("key");
    let keeper = key["secret"].as_str().expect("secret");
    let on = s
        .chat(
            keeper,
            Some("kept"),
            json!({"model": "gpt-a", "messages": [
            {"role": "user", "content": "x"}]}),
        )
        .await;
    assert_eq!(on.headers()["x-conversation-id"], "kept");
    s.conversation(keeper, "kept", 2).await;
    assert_eq!(
        s.get(&s.alice, "/v1/conversations/c").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_leaves_one_log_row_with_status_tokens_and_errors() {
    let s = setup(TestConfig::new()).await;
    let ok = s
        .chat(
            &s.alice,
            None,
            json!({"model": "gpt-a", "messages": [
            {"role": "user", "content": "count me"}]}),
        )
        .await;
    let ok = read_json(ok).await.expect("completion");
    let streamed = s
        .chat(
            &s.alice,
            None,
            json!({"model": "gpt-a", "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": "stream me"}]}),
        )
        .await;
    let streamed = read_stream(streamed).await.expect("stream");
    let limited = s
        .chat(
            &s.bob,
            None,
            json!({"model": "gpt-429", "messages": [
            {"role": "user", "content": "x"}]}),
        )
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let broken = s
        .chat(
            &s.bob,
            None,
            json!({"model": "gpt-midstream", "stream": true, "messages": [
            {"role": "user", "content": "x"}]}),
        )
        .await;
    let broken = read_stream(broken).await.expect("stream");
    assert_eq!(broken.errors().len(), 1);
    let refused = s
        .chat("sy-nobody", None, json!({"model": "gpt-a", "messages": []}))
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    let rows = s.log_rows(5).await;
    assert_eq!(rows.len(), 5, "{rows:#?}");
    let row = |i: usize| &rows[i];
    let alice_id = row(0)["client_id"].as_str().expect("client").to_string();
    assert!(alice_id.starts_with("key_"));
    assert_eq!(row(0)["model"], "gpt-a");
    assert_eq!(row(0)["platform"], "openai");
    assert_eq!(row(0)["status"], 200);
    assert_eq!(row(0)["streamed"], false);
    assert_eq!(row(0)["prompt_tokens"], ok["usage"]["prompt_tokens"]);
    assert_eq!(row(0)["total_tokens"], ok["usage"]["total_tokens"]);
    assert!(row(0)["adapter_version"].is_string());
    assert!(row(0)["upstream_ms"].as_f64().is_some_and(|ms| ms > 0.0));
    assert!(row(0)["latency_ms"].as_f64() >= row(0)["upstream_ms"].as_f64());

    let usage = streamed.usage_chunks()[0]["usage"].clone();
    assert_eq!(row(1)["streamed"], true);
    assert_eq!(row(1)["client_id"], alice_id.as_str());
    assert_eq!(row(1)["completion_tokens"], usage["completion_tokens"]);
    assert_eq!(row(1)["error_type"], Value::Null);

    assert_eq!(row(2)["status"], 429);
    assert_ne!(row(2)["client_id"], alice_id.as_str());
    assert!(row(2)["error_type"].is_string());
    assert_eq!(row(3)["status"], 200, "the stream started with a 200");
    assert!(
        row(3)["error_type"].is_string(),
        "but failed midway: {:?}",
        row(3)
    );
    assert_eq!(row(4)["status"], 401);
    assert_eq!(row(4)["client_id"], "unauthenticated");

    let by_model: Value = s
        .get(ADMIN, "/admin/usage?group_by=model")
        .await
        .json()
        .await
        .expect("json");
    let gpt_a = by_model["data"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["group"] == "gpt-a")
        .expect("gpt-a row");
    assert_eq!(gpt_a["requests"], 2);
    let expected_tokens = ok["usage"]["total_tokens"].as_i64().expect("tokens")
        + usage["total_tokens"].as_i64().expect("tokens");
    assert_eq!(gpt_a["total_tokens"], expected_tokens);
}
