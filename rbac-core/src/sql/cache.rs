//! A small bounded cache whose entries expire: what keeps the per-request
//! user lookup and revocation check off the database most of the time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

/// Entries live `ttl` from the moment their query *started*, so a value is
/// never served more than `ttl` after the database last showed it. At most
/// `capacity` entries: when full, expired entries go, and if none had
/// expired, all of them (a full cache is cheaper to refill than to manage).
#[derive(Debug)]
pub(crate) struct TtlCache<V> {
    ttl: Duration,
    capacity: usize,
    entries: RwLock<HashMap<String, (Instant, V)>>,
    /// Bumped by every invalidation; a query that started before one does
    /// not fill the cache with what it read.
    epoch: AtomicU64,
}

/// When a query started, for [`TtlCache::fill`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    started: Instant,
    epoch: u64,
}

impl<V: Clone> TtlCache<V> {
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        Self { ttl, capacity, entries: RwLock::default(), epoch: AtomicU64::new(0) }
    }

    /// A fresh entry for `key`, if any.
    pub(crate) fn get(&self, key: &str) -> Option<V> {
        self.read(key, V::clone)
    }

    /// `read` of a fresh entry for `key`, if any, without cloning it.
    pub(crate) fn read<R>(&self, key: &str, read: impl FnOnce(&V) -> R) -> Option<R> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let (at, value) = entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| read(value))
    }

    /// Call before querying; pass the ticket to [`TtlCache::fill`].
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket { started: Instant::now(), epoch: self.epoch.load(Ordering::Acquire) }
    }

    /// Remembers what a query that started at `ticket` read, unless the cache
    /// was invalidated since.
    pub(crate) fn fill(&self, key: &str, ticket: Ticket, value: V) {
        if self.ttl.is_zero() || self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if self.epoch.load(Ordering::Acquire) != ticket.epoch {
            return;
        }
        if entries.len() >= self.capacity && !entries.contains_key(key) {
            entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key.to_owned(), (ticket.started, value));
    }

    /// Forgets `key` (after this process changed it).
    pub(crate) fn invalidate(&self, key: &str) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.remove(key);
    }

    /// Forgets the entries whose value `stale` picks (after this process
    /// changed what they describe); the others stay.
    pub(crate) fn invalidate_where(&self, stale: impl Fn(&V) -> bool) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.retain(|_, (_, value)| !stale(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_capacity_is_bounded() {
        let cache = TtlCache::new(Duration::from_millis(50), 2);
        for key in ["a", "b", "c"] {
            cache.fill(key, cache.ticket(), 1);
        }
        let held = ["a", "b", "c"].iter().filter(|key| cache.get(key).is_some()).count();
        assert!(held <= 2, "never more than the capacity");
        assert_eq!(cache.get("c"), Some(1), "the newest entry is kept");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get("c"), None, "expired");
    }

    #[test]
    fn a_read_that_started_before_an_invalidation_is_not_cached() {
        let cache = TtlCache::new(Duration::from_secs(60), 8);
        let ticket = cache.ticket();
        cache.invalidate("a");
        cache.fill("a", ticket, "stale");
        assert_eq!(cache.get("a"), None);
        cache.fill("a", cache.ticket(), "fresh");
        assert_eq!(cache.get("a"), Some("fresh"));
    }

    #[test]
    fn invalidate_where_forgets_only_what_it_picks() {
        let cache = TtlCache::new(Duration::from_secs(60), 8);
        cache.fill("a", cache.ticket(), 1);
        cache.fill("b", cache.ticket(), 2);
        let ticket = cache.ticket();
        cache.invalidate_where(|value| *value == 1);
        assert_eq!((cache.get("a"), cache.get("b")), (None, Some(2)));
        cache.fill("a", ticket, 1);
        assert_eq!(cache.get("a"), None, "a read from before the change is not cached");
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = TtlCache::new(Duration::ZERO, 8);
        cache.fill("a", cache.ticket(), 1);
        assert_eq!(cache.get("a"), None);
    }
}
