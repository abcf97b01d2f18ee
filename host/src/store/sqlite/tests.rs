use serde_json::json;

use super::*;
use serde_json::Value;

use crate::store::model::{Exchange, KeyPatch, NewKey, RequestRecord, UsageGroup, UsageQuery};
use crate::store::{ConversationStore, KeyStore, RequestLog, StoreError, now_millis, now_secs};

fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("nested/db.sqlite")).unwrap();
    (dir, store)
}

fn new_key(name: &str) -> NewKey {
    NewKey {
        name: name.into(),
        prefix: "sy-abcdefg".into(),
        ..NewKey::default()
    }
}

fn request(client: &str, model: &str, at_ms: i64, tokens: Option<(u32, u32)>) -> RequestRecord {
    RequestRecord {
        at_ms,
        request_id: format!("req-{at_ms}"),
        client_id: client.into(),
        endpoint: "/v1/chat/completions".into(),
        model: model.into(),
        status: 200,
        latency_ms: 1.5,
        prompt_tokens: tokens.map(|t| t.0),
        completion_tokens: tokens.map(|t| t.1),
        total_tokens: tokens.map(|t| t.0 + t.1),
        ..RequestRecord::default()
    }
}

fn exchange(client: &str, id: &str, at_ms: i64, messages: Vec<Value>, reply: &str) -> Exchange {
    Exchange {
        client_id: client.into(),
        conversation_id: id.into(),
        model: "m".into(),
        at_ms,
        messages,
        reply: json!({"role": "assistant", "content": reply}),
    }
}

#[test]
fn a_key_is_found_by_its_hash_until_revoked_and_every_change_moves_the_version() {
    let (_dir, store) = open();
    let v0 = store.keys_version().unwrap();
    let key = store.create_key(&new_key("ci"), "hash-1").unwrap();
    assert!(key.id.starts_with("key_"));
    assert!(key.enabled);
    assert_eq!(
        store.find_key_by_hash("hash-1").unwrap().unwrap().0.id,
        key.id
    );
    assert!(store.keys_version().unwrap() > v0);

    let patch = KeyPatch {
        name: Some("renamed".into()),
        models: Some(Some(vec!["gpt-4o".into()])),
        enabled: Some(false),
        ..KeyPatch::default()
    };
    let updated = store.update_key(&key.id, &patch).unwrap().unwrap();
    assert_eq!(updated.name, "renamed");
    assert_eq!(updated.models, Some(vec!["gpt-4o".to_string()]));
    assert!(!updated.enabled);
    assert_eq!(store.get_key(&key.id).unwrap().unwrap(), updated);

    let v1 = store.keys_version().unwrap();
    assert!(store.revoke_key(&key.id).unwrap());
    assert!(store.keys_version().unwrap() > v1);
    assert!(store.find_key_by_hash("hash-1").unwrap().is_none());
    assert!(store.list_keys(false).unwrap().is_empty());
    assert_eq!(store.list_keys(true).unwrap().len(), 1);
    assert!(store.update_key(&key.id, &patch).unwrap().is_none());
    assert!(!store.revoke_key("key_missing").unwrap());
}

#[test]
fn rotation_keeps_the_old_secret_only_for_its_grace_period() {
    let (_dir, store) = open();
    let key = store.create_key(&new_key("a"), "old").unwrap();
    let rotated = store
        .rotate_key(&key.id, "new", "sy-new", Some(now_secs() + 60))
        .unwrap()
        .unwrap();
    assert_eq!(rotated.id, key.id);
    assert_eq!(rotated.prefix, "sy-new");
    assert!(!store.find_key_by_hash("new").unwrap().unwrap().1);
    assert!(store.find_key_by_hash("old").unwrap().unwrap().1);

    store
        .rotate_key(&key.id, "newer", "sy-newer", None)
        .unwrap()
        .unwrap();
    assert!(store.find_key_by_hash("new").unwrap().is_none());
    assert!(store.find_key_by_hash("old").unwrap().is_none());
    assert!(store.find_key_by_hash("newer").unwrap().is_some());

    store
        .rotate_key(&key.id, "latest", "sy-latest", Some(now_secs() - 1))
        .unwrap();
    assert!(store.find_key_by_hash("newer").unwrap().is_none());
    assert!(
        store
            .rotate_key("key_nope", "x", "x", None)
            .unwrap()
            .is_none()
    );
}

#[test]
fn everything_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let key_id = {
        let store = SqliteStore::open(&path).unwrap();
        let key = store.create_key(&new_key("kept"), "h").unwrap();
        store
            .write_batch(
                &[request(&key.id, "m", 1_000, Some((1, 2)))],
                &[exchange(
                    &key.id,
                    "c1",
                    1_000,
                    vec![json!({"role": "user", "content": "hi"})],
                    "yo",
                )],
            )
            .unwrap();
        key.id
    };
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.get_key(&key_id).unwrap().unwrap().name, "kept");
    assert_eq!(store.request_log(0, i64::MAX, 10).unwrap().len(), 1);
    assert_eq!(
        store
            .get_conversation(&key_id, "c1")
            .unwrap()
            .unwrap()
            .messages
            .len(),
        2
    );
}

#[test]
fn a_batch_writes_its_rows_and_the_keys_last_use() {
    let (_dir, store) = open();
    let key = store.create_key(&new_key("a"), "h").unwrap();
    assert_eq!(key.last_used_at, None);
    store
        .write_batch(
            &[
                request(&key.id, "m", 5_000, Some((3, 4))),
                request(&key.id, "m", 9_000, None),
                request("anonymous", "n", 7_000, Some((1, 1))),
            ],
            &[],
        )
        .unwrap();
    let rows = store.request_log(0, i64::MAX, 10).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.at_ms).collect::<Vec<_>>(),
        vec![5_000, 7_000, 9_000]
    );
    assert_eq!(rows[0], request(&key.id, "m", 5_000, Some((3, 4))));
    assert_eq!(
        store.get_key(&key.id).unwrap().unwrap().last_used_at,
        Some(9)
    );
    assert_eq!(store.request_log(6_000, 8_000, 10).unwrap().len(), 1);
}

#[test]
fn usage_is_summed_per_key_or_model_within_the_range() {
    let (_dir, store) = open();
    let mut failed = request("b", "m2", 3_000, None);
    failed.status = 502;
    failed.error_type = Some("server_error".into());
    store
        .write_batch(
            &[
                request("a", "m1", 1_000, Some((10, 5))),
                request("a", "m2", 2_000, Some((1, 1))),
                failed,
                request("a", "m1", 99_000, Some((100, 100))),
            ],
            &[],
        )
        .unwrap();
    let by_key = store
        .usage_summary(&UsageQuery {
            since_ms: 0,
            until_ms: 10_000,
            group: UsageGroup::Key,
        })
        .unwrap();
    assert_eq!(by_key.len(), 2);
    assert_eq!((by_key[0].group.as_str(), by_key[0].requests), ("a", 2));
    assert_eq!(by_key[0].total_tokens, 17);
    assert_eq!((by_key[1].requests, by_key[1].errors), (1, 1));
    let by_model = store
        .usage_summary(&UsageQuery {
            since_ms: 0,
            until_ms: 10_000,
            group: UsageGroup::Model,
        })
        .unwrap();
    assert_eq!(by_model[0].group, "m1");
    assert_eq!(by_model[0].prompt_tokens, 10);
    assert_eq!(by_model[1].requests, 2);
}

#[test]
fn a_resent_history_is_stored_once_and_a_rewritten_one_is_appended() {
    let (_dir, store) = open();
    let user1 = json!({"role": "user", "content": "one"});
    let reply1 = json!({"role": "assistant", "content": "first"});
    let user2 = json!({"role": "user", "content": "two"});
    store
        .write_batch(
            &[],
            &[exchange("a", "c", 1_000, vec![user1.clone()], "first")],
        )
        .unwrap();
    store
        .write_batch(
            &[],
            &[exchange(
                "a",
                "c",
                2_000,
                vec![user1.clone(), reply1, user2],
                "second",
            )],
        )
        .unwrap();
    let conversation = store.get_conversation("a", "c").unwrap().unwrap();
    let contents: Vec<&str> = conversation
        .messages
        .iter()
        .map(|m| m.message["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["one", "first", "two", "second"]);
    assert_eq!(conversation.summary.message_count, 4);
    assert_eq!(conversation.summary.created_at, 1);
    assert_eq!(conversation.summary.updated_at, 2);

    // A client that edits history: the differing tail is appended as sent.
    store
        .write_batch(
            &[],
            &[exchange(
                "a",
                "c",
                3_000,
                vec![json!({"role": "user", "content": "other"})],
                "x",
            )],
        )
        .unwrap();
    let conversation = store.get_conversation("a", "c").unwrap().unwrap();
    assert_eq!(conversation.messages.len(), 6);
    assert_eq!(conversation.messages[4].message["content"], "other");
    assert_eq!(conversation.messages[5].index, 5);
}

#[test]
fn conversations_are_per_client_paginated_newest_first_and_deletable() {
    let (_dir, store) = open();
    let hi = || vec![json!({"role": "user", "content": "hi"})];
    let exchanges: Vec<Exchange> = (0..5)
        .map(|i| exchange("a", &format!("c{i}"), 1_000 * (i + 1), hi(), "ok"))
        .chain(std::iter::once(exchange("b", "c0", 9_000, hi(), "ok")))
        .collect();
    store.write_batch(&[], &exchanges).unwrap();

    let first = store.list_conversations(Some("a"), 2, None).unwrap();
    let ids: Vec<&str> = first.data.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["c4", "c3"]);
    assert!(first.has_more);
    let second = store
        .list_conversations(Some("a"), 2, first.last_id.as_deref())
        .unwrap();
    assert_eq!(second.data[0].id, "c2");
    let last = store.list_conversations(Some("a"), 2, Some("c1")).unwrap();
    assert_eq!(last.data.len(), 1);
    assert!(!last.has_more);

    // Client b sees only its own c0; the admin sees all six.
    let b = store.list_conversations(Some("b"), 10, None).unwrap();
    assert_eq!(b.data.len(), 1);
    assert!(store.get_conversation("b", "c1").unwrap().is_none());
    let all = store.list_conversations(None, 4, None).unwrap();
    assert_eq!(all.data[0].client_id, "b");
    assert_eq!(all.last_id.as_deref(), Some("a/c2"));
    let rest = store
        .list_conversations(None, 4, all.last_id.as_deref())
        .unwrap();
    assert_eq!(rest.data.len(), 2);

    assert!(matches!(
        store.list_conversations(Some("b"), 2, Some("c4")),
        Err(StoreError::UnknownCursor(_))
    ));
    assert!(!store.delete_conversation("b", "c4").unwrap());
    assert!(store.delete_conversation("a", "c4").unwrap());
    assert!(store.get_conversation("a", "c4").unwrap().is_none());
    assert_eq!(store.purge_conversations(2_500).unwrap(), 2);
    assert_eq!(
        store
            .list_conversations(Some("a"), 10, None)
            .unwrap()
            .data
            .len(),
        2
    );
    let _ = now_millis();
}

#[test]
fn a_log_batch_leaves_the_writer_fully_synchronous_for_keys() {
    let (_dir, store) = open();
    let synchronous = |store: &SqliteStore| {
        store
            .write(|conn| Ok(conn.pragma_query_value(None, "synchronous", |r| r.get::<_, i64>(0))?))
            .unwrap()
    };
    // 2 is FULL: key and admin writes are synced at every commit.
    assert_eq!(synchronous(&store), 2);
    store
        .write_batch(&[request("key_a", "m", 1_000, Some((1, 2)))], &[])
        .unwrap();
    assert_eq!(
        synchronous(&store),
        2,
        "the batch's NORMAL does not outlive it"
    );
    let rows = store.request_log(0, i64::MAX, 10).unwrap();
    assert_eq!(rows.len(), 1, "the batch was written");
}
