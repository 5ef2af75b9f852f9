//! [`MemoryThrottle`]: the throttle's state in process memory, bounded as
//! the [module docs](super) describe.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{Attempt, LoginThrottle, ThrottleConfig, ThrottleError, backoff, client_network};

#[derive(Debug, Clone, Copy)]
struct Counter {
    window_start: Instant,
    failures: u32,
    consecutive: u32,
    blocked_until: Option<Instant>,
}

impl Counter {
    fn new(now: Instant) -> Self {
        Self { window_start: now, failures: 0, consecutive: 0, blocked_until: None }
    }

    fn refresh(&mut self, now: Instant, window: Duration) {
        if now.duration_since(self.window_start) >= window {
            self.window_start = now;
            self.failures = 0;
        }
    }

    /// How long until this key may try again, if it must wait.
    fn wait(&self, now: Instant, limit: u32, window: Duration) -> Option<Duration> {
        let backoff = self.blocked_until.and_then(|until| until.checked_duration_since(now));
        let capped = (self.failures >= limit)
            .then(|| (self.window_start + window).saturating_duration_since(now));
        backoff.into_iter().chain(capped).filter(|d| !d.is_zero()).max()
    }

    fn fail(&mut self, now: Instant, burst: u32, config: &ThrottleConfig) {
        self.failures = self.failures.saturating_add(1);
        self.consecutive = self.consecutive.saturating_add(1);
        self.blocked_until = backoff(self.consecutive, burst, config).map(|delay| now + delay);
    }

    /// Takes back the failure reserved for an attempt that succeeded, and
    /// ends the streak.
    fn succeed(&mut self) {
        self.failures = self.failures.saturating_sub(1);
        self.consecutive = 0;
        self.blocked_until = None;
    }

    /// From when this counter limits nothing that a fresh one would not:
    /// its failures have left the window and its backoff is over.
    fn clean_at(&self, config: &ThrottleConfig) -> Instant {
        let counted_until =
            if self.failures == 0 { self.window_start } else { self.window_start + config.window };
        self.blocked_until.map_or(counted_until, |until| until.max(counted_until))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Ip(IpAddr),
}

#[derive(Debug)]
struct Entry {
    counter: Counter,
    /// Its place in [`State::by_clean`].
    slot: (Instant, u64),
}

#[derive(Debug, Default)]
struct State {
    counters: HashMap<Key, Entry>,
    /// Every counter by when it turns clean, so that finding one to evict,
    /// or finding that none can be, costs no scan of the table.
    by_clean: BTreeMap<(Instant, u64), Key>,
    /// Tells apart counters that turn clean at the same instant.
    next_slot: u64,
    known: HashMap<(String, IpAddr), Instant>,
}

impl State {
    fn counter(&self, key: &Key) -> Option<Counter> {
        self.counters.get(key).map(|entry| entry.counter)
    }

    fn put(&mut self, key: Key, counter: Counter, config: &ThrottleConfig) {
        let slot = (counter.clean_at(config), self.next_slot);
        self.next_slot = self.next_slot.wrapping_add(1);
        if let Some(old) = self.counters.insert(key.clone(), Entry { counter, slot }) {
            self.by_clean.remove(&old.slot);
        }
        self.by_clean.insert(slot, key);
    }

    /// Evicts clean counters until `needed` new ones fit, or says how long
    /// until one more turns clean.
    fn make_room(
        &mut self,
        needed: usize,
        now: Instant,
        config: &ThrottleConfig,
    ) -> Result<(), Duration> {
        // Room for one attempt's two keys, whatever the configuration.
        let capacity = config.max_entries.max(2);
        while self.counters.len() + needed > capacity {
            let Some(first) = self.by_clean.first_entry() else {
                return Err(config.window);
            };
            let clean_at = first.key().0;
            if clean_at > now {
                return Err(clean_at - now);
            }
            let key = first.remove();
            self.counters.remove(&key);
        }
        Ok(())
    }

    fn remember(&mut self, client: (String, IpAddr), now: Instant, config: &ThrottleConfig) {
        if self.known.len() >= config.max_entries {
            self.known.retain(|_, since| now.duration_since(*since) < config.known_client_ttl);
        }
        // When full of recent logins, a new one is not remembered: that only
        // withholds an exemption.
        if self.known.len() < config.max_entries || self.known.contains_key(&client) {
            self.known.insert(client, now);
        }
    }
}

/// In-process throttle state, for a single instance.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use rbac_core::throttle::{Attempt, LoginThrottle, MemoryThrottle, ThrottleConfig, ThrottleError};
///
/// let throttle = MemoryThrottle::new(ThrottleConfig { account_burst: 1, ..Default::default() });
/// let attempt = Attempt { account: "johndoe", ip: "203.0.113.7".parse().unwrap() };
/// assert!(throttle.reserve(attempt).await.is_ok(), "one free failure");
/// throttle.record(attempt, false).await;
/// assert!(throttle.reserve(attempt).await.is_ok(), "the failure that starts the backoff");
/// throttle.record(attempt, false).await;
/// assert!(matches!(throttle.reserve(attempt).await, Err(ThrottleError::Throttled(_))));
/// # }
/// ```
#[derive(Debug)]
pub struct MemoryThrottle {
    config: ThrottleConfig,
    state: Mutex<State>,
}

impl Default for MemoryThrottle {
    fn default() -> Self {
        Self::new(ThrottleConfig::default())
    }
}

impl MemoryThrottle {
    /// An empty throttle with these limits.
    pub fn new(config: ThrottleConfig) -> Self {
        Self { config, state: Mutex::new(State::default()) }
    }

    fn reserve_at(&self, attempt: Attempt<'_>, now: Instant) -> Result<(), ThrottleError> {
        let config = &self.config;
        let ip = client_network(attempt.ip);
        let account = Key::Account(attempt.account.to_owned());
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let wait = |key: &Key, limit| {
            state.counter(key).and_then(|mut counter| {
                counter.refresh(now, config.window);
                counter.wait(now, limit, config.window)
            })
        };
        let ip_wait = wait(&Key::Ip(ip), config.ip_hourly_limit);
        let known = state
            .known
            .get(&(attempt.account.to_owned(), ip))
            .is_some_and(|since| now.duration_since(*since) < config.known_client_ttl);
        let account_wait = if known { None } else { wait(&account, config.account_hourly_limit) };
        if let Some(wait) = ip_wait.into_iter().chain(account_wait).max() {
            return Err(ThrottleError::Throttled(wait));
        }
        let keys = [(account, config.account_burst), (Key::Ip(ip), config.ip_burst)];
        let new = keys.iter().filter(|(key, _)| !state.counters.contains_key(key)).count();
        state.make_room(new, now, config).map_err(ThrottleError::Throttled)?;
        for (key, burst) in keys {
            let mut counter = state.counter(&key).unwrap_or(Counter::new(now));
            counter.refresh(now, config.window);
            counter.fail(now, burst, config);
            state.put(key, counter, config);
        }
        Ok(())
    }

    fn record_at(&self, attempt: Attempt<'_>, succeeded: bool, now: Instant) {
        if !succeeded {
            return;
        }
        let config = &self.config;
        let ip = client_network(attempt.ip);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        for key in [Key::Account(attempt.account.to_owned()), Key::Ip(ip)] {
            if let Some(mut counter) = state.counter(&key) {
                counter.refresh(now, config.window);
                counter.succeed();
                state.put(key, counter, config);
            }
        }
        state.remember((attempt.account.to_owned(), ip), now, config);
    }
}

impl LoginThrottle for MemoryThrottle {
    async fn reserve(&self, attempt: Attempt<'_>) -> Result<(), ThrottleError> {
        self.reserve_at(attempt, Instant::now())
    }

    async fn record(&self, attempt: Attempt<'_>, succeeded: bool) {
        self.record_at(attempt, succeeded, Instant::now());
    }
}

#[cfg(test)]
mod tests;
