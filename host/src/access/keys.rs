//! Client keys: minting secrets, hashing them, and the in-memory key ring that
//! authenticates a request without touching the database. The ring reloads when the
//! store's key version moves, so a key revoked from the CLI (another process) stops
//! working within a second; a secret the ring does not know is looked up in the store
//! before it is refused, so a key created elsewhere works on its very first request.

pub mod broadcast;
mod misses;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::spend::budgets::BudgetIndex;
use crate::store::{self, ClientKey, NewKey, SharedStore, StoreError, StoreResult};
use misses::Misses;

/// Every secret starts with this, so leaked keys are recognisable.
pub const SECRET_PREFIX: &str = "sy-";

/// Characters of the secret shown in listings.
const VISIBLE_CHARS: usize = 10;

/// How often the ring checks the store for changes made elsewhere.
const REFRESH_EVERY: Duration = Duration::from_secs(1);

/// Store lookups of unknown secrets running at once; more wait their turn, so a flood
/// of random keys cannot take every blocking thread (the store reads through one
/// connection anyway).
const LOOKUPS_AT_ONCE: usize = 4;

/// A fresh secret: 256 random bits, base64url.
pub fn mint() -> StoreResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|err| StoreError::unavailable("no randomness available", err))?;
    Ok(format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// The stored form of a secret: hex SHA-256. The secrets carry 256 random bits, so a
/// fast hash is enough (no password stretching needed).
pub fn hash(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

/// The part of a secret safe to show: its first characters.
pub fn visible_prefix(secret: &str) -> String {
    secret.chars().take(VISIBLE_CHARS).collect()
}

/// Longest key name accepted.
const MAX_NAME: usize = 200;

/// A key setting that cannot be accepted: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSetting {
    /// The field at fault (`name`, `models`, `expires_at`).
    pub field: &'static str,
    /// What is wrong, for the operator.
    pub message: String,
}

/// Checks what serde cannot, for the admin API and the CLI alike: a name, models the
/// gateway serves (`is_model`), an expiry in the future. `None` is not checked.
pub fn check_settings(
    name: Option<&str>,
    models: Option<&[String]>,
    expires_at: Option<i64>,
    is_model: impl Fn(&str) -> bool,
) -> Result<(), InvalidSetting> {
    if let Some(name) = name
        && (name.trim().is_empty() || name.len() > MAX_NAME)
    {
        return Err(InvalidSetting {
            field: "name",
            message: format!("`name` must be 1 to {MAX_NAME} characters"),
        });
    }
    if let Some(model) = models.into_iter().flatten().find(|m| !is_model(m)) {
        return Err(InvalidSetting {
            field: "models",
            message: format!("`models` names `{model}`, which is not a configured model"),
        });
    }
    if expires_at.is_some_and(|at| at <= store::now_secs()) {
        return Err(InvalidSetting {
            field: "expires_at",
            message: "`expires_at` is in the past".into(),
        });
    }
    Ok(())
}

/// A key just created or rotated, with its secret (shown once).
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedKey {
    /// The key's record.
    #[serde(flatten)]
    pub key: ClientKey,
    /// The secret; not stored anywhere, shown this once.
    pub secret: String,
}

/// Creates a key in `store`.
pub fn create(store: &dyn store::Store, mut new: NewKey) -> StoreResult<IssuedKey> {
    let secret = mint()?;
    new.prefix = visible_prefix(&secret);
    let key = store.create_key(&new, &hash(&secret))?;
    Ok(IssuedKey { key, secret })
}

/// Gives key `id` a new secret; the old one keeps working for `grace_secs` (0: stops now).
pub fn rotate(
    store: &dyn store::Store,
    id: &str,
    grace_secs: u64,
) -> StoreResult<Option<IssuedKey>> {
    let secret = mint()?;
    let grace_until = (grace_secs > 0)
        .then(|| store::now_secs().saturating_add(i64::try_from(grace_secs).unwrap_or(i64::MAX)));
    let rotated = store.rotate_key(id, &hash(&secret), &visible_prefix(&secret), grace_until)?;
    Ok(rotated.map(|key| IssuedKey { key, secret }))
}

/// Why a presented secret was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No key has this secret (or it was revoked, or rotated out).
    Unknown,
    /// The key is disabled.
    Disabled,
    /// The key has expired.
    Expired,
}

struct Entry {
    key: Arc<ClientKey>,
    /// Set for a previous secret: valid until this instant (unix seconds).
    valid_until: Option<i64>,
}

/// Live keys by secret hash.
pub struct KeyRing {
    store: SharedStore,
    ring: ArcSwap<HashMap<String, Entry>>,
    /// The budgets in force, reloaded with the keys (budget changes move the version).
    budgets: ArcSwap<BudgetIndex>,
    version: AtomicI64,
    /// Secrets the store did not know a moment ago.
    misses: Misses,
    lookups: Semaphore,
    /// Tells other processes about changes made here (with Redis).
    broadcast: std::sync::OnceLock<broadcast::KeyBroadcast>,
}

impl KeyRing {
    /// Loads every live key from `store`.
    pub fn load(store: SharedStore) -> StoreResult<Arc<Self>> {
        let ring = Arc::new(Self {
            store,
            ring: ArcSwap::from_pointee(HashMap::new()),
            budgets: ArcSwap::from_pointee(BudgetIndex::default()),
            version: AtomicI64::new(i64::MIN),
            misses: Misses::new(misses::CAPACITY, misses::TTL),
            lookups: Semaphore::new(LOOKUPS_AT_ONCE),
            broadcast: std::sync::OnceLock::new(),
        });
        ring.reload()?;
        Ok(ring)
    }

    /// Reloads from the store now (after a change made through this process).
    pub fn reload(&self) -> StoreResult<()> {
        let version = self.store.keys_version()?;
        let mut map = HashMap::new();
        for hashes in self.store.key_hashes()? {
            let key = Arc::new(hashes.key);
            if let Some(previous) = hashes.previous_hash {
                map.insert(
                    previous,
                    Entry {
                        key: Arc::clone(&key),
                        valid_until: key.previous_secret_valid_until,
                    },
                );
            }
            map.insert(
                hashes.secret_hash,
                Entry {
                    key,
                    valid_until: None,
                },
            );
        }
        let budgets = BudgetIndex::new(self.store.list_budgets()?);
        self.ring.store(Arc::new(map));
        self.budgets.store(Arc::new(budgets));
        self.version.store(version, Ordering::Release);
        // A secret missed before this version may exist now.
        self.misses.clear();
        Ok(())
    }

    /// The budgets in force.
    pub fn budgets(&self) -> Arc<BudgetIndex> {
        self.budgets.load_full()
    }

    /// Reloads when the store's key version moved.
    pub fn refresh(&self) -> StoreResult<()> {
        if self.store.keys_version()? != self.version.load(Ordering::Acquire) {
            self.reload()?;
        }
        Ok(())
    }

    /// Hears about key changes from other processes on the Redis at `url`, and tells
    /// them about this one's ([`broadcast`]).
    pub fn broadcast_through(self: &Arc<Self>, url: &str) -> Result<(), redis::RedisError> {
        let broadcast = broadcast::KeyBroadcast::start(url, Arc::downgrade(self))?;
        let _ = self.broadcast.set(broadcast);
        Ok(())
    }

    /// Tells the other processes that keys changed here, when they listen.
    pub async fn announce(&self) {
        if let Some(broadcast) = self.broadcast.get() {
            broadcast.announce().await;
        }
    }

    /// Checks for changes every second until the ring is dropped elsewhere.
    pub fn spawn_refresher(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REFRESH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(ring) = weak.upgrade() else { break };
                let outcome = tokio::task::spawn_blocking(move || ring.refresh()).await;
                if let Ok(Err(err)) = outcome {
                    tracing::warn!(error = %err, "cannot refresh client keys");
                }
            }
        });
    }

    /// The key for `secret`, if it may be used now. A secret the ring does not know
    /// is looked up in the store (off the runtime), unless it failed a lookup a moment
    /// ago: a key created by another process works at once. When the store has it,
    /// the ring is reloaded and answers, so every key served comes from the ring and
    /// revocation behaves as it does for any key.
    pub async fn authenticate(self: &Arc<Self>, secret: &str) -> Result<Arc<ClientKey>, Refusal> {
        let hash = hash(secret);
        match self.check(&hash) {
            Err(Refusal::Unknown) if !self.misses.contains(&hash) => {}
            known => return known,
        }
        let Ok(_permit) = self.lookups.acquire().await else {
            return Err(Refusal::Unknown);
        };
        // Another request may have loaded it (or missed it) while this one waited.
        match self.check(&hash) {
            Err(Refusal::Unknown) if !self.misses.contains(&hash) => {}
            known => return known,
        }
        let ring = Arc::clone(self);
        let lookup = tokio::task::spawn_blocking(move || ring.look_up(hash)).await;
        match lookup {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "cannot look up a client key");
                Err(Refusal::Unknown)
            }
            Err(err) => {
                tracing::warn!(error = %err, "client key lookup failed");
                Err(Refusal::Unknown)
            }
        }
    }

    /// Asks the store for `hash`: a miss is remembered, a hit reloads the ring.
    fn look_up(&self, hash: String) -> StoreResult<Result<Arc<ClientKey>, Refusal>> {
        if self.store.find_key_by_hash(&hash)?.is_none() {
            self.misses.insert(hash);
            return Ok(Err(Refusal::Unknown));
        }
        self.refresh()?;
        Ok(self.check(&hash))
    }

    /// Checks `hash` against the ring.
    fn check(&self, hash: &str) -> Result<Arc<ClientKey>, Refusal> {
        let ring = self.ring.load();
        let entry = ring.get(hash).ok_or(Refusal::Unknown)?;
        let now = store::now_secs();
        if entry.valid_until.is_some_and(|until| until <= now) {
            return Err(Refusal::Unknown);
        }
        if !entry.key.enabled {
            return Err(Refusal::Disabled);
        }
        if entry.key.expires_at.is_some_and(|at| at <= now) {
            return Err(Refusal::Expired);
        }
        Ok(Arc::clone(&entry.key))
    }
}

#[cfg(test)]
mod tests;
