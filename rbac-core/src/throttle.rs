//! Login throttling: failures counted per account and per client IP, with
//! exponential backoff and an hourly cap (OWASP ASVS: at most 100 failed
//! attempts per hour per account).
//!
//! The scheme, and why:
//! - Each key (the account, and the client IP) gets `burst` free
//!   consecutive failures. After that each failure doubles a lockout delay,
//!   from `base_delay` up to `max_delay`; a success resets the streak.
//! - Each key also has an hourly cap on failures (`account_hourly_limit`,
//!   `ip_hourly_limit`), counted in fixed windows.
//! - Throttled requests are refused with 429 *before* the password is
//!   looked at, so a 429 never says whether the password was right, and it
//!   costs no hashing.
//! - An attempt that may proceed is counted as a failure at once, in the
//!   same atomic step as the decision ([`LoginThrottle::reserve`]); a right
//!   password takes that back ([`LoginThrottle::record`]). So concurrent
//!   guesses cannot all pass a check before any of them is counted: a
//!   burst of parallel requests gets no more password checks than the same
//!   requests one after another. An attempt that ends without a verdict
//!   (the user store or the hashing pool unavailable, a 503) stays counted
//!   as a failure: that can only make the limits stricter, whereas taking
//!   it back would let a client that keeps the hashing pool busy retry for
//!   free.
//! - Lockout cannot be used to keep a real user out: account-level limits do
//!   not apply to a client IP that logged in to that account successfully in
//!   the last `known_client_ttl`. An attacker cannot earn that status without
//!   the password. A real user on a new network during an attack waits at
//!   most until the window ends.
//! - The account is the submitted name as the user store keys it
//!   ([`UserStore::account_key`](crate::UserStore::account_key)), so in a
//!   case-insensitive store every spelling of a name shares one budget.
//! - Unknown usernames are counted exactly like real ones, so throttling does
//!   not reveal which accounts exist.
//! - The state is bounded (`max_entries`); when full, expired entries are
//!   dropped first, and new keys are not tracked until space frees up (the
//!   per-IP limits still apply to the client doing the flooding).

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The limits of [`MemoryThrottle`] (and of the Redis variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Consecutive failures per account before backoff starts.
    pub account_burst: u32,
    /// Failures per account per window (ASVS: 100 per hour).
    pub account_hourly_limit: u32,
    /// Consecutive failures per client IP before backoff starts.
    pub ip_burst: u32,
    /// Failures per client IP per window.
    pub ip_hourly_limit: u32,
    /// The first backoff delay.
    pub base_delay: Duration,
    /// The longest backoff delay.
    pub max_delay: Duration,
    /// The counting window of the hourly limits.
    pub window: Duration,
    /// How long a successful (account, IP) pair stays exempt from account limits.
    pub known_client_ttl: Duration,
    /// The most keys tracked at once.
    pub max_entries: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            account_burst: 5,
            account_hourly_limit: 100,
            ip_burst: 20,
            ip_hourly_limit: 1000,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
            window: Duration::from_secs(60 * 60),
            known_client_ttl: Duration::from_secs(30 * 24 * 60 * 60),
            max_entries: 100_000,
        }
    }
}

/// One login attempt, as the throttle sees it.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    /// The submitted username as the user store keys it
    /// ([`UserStore::account_key`](crate::UserStore::account_key)), whether
    /// or not the user exists.
    pub account: &'a str,
    /// The client's address.
    pub ip: IpAddr,
}

/// Why a login may not proceed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleError {
    /// Too many failures: retry after this long.
    Throttled(Duration),
    /// The throttle's backing store failed; logins are refused rather than
    /// let through unthrottled.
    Unavailable,
}

/// Decides whether a login attempt may proceed, and learns from outcomes.
pub trait LoginThrottle: Send + Sync + 'static {
    /// `Ok` if the attempt may be checked now, in which case it is already
    /// counted as a failure. Deciding and counting must be one atomic step,
    /// so that concurrent attempts cannot all pass before any is counted.
    fn reserve(
        &self,
        attempt: Attempt<'_>,
    ) -> impl Future<Output = Result<(), ThrottleError>> + Send;

    /// The verdict on a reserved attempt: `succeeded` is whether the password
    /// was right. A success takes back the reserved failure and resets the
    /// streaks; a failure is already counted, so nothing more happens.
    fn record(&self, attempt: Attempt<'_>, succeeded: bool) -> impl Future<Output = ()> + Send;
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub(crate) trait DynLoginThrottle: Send + Sync {
    fn reserve<'a>(&'a self, attempt: Attempt<'a>) -> BoxFuture<'a, Result<(), ThrottleError>>;
    fn record<'a>(&'a self, attempt: Attempt<'a>, succeeded: bool) -> BoxFuture<'a, ()>;
}

impl<T: LoginThrottle> DynLoginThrottle for T {
    fn reserve<'a>(&'a self, attempt: Attempt<'a>) -> BoxFuture<'a, Result<(), ThrottleError>> {
        Box::pin(LoginThrottle::reserve(self, attempt))
    }
    fn record<'a>(&'a self, attempt: Attempt<'a>, succeeded: bool) -> BoxFuture<'a, ()> {
        Box::pin(LoginThrottle::record(self, attempt, succeeded))
    }
}

/// The backoff delay after `consecutive` failures, if any.
pub fn backoff(consecutive: u32, burst: u32, config: &ThrottleConfig) -> Option<Duration> {
    let over = consecutive.checked_sub(burst)?.checked_sub(1)?;
    let factor = 1u32.checked_shl(over.min(31)).unwrap_or(u32::MAX);
    Some(config.base_delay.saturating_mul(factor).min(config.max_delay))
}

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

    fn expired(&self, now: Instant, config: &ThrottleConfig) -> bool {
        now.duration_since(self.window_start) >= config.window
            && self.blocked_until.is_none_or(|until| until <= now)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Ip(IpAddr),
}

#[derive(Debug, Default)]
struct State {
    counters: HashMap<Key, Counter>,
    known: HashMap<(String, IpAddr), Instant>,
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
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let wait = |key: &Key, limit| {
            state.counters.get(key).and_then(|counter| {
                let mut counter = *counter;
                counter.refresh(now, config.window);
                counter.wait(now, limit, config.window)
            })
        };
        let ip_wait = wait(&Key::Ip(attempt.ip), config.ip_hourly_limit);
        let known = state
            .known
            .get(&(attempt.account.to_owned(), attempt.ip))
            .is_some_and(|since| now.duration_since(*since) < config.known_client_ttl);
        let account_wait = if known {
            None
        } else {
            wait(&Key::Account(attempt.account.to_owned()), config.account_hourly_limit)
        };
        if let Some(wait) = ip_wait.into_iter().chain(account_wait).max() {
            return Err(ThrottleError::Throttled(wait));
        }
        let keys = [
            (Key::Account(attempt.account.to_owned()), config.account_burst),
            (Key::Ip(attempt.ip), config.ip_burst),
        ];
        if state.counters.len() + 2 > config.max_entries {
            state.counters.retain(|_, counter| !counter.expired(now, config));
            state.known.retain(|_, since| now.duration_since(*since) < config.known_client_ttl);
        }
        for (key, burst) in keys {
            let room = state.counters.len() < config.max_entries;
            let counter = match state.counters.get_mut(&key) {
                Some(counter) => counter,
                None if !room => continue,
                None => state.counters.entry(key).or_insert(Counter::new(now)),
            };
            counter.refresh(now, config.window);
            counter.fail(now, burst, config);
        }
        Ok(())
    }

    fn record_at(&self, attempt: Attempt<'_>, succeeded: bool, now: Instant) {
        if !succeeded {
            return;
        }
        let config = &self.config;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        for key in [Key::Account(attempt.account.to_owned()), Key::Ip(attempt.ip)] {
            if let Some(counter) = state.counters.get_mut(&key) {
                counter.refresh(now, config.window);
                counter.succeed();
            }
        }
        if state.known.len() < config.max_entries {
            state.known.insert((attempt.account.to_owned(), attempt.ip), now);
        }
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

#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
pub use self::redis::RedisThrottle;

#[cfg(test)]
mod tests;
