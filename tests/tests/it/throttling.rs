//! Login throttling through the real `/token` endpoint: the limit,
//! `Retry-After`, reset after a success, per-IP vs per-account, and trusted
//! proxies.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use rbac_core::{Auth, JwtSecret, MemoryUserStore, PasswordHasher, Tokens, UserStore as _};
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

/// `johndoe` with the letters whose bits are set in `mask` in upper case.
fn spelling(mask: u32) -> String {
    "johndoe"
        .chars()
        .enumerate()
        .map(|(i, c)| if mask >> i & 1 == 1 { c.to_ascii_uppercase() } else { c })
        .collect()
}

async fn one_budget_for_every_spelling(router: &Router) {
    // Six failures, each under a spelling never used before...
    for mask in 1..=6 {
        let form = format!("username={}&password=wrong", spelling(mask));
        assert_eq!(
            login(router, "198.51.100.1", &form, None).await.status,
            StatusCode::UNAUTHORIZED,
            "{mask}"
        );
    }
    // ...used up the account's budget for all of them, as six failures of
    // one spelling would.
    let fresh = format!("username={}&password=secret", spelling(0b111_1111));
    assert_throttled(&login(router, "198.51.100.2", &fresh, None).await);
    assert_throttled(&login(router, "198.51.100.2", RIGHT, None).await);
}

#[tokio::test]
async fn case_insensitive_stores_throttle_every_spelling_as_one_account() {
    let users = MemoryUserStore::case_insensitive();
    let hasher = PasswordHasher::default();
    example_app::seed_demo_users(&users, &hasher).expect("seed");
    let tokens = Tokens::hs256(JwtSecret::new(TEST_SECRET.to_vec()).expect("secret"));
    let auth = Auth::with_hasher(tokens, users.clone(), hasher);
    one_budget_for_every_spelling(&example_app::app(example_app::AppState::new(auth, users))).await;

    let options = example_app::db::StoreOptions {
        case_insensitive_usernames: true,
        cache_ttl: std::time::Duration::from_secs(1),
    };
    let url = tests::stores::sqlite_url(&tests::stores::temp_db_path());
    let database = example_app::db::Database::open(&url, options).await.expect("sqlite");
    let (router, directory) = tests::demo_app_on(database).await;
    one_budget_for_every_spelling(&router).await;
    // The shared handle over a store keys names as the store does.
    assert_eq!(directory.account_key("JohnDoe"), "johndoe");
}

#[tokio::test]
async fn case_sensitive_stores_keep_spellings_apart() {
    // Here `JohnDoe` is another (unknown) account, with its own budget:
    // counting it against `johndoe` would let anyone lock users out.
    let router = app(|auth| auth);
    for _ in 0..6 {
        login(&router, "198.51.100.1", "username=JohnDoe&password=wrong", None).await;
    }
    assert_eq!(login(&router, "198.51.100.2", RIGHT, None).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_get_no_more_password_checks_than_serial_ones() {
    // A router with the hashing pool, user store and throttle of the
    // default configuration, and a fresh account under attack.
    let router = app(|auth| auth);
    let guesses = 24;
    let tasks: Vec<_> = (0..guesses)
        .map(|i| {
            let router = router.clone();
            let from = format!("203.0.113.{i}");
            tokio::spawn(async move { login(&router, &from, WRONG, None).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task"));
    }
    let throttled = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    let passed: Vec<_> = statuses.iter().filter(|s| **s != StatusCode::TOO_MANY_REQUESTS).collect();
    // One after another, the burst is free and the next failure starts the
    // backoff (as in `five_failures_then_429_whatever_the_password`): in
    // parallel, no more may reach the password check (401) or the hashing
    // pool (503 when it is full).
    let burst = rbac_core::throttle::ThrottleConfig::default().account_burst as usize;
    assert!(passed.len() <= burst + 1, "{statuses:?}");
    assert_eq!(throttled + passed.len(), guesses);
    assert!(
        passed
            .iter()
            .all(|s| [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(s)),
        "{statuses:?}"
    );
}
