use super::*;

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

fn wait(throttle: &MemoryThrottle, attempt: Attempt<'_>, now: Instant) -> Option<Duration> {
    match throttle.check_at(attempt, now) {
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
        assert_eq!(wait(&throttle, guess, t0), None);
        throttle.record_at(guess, false, t0);
    }
    assert_eq!(wait(&throttle, guess, t0), None, "the burst itself is free");
    throttle.record_at(guess, false, t0);
    assert_eq!(wait(&throttle, guess, t0), Some(Duration::from_secs(1)));
    assert_eq!(wait(&throttle, guess, t0 + Duration::from_secs(1)), None);
    throttle.record_at(guess, false, t0 + Duration::from_secs(1));
    assert_eq!(wait(&throttle, guess, t0 + Duration::from_secs(1)), Some(Duration::from_secs(2)));
}

#[test]
fn a_success_resets_the_streak() {
    let throttle = MemoryThrottle::new(config());
    let (t0, user) = (Instant::now(), attempt("johndoe", "198.51.100.1"));
    for _ in 0..4 {
        throttle.record_at(user, false, t0);
    }
    let later = t0 + Duration::from_secs(5);
    throttle.record_at(user, true, later);
    throttle.record_at(user, false, later);
    assert_eq!(wait(&throttle, user, later), None, "the streak starts over");
}

#[test]
fn the_hourly_cap_holds_until_the_window_ends() {
    let throttle = MemoryThrottle::new(config());
    let t0 = Instant::now();
    // Ten failures from ten addresses, spaced beyond every backoff delay.
    let mut now = t0;
    for i in 0..10 {
        let guess = attempt("johndoe", &format!("198.51.100.{i}"));
        throttle.record_at(guess, false, now);
        now += Duration::from_secs(60);
    }
    let fresh = attempt("johndoe", "203.0.113.99");
    let remaining = wait(&throttle, fresh, now).expect("capped");
    assert_eq!(remaining, Duration::from_secs(3600 - 600));
    assert_eq!(wait(&throttle, fresh, t0 + Duration::from_secs(3600)), None, "a new window");
}

#[test]
fn a_known_client_is_never_locked_out_of_its_account() {
    let throttle = MemoryThrottle::new(config());
    let t0 = Instant::now();
    let home = attempt("johndoe", "198.51.100.1");
    throttle.record_at(home, true, t0);
    for i in 0..50 {
        throttle.record_at(attempt("johndoe", &format!("203.0.113.{i}")), false, t0);
    }
    assert!(
        wait(&throttle, attempt("johndoe", "203.0.113.200"), t0).is_some(),
        "attackers are throttled"
    );
    assert_eq!(wait(&throttle, home, t0), None, "the owner's known address still gets in");
}

#[test]
fn ip_and_account_limits_are_separate() {
    let throttle = MemoryThrottle::new(config());
    let t0 = Instant::now();
    for i in 0..7 {
        throttle.record_at(attempt(&format!("user{i}"), "192.0.2.1"), false, t0);
    }
    assert!(
        wait(&throttle, attempt("someone-else", "192.0.2.1"), t0).is_some(),
        "the IP is throttled"
    );
    assert_eq!(
        wait(&throttle, attempt("user0", "192.0.2.2"), t0),
        None,
        "each account saw one failure"
    );
}

#[test]
fn state_stays_bounded() {
    let throttle = MemoryThrottle::new(ThrottleConfig { max_entries: 10, ..config() });
    let t0 = Instant::now();
    for i in 0..100 {
        throttle.record_at(attempt(&format!("user{i}"), "192.0.2.1"), false, t0);
    }
    let state = throttle.state.lock().expect("lock");
    assert!(state.counters.len() <= 10, "{}", state.counters.len());
    assert!(state.counters.contains_key(&Key::Ip("192.0.2.1".parse().expect("ip"))));
}
