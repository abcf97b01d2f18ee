//! Client keys: found by hash, changed, revoked, rotated, listed.

use super::{Subject, new_key};
use crate::store::model::KeyPatch;
use crate::store::now_secs;

pub fn a_key_is_found_by_its_hash_until_revoked_and_every_change_moves_the_version(
    store: &Subject,
) {
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

pub fn rotation_keeps_the_old_secret_only_for_its_grace_period(store: &Subject) {
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

pub fn keys_are_listed_newest_first_with_their_hashes(store: &Subject) {
    let mut limited = new_key("limited");
    limited.models = Some(vec!["a".into(), "b".into()]);
    limited.limits.requests_per_minute = Some(u32::MAX);
    limited.limits.max_concurrent = Some(3);
    limited.expires_at = Some(now_secs() + 3_600);
    limited.store_conversations = Some(true);
    let created: Vec<_> = [new_key("one"), limited, new_key("three")]
        .iter()
        .enumerate()
        .map(|(i, key)| store.create_key(key, &format!("hash-{i}")).unwrap())
        .collect();
    assert_eq!(created[1].limits.requests_per_minute, Some(u32::MAX));
    assert_eq!(created[1].models, Some(vec!["a".into(), "b".into()]));
    assert_eq!(store.get_key(&created[1].id).unwrap().unwrap(), created[1]);

    let mut expected = created.clone();
    expected.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
    assert_eq!(store.list_keys(false).unwrap(), expected);

    store
        .rotate_key(&created[0].id, "rotated", "sy-rot", Some(now_secs() + 60))
        .unwrap();
    store.revoke_key(&created[2].id).unwrap();
    let mut hashes = store.key_hashes().unwrap();
    hashes.sort_by(|a, b| a.secret_hash.cmp(&b.secret_hash));
    let seen: Vec<(&str, &str, Option<&str>)> = hashes
        .iter()
        .map(|h| {
            (
                h.key.id.as_str(),
                h.secret_hash.as_str(),
                h.previous_hash.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (created[1].id.as_str(), "hash-1", None),
            (created[0].id.as_str(), "rotated", Some("hash-0")),
        ],
        "revoked keys have no hashes; a rotated one has both"
    );
}
