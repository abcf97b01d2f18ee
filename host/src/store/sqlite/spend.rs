//! Budgets and the daily spend rollup in SQLite.

use rusqlite::{OptionalExtension, Row, params};

use super::SqliteStore;
use super::keys::bump_keys_version;
use crate::spend::calendar::Period;
use crate::store::model::{Budget, BudgetScope, BudgetSettings, SpendLine, SpendQuery};
use crate::store::{SpendStore, StoreError, StoreResult, now_secs};

pub(super) const BUDGET_COLUMNS: &str =
    "id, created_at, scope, subject, period, amount_nanos, soft_ratio";

/// A rollup line's columns, as [`line_from_whole_row`] reads them.
pub(super) const LINE_COLUMNS: &str = "day, client_id, model, requests, input_tokens, \
     cached_tokens, cache_write_tokens, output_tokens, cost_nanos, unpriced_requests";

/// A whole rollup line from [`LINE_COLUMNS`].
pub(super) fn line_from_whole_row(row: &Row<'_>) -> rusqlite::Result<SpendLine> {
    Ok(SpendLine {
        day: row.get(0)?,
        client_id: row.get(1)?,
        model: row.get(2)?,
        requests: row.get(3)?,
        input_tokens: row.get(4)?,
        cached_tokens: row.get(5)?,
        cache_write_tokens: row.get(6)?,
        output_tokens: row.get(7)?,
        cost_nanos: row.get(8)?,
        unpriced_requests: row.get(9)?,
    })
}

pub(super) fn budget_from_row(row: &Row<'_>) -> rusqlite::Result<Budget> {
    let scope: String = row.get(2)?;
    let period: String = row.get(4)?;
    Ok(Budget {
        id: row.get(0)?,
        created_at: row.get(1)?,
        settings: BudgetSettings {
            scope: BudgetScope::parse(&scope).unwrap_or(BudgetScope::Key),
            subject: row.get(3)?,
            period: Period::parse(&period).unwrap_or(Period::Month),
            amount_nanos: row.get(5)?,
            soft_ratio: row.get(6)?,
        },
    })
}

/// The rollup's sums, in [`SpendLine`] order after the group column.
pub(crate) const SUMS: &str = "COALESCE(SUM(requests), 0), COALESCE(SUM(input_tokens), 0), \
     COALESCE(SUM(cached_tokens), 0), COALESCE(SUM(cache_write_tokens), 0), \
     COALESCE(SUM(output_tokens), 0), COALESCE(SUM(cost_nanos), 0), \
     COALESCE(SUM(unpriced_requests), 0)";

/// A report line: the group value at 0, then [`SUMS`].
fn line_from_row(row: &Row<'_>, group: Option<&str>) -> rusqlite::Result<SpendLine> {
    let value: String = row.get(0)?;
    let mut line = SpendLine {
        requests: row.get(1)?,
        input_tokens: row.get(2)?,
        cached_tokens: row.get(3)?,
        cache_write_tokens: row.get(4)?,
        output_tokens: row.get(5)?,
        cost_nanos: row.get(6)?,
        unpriced_requests: row.get(7)?,
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

impl SpendStore for SqliteStore {
    fn create_budget(&self, settings: &BudgetSettings) -> StoreResult<Budget> {
        let id = format!("bud_{}", uuid::Uuid::new_v4().simple());
        self.write(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO budgets (id, scope, subject, period, amount_nanos, soft_ratio, \
                 created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    settings.scope.as_str(),
                    settings.subject,
                    settings.period.as_str(),
                    settings.amount_nanos,
                    settings.soft_ratio,
                    now_secs(),
                ],
            )?;
            bump_keys_version(&tx)?;
            let budget = tx
                .query_row(
                    &format!("SELECT {BUDGET_COLUMNS} FROM budgets WHERE id = ?1"),
                    [&id],
                    budget_from_row,
                )
                .optional()?
                .ok_or(StoreError::Inconsistent(
                    "a budget vanished after its insert",
                ))?;
            tx.commit()?;
            Ok(budget)
        })
    }

    fn list_budgets(&self) -> StoreResult<Vec<Budget>> {
        self.read(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {BUDGET_COLUMNS} FROM budgets ORDER BY created_at, id"
            ))?;
            let budgets = stmt
                .query_map([], budget_from_row)?
                .collect::<Result<_, _>>()?;
            Ok(budgets)
        })
    }

    fn update_budget(&self, id: &str, settings: &BudgetSettings) -> StoreResult<Option<Budget>> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let changed = tx.execute(
                "UPDATE budgets SET scope = ?2, subject = ?3, period = ?4, amount_nanos = ?5, \
                 soft_ratio = ?6 WHERE id = ?1",
                params![
                    id,
                    settings.scope.as_str(),
                    settings.subject,
                    settings.period.as_str(),
                    settings.amount_nanos,
                    settings.soft_ratio,
                ],
            )?;
            if changed == 0 {
                return Ok(None);
            }
            bump_keys_version(&tx)?;
            let budget = tx
                .query_row(
                    &format!("SELECT {BUDGET_COLUMNS} FROM budgets WHERE id = ?1"),
                    [id],
                    budget_from_row,
                )
                .optional()?;
            tx.commit()?;
            Ok(budget)
        })
    }

    fn delete_budget(&self, id: &str) -> StoreResult<bool> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let deleted = tx.execute("DELETE FROM budgets WHERE id = ?1", [id])? > 0;
            if deleted {
                bump_keys_version(&tx)?;
            }
            tx.commit()?;
            Ok(deleted)
        })
    }

    fn spent_since(&self, scope: BudgetScope, subject: &str, first_day: &str) -> StoreResult<i64> {
        let sql = match scope {
            BudgetScope::Key => {
                "SELECT COALESCE(SUM(cost_nanos), 0) FROM spend_daily \
                 WHERE client_id = ?1 AND day >= ?2"
            }
            BudgetScope::Team => {
                "SELECT COALESCE(SUM(s.cost_nanos), 0) FROM spend_daily s \
                 JOIN client_keys k ON k.id = s.client_id \
                 WHERE k.team = ?1 AND s.day >= ?2"
            }
        };
        self.read(|conn| Ok(conn.query_row(sql, params![subject, first_day], |row| row.get(0))?))
    }

    fn spend_report(&self, query: &SpendQuery) -> StoreResult<Vec<SpendLine>> {
        let group = query.group.map(|g| g.column());
        let (select, group_by) = match group {
            Some(column) => (column, format!("GROUP BY {column} ORDER BY {column}")),
            None => ("''", String::new()),
        };
        let sql = format!(
            "SELECT {select}, {SUMS} FROM spend_daily \
             WHERE day >= ?1 AND day <= ?2 AND (?3 IS NULL OR client_id = ?3) \
               AND (?4 IS NULL OR model = ?4) {group_by}"
        );
        self.read(|conn| {
            let mut stmt = conn.prepare(&sql)?;
            let lines = stmt
                .query_map(
                    params![query.since_day, query.until_day, query.key, query.model],
                    |row| line_from_row(row, group),
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(lines)
        })
    }
}
