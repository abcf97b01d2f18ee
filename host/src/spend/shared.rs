//! [`RedisBook`]: budgets shared by every gateway process on one Redis, so a $10
//! budget is $10 wherever its key's requests land.
//!
//! Admission is one Lua script over every budget covering the key (`admit.lua`),
//! atomic on the server: a request is admitted while `spent + reserved < amount` in
//! each, then holds its estimate in each, with a time to live (`spend.
//! reservation_ttl_secs`) so that a process that dies mid-request does not hold it
//! forever. `settle.lua` adds the real cost and drops the hold. An account missing from
//! Redis (first use this period, or a Redis that lost its data) is seeded from the
//! store's rollup as this process last read it.
//!
//! When Redis cannot be reached, `storage.redis_failure` decides as for rate limits:
//! `open` enforces budgets in this process alone, `closed` answers 503.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

use super::book::{Charge, LocalBook, Reservation, Standing};
use super::calendar::{Calendar, Window};
use crate::access::limits::redis::{Health, TIMEOUT};
use crate::config::RedisFailure;
use crate::error::GatewayError;
use crate::store::{self, Budget, SharedStore};

/// How long a period's keys outlive it (late settlements land in them).
const KEEP_AFTER_PERIOD_MS: i64 = 7 * 86_400_000;

/// Budgets shared through Redis, with this process's memory behind them.
pub struct RedisBook {
    conn: ConnectionManager,
    health: Arc<Health>,
    policy: RedisFailure,
    admit: Script,
    settle: Script,
    ttl: Duration,
    /// Used while Redis is unreachable (policy `open`), and as this process's view of
    /// the shared accounts (soft thresholds, the admin API).
    local: LocalBook,
    /// What the store said each budget had spent this period: seeds missing accounts.
    bases: Mutex<HashMap<(String, i64), i64>>,
}

/// The Redis keys of one budget's period.
fn keys(budget: &str, window: &Window) -> [String; 3] {
    let stem = format!("switchyard:budget:{{{budget}}}:{}", window.start_ms);
    [
        format!("{stem}:account"),
        format!("{stem}:holds"),
        format!("{stem}:amounts"),
    ]
}

impl RedisBook {
    /// Budgets on the Redis behind `conn`, sharing the rate limiter's health and policy.
    pub fn new(
        (conn, health, policy): (ConnectionManager, Arc<Health>, RedisFailure),
        ttl: Duration,
    ) -> Self {
        Self {
            conn,
            health,
            policy,
            admit: Script::new(include_str!("shared/admit.lua")),
            settle: Script::new(include_str!("shared/settle.lua")),
            ttl,
            local: LocalBook::new(ttl),
            bases: Mutex::new(HashMap::new()),
        }
    }

    /// What the store says each budget spent this period (read once per period).
    async fn bases(
        &self,
        store: &SharedStore,
        budgets: &[Arc<Budget>],
        charges: &[Charge],
    ) -> Result<Vec<i64>, GatewayError> {
        let mut bases = Vec::with_capacity(budgets.len());
        for (budget, charge) in budgets.iter().zip(charges) {
            let key = (budget.id.clone(), charge.window.start_ms);
            let known = self
                .bases
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&key)
                .copied();
            let base = match known {
                Some(base) => base,
                None => {
                    let scope = budget.settings.scope;
                    let subject = budget.settings.subject.clone();
                    let first_day = charge.window.first_day.clone();
                    let base =
                        store::blocking(store, move |s| s.spent_since(scope, &subject, &first_day))
                            .await?;
                    self.bases
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .insert(key, base);
                    base
                }
            };
            bases.push(base);
        }
        Ok(bases)
    }

    /// Admits a request against `charges` in Redis, or by the failure policy.
    pub async fn admit(
        &self,
        store: &SharedStore,
        budgets: &[Arc<Budget>],
        charges: &[Charge],
        estimate: i64,
        _calendar: &Calendar,
    ) -> Result<Result<Reservation, String>, GatewayError> {
        let bases = self.bases(store, budgets, charges).await?;
        if self.health.resting() {
            return self.fail(charges, &bases, estimate);
        }
        let member = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let all_keys: Vec<[String; 3]> =
            charges.iter().map(|c| keys(&c.budget, &c.window)).collect();
        let mut invocation = self.admit.prepare_invoke();
        for part in 0..3 {
            for k in &all_keys {
                invocation.key(&k[part]);
            }
        }
        invocation
            .arg(estimate)
            .arg(&member)
            .arg(u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX));
        for (charge, base) in charges.iter().zip(&bases) {
            invocation
                .arg(charge.amount)
                .arg(*base)
                .arg(charge.window.end_ms + KEEP_AFTER_PERIOD_MS);
        }
        let mut conn = self.conn.clone();
        let reply =
            tokio::time::timeout(TIMEOUT, invocation.invoke_async::<Vec<i64>>(&mut conn)).await;
        let reply = match reply {
            Ok(Ok(reply)) => reply,
            Ok(Err(err)) => {
                Health::failed(&self.health, &err.to_string());
                return self.fail(charges, &bases, estimate);
            }
            Err(_) => {
                Health::failed(&self.health, "no answer in time");
                return self.fail(charges, &bases, estimate);
            }
        };
        let refused = reply.first().copied().unwrap_or(0);
        if refused > 0 {
            let index = usize::try_from(refused - 1).unwrap_or(0);
            if let Some(charge) = charges.get(index) {
                let at = |i: usize| reply.get(i).copied().unwrap_or(0);
                self.local
                    .mirror(&charge.budget, &charge.window, at(1), at(2));
                return Ok(Err(charge.budget.clone()));
            }
        }
        for (i, charge) in charges.iter().enumerate() {
            let at = |i: usize| reply.get(i).copied().unwrap_or(0);
            self.local
                .mirror(&charge.budget, &charge.window, at(2 * i + 1), at(2 * i + 2));
        }
        Ok(Ok(self.reservation(charges, all_keys, member, estimate)))
    }

    /// A reservation that settles through `settle.lua`, on its own task.
    fn reservation(
        &self,
        charges: &[Charge],
        all_keys: Vec<[String; 3]>,
        member: String,
        estimate: i64,
    ) -> Reservation {
        let script = self.settle.clone();
        let conn = self.conn.clone();
        let health = Arc::clone(&self.health);
        let local = self.local.clone();
        let charges = charges.to_vec();
        Reservation::new(estimate, move |cost| {
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return;
            };
            runtime.spawn(async move {
                let mut invocation = script.prepare_invoke();
                for part in 0..3 {
                    for k in &all_keys {
                        invocation.key(&k[part]);
                    }
                }
                invocation.arg(&member).arg(cost);
                let mut conn = conn;
                let sent =
                    tokio::time::timeout(TIMEOUT, invocation.invoke_async::<Vec<i64>>(&mut conn))
                        .await;
                match sent {
                    Ok(Ok(reply)) => {
                        for (i, charge) in charges.iter().enumerate() {
                            let at = |i: usize| reply.get(i).copied().unwrap_or(0);
                            local.mirror(&charge.budget, &charge.window, at(2 * i), at(2 * i + 1));
                        }
                    }
                    // The hold expires on its own; the cost is in the store's rollup,
                    // which seeds the account if Redis loses it.
                    Ok(Err(err)) => Health::failed(&health, &err.to_string()),
                    Err(_) => Health::failed(&health, "no answer in time"),
                }
            });
        })
    }

    /// The policy's answer while Redis cannot be reached.
    fn fail(
        &self,
        charges: &[Charge],
        bases: &[i64],
        estimate: i64,
    ) -> Result<Result<Reservation, String>, GatewayError> {
        match self.policy {
            RedisFailure::Closed => Err(GatewayError::LimitsUnavailable),
            RedisFailure::Open => {
                for (charge, base) in charges.iter().zip(bases) {
                    if !self.local.has(&charge.budget, charge.window.start_ms) {
                        self.local.open(&charge.budget, &charge.window, *base);
                    }
                }
                Ok(self.local.admit(charges, estimate))
            }
        }
    }

    /// `budget`'s shared standing this period, read from Redis (this process's view
    /// when Redis does not answer).
    pub async fn standing(&self, budget: &str, window: &Window) -> Option<Standing> {
        let [account, _, _] = keys(budget, window);
        let mut conn = self.conn.clone();
        let mut read = redis::cmd("HMGET");
        read.arg(&account).arg("spent").arg("reserved");
        match tokio::time::timeout(TIMEOUT, read.query_async::<Vec<Option<i64>>>(&mut conn)).await {
            Ok(Ok(values)) => Some(Standing {
                spent: values.first().copied().flatten().unwrap_or(0),
                reserved: values.get(1).copied().flatten().unwrap_or(0),
            }),
            _ => self.cached(budget, window.start_ms),
        }
    }

    /// This process's latest view of `budget`'s shared standing.
    pub fn cached(&self, budget: &str, start_ms: i64) -> Option<Standing> {
        self.local.standing(budget, start_ms)
    }

    /// See [`LocalBook::warn_once`].
    pub fn warn_once(&self, budget: &str) -> bool {
        self.local.warn_once(budget)
    }
}
