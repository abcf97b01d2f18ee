//! Copying whole stores: SQLite → Postgres → SQLite keeps every record and every
//! secret working; a target that holds anything is refused.

use serde_json::json;

use super::*;
use crate::access::keys;
use crate::spend::calendar::Period;
use crate::store::model::{BudgetScope, BudgetSettings, Exchange, KeyLimits, KeyPatch, NewKey};
use crate::store::postgres::testing;
use crate::store::sqlite::SqliteStore;
use crate::store::{
    ConversationStore, KeyStore, RequestLog, TrafficDimension, TrafficQuery, now_secs,
};

/// Everything a store holds, as exported.
#[derive(Debug, PartialEq)]
struct Dump {
    keys: Vec<KeyHashes>,
    log: Vec<LogRow>,
    conversations: Vec<ConversationRow>,
    messages: Vec<MessageRow>,
    responses: Vec<StoredResponse>,
    budgets: Vec<Budget>,
    spend: Vec<SpendLine>,
}

fn dump(store: &dyn Transfer) -> Dump {
    Dump {
        keys: store.export_keys(None, usize::MAX).unwrap(),
        log: store.export_log(None, usize::MAX).unwrap(),
        conversations: store.export_conversations(None, usize::MAX).unwrap(),
        messages: store.export_messages(None, usize::MAX).unwrap(),
        responses: store.export_responses(None, usize::MAX).unwrap(),
        budgets: store.export_budgets(None, usize::MAX).unwrap(),
        spend: store.export_spend(None, usize::MAX).unwrap(),
    }
}

fn sqlite(dir: &tempfile::TempDir, name: &str) -> SqliteStore {
    SqliteStore::open(&dir.path().join(name)).unwrap()
}

/// The secrets a filled store's keys answer to.
struct Secrets {
    /// The limited key's only secret.
    limited: String,
    /// The rotated key's new secret, and its old one still in its grace period.
    rotated: (String, String),
    /// The revoked key's secret, which must never work.
    revoked: String,
}

/// A store with a bit of everything, written through the APIs the gateway uses.
fn fill(store: &dyn Store) -> Secrets {
    let limited = keys::create(
        store,
        NewKey {
            name: "limited".into(),
            models: Some(vec!["gpt-4o".into(), "claude".into()]),
            limits: KeyLimits {
                requests_per_minute: Some(60),
                tokens_per_minute: Some(u32::MAX),
                max_concurrent: Some(2),
            },
            expires_at: Some(now_secs() + 86_400),
            store_conversations: Some(true),
            team: Some("research".into()),
            ..NewKey::default()
        },
    )
    .unwrap();
    let old = keys::create(store, new_key("rotated")).unwrap();
    let rotated = keys::rotate(store, &old.key.id, 3_600).unwrap().unwrap();
    let revoked = keys::create(store, new_key("revoked")).unwrap();
    assert!(store.revoke_key(&revoked.key.id).unwrap());
    let disabled = keys::create(store, new_key("disabled")).unwrap();
    let patch = KeyPatch {
        enabled: Some(false),
        store_conversations: Some(Some(false)),
        ..KeyPatch::default()
    };
    store.update_key(&disabled.key.id, &patch).unwrap();

    // Log rows (two at the same instant, whose order is their ids'), with every
    // column set on some; conversations of two clients; the last use of two keys.
    let clients = [
        limited.key.id.clone(),
        rotated.key.id.clone(),
        "anonymous".to_string(),
    ];
    let requests: Vec<RequestRecord> = (0..23_i64)
        .map(|i| RequestRecord {
            at_ms: 1_700_000_000_000 + (i / 2) * 1_000,
            request_id: format!("req-{i}"),
            client_id: clients[i as usize % 3].clone(),
            endpoint: "/v1/chat/completions".into(),
            model: "gpt-4o".into(),
            platform: (i % 2 == 0).then(|| "openai".into()),
            adapter_version: (i % 2 == 0).then(|| "1.2.3".into()),
            status: if i == 7 { 502 } else { 200 },
            latency_ms: 12.345 + f64::from(u32::try_from(i).unwrap()) / 3.0,
            upstream_ms: (i % 4 == 0).then_some(0.1 + 0.2),
            prompt_tokens: Some(u32::try_from(i).unwrap()),
            completion_tokens: (i % 2 == 1).then_some(u32::MAX),
            total_tokens: Some(7),
            streamed: i % 3 == 0,
            error_type: (i == 7).then(|| "server_error".into()),
            session_id: (i % 5 == 0).then(|| format!("session-{i}")),
            cached_tokens: (i % 3 == 1).then_some(5),
            reasoning_tokens: (i % 4 == 1).then_some(2),
            cost_nanos: (i % 2 == 0).then_some(1_234_567 * i),
        })
        .collect();
    let exchanges: Vec<Exchange> = (0..5_i64)
        .map(|i| Exchange {
            client_id: if i < 3 {
                limited.key.id.clone()
            } else {
                "anonymous".into()
            },
            conversation_id: format!("conv-{}", i % 3),
            model: "gpt-4o".into(),
            at_ms: 1_700_000_000_000 + i * 1_234,
            messages: vec![json!({"role": "user", "content": format!("question {i} ✓")})],
            reply: json!({"role": "assistant", "content": [{"type": "text", "text": "é"}]}),
        })
        .collect();
    // Spend over six days for two keys and two models, and a budget of each scope.
    let spend: Vec<SpendLine> = (0..12_i64)
        .map(|i| SpendLine {
            day: format!("2026-11-{:02}", 20 + i / 2),
            client_id: clients[usize::try_from(i % 2).unwrap()].clone(),
            model: if i % 3 == 0 { "gpt-4o" } else { "claude" }.into(),
            requests: i + 1,
            input_tokens: 100 * i,
            cached_tokens: 7,
            cache_write_tokens: i % 2,
            output_tokens: 30,
            cost_nanos: 1_000_003 * i,
            unpriced_requests: i % 4,
        })
        .collect();
    store.write_batch(&requests, &spend, &exchanges).unwrap();
    for settings in [
        BudgetSettings {
            scope: BudgetScope::Key,
            subject: limited.key.id.clone(),
            period: Period::Month,
            amount_nanos: 10_000_000_000,
            soft_ratio: Some(0.8),
        },
        BudgetSettings {
            scope: BudgetScope::Team,
            subject: "research".into(),
            period: Period::Day,
            amount_nanos: 1,
            soft_ratio: None,
        },
    ] {
        store.create_budget(&settings).unwrap();
    }

    for (id, client, previous, at) in [
        ("resp_1", "a", None, 1_000),
        ("resp_2", "a", Some("resp_1"), 2_000),
        ("resp_3", "a", Some("resp_2"), 3_000),
        ("resp_b", "b", None, 4_000),
    ] {
        store
            .save_response(&StoredResponse {
                id: id.into(),
                client_id: client.into(),
                previous_id: previous.map(Into::into),
                model: "gpt-4o".into(),
                created_at_ms: at,
                input: format!(r#"[{{"id":"in_{id}","content":"x"}}]"#),
                response: format!(r#"{{"id":"{id}","output":[]}}"#),
            })
            .unwrap();
    }
    Secrets {
        limited: limited.secret,
        rotated: (rotated.secret, old.secret),
        revoked: revoked.secret,
    }
}

fn new_key(name: &str) -> NewKey {
    NewKey {
        name: name.into(),
        ..NewKey::default()
    }
}

/// Copies with a small batch, so every kind takes several, and checks the progress
/// reports end at the source's totals.
fn copy_checked(from: &dyn Transfer, to: &dyn Transfer) -> Copied {
    let mut last: Vec<Progress> = Vec::new();
    let copied = copy(from, to, 4, &mut |p| match last.last_mut() {
        Some(prev) if prev.kind == p.kind => {
            assert!(p.done > prev.done, "progress only grows");
            *prev = p;
        }
        _ => last.push(p),
    })
    .unwrap();
    assert!(last.iter().all(|p| p.done == p.total), "{last:?}");
    assert_eq!(copied.counts, from.holdings().unwrap());
    copied
}

/// What a gateway sees of the secrets: the key each finds and whether it was the
/// previous secret.
fn authenticate(store: &dyn Store, secrets: &Secrets) {
    let find = |secret: &str| store.find_key_by_hash(&keys::hash(secret)).unwrap();
    let (limited, previous) = find(&secrets.limited).expect("the limited key still works");
    assert_eq!((limited.name.as_str(), previous), ("limited", false));
    assert_eq!(limited.limits.tokens_per_minute, Some(u32::MAX));
    let (rotated, previous) = find(&secrets.rotated.0).expect("the rotated key works");
    assert_eq!((rotated.name.as_str(), previous), ("rotated", false));
    let (old, previous) = find(&secrets.rotated.1).expect("its old secret is in its grace");
    assert_eq!((old.id, previous), (rotated.id, true));
    assert!(
        find(&secrets.revoked).is_none(),
        "a revoked key stays revoked"
    );
}

#[test]
fn sqlite_to_postgres_to_sqlite_keeps_every_record_and_every_secret() {
    let Some(database) = testing::database() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite(&dir, "source.db");
    let secrets = fill(&source);
    let original = dump(&source);
    assert_eq!(original.keys.len(), 4);
    assert_eq!(original.log.len(), 23);
    assert_eq!((original.budgets.len(), original.spend.len()), (2, 12));
    assert_eq!(
        (original.conversations.len(), original.messages.len()),
        (5, 10)
    );

    let postgres = open(database.url(), &OpenOptions { pool_size: 2 }).unwrap();
    let before = postgres.keys_version().unwrap();
    let copied = copy_checked(&source, postgres.as_ref());
    assert_eq!(
        copied.counts,
        Counts {
            keys: 4,
            log_rows: 23,
            conversations: 5,
            messages: 10,
            responses: 4,
            budgets: 2,
            spend_lines: 12,
        }
    );
    assert!(copied.keys_version > source.keys_version().unwrap().max(before));
    assert_eq!(postgres.keys_version().unwrap(), copied.keys_version);
    assert_eq!(dump(postgres.as_ref()), original, "Postgres holds it all");
    authenticate(postgres.as_ref(), &secrets);

    let back = sqlite(&dir, "back.db");
    copy_checked(postgres.as_ref(), &back);
    assert_eq!(
        dump(&back),
        original,
        "and so does SQLite after the way back"
    );
    authenticate(&back, &secrets);
    assert!(back.keys_version().unwrap() > copied.keys_version);

    // What the admin API shows is the same, to the millisecond and byte.
    for store in [postgres.as_ref() as &dyn Store, &back] {
        assert_eq!(
            store.list_keys(true).unwrap(),
            source.list_keys(true).unwrap()
        );
        assert_eq!(
            store.request_log(0, i64::MAX, 100).unwrap(),
            source.request_log(0, i64::MAX, 100).unwrap()
        );
        for dimension in [TrafficDimension::Model, TrafficDimension::Key] {
            let query = TrafficQuery {
                since_ms: 0,
                until_ms: i64::MAX,
                bucket_ms: 3_600_000,
                dimension,
                only: None,
            };
            // Sums of latencies may differ in their last bit (another order of
            // additions); everything else is exact.
            let rounded = |rows: Vec<crate::store::TrafficRow>| {
                rows.into_iter()
                    .map(|mut row| {
                        row.totals.latency_sum_ms = (row.totals.latency_sum_ms * 1e6).round();
                        row
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                rounded(store.traffic(&query).unwrap()),
                rounded(source.traffic(&query).unwrap()),
                "the copy's charts show what the source's do"
            );
        }
        assert_eq!(
            store.list_conversations(None, 100, None).unwrap(),
            source.list_conversations(None, 100, None).unwrap()
        );
        let id = &original.conversations[0];
        assert_eq!(
            store.get_conversation(&id.client_id, &id.id).unwrap(),
            source.get_conversation(&id.client_id, &id.id).unwrap()
        );
        assert_eq!(store.response_chain("a", "resp_3", 10).unwrap().len(), 3);
    }

    // New rows written on the targets follow the copied ones.
    for store in [postgres.as_ref() as &dyn Transfer, &back] {
        let mut row = original.log[0].record.clone();
        row.at_ms = 1;
        store.write_batch(&[row.clone()], &[], &[]).unwrap();
        let log = store.export_log(None, usize::MAX).unwrap();
        let newest = log.last().unwrap();
        assert_eq!(newest.record, row);
        assert!(newest.id > original.log.last().unwrap().id);
    }
}

#[test]
fn a_target_that_holds_anything_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite(&dir, "source.db");
    fill(&source);
    let target = sqlite(&dir, "target.db");
    target
        .create_key(&new_key("default"), "hash-default")
        .unwrap();
    target
        .write_batch(
            &[RequestRecord::default(), RequestRecord::default()],
            &[],
            &[],
        )
        .unwrap();
    let before = dump(&target);

    let err = copy(&source, &target, BATCH, &mut |_| {}).unwrap_err();
    assert!(matches!(err, StoreError::NotEmpty(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with("the target is not empty, it holds 1 key, 2 log rows: "),
        "{message}"
    );
    assert_eq!(dump(&target), before, "nothing was written");
}

#[test]
fn an_empty_source_copies_nothing_but_still_moves_the_version() {
    let dir = tempfile::tempdir().unwrap();
    let (source, target) = (sqlite(&dir, "a.db"), sqlite(&dir, "b.db"));
    let copied = copy(&source, &target, BATCH, &mut |_| {
        panic!("nothing to report")
    })
    .unwrap();
    assert!(copied.counts.is_empty());
    assert_eq!(copied.keys_version, 1);
}

#[test]
fn counts_read_as_the_summary_says() {
    let counts = Counts {
        keys: 12,
        log_rows: 1_000_000,
        conversations: 40,
        messages: 310,
        responses: 7,
        budgets: 2,
        spend_lines: 90,
    };
    assert_eq!(
        counts.to_string(),
        "12 keys, 1,000,000 log rows, 40 conversations (310 messages), 7 stored responses, \
         2 budgets, 90 daily spend lines"
    );
    let one = Counts {
        keys: 1,
        messages: 1,
        responses: 1_234,
        ..Counts::default()
    };
    assert_eq!(
        one.to_string(),
        "1 key, 0 log rows, 0 conversations (1 message), 1,234 stored responses, 0 budgets, \
         0 daily spend lines"
    );
    assert_eq!(
        one.held(),
        "1 key, 1 conversation message, 1,234 stored responses"
    );
    assert_eq!(grouped(999), "999");
    assert_eq!(grouped(1_000), "1,000");
    assert_eq!(grouped(12_345_678), "12,345,678");
}
