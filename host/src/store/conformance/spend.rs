//! Budgets and the daily spend rollup: batches add up per (day, key, model), a team's
//! spend is its keys', reports group and filter, and budget changes move the keys
//! version so every process reloads them.

use super::{Subject, new_key};
use crate::spend::calendar::Period;
use crate::store::model::{BudgetScope, BudgetSettings, SpendGroup, SpendLine, SpendQuery};

fn line(day: &str, client: &str, model: &str, cost: i64) -> SpendLine {
    SpendLine {
        day: day.into(),
        client_id: client.into(),
        model: model.into(),
        requests: 1,
        input_tokens: 10,
        cached_tokens: 5,
        cache_write_tokens: 0,
        output_tokens: 2,
        cost_nanos: cost,
        unpriced_requests: 0,
    }
}

pub fn spend_adds_up_by_day_key_and_model_and_teams_sum_their_keys(store: &Subject) {
    let mut team = new_key("a");
    team.team = Some("research".into());
    let a = store.create_key(&team, "ha").unwrap();
    let b = store.create_key(&team, "hb").unwrap();
    let loner = store.create_key(&new_key("c"), "hc").unwrap();
    store
        .write_batch(
            &[],
            &[
                line("2026-11-30", &a.id, "m", 100),
                line("2026-12-01", &a.id, "m", 200),
                line("2026-12-01", &b.id, "n", 40),
                line("2026-12-01", &loner.id, "m", 7),
            ],
            &[],
        )
        .unwrap();
    store
        .write_batch(&[], &[line("2026-12-01", &a.id, "m", 5)], &[])
        .unwrap();
    assert_eq!(
        store
            .spent_since(BudgetScope::Key, &a.id, "2026-12-01")
            .unwrap(),
        205
    );
    assert_eq!(
        store
            .spent_since(BudgetScope::Team, "research", "2026-11-01")
            .unwrap(),
        345
    );
    assert_eq!(
        store
            .spent_since(BudgetScope::Team, "nobody", "2026-11-01")
            .unwrap(),
        0
    );
    let query = SpendQuery {
        since_day: "2026-12-01".into(),
        until_day: "2026-12-31".into(),
        group: Some(SpendGroup::Model),
        key: None,
        model: None,
    };
    let by_model = store.spend_report(&query).unwrap();
    let summary: Vec<(&str, i64, i64)> = by_model
        .iter()
        .map(|l| (l.model.as_str(), l.requests, l.cost_nanos))
        .collect();
    assert_eq!(summary, [("m", 3, 212), ("n", 1, 40)]);
    let total = store
        .spend_report(&SpendQuery {
            group: None,
            key: Some(a.id.clone()),
            ..query.clone()
        })
        .unwrap();
    assert_eq!(total.len(), 1);
    assert_eq!(
        (
            total[0].requests,
            total[0].cached_tokens,
            total[0].cost_nanos
        ),
        (2, 10, 205)
    );
    let days = store
        .spend_report(&SpendQuery {
            since_day: "2026-11-01".into(),
            group: Some(SpendGroup::Day),
            ..query
        })
        .unwrap();
    let days: Vec<&str> = days.iter().map(|l| l.day.as_str()).collect();
    assert_eq!(days, ["2026-11-30", "2026-12-01"]);
}

pub fn budgets_are_created_changed_and_deleted_and_move_the_keys_version(store: &Subject) {
    let settings = BudgetSettings {
        scope: BudgetScope::Team,
        subject: "research".into(),
        period: Period::Week,
        amount_nanos: 10_000_000_000,
        soft_ratio: Some(0.8),
    };
    let before = store.keys_version().unwrap();
    let budget = store.create_budget(&settings).unwrap();
    assert!(budget.id.starts_with("bud_"));
    assert_eq!(budget.settings, settings);
    assert!(store.keys_version().unwrap() > before);
    let changed = BudgetSettings {
        amount_nanos: 1,
        soft_ratio: None,
        period: Period::Day,
        ..settings
    };
    let version = store.keys_version().unwrap();
    let updated = store.update_budget(&budget.id, &changed).unwrap().unwrap();
    assert_eq!(updated.settings, changed);
    assert!(store.keys_version().unwrap() > version);
    assert_eq!(store.list_budgets().unwrap(), [updated]);
    assert!(store.update_budget("bud_none", &changed).unwrap().is_none());
    assert!(store.delete_budget(&budget.id).unwrap());
    assert!(!store.delete_budget(&budget.id).unwrap());
    assert!(store.list_budgets().unwrap().is_empty());
}
