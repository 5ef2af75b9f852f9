//! The Redis-backed login throttle (feature `redis`, Redis on
//! 127.0.0.1:6379; `.ci/run` starts one when it is not running): the same
//! scheme as the in-process one, shared by two app instances.
#![cfg(feature = "redis")]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use rbac_core::throttle::{Attempt, LoginThrottle, RedisThrottle, ThrottleConfig, ThrottleError};
use rbac_core::{Auth, JwtSecret, MemoryUserStore, PasswordHasher, Tokens};
use tests::{TEST_SECRET, send};

const REDIS: &str = "redis://127.0.0.1:6379";

/// A key prefix no other test run shares, so runs can go in parallel.
fn unique_prefix(name: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_nanos();
    format!("rbac-test:{name}:{}:{nanos}", std::process::id())
}

async fn throttle(prefix: &str, config: ThrottleConfig) -> RedisThrottle {
    RedisThrottle::connect(REDIS, prefix, config).await.expect("Redis on 127.0.0.1:6379")
}

fn attempt(account: &'static str, ip: &str) -> Attempt<'static> {
    Attempt { account, ip: ip.parse().expect("ip") }
}

fn small() -> ThrottleConfig {
    ThrottleConfig { account_burst: 2, ip_burst: 4, ..ThrottleConfig::default() }
}

#[tokio::test]
async fn backoff_starts_after_the_burst_and_a_success_resets_it() {
    let throttle = throttle(&unique_prefix("backoff"), small()).await;
    let guess = attempt("johndoe", "198.51.100.1");
    for _ in 0..2 {
        assert_eq!(throttle.reserve(guess).await, Ok(()));
        throttle.record(guess, false).await;
    }
    assert_eq!(throttle.reserve(guess).await, Ok(()), "the burst is free");
    throttle.record(guess, false).await;
    match throttle.reserve(guess).await {
        Err(ThrottleError::Throttled(wait)) => {
            assert!(wait <= Duration::from_secs(1) && !wait.is_zero())
        }
        other => panic!("expected a 1 s backoff, got {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(throttle.reserve(guess).await, Ok(()), "the delay passed");
    throttle.record(guess, true).await;
    let elsewhere = attempt("johndoe", "203.0.113.9");
    for _ in 0..3 {
        assert_eq!(throttle.reserve(elsewhere).await, Ok(()), "the streak started over");
    }
    assert!(throttle.reserve(elsewhere).await.is_err());
}

#[tokio::test]
async fn reservations_count_before_any_verdict_even_in_parallel() {
    let throttle = throttle(&unique_prefix("reserve"), small()).await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let throttle = throttle.clone();
            let from = format!("203.0.113.{i}").leak();
            tokio::spawn(async move { throttle.reserve(attempt("johndoe", from)).await })
        })
        .collect();
    let mut passed = 0;
    for task in tasks {
        passed += usize::from(task.await.expect("task").is_ok());
    }
    assert_eq!(passed, 3, "the burst of 2, and the failure that starts the backoff");
}

#[tokio::test]
async fn a_success_takes_back_its_reservation() {
    let config = ThrottleConfig { account_hourly_limit: 3, ..small() };
    let throttle = throttle(&unique_prefix("success"), config).await;
    let user = attempt("johndoe", "198.51.100.1");
    for _ in 0..10 {
        assert_eq!(throttle.reserve(user).await, Ok(()));
        throttle.record(user, true).await;
    }
    let stranger = attempt("johndoe", "203.0.113.1");
    for _ in 0..3 {
        assert_eq!(throttle.reserve(stranger).await, Ok(()), "no failure counted yet");
    }
    assert!(throttle.reserve(stranger).await.is_err(), "the hourly limit of 3");
}

#[tokio::test]
async fn known_clients_pass_and_ip_limits_span_accounts() {
    let throttle = throttle(&unique_prefix("known"), small()).await;
    let home = attempt("johndoe", "192.0.2.10");
    assert_eq!(throttle.reserve(home).await, Ok(()));
    throttle.record(home, true).await;
    for ip in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        assert_eq!(throttle.reserve(attempt("johndoe", ip)).await, Ok(()));
    }
    assert!(
        throttle.reserve(attempt("johndoe", "203.0.113.4")).await.is_err(),
        "the account is throttled"
    );
    assert_eq!(throttle.reserve(home).await, Ok(()), "but not for its owner");

    for account in ["a", "b", "c", "d", "e"] {
        assert_eq!(throttle.reserve(attempt(account, "198.51.100.50")).await, Ok(()));
    }
    assert!(
        throttle.reserve(attempt("f", "198.51.100.50")).await.is_err(),
        "the address is throttled"
    );
}

fn instance(throttle: RedisThrottle) -> Router {
    let users = MemoryUserStore::new();
    let hasher = PasswordHasher::default();
    example_app::seed_demo_users(&users, &hasher).expect("seed");
    let tokens = Tokens::hs256(JwtSecret::new(TEST_SECRET.to_vec()).expect("secret"));
    let auth = Auth::with_hasher(tokens, users.clone(), hasher).with_login_throttle(throttle);
    example_app::app(example_app::AppState::new(auth, users))
}

async fn login(router: &Router, form: &str) -> StatusCode {
    let peer: SocketAddr = "198.51.100.77:4000".parse().expect("address");
    let mut request = Request::post("/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .expect("request");
    request.extensions_mut().insert(ConnectInfo(peer));
    send(router, request).await.status
}

#[tokio::test]
async fn two_instances_share_one_limit() {
    let prefix = unique_prefix("shared");
    let a = instance(throttle(&prefix, ThrottleConfig::default()).await);
    let b = instance(throttle(&prefix, ThrottleConfig::default()).await);
    for _ in 0..6 {
        assert_eq!(login(&a, "username=johndoe&password=wrong").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login(&b, "username=johndoe&password=secret").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(login(&b, "username=janedoe&password=secret3").await, StatusCode::OK);
}

#[tokio::test]
async fn an_unreachable_redis_fails_closed() {
    let dead = RedisThrottle::connect("redis://127.0.0.1:1", "x", ThrottleConfig::default()).await;
    // Either the connection is refused up front, or every check fails: never "allowed".
    if let Ok(throttle) = dead {
        assert_eq!(
            throttle.reserve(attempt("johndoe", "198.51.100.1")).await,
            Err(ThrottleError::Unavailable)
        );
    }
}

#[tokio::test]
async fn ipv6_clients_share_a_limit_per_64() {
    let throttle = throttle(&unique_prefix("ipv6"), small()).await;
    // ip_burst is 4: five failures from five addresses of one /64...
    for (i, account) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
        let ip = format!("2001:db8:7:7:{i}::1");
        assert_eq!(throttle.reserve(attempt(account, &ip)).await, Ok(()));
    }
    // ...throttle the whole /64, and only it.
    assert!(throttle.reserve(attempt("f", "2001:db8:7:7:ffff::2")).await.is_err());
    assert_eq!(throttle.reserve(attempt("f", "2001:db8:7:8::1")).await, Ok(()));
    // An IPv4-mapped address is its IPv4 address.
    for account in ["g", "h", "i", "j", "k"] {
        assert_eq!(throttle.reserve(attempt(account, "198.51.100.60")).await, Ok(()));
    }
    assert!(throttle.reserve(attempt("l", "::ffff:198.51.100.60")).await.is_err());
}
