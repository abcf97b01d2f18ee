//! The request log: batches, reads by time, usage sums; and that it all outlives the
//! store that wrote it.

use serde_json::json;

use super::{Subject, exchange, new_key, request};
use crate::store::model::{UsageGroup, UsageQuery};

pub fn everything_survives_reopening(store: &Subject) {
    let key = store.create_key(&new_key("kept"), "h").unwrap();
    store
        .write_batch(
            &[request(&key.id, "m", 1_000, Some((1, 2)))],
            &[],
            &[exchange(
                &key.id,
                "c1",
                1_000,
                vec![json!({"role": "user", "content": "hi"})],
                "yo",
            )],
        )
        .unwrap();
    let reopened = store.reopen();
    assert_eq!(reopened.get_key(&key.id).unwrap().unwrap().name, "kept");
    assert_eq!(reopened.request_log(0, i64::MAX, 10).unwrap().len(), 1);
    assert_eq!(
        reopened
            .get_conversation(&key.id, "c1")
            .unwrap()
            .unwrap()
            .messages
            .len(),
        2
    );
}

pub fn a_batch_writes_its_rows_and_the_keys_last_use(store: &Subject) {
    let key = store.create_key(&new_key("a"), "h").unwrap();
    assert_eq!(key.last_used_at, None);
    let mut full = request(&key.id, "m", 5_000, Some((3, 4)));
    full.platform = Some("openai".into());
    full.adapter_version = Some("1.2.0".into());
    full.upstream_ms = Some(0.25);
    full.streamed = true;
    full.session_id = Some("s-1".into());
    store
        .write_batch(
            &[
                full.clone(),
                request(&key.id, "m", 9_000, None),
                request("anonymous", "n", 7_000, Some((1, 1))),
                request("anonymous", "n", 5_000, None),
            ],
            &[],
            &[],
        )
        .unwrap();
    let rows = store.request_log(0, i64::MAX, 10).unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| (r.at_ms, r.client_id.as_str()))
            .collect::<Vec<_>>(),
        [
            (5_000, key.id.as_str()),
            (5_000, "anonymous"),
            (7_000, "anonymous"),
            (9_000, key.id.as_str())
        ],
        "by time, then in the order written"
    );
    assert_eq!(rows[0], full);
    assert_eq!(
        store.get_key(&key.id).unwrap().unwrap().last_used_at,
        Some(9)
    );
    store
        .write_batch(&[request(&key.id, "m", 2_000, None)], &[], &[])
        .unwrap();
    assert_eq!(
        store.get_key(&key.id).unwrap().unwrap().last_used_at,
        Some(9),
        "an older row never moves the last use back"
    );
    assert_eq!(store.request_log(6_000, 8_000, 10).unwrap().len(), 1);
    assert_eq!(store.request_log(0, i64::MAX, 2).unwrap().len(), 2);
    store.write_batch(&[], &[], &[]).unwrap();
}

pub fn usage_is_summed_per_key_or_model_within_the_range(store: &Subject) {
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
    assert_eq!(by_key[1].total_tokens, 0, "no tokens sum to zero");
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
