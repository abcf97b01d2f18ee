//! What the console reads: paged and filtered keys, log and stored responses, the
//! traffic rollups, and ended sessions.

use super::{Subject, new_key, request};
use crate::store::model::{KeyPatch, StoredResponse};
use crate::store::pages::{KeyQuery, KeyStatus, LogCursor, LogOutcome, LogQuery};
use crate::store::traffic::{TrafficDimension, TrafficQuery};
use crate::store::{StoreError, now_secs};

fn keys(store: &Subject, query: KeyQuery) -> (Vec<String>, bool, Option<String>) {
    let page = store.key_page(&query).unwrap();
    let names = page.data.iter().map(|k| k.name.clone()).collect();
    (names, page.has_more, page.last_id)
}

pub fn keys_are_paged_newest_first_by_status_and_search(store: &Subject) {
    let mut ids = Vec::new();
    for name in ["alpha", "beta", "gamma", "delta", "Alphabet"] {
        ids.push(
            store
                .create_key(&new_key(name), &format!("hash-{name}"))
                .unwrap()
                .id,
        );
    }
    let disabled = KeyPatch {
        enabled: Some(false),
        ..KeyPatch::default()
    };
    store.update_key(&ids[1], &disabled).unwrap();
    let expired = KeyPatch {
        expires_at: Some(Some(now_secs() - 10)),
        ..KeyPatch::default()
    };
    store.update_key(&ids[2], &expired).unwrap();
    store.revoke_key(&ids[3]).unwrap();

    // Keys made in the same second: newest first means by id, descending, then.
    let all = store
        .key_page(&KeyQuery {
            status: KeyStatus::All,
            limit: 10,
            now: now_secs(),
            ..KeyQuery::default()
        })
        .unwrap();
    assert_eq!(all.data.len(), 5);
    assert!(!all.has_more);
    let order: Vec<(i64, String)> = all
        .data
        .iter()
        .map(|k| (k.created_at, k.id.clone()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(order, sorted, "newest first, ties by id");

    let query = |status, search: Option<&str>| KeyQuery {
        status,
        search: search.map(Into::into),
        limit: 10,
        now: now_secs(),
        after: None,
    };
    let mut live = keys(store, query(KeyStatus::Live, None)).0;
    live.sort();
    assert_eq!(live, ["Alphabet", "alpha", "beta", "gamma"]);
    let mut active = keys(store, query(KeyStatus::Active, None)).0;
    active.sort();
    assert_eq!(active, ["Alphabet", "alpha"]);
    assert_eq!(keys(store, query(KeyStatus::Disabled, None)).0, ["beta"]);
    assert_eq!(keys(store, query(KeyStatus::Expired, None)).0, ["gamma"]);
    assert_eq!(keys(store, query(KeyStatus::Revoked, None)).0, ["delta"]);
    let mut found = keys(store, query(KeyStatus::Live, Some("ALPHA"))).0;
    found.sort();
    assert_eq!(found, ["Alphabet", "alpha"], "a name search ignores case");
    assert_eq!(
        keys(store, query(KeyStatus::All, Some(ids[3].as_str()))).0,
        ["delta"]
    );
    assert!(
        keys(store, query(KeyStatus::All, Some("%"))).0.is_empty(),
        "wildcards are literal"
    );

    // Two at a time, following the cursor, gives every key once.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let (names, more, last) = keys(
            store,
            KeyQuery {
                status: KeyStatus::All,
                limit: 2,
                now: now_secs(),
                after: after.clone(),
                search: None,
            },
        );
        seen.extend(names);
        if !more {
            break;
        }
        after = last;
    }
    assert_eq!(seen.len(), 5);
    let unknown = store.key_page(&KeyQuery {
        after: Some("key_nope".into()),
        limit: 2,
        ..KeyQuery::default()
    });
    assert!(matches!(unknown, Err(StoreError::UnknownCursor(_))));
}

fn log_query(newest_first: bool, limit: usize) -> LogQuery {
    LogQuery {
        since_ms: 0,
        until_ms: i64::MAX,
        client_id: None,
        model: None,
        outcome: None,
        newest_first,
        limit,
        after: None,
    }
}

pub fn the_log_is_paged_both_ways_and_filtered(store: &Subject) {
    let mut failed = request("b", "m2", 3_000, None);
    failed.status = 502;
    let mut broken = request("a", "m1", 4_000, None);
    broken.error_type = Some("server_error".into());
    store
        .write_batch(
            &[
                request("a", "m1", 1_000, Some((1, 1))),
                request("a", "m2", 2_000, None),
                failed,
                broken,
                request("b", "m1", 5_000, None),
            ],
            &[],
            &[],
        )
        .unwrap();
    let times = |query: &LogQuery| -> Vec<i64> {
        store
            .log_page(query)
            .unwrap()
            .data
            .iter()
            .map(|r| r.at_ms)
            .collect()
    };
    assert_eq!(
        times(&log_query(true, 10)),
        [5_000, 4_000, 3_000, 2_000, 1_000]
    );
    assert_eq!(
        times(&log_query(false, 10)),
        [1_000, 2_000, 3_000, 4_000, 5_000]
    );

    let mut newest = Vec::new();
    let mut query = log_query(true, 2);
    loop {
        let page = store.log_page(&query).unwrap();
        newest.extend(page.data.iter().map(|r| r.at_ms));
        if !page.has_more {
            break;
        }
        query.after = page.next.as_deref().and_then(LogCursor::parse);
        assert!(query.after.is_some(), "a page with more has a cursor");
    }
    assert_eq!(newest, [5_000, 4_000, 3_000, 2_000, 1_000]);

    let filtered = |f: &dyn Fn(&mut LogQuery)| {
        let mut query = log_query(true, 10);
        f(&mut query);
        times(&query)
    };
    assert_eq!(
        filtered(&|q| q.client_id = Some("b".into())),
        [5_000, 3_000]
    );
    assert_eq!(filtered(&|q| q.model = Some("m2".into())), [3_000, 2_000]);
    assert_eq!(
        filtered(&|q| q.outcome = Some(LogOutcome::Error)),
        [4_000, 3_000]
    );
    assert_eq!(
        filtered(&|q| q.outcome = Some(LogOutcome::Ok)),
        [5_000, 2_000, 1_000]
    );
    assert_eq!(
        filtered(&|q| q.outcome = Some(LogOutcome::Status(502))),
        [3_000]
    );
    assert_eq!(
        filtered(&|q| {
            q.since_ms = 2_000;
            q.until_ms = 4_000;
        }),
        [3_000, 2_000]
    );
}

pub fn traffic_rollups_add_up_every_batch(store: &Subject) {
    let mut slow = request("a", "m1", 61_000, Some((10, 5)));
    slow.latency_ms = 900.0;
    let mut failed = request("b", "m1", 62_000, None);
    failed.status = 500;
    store
        .write_batch(&[request("a", "m1", 1_000, Some((1, 2))), slow], &[], &[])
        .unwrap();
    // A second batch into the same minute adds to its row.
    store
        .write_batch(&[failed, request("a", "m2", 3_700_000, None)], &[], &[])
        .unwrap();

    let by_model = store
        .traffic(&TrafficQuery {
            since_ms: 0,
            until_ms: 7_200_000,
            bucket_ms: 60_000,
            dimension: TrafficDimension::Model,
            only: None,
        })
        .unwrap();
    let summary: Vec<(i64, &str, i64, i64, i64)> = by_model
        .iter()
        .map(|r| {
            (
                r.bucket_ms,
                r.group.as_str(),
                r.totals.requests,
                r.totals.errors,
                r.totals.total_tokens,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (0, "m1", 1, 0, 3),
            (60_000, "m1", 2, 1, 15),
            (3_660_000, "m2", 1, 0, 0)
        ]
    );
    let minute = &by_model[1].totals;
    assert!((minute.latency_max_ms - 900.0).abs() < 1e-9);
    assert_eq!(minute.bins.iter().sum::<i64>(), 2);
    assert!(minute.latency_quantile(0.99).unwrap() > 700.0);

    let hourly = store
        .traffic(&TrafficQuery {
            since_ms: 0,
            until_ms: 7_200_000,
            bucket_ms: 3_600_000,
            dimension: TrafficDimension::Key,
            only: Some("a".into()),
        })
        .unwrap();
    let summary: Vec<(i64, &str, i64)> = hourly
        .iter()
        .map(|r| (r.bucket_ms, r.group.as_str(), r.totals.requests))
        .collect();
    assert_eq!(summary, [(0, "a", 2), (3_600_000, "a", 1)]);
}

pub fn stored_responses_are_listed_newest_first(store: &Subject) {
    for (id, client, at) in [
        ("r1", "a", 1),
        ("r2", "b", 2),
        ("r3", "a", 3),
        ("r4", "a", 4),
    ] {
        store
            .save_response(&StoredResponse {
                id: id.into(),
                client_id: client.into(),
                previous_id: None,
                model: "m".into(),
                created_at_ms: at * 1000,
                input: "[]".into(),
                response: "{}".into(),
            })
            .unwrap();
    }
    let ids = |client: Option<&str>, limit, after: Option<&str>| {
        let page = store.list_responses(client, limit, after).unwrap();
        (
            page.data.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
            page.has_more,
        )
    };
    assert_eq!(
        ids(None, 10, None),
        (
            vec!["r4".into(), "r3".into(), "r2".into(), "r1".into()],
            false
        )
    );
    assert_eq!(
        ids(Some("a"), 2, None),
        (vec!["r4".into(), "r3".into()], true)
    );
    assert_eq!(ids(Some("a"), 2, Some("r3")), (vec!["r1".into()], false));
    assert!(matches!(
        store.list_responses(Some("b"), 2, Some("r3")),
        Err(StoreError::UnknownCursor(_))
    ));
    assert_eq!(
        store.list_responses(None, 1, None).unwrap().data[0].created_at,
        4
    );
}

pub fn an_ended_session_stays_ended_everywhere(store: &Subject) {
    assert!(!store.session_ended("s1").unwrap());
    store.end_session("s1", now_secs() + 3600).unwrap();
    store.end_session("s1", now_secs() + 3600).unwrap();
    store.end_session("old", now_secs() - 10).unwrap();
    assert!(store.session_ended("s1").unwrap());
    assert!(
        store.reopen().session_ended("s1").unwrap(),
        "another process sees it"
    );
    assert!(!store.session_ended("s2").unwrap());
    // Ending another session sweeps records past their expiry.
    store.end_session("s3", now_secs() + 3600).unwrap();
    assert!(!store.session_ended("old").unwrap());
}
