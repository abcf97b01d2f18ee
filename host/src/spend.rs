//! What requests cost and who may spend more: the price table ([`price`]), usage
//! split into exclusive buckets and priced once ([`cost`]), the operator's calendar
//! ([`calendar`]), and budgets ([`budgets`], [`book`]) enforced at admission.
//!
//! On the request path, once the model is resolved, [`Spend::admit`] reserves an
//! estimate in every budget covering the key (or refuses with 429 `budget_exceeded`);
//! the request's record settles the real cost when it finishes, and writes it on the
//! log row and into the daily rollup that reports and budgets read.

pub mod book;
pub mod budgets;
pub mod calendar;
pub mod cost;
pub mod price;
pub mod shared;

use std::sync::Arc;
use std::time::Duration;

use book::{Charge, LocalBook, Reservation};
use calendar::{Calendar, Window};
use price::Price;

use crate::access::auth::Principal;
use crate::config::SpendConfig;
use crate::error::GatewayError;
use crate::store::{self, Budget, SharedStore};

/// Prompt bytes per token assumed by the reservation estimate: fewer than the usual
/// four, so the estimate errs high (JSON punctuation inflates the count anyway).
const BYTES_PER_TOKEN: u64 = 3;

/// Where budgets' live state is kept.
pub enum Book {
    /// In this process.
    Local(LocalBook),
    /// In Redis, shared by every gateway process.
    Shared(shared::RedisBook),
}

/// Prices, the calendar and budgets, for the request path and the admin API.
pub struct Spend {
    /// The operator's calendar.
    pub calendar: Calendar,
    book: Book,
    /// Now, unix milliseconds (a test moves it by hand).
    clock: fn() -> i64,
    default_output_tokens: u64,
    max_reservation: i64,
}

/// A budget's standing this period, for the admin API.
#[derive(Debug, Clone)]
pub struct Status {
    /// The period now.
    pub window: Window,
    /// Settled this period, nanodollars (the store's rollup, or the live count when it
    /// is ahead).
    pub spent: i64,
    /// Reserved by requests in flight, nanodollars (as far as this process knows).
    pub reserved: i64,
}

impl Spend {
    /// Spend tracking under `config`, with budgets shared through `redis` when given.
    pub fn new(
        config: &SpendConfig,
        redis: Option<shared::RedisBook>,
    ) -> Result<Self, calendar::UnknownZone> {
        let local = LocalBook::new(Duration::from_secs(config.reservation_ttl_secs));
        let book = match redis {
            Some(shared) => Book::Shared(shared),
            None => Book::Local(local),
        };
        Ok(Self {
            calendar: Calendar::new(&config.time_zone)?,
            book,
            clock: store::now_millis,
            default_output_tokens: config.default_max_output_tokens,
            max_reservation: usd_to_nanos(config.max_reservation_usd),
        })
    }

    /// What a request reserves: its prompt (estimated from the body's size) at the
    /// input price, and its output limit (or the default) at the output price, at
    /// most `spend.max_reservation_usd`.
    pub fn estimate(&self, price: &Price, body_len: usize, max_output: Option<u64>) -> i64 {
        let prompt = prompt_estimate(body_len);
        let output = max_output.unwrap_or(self.default_output_tokens);
        let buckets = cost::Buckets {
            uncached_input: prompt,
            output,
            ..cost::Buckets::default()
        };
        price.cost(&buckets).min(self.max_reservation).max(1)
    }

    /// Admits a request of `principal` costing `price` (the dearest of the model's
    /// deployments) and estimated at `estimate`, against every budget covering its
    /// key; `Ok(None)` when none does.
    pub async fn admit(
        &self,
        store: &SharedStore,
        principal: &Principal,
        budgets: Vec<Arc<Budget>>,
        model: &str,
        price: Option<Price>,
        estimate: impl FnOnce(&Price) -> i64,
    ) -> Result<Option<Reservation>, GatewayError> {
        if budgets.is_empty() {
            return Ok(None);
        }
        let Some(price) = price else {
            return Err(GatewayError::Forbidden {
                message: format!(
                    "model `{model}` has no price, and this API key has a budget: the \
                     operator must set one (`[prices]` in config.toml) before budgeted keys \
                     can use it"
                ),
                code: "model_not_priced",
            });
        };
        let now = (self.clock)();
        let charges: Vec<Charge> = budgets
            .iter()
            .map(|budget| Charge {
                budget: budget.id.clone(),
                amount: budget.settings.amount_nanos,
                window: self.calendar.window(budget.settings.period, now),
            })
            .collect();
        let estimate = estimate(&price);
        let refused = match &self.book {
            Book::Local(book) => {
                self.open_accounts(book, store, &budgets, &charges).await?;
                book.admit(&charges, estimate)
            }
            Book::Shared(shared) => {
                shared
                    .admit(store, &budgets, &charges, estimate, &self.calendar)
                    .await?
            }
        };
        match refused {
            Ok(reservation) => Ok(Some(reservation)),
            Err(id) => {
                let budget = budgets.iter().find(|b| b.id == id).unwrap_or(&budgets[0]);
                let window = self.calendar.window(budget.settings.period, now);
                crate::record::metrics::budget_refused(&budget.id);
                Err(self.exceeded(principal, budget, &window, now))
            }
        }
    }

    /// Opens this period's account of each budget that has none yet, from the store's
    /// rollup (once per budget and period).
    async fn open_accounts(
        &self,
        book: &LocalBook,
        store: &SharedStore,
        budgets: &[Arc<Budget>],
        charges: &[Charge],
    ) -> Result<(), GatewayError> {
        for (budget, charge) in budgets.iter().zip(charges) {
            if book.has(&budget.id, charge.window.start_ms) {
                continue;
            }
            let scope = budget.settings.scope;
            let subject = budget.settings.subject.clone();
            let first_day = charge.window.first_day.clone();
            let base =
                store::blocking(store, move |s| s.spent_since(scope, &subject, &first_day)).await?;
            book.open(&budget.id, &charge.window, base);
        }
        Ok(())
    }

    /// The 429 for a spent budget: which, how much, and when it resets.
    fn exceeded(
        &self,
        principal: &Principal,
        budget: &Budget,
        window: &Window,
        now_ms: i64,
    ) -> GatewayError {
        let whose = match budget.settings.scope {
            store::BudgetScope::Key => format!("API key `{}`", principal.client_id()),
            store::BudgetScope::Team => format!("team `{}`", budget.settings.subject),
        };
        let resets = jiff::Timestamp::from_millisecond(window.end_ms)
            .map(|t| t.to_string())
            .unwrap_or_default();
        GatewayError::BudgetExceeded {
            message: format!(
                "the {} budget of {whose} (${:.2}) is spent; it resets at {resets} ({})",
                budget.settings.period,
                cost::usd(budget.settings.amount_nanos),
                self.calendar.zone_name(),
            ),
            retry_after_secs: u64::try_from((window.end_ms - now_ms).max(0) / 1000)
                .unwrap_or(0)
                .saturating_add(1),
            resets_at: window.end_ms / 1000,
        }
    }

    /// Where `budget` stands this period: the rollup, or the live count when the live
    /// count is ahead of what the writer has committed.
    pub async fn status(
        &self,
        store: &SharedStore,
        budget: &Budget,
    ) -> Result<Status, GatewayError> {
        let window = self
            .calendar
            .window(budget.settings.period, store::now_millis());
        let scope = budget.settings.scope;
        let subject = budget.settings.subject.clone();
        let first_day = window.first_day.clone();
        let stored =
            store::blocking(store, move |s| s.spent_since(scope, &subject, &first_day)).await?;
        let live = match &self.book {
            Book::Local(book) => book.standing(&budget.id, window.start_ms),
            Book::Shared(shared) => shared.standing(&budget.id, &window).await,
        }
        .unwrap_or_default();
        Ok(Status {
            spent: stored.max(live.spent),
            reserved: live.reserved,
            window,
        })
    }

    /// Notes a settled cost against the soft thresholds of the budgets `reservation`
    /// charged: warns once per period and raises the gauge.
    pub fn after_settle(&self, budgets: &[Arc<Budget>]) {
        for budget in budgets {
            let Some(ratio) = budget.settings.soft_ratio else {
                continue;
            };
            let window = self
                .calendar
                .window(budget.settings.period, store::now_millis());
            let standing = match &self.book {
                Book::Local(book) => book.standing(&budget.id, window.start_ms),
                Book::Shared(shared) => shared.cached(&budget.id, window.start_ms),
            };
            let Some(standing) = standing else { continue };
            #[expect(clippy::cast_precision_loss, reason = "a threshold, not money")]
            let crossed = standing.spent as f64 >= ratio * budget.settings.amount_nanos as f64;
            if crossed && self.warn_once(&budget.id) {
                tracing::warn!(
                    budget = %budget.id,
                    scope = budget.settings.scope.as_str(),
                    subject = %budget.settings.subject,
                    spent_usd = cost::usd(standing.spent),
                    amount_usd = cost::usd(budget.settings.amount_nanos),
                    "budget past its soft threshold"
                );
            }
            crate::record::metrics::budget_standing(&budget.id, standing.spent, crossed);
        }
    }

    fn warn_once(&self, budget: &str) -> bool {
        match &self.book {
            Book::Local(book) => book.warn_once(budget),
            Book::Shared(shared) => shared.warn_once(budget),
        }
    }
}

/// What a request holds against its budgets until its record settles the real cost.
pub struct Settlement {
    reservation: Reservation,
    budgets: Vec<Arc<Budget>>,
    spend: Arc<Spend>,
}

impl Settlement {
    /// `reservation` against `budgets`, reported to `spend`'s soft thresholds.
    pub fn new(reservation: Reservation, budgets: Vec<Arc<Budget>>, spend: Arc<Spend>) -> Self {
        Self {
            reservation,
            budgets,
            spend,
        }
    }

    /// What was reserved, nanodollars.
    pub fn estimate(&self) -> i64 {
        self.reservation.estimate()
    }

    /// Settles `cost` (nanodollars) and checks the soft thresholds.
    pub fn settle(self, cost: i64) {
        self.reservation.settle(cost);
        self.spend.after_settle(&self.budgets);
    }
}

/// A prompt's tokens, estimated high from its body's size: what a request reserves
/// for, and what a cut stream that never reported its usage is billed for.
pub fn prompt_estimate(body_len: usize) -> u64 {
    (body_len as u64).div_ceil(BYTES_PER_TOKEN)
}

/// Dollars to nanodollars (negative and non-finite amounts are zero).
pub fn usd_to_nanos(dollars: f64) -> i64 {
    if !dollars.is_finite() || dollars <= 0.0 {
        return 0;
    }
    #[expect(clippy::cast_possible_truncation, reason = "saturating float cast")]
    let nanos = (dollars * price::NANOS_PER_USD).round() as i64;
    nanos
}

#[cfg(test)]
mod tests;
