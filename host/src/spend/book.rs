//! The live state of budgets in this process: per budget and period, what has been
//! spent and what in-flight requests have reserved.
//!
//! A request is admitted while `spent + reserved < amount` in every budget that covers
//! it, and then reserves its estimate in each; its record settles the real cost and
//! releases the rest. So the concurrent requests of a key see each other's
//! reservations, and the most a budget can end above its amount is what the last
//! admitted requests cost beyond their estimates plus the one estimate that crossed it:
//! never "every request in flight at the moment it ran out". A reservation nobody
//! settles (a process that died, in Redis; a bug, here) expires after its time to live.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::calendar::Window;

/// One budget's state in one period.
#[derive(Debug)]
struct Account {
    window: Window,
    spent: i64,
    reserved: i64,
    holds: HashMap<u64, (i64, Instant)>,
    /// The soft threshold was crossed (warned once per period).
    warned: bool,
}

impl Account {
    fn new(window: Window, base: i64) -> Self {
        Self {
            window,
            spent: base,
            reserved: 0,
            holds: HashMap::new(),
            warned: false,
        }
    }

    /// Drops reservations past their time to live.
    fn expire(&mut self, now: Instant) {
        let reserved = &mut self.reserved;
        self.holds.retain(|_, (amount, expires)| {
            let keep = *expires > now;
            if !keep {
                *reserved -= *amount;
            }
            keep
        });
    }
}

/// A budget to charge: its id, amount and the current period.
#[derive(Debug, Clone)]
pub struct Charge {
    /// The budget's id.
    pub budget: String,
    /// Its amount, nanodollars.
    pub amount: i64,
    /// The period now.
    pub window: Window,
}

/// A budget's state now, for the admin API and the soft threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing {
    /// Settled spend this period, nanodollars.
    pub spent: i64,
    /// Reserved by requests in flight, nanodollars.
    pub reserved: i64,
}

/// Budgets' live state in this process's memory.
#[derive(Debug, Clone)]
pub struct LocalBook {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    accounts: Mutex<HashMap<String, Account>>,
    ttl: Duration,
    next: AtomicU64,
}

impl LocalBook {
    /// A book whose reservations expire after `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                accounts: Mutex::new(HashMap::new()),
                ttl,
                next: AtomicU64::new(1),
            }),
        }
    }

    fn accounts(&self) -> MutexGuard<'_, HashMap<String, Account>> {
        self.inner
            .accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `budget` has an account for the period starting at `start_ms` (if not,
    /// the caller reads what was spent so far from the store and [`Self::open`]s one).
    pub fn has(&self, budget: &str, start_ms: i64) -> bool {
        self.accounts()
            .get(budget)
            .is_some_and(|a| a.window.start_ms == start_ms)
    }

    /// Opens `budget`'s account for `window` with `base` already spent, unless one is
    /// open for it already (another request got there first).
    pub fn open(&self, budget: &str, window: &Window, base: i64) {
        let mut accounts = self.accounts();
        let current = accounts
            .get(budget)
            .is_some_and(|a| a.window.start_ms == window.start_ms);
        if !current {
            accounts.insert(budget.to_string(), Account::new(window.clone(), base));
        }
    }

    /// Admits a request estimated at `estimate` nanodollars against every charge, or
    /// names the first budget that is spent. Nothing is reserved on a refusal.
    pub fn admit(&self, charges: &[Charge], estimate: i64) -> Result<Reservation, String> {
        let now = Instant::now();
        let id = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let mut accounts = self.accounts();
        for charge in charges {
            let account = accounts
                .entry(charge.budget.clone())
                .or_insert_with(|| Account::new(charge.window.clone(), 0));
            if account.window.start_ms != charge.window.start_ms {
                *account = Account::new(charge.window.clone(), 0);
            }
            account.expire(now);
            if account.spent.saturating_add(account.reserved) >= charge.amount {
                return Err(charge.budget.clone());
            }
        }
        let expires = now + self.inner.ttl;
        let mut holds = Vec::with_capacity(charges.len());
        for charge in charges {
            if let Some(account) = accounts.get_mut(&charge.budget) {
                account.reserved += estimate;
                account.holds.insert(id, (estimate, expires));
                holds.push((charge.budget.clone(), charge.window.start_ms));
            }
        }
        let book = Arc::clone(&self.inner);
        Ok(Reservation::new(estimate, move |cost| {
            book.settle(id, &holds, cost);
        }))
    }

    /// `budget`'s state in the period starting at `start_ms` (zero when untouched).
    pub fn standing(&self, budget: &str, start_ms: i64) -> Option<Standing> {
        let accounts = self.accounts();
        let account = accounts
            .get(budget)
            .filter(|a| a.window.start_ms == start_ms)?;
        Some(Standing {
            spent: account.spent,
            reserved: account.reserved,
        })
    }

    /// Marks `budget`'s soft threshold as crossed in its current period; `true` the
    /// first time (the caller warns once).
    pub fn warn_once(&self, budget: &str) -> bool {
        let mut accounts = self.accounts();
        match accounts.get_mut(budget) {
            Some(account) if !account.warned => {
                account.warned = true;
                true
            }
            _ => false,
        }
    }

    /// Adds a cost settled elsewhere (Redis) to this process's view, without a hold.
    pub fn mirror(&self, budget: &str, window: &Window, spent: i64, reserved: i64) {
        let mut accounts = self.accounts();
        let account = accounts
            .entry(budget.to_string())
            .or_insert_with(|| Account::new(window.clone(), spent));
        if account.window.start_ms != window.start_ms {
            *account = Account::new(window.clone(), spent);
        }
        account.spent = spent;
        account.reserved = reserved;
    }
}

impl Inner {
    fn settle(&self, id: u64, holds: &[(String, i64)], cost: i64) {
        let mut accounts = self
            .accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (budget, start_ms) in holds {
            // A period that has rolled over since admission started from nothing: the
            // cost belongs to the old one (the rollup files it by the request's day).
            let Some(account) = accounts
                .get_mut(budget)
                .filter(|a| a.window.start_ms == *start_ms)
            else {
                continue;
            };
            if let Some((amount, _)) = account.holds.remove(&id) {
                account.reserved -= amount;
            }
            account.spent = account.spent.saturating_add(cost);
        }
    }
}

/// Settles a reservation with the request's real cost (nanodollars).
type Settler = Box<dyn FnOnce(i64) + Send>;

/// What one request reserved: settled once, by its record, with the real cost;
/// released (at no cost) if dropped unsettled.
pub struct Reservation {
    settle: Option<Settler>,
    estimate: i64,
}

impl std::fmt::Debug for Reservation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reservation")
            .field("estimate", &self.estimate)
            .field("settled", &self.settle.is_none())
            .finish()
    }
}

impl Reservation {
    /// A reservation of `estimate` that `settle` settles.
    pub fn new(estimate: i64, settle: impl FnOnce(i64) + Send + 'static) -> Self {
        Self {
            settle: Some(Box::new(settle)),
            estimate,
        }
    }

    /// The amount reserved, nanodollars.
    pub fn estimate(&self) -> i64 {
        self.estimate
    }

    /// Settles the request's real `cost` and releases the rest of the reservation.
    pub fn settle(mut self, cost: i64) {
        if let Some(settle) = self.settle.take() {
            settle(cost);
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(settle) = self.settle.take() {
            settle(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start_ms: i64) -> Window {
        Window {
            start_ms,
            end_ms: start_ms + 1000,
            first_day: "2026-12-01".into(),
        }
    }

    fn charge(amount: i64) -> Charge {
        Charge {
            budget: "bud_1".into(),
            amount,
            window: window(0),
        }
    }

    #[test]
    fn concurrent_requests_see_each_others_reservations() {
        let book = LocalBook::new(Duration::from_secs(60));
        // $1 budget (1e9), requests estimated at 30 cents, costing 25.
        let held: Vec<_> = (0..10)
            .filter_map(|_| book.admit(&[charge(1_000_000_000)], 300_000_000).ok())
            .collect();
        assert_eq!(held.len(), 4, "0.3 x 3 < 1 admits a fourth, which crosses");
        for reservation in held {
            reservation.settle(250_000_000);
        }
        let standing = book.standing("bud_1", 0).expect("an account");
        assert_eq!(standing.spent, 1_000_000_000);
        assert_eq!(standing.reserved, 0, "everything released");
        assert!(book.admit(&[charge(1_000_000_000)], 1).is_err(), "spent");
    }

    #[test]
    fn a_dropped_reservation_releases_at_no_cost() {
        let book = LocalBook::new(Duration::from_secs(60));
        let reservation = book.admit(&[charge(100)], 90).expect("admitted");
        assert!(
            book.admit(&[charge(100)], 90).is_ok(),
            "90 < 100 still admits"
        );
        drop(reservation);
        let standing = book.standing("bud_1", 0).expect("an account");
        assert_eq!(standing.spent, 0);
    }

    #[test]
    fn expired_reservations_stop_counting() {
        let book = LocalBook::new(Duration::ZERO);
        let leaked = book.admit(&[charge(100)], 100).expect("admitted");
        std::mem::forget(leaked);
        assert!(book.admit(&[charge(100)], 100).is_ok(), "the leak expired");
    }

    #[test]
    fn a_new_period_starts_from_its_base_and_old_settlements_stay_old() {
        let book = LocalBook::new(Duration::from_secs(60));
        let old = book.admit(&[charge(100)], 50).expect("admitted");
        book.open("bud_1", &window(1000), 7);
        assert!(book.has("bud_1", 1000));
        old.settle(50);
        let standing = book.standing("bud_1", 1000).expect("the new period");
        assert_eq!(
            standing,
            Standing {
                spent: 7,
                reserved: 0
            }
        );
        assert_eq!(book.standing("bud_1", 0), None);
    }

    #[test]
    fn a_refusal_reserves_nothing_in_any_budget() {
        let book = LocalBook::new(Duration::from_secs(60));
        let roomy = Charge {
            budget: "bud_team".into(),
            amount: 1000,
            window: window(0),
        };
        book.open("bud_1", &window(0), 100);
        assert_eq!(
            book.admit(&[roomy.clone(), charge(100)], 10).map(|_| ()),
            Err("bud_1".to_string())
        );
        let team = book.standing("bud_team", 0).expect("an account");
        assert_eq!(team.reserved, 0);
    }
}
