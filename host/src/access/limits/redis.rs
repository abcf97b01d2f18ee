//! [`RedisLimits`]: rate limits shared by every gateway process on one Redis, so a
//! key's 10 requests a minute are 10 wherever the requests land.
//!
//! Each admission is one Lua script (`admit.lua`), atomic on the server and timed by
//! the server's clock, so processes with skewed clocks agree: tokens are read,
//! requests in flight counted, a request taken (GCRA, burst = rpm, as in memory) and a
//! slot leased, or nothing at all. An answer's tokens are settled by `record.lua`. A
//! slot is a member of a sorted set scored by its lease end: it is removed when the
//! request's answer has been delivered, and a process that dies mid-request loses its
//! slots when their lease runs out ([`LEASE`]), not never.
//!
//! When Redis cannot be reached, the `storage.redis_failure` policy decides: `open`
//! admits by this process's own limits ([`MemoryLimits`], each process enforcing the
//! whole limit alone), `closed` refuses with 503 `limits_unavailable`. Either way a
//! log line marks the outage and the recovery, and `switchyard_redis_up` shows it.
//! During an outage requests do not ask Redis (none waits for a connection timeout); a
//! probe pings it every [`PROBE_EVERY`], and limits are shared again as soon as it
//! answers, without a restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

use super::{Admission, LimitKind, LimitStore, Limited, MemoryLimits, RateLimitHeaders, Window};
use crate::config::RedisFailure;
use crate::error::GatewayError;
use crate::store::KeyLimits;

/// How long a request may hold a concurrency slot before another process may take it
/// back (the longest a call can run is the upstream timeout; this covers the default).
pub const LEASE: Duration = Duration::from_secs(15 * 60);

/// How often an outage's probe pings Redis.
const PROBE_EVERY: Duration = Duration::from_millis(250);

/// The longest an admission waits for Redis before the failure policy decides.
pub(crate) const TIMEOUT: Duration = Duration::from_millis(250);

/// Limits shared through Redis, with this process's memory behind them.
pub struct RedisLimits {
    conn: ConnectionManager,
    admit: Script,
    record: Script,
    local: MemoryLimits,
    policy: RedisFailure,
    health: Arc<Health>,
    slots: AtomicU64,
}

/// Whether Redis answers; while it does not, a probe waits for it to come back.
pub struct Health {
    down: AtomicBool,
    conn: ConnectionManager,
}

impl RedisLimits {
    /// Limits on the Redis at `url` (`redis://`, `rediss://`, `unix://`). Nothing is
    /// sent until the first request: a gateway starts while Redis is down.
    pub fn new(url: &str, policy: RedisFailure) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(PROBE_EVERY);
        let conn = ConnectionManager::new_lazy_with_config(client, config)?;
        crate::record::metrics::redis_up(true);
        Ok(Self {
            conn: conn.clone(),
            admit: Script::new(include_str!("redis/admit.lua")),
            record: Script::new(include_str!("redis/record.lua")),
            local: MemoryLimits::new(),
            policy,
            health: Arc::new(Health {
                down: AtomicBool::new(false),
                conn: conn.clone(),
            }),
            slots: AtomicU64::new(0),
        })
    }

    /// The connection, its health and the failure policy, for budgets shared on the
    /// same Redis (`spend::shared`).
    pub fn link(&self) -> (ConnectionManager, Arc<Health>, RedisFailure) {
        (self.conn.clone(), Arc::clone(&self.health), self.policy)
    }

    /// Admits one request of `key_id` under `limits`, wherever it runs.
    pub async fn admit(&self, key_id: &str, limits: KeyLimits) -> Result<Admission, Refused> {
        if limits == KeyLimits::default() {
            return Ok(Admission::unlimited());
        }
        if self.health.resting() {
            return self.fail(key_id, limits);
        }
        let member = format!(
            "{}-{}",
            std::process::id(),
            self.slots.fetch_add(1, Ordering::Relaxed)
        );
        let keys = Keys::of(key_id);
        let mut invocation = self.admit.prepare_invoke();
        invocation
            .key(&keys.requests)
            .key(&keys.tokens)
            .key(&keys.flying)
            .arg(limit_arg(limits.requests_per_minute))
            .arg(limit_arg(limits.tokens_per_minute))
            .arg(limit_arg(limits.max_concurrent))
            .arg(&member)
            .arg(u64::try_from(LEASE.as_millis()).unwrap_or(u64::MAX));
        let mut conn = self.conn.clone();
        let answer =
            tokio::time::timeout(TIMEOUT, invocation.invoke_async::<Vec<i64>>(&mut conn)).await;
        let reply = match answer {
            Ok(Ok(reply)) => reply,
            Ok(Err(err)) => {
                Health::failed(&self.health, &err.to_string());
                return self.fail(key_id, limits);
            }
            Err(_) => {
                Health::failed(&self.health, "no answer in time");
                return self.fail(key_id, limits);
            }
        };
        let verdict = Verdict::read(&reply, limits);
        if !verdict.admitted {
            return Err(Refused::Limited(verdict.refusal(key_id, limits)));
        }
        let admission = Admission::new(verdict.headers);
        Ok(match limits.max_concurrent {
            Some(_) => admission.with_permit(Slot {
                conn: self.conn.clone(),
                key: keys.flying,
                member,
            }),
            None => admission,
        })
    }

    /// Settles the tokens an answer used.
    pub fn record(&self, key_id: &str, limits: KeyLimits, tokens: u64) {
        let Some(tpm) = limits.tokens_per_minute else {
            return;
        };
        if tokens == 0 {
            return;
        }
        self.local.record(key_id, limits, tokens);
        if self.health.resting() {
            return;
        }
        let script = self.record.clone();
        let key = Keys::of(key_id).tokens;
        let mut conn = self.conn.clone();
        let health = Arc::clone(&self.health);
        tokio::spawn(async move {
            let mut invocation = script.prepare_invoke();
            invocation.key(key).arg(tpm).arg(tokens);
            let sent =
                tokio::time::timeout(TIMEOUT, invocation.invoke_async::<i64>(&mut conn)).await;
            match sent {
                Ok(Ok(_)) => {}
                Ok(Err(err)) => Health::failed(&health, &err.to_string()),
                Err(_) => Health::failed(&health, "no answer in time"),
            }
        });
    }

    /// The policy's answer while Redis cannot be reached.
    fn fail(&self, key_id: &str, limits: KeyLimits) -> Result<Admission, Refused> {
        match self.policy {
            RedisFailure::Open => self.local.admit(key_id, limits).map_err(Refused::Limited),
            RedisFailure::Closed => Err(Refused::Unavailable),
        }
    }
}

/// Why a request was not admitted.
#[derive(Debug)]
pub enum Refused {
    /// A limit said no (429).
    Limited(Limited),
    /// Redis is unreachable and the policy is `closed` (503).
    Unavailable,
}

impl Refused {
    /// The error the client receives.
    pub fn into_response(self) -> axum::response::Response {
        use axum::response::IntoResponse;
        match self {
            Self::Limited(limited) => limited.into_response(),
            Self::Unavailable => GatewayError::LimitsUnavailable.into_response(),
        }
    }
}

/// The Redis keys of one client key's limits; the `{id}` hash tag keeps them on one
/// cluster slot, as a script's keys must be.
struct Keys {
    requests: String,
    tokens: String,
    flying: String,
}

impl Keys {
    fn of(key_id: &str) -> Self {
        Self {
            requests: format!("switchyard:limits:{{{key_id}}}:requests"),
            tokens: format!("switchyard:limits:{{{key_id}}}:tokens"),
            flying: format!("switchyard:limits:{{{key_id}}}:in-flight"),
        }
    }
}

/// A limit as the script reads it: `-1` for none.
fn limit_arg(limit: Option<u32>) -> i64 {
    limit.map_or(-1, i64::from)
}

/// The script's reply, read.
struct Verdict {
    admitted: bool,
    kind: LimitKind,
    retry_after: Duration,
    used: u64,
    headers: RateLimitHeaders,
}

impl Verdict {
    fn read(reply: &[i64], limits: KeyLimits) -> Self {
        let at = |i: usize| reply.get(i).copied().unwrap_or(0);
        let millis = |i: usize| Duration::from_millis(at(i).max(0).unsigned_abs());
        let window = |limit: Option<u32>, remaining: usize, reset: usize| {
            limit.map(|limit| Window {
                limit,
                remaining: u32::try_from(at(remaining).max(0))
                    .unwrap_or(u32::MAX)
                    .min(limit),
                reset: millis(reset),
            })
        };
        Self {
            admitted: at(0) == 1,
            kind: match at(1) {
                2 => LimitKind::Tokens,
                3 => LimitKind::Concurrency,
                _ => LimitKind::Requests,
            },
            retry_after: millis(2),
            used: at(3).max(0).unsigned_abs(),
            headers: RateLimitHeaders {
                requests: window(limits.requests_per_minute, 4, 5),
                tokens: window(limits.tokens_per_minute, 6, 7),
            },
        }
    }

    fn refusal(&self, key_id: &str, limits: KeyLimits) -> Limited {
        let limit = match self.kind {
            LimitKind::Requests => limits.requests_per_minute,
            LimitKind::Tokens => limits.tokens_per_minute,
            LimitKind::Concurrency => limits.max_concurrent,
        };
        Limited::new(
            self.kind,
            key_id,
            limit.unwrap_or(0),
            self.used,
            self.retry_after,
            self.headers,
        )
    }
}

/// A request's slot among a key's requests in flight; given back when dropped.
struct Slot {
    conn: ConnectionManager,
    key: String,
    member: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut conn = self.conn.clone();
        let key = std::mem::take(&mut self.key);
        let member = std::mem::take(&mut self.member);
        // Dropped where the response body ends, on the runtime; if Redis cannot be
        // told, the lease ends the slot.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let mut remove = redis::cmd("ZREM");
                remove.arg(&key).arg(&member);
                let _ = tokio::time::timeout(TIMEOUT, remove.query_async::<i64>(&mut conn)).await;
            });
        }
    }
}

impl Health {
    /// True while requests go by the failure policy without asking Redis.
    pub fn resting(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Marks Redis down, if it was up, and starts the probe that waits for it.
    pub fn failed(health: &Arc<Self>, why: &str) {
        crate::record::metrics::redis_failure();
        if health.down.swap(true, Ordering::AcqRel) {
            return;
        }
        crate::record::metrics::redis_up(false);
        tracing::warn!(
            error = why,
            "Redis is unreachable: limits follow storage.redis_failure until it is back"
        );
        tokio::spawn(Self::probe(Arc::clone(health)));
    }

    /// Pings Redis until it answers, then shares limits again (or until the limiter
    /// is gone).
    async fn probe(health: Arc<Self>) {
        loop {
            tokio::time::sleep(PROBE_EVERY).await;
            if Arc::strong_count(&health) == 1 {
                return;
            }
            let mut conn = health.conn.clone();
            let ping = redis::cmd("PING");
            if let Ok(Ok(_)) =
                tokio::time::timeout(TIMEOUT, ping.query_async::<String>(&mut conn)).await
            {
                health.down.store(false, Ordering::Release);
                crate::record::metrics::redis_up(true);
                tracing::info!("Redis is reachable again: limits are shared again");
                return;
            }
        }
    }
}
