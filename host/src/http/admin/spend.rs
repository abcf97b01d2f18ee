//! `/admin/spend` (cost and tokens by key, model or day, from the daily rollup) and
//! `/admin/budgets` (budgets and where each stands this period).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::request::JsonBody;
use crate::error::GatewayError;
use crate::spend::calendar::Period;
use crate::spend::cost::usd;
use crate::spend::usd_to_nanos;
use crate::state::AppState;
use crate::store::{self, Budget, BudgetScope, BudgetSettings, SpendGroup, SpendLine, SpendQuery};

/// `GET /admin/spend` query: whole days on the operator's calendar.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpendParams {
    #[serde(default)]
    since: Option<String>,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    group_by: Option<SpendGroup>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    model: Option<String>,
}

/// A `YYYY-MM-DD` day, checked.
fn day(value: &str, param: &str) -> Result<String, GatewayError> {
    value
        .parse::<jiff::civil::Date>()
        .map(|d| d.to_string())
        .map_err(|_| {
            GatewayError::bad_request(format!("`{param}` must be a date, YYYY-MM-DD"), Some(param))
        })
}

/// A rollup line as JSON, its group named `group`.
fn line_json(group: Option<&str>, line: &SpendLine) -> Value {
    let mut value = json!({
        "requests": line.requests,
        "input_tokens": line.input_tokens,
        "cached_tokens": line.cached_tokens,
        "cache_write_tokens": line.cache_write_tokens,
        "output_tokens": line.output_tokens,
        "cost_usd": usd(line.cost_nanos),
        "unpriced_requests": line.unpriced_requests,
    });
    if let (Some(group), Some(map)) = (group, value.as_object_mut()) {
        map.insert("group".into(), Value::String(group.to_string()));
    }
    value
}

/// Cost and tokens between two days (default: this month so far), in total and
/// grouped by key, model or day.
pub async fn report(
    State(state): State<AppState>,
    query: Result<Query<SpendParams>, QueryRejection>,
) -> Result<Json<Value>, GatewayError> {
    let Query(params) = query.map_err(crate::http::bad_query)?;
    // Spend is handed to the writer once a second: report everything answered so far.
    state.ledger.flush().await;
    let calendar = &state.spend.calendar;
    let now = store::now_millis();
    let until = match &params.until {
        Some(value) => day(value, "until")?,
        None => calendar.day(now),
    };
    let since = match &params.since {
        Some(value) => day(value, "since")?,
        None => calendar.window(Period::Month, now).first_day,
    };
    if since > until {
        return Err(GatewayError::bad_request(
            "`since` must not be after `until`",
            Some("since"),
        ));
    }
    let base = SpendQuery {
        since_day: since.clone(),
        until_day: until.clone(),
        group: None,
        key: params.key.clone(),
        model: params.model.clone(),
    };
    let grouped = SpendQuery {
        group: params.group_by,
        ..base.clone()
    };
    let (total, lines) = store::blocking(&state.store, move |s| {
        let total = s.spend_report(&base)?;
        let lines = match grouped.group {
            Some(_) => s.spend_report(&grouped)?,
            None => Vec::new(),
        };
        Ok((total, lines))
    })
    .await?;
    let total = total.first().cloned().unwrap_or_default();
    let data: Vec<Value> = lines
        .iter()
        .map(|line| {
            let group = match params.group_by {
                Some(SpendGroup::Key) => &line.client_id,
                Some(SpendGroup::Model) => &line.model,
                _ => &line.day,
            };
            line_json(Some(group), line)
        })
        .collect();
    Ok(Json(json!({
        "object": "spend_report",
        "since": since,
        "until": until,
        "time_zone": calendar.zone_name(),
        "group_by": params.group_by.map(|g| match g {
            SpendGroup::Key => "key",
            SpendGroup::Model => "model",
            SpendGroup::Day => "day",
        }),
        "total": line_json(None, &total),
        "data": data,
    })))
}

/// `POST /admin/budgets` and `PATCH /admin/budgets/{id}` body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetBody {
    #[serde(default)]
    key_id: Option<String>,
    #[serde(default)]
    team: Option<String>,
    #[serde(default)]
    amount_usd: Option<f64>,
    #[serde(default)]
    period: Option<Period>,
    #[serde(default, with = "soft")]
    soft_threshold: Option<Option<f64>>,
}

/// Tells `"soft_threshold": null` (clear it) from its absence.
mod soft {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<f64>>, D::Error> {
        Option::<f64>::deserialize(d).map(Some)
    }
}

impl BudgetBody {
    /// The settings this body makes of `current` (all of them for a new budget).
    fn apply(self, current: Option<&BudgetSettings>) -> Result<BudgetSettings, GatewayError> {
        let (scope, subject) = match (self.key_id, self.team, current) {
            (Some(_), Some(_), _) => {
                return Err(GatewayError::bad_request(
                    "give `key_id` or `team`, not both",
                    Some("team"),
                ));
            }
            (Some(key), None, _) => (BudgetScope::Key, key),
            (None, Some(team), _) => (BudgetScope::Team, team.trim().to_string()),
            (None, None, Some(current)) => (current.scope, current.subject.clone()),
            (None, None, None) => {
                return Err(GatewayError::bad_request(
                    "a budget needs `key_id` (one key) or `team` (every key of a team)",
                    Some("key_id"),
                ));
            }
        };
        if subject.is_empty() {
            return Err(GatewayError::bad_request(
                "`team` must not be empty",
                Some("team"),
            ));
        }
        let amount_nanos = match (self.amount_usd, current) {
            (Some(amount), _) if amount.is_finite() && amount > 0.0 && amount < 1e9 => {
                usd_to_nanos(amount)
            }
            (Some(_), _) => {
                return Err(GatewayError::bad_request(
                    "`amount_usd` must be a positive number of dollars",
                    Some("amount_usd"),
                ));
            }
            (None, Some(current)) => current.amount_nanos,
            (None, None) => {
                return Err(GatewayError::bad_request(
                    "a budget needs `amount_usd`",
                    Some("amount_usd"),
                ));
            }
        };
        let soft_ratio = match self.soft_threshold {
            Some(Some(ratio)) if ratio > 0.0 && ratio <= 1.0 => Some(ratio),
            Some(Some(_)) => {
                return Err(GatewayError::bad_request(
                    "`soft_threshold` is a share of the amount, above 0 and at most 1 (0.8 warns at 80%)",
                    Some("soft_threshold"),
                ));
            }
            Some(None) => None,
            None => current.and_then(|c| c.soft_ratio),
        };
        Ok(BudgetSettings {
            scope,
            subject,
            period: self
                .period
                .or(current.map(|c| c.period))
                .unwrap_or(Period::Month),
            amount_nanos,
            soft_ratio,
        })
    }
}

fn not_found(id: &str) -> GatewayError {
    GatewayError::NotFound {
        message: format!("no budget `{id}`"),
        code: "budget_not_found",
    }
}

/// A budget and where it stands this period.
pub(super) async fn budget_json(state: &AppState, budget: &Budget) -> Result<Value, GatewayError> {
    let status = state.spend.status(&state.store, budget).await?;
    let settings = &budget.settings;
    let soft = settings.soft_ratio.is_some_and(|ratio| {
        #[expect(clippy::cast_precision_loss, reason = "a threshold, not money")]
        let crossed = status.spent as f64 >= ratio * settings.amount_nanos as f64;
        crossed
    });
    let (scope_field, scope_value) = match settings.scope {
        BudgetScope::Key => ("key_id", &settings.subject),
        BudgetScope::Team => ("team", &settings.subject),
    };
    Ok(json!({
        "id": budget.id,
        "object": "budget",
        scope_field: scope_value,
        "period": settings.period,
        "amount_usd": usd(settings.amount_nanos),
        "soft_threshold": settings.soft_ratio,
        "created_at": budget.created_at,
        "period_start": status.window.start_ms / 1000,
        "resets_at": status.window.end_ms / 1000,
        "time_zone": state.spend.calendar.zone_name(),
        "spent_usd": usd(status.spent),
        "reserved_usd": usd(status.reserved),
        "remaining_usd": usd((settings.amount_nanos - status.spent - status.reserved).max(0)),
        "soft_threshold_exceeded": soft,
        "exceeded": status.spent >= settings.amount_nanos,
    }))
}

/// Every budget with its standing.
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, GatewayError> {
    state.ledger.flush().await;
    let budgets = store::blocking(&state.store, |s| s.list_budgets()).await?;
    let mut data = Vec::with_capacity(budgets.len());
    for budget in &budgets {
        data.push(budget_json(&state, budget).await?);
    }
    Ok(Json(json!({"object": "list", "data": data})))
}

async fn find(state: &AppState, id: &str) -> Result<Budget, GatewayError> {
    let budgets = store::blocking(&state.store, |s| s.list_budgets()).await?;
    budgets
        .into_iter()
        .find(|b| b.id == id)
        .ok_or_else(|| not_found(id))
}

/// One budget with its standing.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    state.ledger.flush().await;
    let budget = find(&state, &id).await?;
    Ok(Json(budget_json(&state, &budget).await?))
}

/// Checks that a key budget's key exists, and that no budget of the same scope,
/// subject and period exists already (other than `except`).
async fn check(
    state: &AppState,
    settings: &BudgetSettings,
    except: Option<&str>,
) -> Result<(), GatewayError> {
    if settings.scope == BudgetScope::Key {
        let id = settings.subject.clone();
        let key = store::blocking(&state.store, move |s| s.get_key(&id)).await?;
        if key.is_none_or(|k| k.revoked_at.is_some()) {
            return Err(GatewayError::bad_request(
                format!("`key_id` names no live client key: `{}`", settings.subject),
                Some("key_id"),
            ));
        }
    }
    let budgets = store::blocking(&state.store, |s| s.list_budgets()).await?;
    let taken = budgets.iter().any(|b| {
        Some(b.id.as_str()) != except
            && b.settings.scope == settings.scope
            && b.settings.subject == settings.subject
            && b.settings.period == settings.period
    });
    if taken {
        return Err(GatewayError::bad_request(
            format!(
                "there is a {} budget for this {} already: change it instead",
                settings.period,
                settings.scope.as_str()
            ),
            Some("period"),
        ));
    }
    Ok(())
}

/// Creates a budget (201).
pub async fn create(
    State(state): State<AppState>,
    JsonBody { head: body, .. }: JsonBody<BudgetBody>,
) -> Result<(StatusCode, Json<Value>), GatewayError> {
    let settings = body.apply(None)?;
    check(&state, &settings, None).await?;
    let budget = store::blocking(&state.store, move |s| s.create_budget(&settings)).await?;
    super::keys::refresh(&state).await;
    tracing::info!(budget = %budget.id, "budget created");
    Ok((
        StatusCode::CREATED,
        Json(budget_json(&state, &budget).await?),
    ))
}

/// Changes a budget's amount, period, threshold or subject.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody { head: body, .. }: JsonBody<BudgetBody>,
) -> Result<Json<Value>, GatewayError> {
    let current = find(&state, &id).await?;
    let settings = body.apply(Some(&current.settings))?;
    check(&state, &settings, Some(&id)).await?;
    let lookup = id.clone();
    let budget = store::blocking(&state.store, move |s| s.update_budget(&lookup, &settings))
        .await?
        .ok_or_else(|| not_found(&id))?;
    super::keys::refresh(&state).await;
    tracing::info!(budget = %id, "budget updated");
    Ok(Json(budget_json(&state, &budget).await?))
}

/// Deletes a budget.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    let lookup = id.clone();
    if !store::blocking(&state.store, move |s| s.delete_budget(&lookup)).await? {
        return Err(not_found(&id));
    }
    super::keys::refresh(&state).await;
    tracing::info!(budget = %id, "budget deleted");
    Ok(Json(json!({"id": id, "object": "budget", "deleted": true})))
}
