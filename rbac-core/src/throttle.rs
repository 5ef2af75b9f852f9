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
//! - IPv6 clients are limited per /64 (one host or one network, as a
//!   single IPv4 address usually is; a client picks addresses within its
//!   /64 freely). IPv4 clients are limited per address, and an IPv4-mapped
//!   IPv6 address counts as its IPv4 address. The known-client exemption
//!   is per /64 too, so a user whose address changes within its network
//!   keeps it.
//! - [`MemoryThrottle`] tracks at most `max_entries` keys, and never
//!   forgets a failure that still limits anyone. When a new key needs room,
//!   it evicts a *clean* key: one whose failures have all left the window
//!   and whose backoff is over, so a fresh key would limit the same (only a
//!   long-finished streak is forgotten). The key clean the longest goes
//!   first. If no key is clean, an attempt that needs a new key is refused
//!   as throttled, until the first key turns clean (at most `window` plus
//!   `max_delay`). So a flood that fills the table cannot buy unlimited
//!   guesses, nor reset a key under backoff by pushing it out; it can only
//!   lock out clients with no key yet, for as long as it keeps the table
//!   full of recent failures, which the per-IP limits make costly. Size
//!   `max_entries` for that, or use the Redis throttle, whose keys expire
//!   on their own and whose memory is Redis's to bound.

use std::future::Future;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use crate::boxed::BoxFuture;

mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use self::memory::MemoryThrottle;
#[cfg(feature = "redis")]
pub use self::redis::RedisThrottle;

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

/// The client as the per-IP limits count it: its /64 for IPv6, its address
/// for IPv4 (also when written as IPv4-mapped IPv6).
fn client_network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 @ IpAddr::V4(_) => v4,
    }
}
