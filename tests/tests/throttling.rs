//! Login throttling through the real `/token` endpoint: the limit,
//! `Retry-After`, reset after a success, per-IP vs per-account, and trusted
//! proxies.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use rbac_core::{Auth, JwtSecret, MemoryUserStore, PasswordHasher, Tokens};
use tests::{Reply, TEST_SECRET, send};

fn app(configure: impl FnOnce(Auth) -> Auth) -> Router {
    let users = MemoryUserStore::new();
    let hasher = PasswordHasher::default();
    example_app::seed_demo_users(&users, &hasher).expect("seed");
    let tokens = Tokens::hs256(JwtSecret::new(TEST_SECRET.to_vec()).expect("secret"));
    let auth = configure(Auth::with_hasher(tokens, users.clone(), hasher));
    example_app::app(example_app::AppState::new(auth, users))
}

async fn login(router: &Router, from: &str, form: &str, forwarded_for: Option<&str>) -> Reply {
    let peer: SocketAddr = format!("{from}:40000").parse().expect("address");
    let mut request =
        Request::post("/token").header("content-type", "application/x-www-form-urlencoded");
    if let Some(forwarded) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded);
    }
    let mut request = request.body(Body::from(form.to_owned())).expect("request");
    request.extensions_mut().insert(ConnectInfo(peer));
    send(router, request).await
}

const WRONG: &str = "username=johndoe&password=wrong";
const RIGHT: &str = "username=johndoe&password=secret";

fn assert_throttled(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", reply.json);
    assert_eq!(reply.detail(), "Too many failed login attempts; retry later");
    let retry: u64 = reply.header("retry-after").parse().expect("Retry-After in seconds");
    assert!((1..=3600).contains(&retry), "{retry}");
}

#[tokio::test]
async fn five_failures_then_429_whatever_the_password() {
    let router = app(|auth| auth);
    for _ in 0..5 {
        assert_eq!(
            login(&router, "198.51.100.1", WRONG, None).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // The sixth failure starts the backoff...
    assert_eq!(login(&router, "198.51.100.1", WRONG, None).await.status, StatusCode::UNAUTHORIZED);
    // ...and then even the right password gets the same 429, so a 429 says
    // nothing about the password.
    let wrong = login(&router, "198.51.100.1", WRONG, None).await;
    let right = login(&router, "198.51.100.1", RIGHT, None).await;
    assert_throttled(&wrong);
    assert_throttled(&right);
    assert_eq!(wrong.json, right.json);
}

#[tokio::test]
async fn a_success_resets_the_count() {
    let router = app(|auth| auth);
    for _ in 0..5 {
        login(&router, "198.51.100.1", WRONG, None).await;
    }
    assert_eq!(login(&router, "198.51.100.1", RIGHT, None).await.status, StatusCode::OK);
    // From an address that never succeeded, the account's streak starts over:
    // six more failures pass before the seventh attempt is refused.
    for _ in 0..6 {
        assert_eq!(
            login(&router, "203.0.113.5", WRONG, None).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_throttled(&login(&router, "203.0.113.5", WRONG, None).await);
}

#[tokio::test]
async fn the_account_limit_spans_addresses_but_spares_known_ones() {
    let router = app(|auth| auth);
    assert_eq!(
        login(&router, "192.0.2.10", RIGHT, None).await.status,
        StatusCode::OK,
        "the owner, at home"
    );
    for i in 0..6 {
        let attacker = format!("203.0.113.{i}");
        assert_eq!(login(&router, &attacker, WRONG, None).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_throttled(&login(&router, "203.0.113.100", WRONG, None).await);
    assert_eq!(
        login(&router, "192.0.2.10", RIGHT, None).await.status,
        StatusCode::OK,
        "not locked out"
    );
    // Other accounts are untouched.
    let jane = "username=janedoe&password=secret3";
    assert_eq!(login(&router, "203.0.113.100", jane, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_ip_limit_spans_accounts() {
    let router = app(|auth| auth);
    for i in 0..21 {
        let form = format!("username=user{i}&password=x");
        assert_eq!(
            login(&router, "198.51.100.7", &form, None).await.status,
            StatusCode::UNAUTHORIZED,
            "{i}"
        );
    }
    assert_throttled(&login(&router, "198.51.100.7", "username=fresh&password=x", None).await);
    assert_eq!(
        login(&router, "198.51.100.8", RIGHT, None).await.status,
        StatusCode::OK,
        "other addresses are fine"
    );
}

#[tokio::test]
async fn forwarded_for_counts_only_behind_a_trusted_proxy() {
    // Untrusted: a client cannot dodge its own limit by inventing addresses.
    let router = app(|auth| auth);
    for i in 0..21 {
        let form = format!("username=user{i}&password=x");
        login(&router, "198.51.100.7", &form, Some(&format!("10.0.0.{i}"))).await;
    }
    assert_throttled(
        &login(&router, "198.51.100.7", "username=x&password=x", Some("10.9.9.9")).await,
    );

    // Trusted proxy: each forwarded client has its own count.
    let proxy = "192.0.2.1".parse().expect("ip");
    let router = app(|auth| auth.with_trusted_proxies([proxy]));
    for i in 0..21 {
        let form = format!("username=user{i}&password=x");
        login(&router, "192.0.2.1", &form, Some("198.51.100.7")).await;
    }
    assert_throttled(
        &login(&router, "192.0.2.1", "username=x&password=x", Some("198.51.100.7")).await,
    );
    let other = login(&router, "192.0.2.1", RIGHT, Some("198.51.100.8, 192.0.2.1")).await;
    assert_eq!(other.status, StatusCode::OK);
    // What the client prepends cannot move it: the proxy appended the real
    // address, and entries are read right to left.
    for spoof in ["garbage", "10.1.1.1", "garbage, 10.1.1.1"] {
        let header = format!("{spoof}, 198.51.100.7");
        assert_throttled(
            &login(&router, "192.0.2.1", "username=x&password=x", Some(&header)).await,
        );
    }
}
