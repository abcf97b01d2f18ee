//! Budgets and the daily spend rollup in Postgres.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::PostgresStore;
use super::keys::bump_keys_version;
use crate::spend::calendar::Period;
use crate::store::model::{Budget, BudgetScope, BudgetSettings, SpendLine, SpendQuery};
use crate::store::{SpendStore, StoreResult, now_secs};

pub(super) const BUDGET_COLUMNS: &str =
    "id, created_at, scope, subject, period, amount_nanos, soft_ratio";

/// A rollup line's columns, as [`line_from_whole_row`] reads them.
pub(super) const LINE_COLUMNS: &str = "day, client_id, model, requests, input_tokens, \
     cached_tokens, cache_write_tokens, output_tokens, cost_nanos, unpriced_requests";

/// A whole rollup line from [`LINE_COLUMNS`].
pub(super) fn line_from_whole_row(row: &Row) -> StoreResult<SpendLine> {
    Ok(SpendLine {
        day: row.try_get(0)?,
        client_id: row.try_get(1)?,
        model: row.try_get(2)?,
        requests: row.try_get(3)?,
        input_tokens: row.try_get(4)?,
        cached_tokens: row.try_get(5)?,
        cache_write_tokens: row.try_get(6)?,
        output_tokens: row.try_get(7)?,
        cost_nanos: row.try_get(8)?,
        unpriced_requests: row.try_get(9)?,
    })
}

pub(super) fn budget_from_row(row: &Row) -> StoreResult<Budget> {
    let scope: String = row.try_get(2)?;
    let period: String = row.try_get(4)?;
    Ok(Budget {
        id: row.try_get(0)?,
        created_at: row.try_get(1)?,
        settings: BudgetSettings {
            scope: BudgetScope::parse(&scope).unwrap_or(BudgetScope::Key),
            subject: row.try_get(3)?,
            period: Period::parse(&period).unwrap_or(Period::Month),
            amount_nanos: row.try_get(5)?,
            soft_ratio: row.try_get(6)?,
        },
    })
}

/// The rollup's sums (NUMERIC in Postgres, cast back: the totals fit).
const SUMS: &str = "COALESCE(SUM(requests), 0)::BIGINT, COALESCE(SUM(input_tokens), 0)::BIGINT, \
     COALESCE(SUM(cached_tokens), 0)::BIGINT, COALESCE(SUM(cache_write_tokens), 0)::BIGINT, \
     COALESCE(SUM(output_tokens), 0)::BIGINT, COALESCE(SUM(cost_nanos), 0)::BIGINT, \
     COALESCE(SUM(unpriced_requests), 0)::BIGINT";

fn line_from_row(row: &Row, group: Option<&str>) -> StoreResult<SpendLine> {
    let value: String = row.try_get(0)?;
    let mut line = SpendLine {
        requests: row.try_get(1)?,
        input_tokens: row.try_get(2)?,
        cached_tokens: row.try_get(3)?,
        cache_write_tokens: row.try_get(4)?,
        output_tokens: row.try_get(5)?,
        cost_nanos: row.try_get(6)?,
        unpriced_requests: row.try_get(7)?,
        ..SpendLine::default()
    };
    match group {
        Some("client_id") => line.client_id = value,
        Some("model") => line.model = value,
        Some(_) => line.day = value,
        None => {}
    }
    Ok(line)
}

async fn select_budget(client: &impl GenericClient, id: &str) -> StoreResult<Option<Budget>> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {BUDGET_COLUMNS} FROM budgets WHERE id = $1"
        ))
        .await?;
    client
        .query_opt(&statement, &[&id])
        .await?
        .map(|row| budget_from_row(&row))
        .transpose()
}

impl SpendStore for PostgresStore {
    fn create_budget(&self, settings: &BudgetSettings) -> StoreResult<Budget> {
        let id = format!("bud_{}", uuid::Uuid::new_v4().simple());
        self.call(async |conn| {
            let tx = conn.transaction().await?;
            let insert = tx
                .prepare_cached(&format!(
                    "INSERT INTO budgets (id, scope, subject, period, amount_nanos, soft_ratio, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {BUDGET_COLUMNS}"
                ))
                .await?;
            let row = tx
                .query_one(
                    &insert,
                    &[
                        &id,
                        &settings.scope.as_str(),
                        &settings.subject,
                        &settings.period.as_str(),
                        &settings.amount_nanos,
                        &settings.soft_ratio,
                        &now_secs(),
                    ],
                )
                .await?;
            let budget = budget_from_row(&row)?;
            bump_keys_version(&tx).await?;
            tx.commit().await?;
            Ok(budget)
        })
    }

    fn list_budgets(&self) -> StoreResult<Vec<Budget>> {
        self.call(async |conn| {
            let statement = conn
                .prepare_cached(&format!(
                    "SELECT {BUDGET_COLUMNS} FROM budgets ORDER BY created_at, id"
                ))
                .await?;
            let rows = conn.query(&statement, &[]).await?;
            rows.iter().map(budget_from_row).collect()
        })
    }

    fn update_budget(&self, id: &str, settings: &BudgetSettings) -> StoreResult<Option<Budget>> {
        self.call(async |conn| {
            let tx = conn.transaction().await?;
            let update = tx
                .prepare_cached(
                    "UPDATE budgets SET scope = $2, subject = $3, period = $4, \
                     amount_nanos = $5, soft_ratio = $6 WHERE id = $1",
                )
                .await?;
            let changed = tx
                .execute(
                    &update,
                    &[
                        &id,
                        &settings.scope.as_str(),
                        &settings.subject,
                        &settings.period.as_str(),
                        &settings.amount_nanos,
                        &settings.soft_ratio,
                    ],
                )
                .await?;
            if changed == 0 {
                return Ok(None);
            }
            bump_keys_version(&tx).await?;
            let budget = select_budget(&tx, id).await?;
            tx.commit().await?;
            Ok(budget)
        })
    }

    fn delete_budget(&self, id: &str) -> StoreResult<bool> {
        self.call(async |conn| {
            let tx = conn.transaction().await?;
            let deleted = tx
                .execute("DELETE FROM budgets WHERE id = $1", &[&id])
                .await?
                > 0;
            if deleted {
                bump_keys_version(&tx).await?;
            }
            tx.commit().await?;
            Ok(deleted)
        })
    }

    fn spent_since(&self, scope: BudgetScope, subject: &str, first_day: &str) -> StoreResult<i64> {
        let sql = match scope {
            BudgetScope::Key => {
                "SELECT COALESCE(SUM(cost_nanos), 0)::BIGINT FROM spend_daily \
                 WHERE client_id = $1 AND day >= $2"
            }
            BudgetScope::Team => {
                "SELECT COALESCE(SUM(s.cost_nanos), 0)::BIGINT FROM spend_daily s \
                 JOIN client_keys k ON k.id = s.client_id \
                 WHERE k.team = $1 AND s.day >= $2"
            }
        };
        self.call(async |conn| {
            let statement = conn.prepare_cached(sql).await?;
            let row = conn.query_one(&statement, &[&subject, &first_day]).await?;
            Ok(row.try_get(0)?)
        })
    }

    fn spend_report(&self, query: &SpendQuery) -> StoreResult<Vec<SpendLine>> {
        let group = query.group.map(|g| g.column());
        let (select, group_by) = match group {
            Some(column) => (column, format!("GROUP BY {column} ORDER BY {column}")),
            None => ("''", String::new()),
        };
        let sql = format!(
            "SELECT {select}::TEXT, {SUMS} FROM spend_daily \
             WHERE day >= $1 AND day <= $2 AND ($3::TEXT IS NULL OR client_id = $3) \
               AND ($4::TEXT IS NULL OR model = $4) {group_by}"
        );
        self.call(async |conn| {
            let statement = conn.prepare_cached(&sql).await?;
            let rows = conn
                .query(
                    &statement,
                    &[&query.since_day, &query.until_day, &query.key, &query.model],
                )
                .await?;
            rows.iter().map(|row| line_from_row(row, group)).collect()
        })
    }
}
