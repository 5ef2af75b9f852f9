use super::*;
use crate::throttle::backoff;

fn config() -> ThrottleConfig {
    ThrottleConfig {
        account_burst: 3,
        account_hourly_limit: 10,
        ip_burst: 6,
        ip_hourly_limit: 20,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(8),
        window: Duration::from_secs(3600),
        known_client_ttl: Duration::from_secs(86_400),
        max_entries: 1000,
    }
}

fn attempt(account: &str, ip: &str) -> Attempt<'static> {
    Attempt { account: Box::leak(account.to_owned().into_boxed_str()), ip: ip.parse().expect("ip") }
}

/// Reserves an attempt: `None` if it may proceed (and is now counted), or
/// how long it must wait.
fn reserve(throttle: &MemoryThrottle, attempt: Attempt<'_>, now: Instant) -> Option<Duration> {
    match throttle.reserve_at(attempt, now) {
        Ok(()) => None,
        Err(ThrottleError::Throttled(wait)) => Some(wait),
        Err(ThrottleError::Unavailable) => unreachable!("memory never fails"),
    }
}

#[test]
fn backoff_doubles_after_the_burst_and_is_capped() {
    let config = config();
    let delays: Vec<_> = (1..=9).map(|n| backoff(n, 3, &config).map(|d| d.as_secs())).collect();
    assert_eq!(delays, [None, None, None, Some(1), Some(2), Some(4), Some(8), Some(8), Some(8)]);
    assert_eq!(backoff(u32::MAX, 3, &config), Some(Duration::from_secs(8)));
}

#[test]
fn an_account_is_throttled_after_its_burst_and_freed_after_the_delay() {
    let throttle = MemoryThrottle::new(config());
    let (t0, guess) = (Instant::now(), attempt("johndoe", "198.51.100.1"));
    for _ in 0..3 {
        assert_eq!(reserve(&throttle, guess, t0), None);
    }
    assert_eq!(reserve(&throttle, guess, t0), None, "the burst itself is free");
    assert_eq!(reserve(&throttle, guess, t0), Some(Duration::from_secs(1)));
    assert_eq!(reserve(&throttle, guess, t0 + Duration::from_secs(1)), None);
    assert_eq!(
        reserve(&throttle, guess, t0 + Duration::from_secs(1)),
        Some(Duration::from_secs(2))
    );
}

#[test]
fn reservations_count_before_any_verdict() {
    // No verdict is ever recorded, as when every guess is still being hashed.
    let throttle = MemoryThrottle::new(config());
    let (t0, guess) = (Instant::now(), attempt("johndoe", "198.51.100.1"));
    let passed = (0..20).filter(|_| reserve(&throttle, guess, t0).is_none()).count();
    assert_eq!(passed, 4, "the burst of 3, and the failure that starts the backoff");
}

#[test]
fn a_success_takes_back_its_reservation_and_resets_the_streak() {
    let throttle = MemoryThrottle::new(config());
    let (t0, user) = (Instant::now(), attempt("johndoe", "198.51.100.1"));
    for _ in 0..4 {
        reserve(&throttle, user, t0);
    }
    let mut now = t0 + Duration::from_secs(5);
    // Many successes do not use up the hourly limit of 10 failures...
    for _ in 0..20 {
        assert_eq!(reserve(&throttle, user, now), None);
        throttle.record_at(user, true, now);
        now += Duration::from_secs(1);
    }
    // ...and the streak starts over: the burst is free again.
    let elsewhere = attempt("johndoe", "203.0.113.9");
    for _ in 0..4 {
        assert_eq!(reserve(&throttle, elsewhere, now), None);
    }
    assert!(reserve(&throttle, elsewhere, now).is_some());
}

#[test]
fn a_failed_verdict_adds_nothing_to_its_reservation() {
    let throttle = MemoryThrottle::new(config());
    let (t0, guess) = (Instant::now(), attempt("johndoe", "198.51.100.1"));
    for _ in 0..4 {
        assert_eq!(reserve(&throttle, guess, t0), None);
        throttle.record_at(guess, false, t0);
    }
    assert_eq!(reserve(&throttle, guess, t0), Some(Duration::from_secs(1)), "4 failures, not 8");
}

#[test]
fn the_hourly_cap_holds_until_the_window_ends() {
    let throttle = MemoryThrottle::new(config());
    let t0 = Instant::now();
    // Ten failures from ten addresses, spaced beyond every backoff delay.
    let mut now = t0;
    for i in 0..10 {
        let guess = attempt("johndoe", &format!("198.51.100.{i}"));
        assert_eq!(reserve(&throttle, guess, now), None);
        now += Duration::from_secs(60);
    }
    let fresh = attempt("johndoe", "203.0.113.99");
    let remaining = reserve(&throttle, fresh, now).expect("capped");
    assert_eq!(remaining, Duration::from_secs(3600 - 600));
    assert_eq!(reserve(&throttle, fresh, t0 + Duration::from_secs(3600)), None, "a new window");
}

#[test]
fn a_known_client_is_never_locked_out_of_its_account() {
    let throttle = MemoryThrottle::new(config());
    let t0 = Instant::now();
    let home = attempt("johndoe", "198.51.100.1");
    assert_eq!(reserve(&throttle, home, t0), None);
    throttle.record_at(home, true, t0);
    for i in 0..50 {
        reserve(&throttle, attempt("johndoe", &format!("203.0.113.{i}")), t0);
    }
    assert!(
        reserve(&throttle, attempt("johndoe", "203.0.113.200"), t0).is_some(),
        "attackers are throttled"
    );
    assert_eq!(reserve(&throttle, home, t0), None, "the owner's known address still gets in");
}

#[test]
fn ip_and_account_limits_are_separate() {
    let throttle = MemoryThrottle::new(config());
    let t0 = Instant::now();
    for i in 0..7 {
        assert_eq!(reserve(&throttle, attempt(&format!("user{i}"), "192.0.2.1"), t0), None);
    }
    assert!(
        reserve(&throttle, attempt("someone-else", "192.0.2.1"), t0).is_some(),
        "the IP is throttled"
    );
    assert_eq!(
        reserve(&throttle, attempt("user0", "192.0.2.2"), t0),
        None,
        "each account saw one failure"
    );
}

#[test]
fn state_stays_bounded() {
    let config =
        ThrottleConfig { max_entries: 10, ip_burst: 1000, ip_hourly_limit: 1000, ..config() };
    let throttle = MemoryThrottle::new(config);
    let t0 = Instant::now();
    for i in 0..100 {
        reserve(&throttle, attempt(&format!("user{i}"), "192.0.2.1"), t0);
    }
    let state = throttle.state.lock().expect("lock");
    assert!(state.counters.len() <= 10, "{}", state.counters.len());
    assert_eq!(state.by_clean.len(), state.counters.len(), "the index matches the table");
    assert!(state.counters.contains_key(&Key::Ip("192.0.2.1".parse().expect("ip"))));
}

/// A throttle of 10 entries, full of keys that still hold failures.
fn full_of_recent_failures(t0: Instant) -> MemoryThrottle {
    let throttle = MemoryThrottle::new(ThrottleConfig { max_entries: 10, ..config() });
    for i in 0..5 {
        assert_eq!(
            reserve(&throttle, attempt(&format!("flood{i}"), &format!("192.0.2.{i}")), t0),
            None
        );
    }
    throttle
}

#[test]
fn a_full_table_refuses_new_keys_rather_than_not_counting_them() {
    let t0 = Instant::now();
    let throttle = full_of_recent_failures(t0);
    let guess = attempt("victim", "198.51.100.1");
    let passed = (0..20).filter(|_| reserve(&throttle, guess, t0).is_none()).count();
    assert!(passed <= 4, "{passed} guesses passed, beyond the burst");
    assert!(throttle.state.lock().expect("lock").counters.len() <= 10);
    let another = attempt("another", "198.51.100.2");
    assert_eq!(
        reserve(&throttle, another, t0 + Duration::from_secs(600)),
        Some(Duration::from_secs(3000)),
        "until the first key turns clean"
    );
}

#[test]
fn a_full_table_makes_room_by_evicting_clean_keys() {
    let t0 = Instant::now();
    let throttle = full_of_recent_failures(t0);
    // The flood's failures have left the window and no backoff is running:
    // those keys carry nothing that a fresh one would not.
    let later = t0 + Duration::from_secs(3600);
    let guess = attempt("victim", "198.51.100.1");
    let passed = (0..20).filter(|_| reserve(&throttle, guess, later).is_none()).count();
    assert_eq!(passed, 4, "the new key is counted like any other");
    assert!(throttle.state.lock().expect("lock").counters.len() <= 10);
}

#[test]
fn a_key_under_backoff_is_never_evicted() {
    let throttle = MemoryThrottle::new(ThrottleConfig { max_entries: 10, ..config() });
    let t0 = Instant::now();
    let guess = attempt("victim", "198.51.100.1");
    while reserve(&throttle, guess, t0).is_none() {}
    for i in 0..100 {
        reserve(&throttle, attempt(&format!("flood{i}"), &format!("192.0.2.{i}")), t0);
    }
    let elsewhere = attempt("victim", "203.0.113.1");
    assert!(reserve(&throttle, elsewhere, t0).is_some(), "the victim's account is still throttled");
}

#[test]
fn ipv6_clients_are_limited_per_64_and_mapped_ipv4_as_ipv4() {
    let throttle = MemoryThrottle::new(config());
    let t0 = Instant::now();
    // ip_burst is 6: seven failures from one /64, each from a new address...
    for i in 0..7 {
        let ip = format!("2001:db8:1:2:{i}::{i}");
        assert_eq!(reserve(&throttle, attempt(&format!("user{i}"), &ip), t0), None);
    }
    // ...throttle the whole /64, and only it.
    assert!(reserve(&throttle, attempt("fresh", "2001:db8:1:2:ffff::1"), t0).is_some());
    assert_eq!(reserve(&throttle, attempt("fresh", "2001:db8:1:3::1"), t0), None);

    for i in 0..7 {
        assert_eq!(reserve(&throttle, attempt(&format!("other{i}"), "192.0.2.9"), t0), None);
    }
    assert!(reserve(&throttle, attempt("fresh2", "::ffff:192.0.2.9"), t0).is_some());
    assert_eq!(reserve(&throttle, attempt("fresh2", "192.0.2.10"), t0), None, "IPv4: per address");
}
