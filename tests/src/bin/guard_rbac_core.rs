//! The rbac-core variant of `scripts/guard_overhead.sh`: a minimal axum
//! service, `Auth::new(Tokens::hs256(..), MemoryUserStore)` with the
//! policy's scopes, and `#[requires_role("user")]` on `/users/me`. No
//! middleware: the same `axum::serve` as `guard_hand_written`.
//!
//! `/orgs/{org}/global` and `/orgs/{org}/scoped` compare the global check
//! (`#[requires_role("user")]`) with the scoped one
//! (`#[requires_role("user", in = org)]`, johndoe holding `user` in `acme`
//! and roles in two other orgs), both reading the same `Path`.
//!
//! At start it logs `johndoe` in (after one "log out everywhere", so the
//! token carries a generation as well as `jti`, `sid`, `scope`, `roles` and
//! `kid`) and prints the access token on stdout, for both servers to verify.
//!
//! ```text
//! JWT_SECRET=... guard_rbac_core 127.0.0.1:PORT
//! ```

// A command-line tool: the token goes to stdout.
#![allow(clippy::print_stdout)]

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use rbac_core::{
    Auth, CurrentUser, JwtSecret, MemoryUserStore, PasswordHasher, Role, ScopePolicy, ScopedRole,
    Tokens, User, UserRecord, requires_role,
};

rbac_core::policy! {
    /// The roles of the benchmark.
    mod policy {
        role "user" grants "items:read";
        role "admin": "user" grants "users:manage";
        domain "org";
    }
}

#[requires_role("user")]
async fn org_global(Path(org): Path<String>) -> String {
    org
}

#[requires_role("user", in = org)]
async fn org_scoped(Path(org): Path<String>) -> String {
    org
}

#[requires_role("user")]
async fn me(CurrentUser(user): CurrentUser) -> Json<User> {
    Json(User::clone(&user))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18091".to_owned());
    let secret = std::env::var("JWT_SECRET").map_err(std::io::Error::other)?;
    let secret = JwtSecret::new(secret.into_bytes()).map_err(std::io::Error::other)?;
    let hasher = PasswordHasher::fast_for_tests();
    let store = MemoryUserStore::new();
    let mut john = User::new("johndoe");
    john.email = Some("johndoe@example.com".to_owned());
    john.full_name = Some("John Doe".to_owned());
    john.roles.push(Role::new("user").map_err(std::io::Error::other)?);
    let password_hash = hasher.hash_blocking("secret").map_err(std::io::Error::other)?;
    store.insert(UserRecord { user: john, password_hash }).map_err(std::io::Error::other)?;
    for (org, role) in [("acme", "user"), ("beta", "admin"), ("gamma", "user")] {
        let role = Role::new(role).map_err(std::io::Error::other)?;
        let grant = ScopedRole::new("org", org, role).map_err(std::io::Error::other)?;
        store.grant("johndoe", grant);
    }
    let auth = Auth::with_hasher(Tokens::hs256(secret), store, hasher)
        .with_scopes(ScopePolicy::from_policy::<policy::Policy>());
    auth.revoke_all_tokens("johndoe").await.map_err(std::io::Error::other)?;
    let issued = auth
        .login("johndoe", "secret".to_owned(), IpAddr::V4(Ipv4Addr::LOCALHOST))
        .await
        .map_err(std::io::Error::other)?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", issued.access_token)?;
    stdout.flush()?;
    let app = Router::new()
        .route("/users/me", get(me))
        .route("/orgs/{org}/global", get(org_global))
        .route("/orgs/{org}/scoped", get(org_scoped))
        .with_state(auth);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}
