//! Secrets the store did not know, remembered for a short while so that a client
//! retrying a wrong key, or someone trying random ones, does not reach the database on
//! every request. Bounded: past [`CAPACITY`] entries the oldest are forgotten.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use hashlink::LruCache;

/// Secret hashes remembered at most (about 1 MB).
pub const CAPACITY: usize = 10_000;

/// How long a failed lookup is remembered.
pub const TTL: Duration = Duration::from_secs(5);

/// Recently failed lookups, by secret hash.
pub struct Misses {
    // hashlink's LRU map (a linked hash map, which rusqlite already brings in) gives
    // O(1) eviction of the oldest entry; the lock is held for one map operation, and
    // only on the path of unknown keys.
    seen: Mutex<LruCache<String, Instant>>,
    ttl: Duration,
}

impl Misses {
    /// An empty cache remembering `capacity` misses for `ttl` each.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            seen: Mutex::new(LruCache::new(capacity)),
            ttl,
        }
    }

    /// Whether `hash` failed a lookup less than the TTL ago.
    pub fn contains(&self, hash: &str) -> bool {
        let Ok(mut seen) = self.seen.lock() else {
            return false;
        };
        match seen.peek(hash) {
            Some(at) if at.elapsed() < self.ttl => true,
            Some(_) => {
                seen.remove(hash);
                false
            }
            None => false,
        }
    }

    /// Remembers that `hash` is not in the store.
    pub fn insert(&self, hash: String) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.insert(hash, Instant::now());
        }
    }

    /// Forgets every miss (the keys changed).
    pub fn clear(&self) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.clear();
        }
    }

    /// Misses remembered now, expired ones included.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.seen.lock().map_or(0, |seen| seen.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_misses_go_first_when_full() {
        let misses = Misses::new(3, Duration::from_secs(60));
        for hash in ["a", "b", "c", "d"] {
            misses.insert(hash.into());
        }
        assert_eq!(misses.len(), 3, "bounded");
        assert!(!misses.contains("a"), "the oldest was evicted");
        assert!(misses.contains("b") && misses.contains("d"));
        misses.clear();
        assert_eq!(misses.len(), 0);
    }

    #[test]
    fn expired_misses_are_forgotten() {
        let misses = Misses::new(3, Duration::ZERO);
        misses.insert("a".into());
        assert!(!misses.contains("a"));
        assert_eq!(misses.len(), 0, "an expired miss is dropped when looked at");
    }
}
