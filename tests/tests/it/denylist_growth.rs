//! How large the access-token denylist grows when a logged-in client loops
//! "refresh, then revoke the new access token" (issue 10, finding 6), on the
//! memory store through [`Auth`] and on SQLite. Ignored: it measures, it
//! does not check. Reproduce with
//!
//! ```text
//! RBAC_DENYLIST_LOOPS=100000 cargo test --release -p tests --test it denylist_growth:: -- --ignored --nocapture --test-threads 1
//! ```
//!
//! When a refresh is refused (the session was revoked), the client logs in
//! again and goes on, as an attacker would.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use rbac_core::sql::{SqlOptions, SqliteStore};
use rbac_core::{
    Auth, JwtSecret, MemorySessionStore, MemoryUserStore, PasswordHasher, SessionStore, Tokens,
    User, UserRecord, WritableUserStore,
};

const IP: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn loops() -> u64 {
    std::env::var("RBAC_DENYLIST_LOOPS").ok().and_then(|n| n.parse().ok()).unwrap_or(100_000)
}

/// The resident set size of this process, in kB (Linux only; 0 elsewhere).
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn with_user(users: impl WritableUserStore) -> impl WritableUserStore {
    let hasher = PasswordHasher::new(argon2::Params::new(8, 1, 1, None).expect("params"));
    let password_hash = hasher.hash_blocking("long enough").expect("hash");
    users
        .create_user(UserRecord { user: User::new("mallory"), password_hash })
        .await
        .expect("user");
    users
}

/// Runs the loop; returns (loops, logins).
async fn attack(auth: &Auth) -> (u64, u64) {
    let login = || auth.login("mallory", "long enough".to_owned(), IP);
    let mut refresh = login().await.expect("login").refresh_token.expect("refresh token");
    let mut logins = 1;
    for _ in 0..loops() {
        let issued = match auth.refresh(&refresh, None).await {
            Ok(issued) => issued,
            Err(_) => {
                logins += 1;
                login().await.expect("login")
            }
        };
        refresh = issued.refresh_token.expect("refresh token");
        auth.revoke_token(&issued.access_token).await.expect("revoke");
    }
    (loops(), logins)
}

#[tokio::test]
#[ignore = "a measurement; see the module docs"]
#[expect(clippy::print_stdout, reason = "the measurement is the output")]
async fn memory_denylist_size() {
    let sessions = Arc::new(MemorySessionStore::default());
    let users = with_user(MemoryUserStore::new()).await;
    let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), users)
        .with_session_store(Arc::clone(&sessions))
        .without_login_throttle();
    let before = rss_kb();
    let (loops, logins) = attack(&auth).await;
    println!(
        "memory: {loops} loops, {logins} logins: {} denied jtis, RSS {before} kB -> {} kB",
        sessions.denied_len(),
        rss_kb()
    );
}

#[tokio::test]
#[ignore = "a measurement; see the module docs"]
#[expect(clippy::print_stdout, reason = "the measurement is the output")]
async fn sqlite_denylist_size() {
    let url = tests::stores::sqlite_url(&tests::stores::temp_db_path());
    let store = SqliteStore::connect(&url, SqlOptions::default()).await.expect("sqlite");
    let users = with_user(store.clone()).await;
    let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), users)
        .with_session_store(store.clone())
        .without_login_throttle();
    let (loops, logins) = attack(&auth).await;
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM denied_access_tokens")
        .fetch_one(store.pool())
        .await
        .expect("count");
    let _ = SessionStore::generation(&store, "mallory").await;
    println!("sqlite: {loops} loops, {logins} logins: {rows} denied_access_tokens rows");
}
