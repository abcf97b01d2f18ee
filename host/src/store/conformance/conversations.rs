//! Conversations: appended from batches, read, listed with a cursor, deleted, purged.

use serde_json::json;

use super::{Subject, exchange};
use crate::store::StoreError;
use crate::store::model::Exchange;

pub fn a_resent_history_is_stored_once_and_a_rewritten_one_is_appended(store: &Subject) {
    let user1 = json!({"role": "user", "content": "one"});
    let reply1 = json!({"role": "assistant", "content": "first"});
    let user2 = json!({"role": "user", "content": "two"});
    store
        .write_batch(
            &[],
            &[],
            &[exchange("a", "c", 1_000, vec![user1.clone()], "first")],
        )
        .unwrap();
    store
        .write_batch(
            &[],
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

pub fn conversations_are_per_client_paginated_newest_first_and_deletable(store: &Subject) {
    let hi = || vec![json!({"role": "user", "content": "hi"})];
    let exchanges: Vec<Exchange> = (0..5)
        .map(|i| exchange("a", &format!("c{i}"), 1_000 * (i + 1), hi(), "ok"))
        .chain(std::iter::once(exchange("b", "c0", 9_000, hi(), "ok")))
        .collect();
    store.write_batch(&[], &[], &exchanges).unwrap();

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
}
