//! Stored responses: chains, owners, deletion, purging, replacement.

use super::Subject;
use crate::store::model::StoredResponse;

fn response(id: &str, client: &str, previous: Option<&str>, at: i64) -> StoredResponse {
    StoredResponse {
        id: id.into(),
        client_id: client.into(),
        previous_id: previous.map(Into::into),
        model: "m".into(),
        created_at_ms: at,
        input: format!(r#"[{{"id":"in_{id}"}}]"#),
        response: format!(r#"{{"id":"{id}"}}"#),
    }
}

pub fn a_chain_comes_back_oldest_first_and_only_for_its_owner(store: &Subject) {
    store.save_response(&response("r1", "a", None, 1)).unwrap();
    store
        .save_response(&response("r2", "a", Some("r1"), 2))
        .unwrap();
    store
        .save_response(&response("r3", "a", Some("r2"), 3))
        .unwrap();
    let ids = |chain: Vec<StoredResponse>| chain.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.response_chain("a", "r3", 100).unwrap()),
        ["r1", "r2", "r3"]
    );
    assert_eq!(
        ids(store.response_chain("a", "r3", 2).unwrap()),
        ["r2", "r3"]
    );
    assert!(store.response_chain("b", "r3", 100).unwrap().is_empty());
    assert!(store.get_response("b", "r1").unwrap().is_none());
    assert_eq!(
        store.get_response("a", "r1").unwrap().unwrap().previous_id,
        None
    );
}

pub fn a_chain_stops_at_a_deleted_or_foreign_link(store: &Subject) {
    store.save_response(&response("r1", "b", None, 1)).unwrap();
    store
        .save_response(&response("r2", "a", Some("r1"), 2))
        .unwrap();
    store
        .save_response(&response("r3", "a", Some("r2"), 3))
        .unwrap();
    let chain = store.response_chain("a", "r3", 100).unwrap();
    assert_eq!(
        chain.len(),
        2,
        "another client's response is never part of a chain"
    );
    assert!(store.delete_response("a", "r2").unwrap());
    assert!(!store.delete_response("a", "r2").unwrap());
    assert_eq!(store.response_chain("a", "r3", 100).unwrap().len(), 1);
}

pub fn old_responses_are_purged(store: &Subject) {
    store
        .save_response(&response("r1", "a", None, 1_000))
        .unwrap();
    store
        .save_response(&response("r2", "a", None, 3_000))
        .unwrap();
    assert_eq!(store.purge_responses(2_000).unwrap(), 1);
    assert!(store.get_response("a", "r1").unwrap().is_none());
    assert!(store.get_response("a", "r2").unwrap().is_some());
}

pub fn a_response_saved_again_is_replaced(store: &Subject) {
    store.save_response(&response("r1", "a", None, 1)).unwrap();
    let mut again = response("r1", "a", Some("r0"), 5);
    again.response = r#"{"id":"r1","status":"completed"}"#.into();
    store.save_response(&again).unwrap();
    assert_eq!(store.get_response("a", "r1").unwrap(), Some(again));
    assert_eq!(store.purge_responses(2).unwrap(), 0);
}
