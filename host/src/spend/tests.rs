//! Admission against budgets over a clock moved by hand: a period rolls over at the
//! configured time zone's boundary.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::*;
use crate::config::SpendConfig;
use crate::store::{BudgetScope, BudgetSettings, ClientKey};

/// The paused clock every test here reads.
static NOW: AtomicI64 = AtomicI64::new(0);

fn now() -> i64 {
    NOW.load(Ordering::SeqCst)
}

fn at(rfc3339: &str) -> i64 {
    rfc3339
        .parse::<jiff::Timestamp>()
        .expect("a timestamp")
        .as_millisecond()
}

#[tokio::test]
async fn a_monthly_budget_resets_at_midnight_on_the_first_in_its_time_zone() {
    let dir = tempfile::tempdir().expect("a folder");
    let store =
        store::open(&format!("sqlite://{}", dir.path().join("db").display())).expect("a store");
    let mut spend = Spend::new(
        &SpendConfig {
            time_zone: "Europe/Berlin".into(),
            ..SpendConfig::default()
        },
        None,
    )
    .expect("a calendar");
    spend.clock = now;
    let key = ClientKey {
        id: "key_a".into(),
        name: "a".into(),
        prefix: String::new(),
        created_at: 0,
        last_used_at: None,
        expires_at: None,
        enabled: true,
        revoked_at: None,
        models: None,
        limits: crate::store::KeyLimits::default(),
        store_conversations: None,
        team: None,
        rotated_at: None,
        previous_secret_valid_until: None,
    };
    let principal = Principal::Client(Arc::new(key));
    let budget = Arc::new(Budget {
        id: "bud_1".into(),
        created_at: 0,
        settings: BudgetSettings {
            scope: BudgetScope::Key,
            subject: "key_a".into(),
            period: calendar::Period::Month,
            amount_nanos: 1_000,
            soft_ratio: None,
        },
    });
    let price = Price {
        output: 1_000_000_000,
        ..Price::default()
    };
    let admit = || {
        spend.admit(
            &store,
            &principal,
            vec![Arc::clone(&budget)],
            "m",
            Some(price),
            |_| 600,
        )
    };
    // 23:59:59 on November 30th in Berlin.
    NOW.store(at("2026-11-30T22:59:59Z"), Ordering::SeqCst);
    let first = admit().await.expect("admitted").expect("reserved");
    first.settle(1_000);
    let refused = admit().await.expect_err("the month is spent");
    let GatewayError::BudgetExceeded {
        retry_after_secs,
        resets_at,
        ..
    } = refused
    else {
        panic!("not a budget refusal: {refused:?}");
    };
    assert_eq!(resets_at, at("2026-11-30T23:00:00Z") / 1000);
    assert_eq!(retry_after_secs, 2, "one second left, rounded up");
    // Midnight in Berlin: December, a new month.
    NOW.store(at("2026-11-30T23:00:00Z"), Ordering::SeqCst);
    let december = admit().await.expect("a new period").expect("reserved");
    let status = spend.status(&store, &budget).await.expect("a status");
    assert_eq!(status.window.first_day, "2026-12-01");
    assert_eq!((status.spent, status.reserved), (0, 600));
    december.settle(0);
}
