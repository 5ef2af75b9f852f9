//! Test helpers for apps built on rbac-core: an [`Auth`] that mints real
//! tokens ([`TestAuth`]), and sweeps over a [`SecureRouter`](crate::routing::SecureRouter)'s route table
//! that send real requests through the real guards
//! ([`assert_anonymous_denied`], [`assert_access_matrix`]).
//!
//! Only with the `testing` feature; enable it under `[dev-dependencies]`:
//!
//! ```toml
//! [dev-dependencies]
//! rbac-core = { version = "0.1", features = ["testing"] }
//! ```
//!
//! Nothing here bypasses a guard, as Spring's `@WithMockUser` does not: a
//! test "as an admin" logs a user with role `admin` in through the real
//! password grant and sends the token it got.
//!
//! ```
//! use rbac_core::routing::{SecureRouter, get};
//! use rbac_core::testing::{TestAuth, assert_access_matrix, assert_anonymous_denied};
//! use rbac_core::{Auth, public, requires_role};
//!
//! rbac_core::policy! { mod policy { role "viewer"; role "admin": "viewer"; } }
//!
//! #[requires_role("admin")]
//! async fn stats() -> &'static str { "stats" }
//!
//! #[public]
//! async fn health() -> &'static str { "ok" }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let auth = TestAuth::for_policy::<policy::Policy>();
//! let app = SecureRouter::new()
//!     .route("/stats", get(stats))
//!     .route("/health", get(health))
//!     .with_state(auth.auth());
//!
//! assert_anonymous_denied(&app).await;
//! assert_access_matrix(&app, &auth, "
//!     METHOD PATH     anonymous viewer admin
//!     GET    /stats   deny      deny   allow
//!     GET    /health  allow     allow  allow
//! ").await;
//! # }
//! ```

use std::net::{IpAddr, Ipv4Addr};

use crate::auth::Auth;
use crate::password::PasswordHasher;
use crate::policy::AccessPolicy;
use crate::scope::ScopePolicy;
use crate::store::{MemoryUserStore, WritableUserStore};
use crate::token::{JwtSecret, Tokens};
use crate::user::{Role, User, UserRecord};

mod sweep;

pub use sweep::{
    AccessViolations, Violation, assert_access_matrix, assert_anonymous_denied,
    check_access_matrix, check_anonymous_denied,
};

/// An [`Auth`] for tests: a memory user store, a fresh random HS256 key, the
/// cheapest argon2id parameters and no login throttle, and a way to mint
/// real tokens for users with given roles and scopes.
///
/// Its key is random, never a constant, so a `TestAuth` that reached a
/// running server by mistake would still let no outsider forge a token;
/// and it refuses to exist in a build without debug assertions (a release
/// build), where its cheap password hashing has no place.
#[derive(Debug, Clone)]
pub struct TestAuth {
    auth: Auth,
    users: MemoryUserStore,
    hasher: PasswordHasher,
    password: String,
}

impl Default for TestAuth {
    fn default() -> Self {
        Self::new()
    }
}

impl TestAuth {
    /// An `Auth` without scopes: tokens carry none, so scope guards refuse
    /// them. Use [`TestAuth::for_policy`] where handlers require scopes.
    ///
    /// # Panics
    ///
    /// In a build without debug assertions (`--release`), by design.
    pub fn new() -> Self {
        if cfg!(not(debug_assertions)) {
            panic!(
                "rbac_core::testing::TestAuth is for tests: it refuses to run in a build without \
             debug assertions (a release build). Enable the `testing` feature only under \
             [dev-dependencies], and run tests in a profile with debug-assertions = true"
            );
        }
        let users = MemoryUserStore::new();
        let hasher = PasswordHasher::fast_for_tests();
        let auth =
            Auth::with_hasher(Tokens::hs256(JwtSecret::generate()), users.clone(), hasher.clone())
                .without_login_throttle();
        let password = crate::random::random_id::<24>().expect("the system RNG");
        Self { auth, users, hasher, password }
    }

    /// Like [`TestAuth::new`], with the scopes of `P` ([`ScopePolicy::from_policy`]):
    /// a minted token holds every scope its roles allow unless told otherwise.
    pub fn for_policy<P: AccessPolicy>() -> Self {
        Self::new().configure(|auth| auth.with_scopes(ScopePolicy::from_policy::<P>()))
    }

    /// Changes the `Auth` (a rejection responder, token lifetimes, ...);
    /// tokens are minted by the changed one.
    #[must_use]
    pub fn configure(mut self, change: impl FnOnce(Auth) -> Auth) -> Self {
        self.auth = change(self.auth);
        self
    }

    /// The `Auth` to put in the app's state.
    pub fn auth(&self) -> Auth {
        self.auth.clone()
    }

    /// The user store `auth` reads, to add users the test needs.
    pub fn users(&self) -> MemoryUserStore {
        self.users.clone()
    }

    /// An access token for `username` holding `roles`, with every scope the
    /// roles allow (when the `Auth` has scopes). The user is created, or
    /// given exactly these roles if it exists, then logged in through the
    /// real password grant.
    ///
    /// # Panics
    ///
    /// If a role name is not a valid role, or the login fails: a test
    /// helper fails the test.
    pub async fn token_for(&self, username: &str, roles: &[&str]) -> String {
        self.mint(username, roles, None).await
    }

    /// [`TestAuth::token_for`] asking for `scopes` only (narrowed, as
    /// `/token` narrows, to what the roles allow).
    ///
    /// # Panics
    ///
    /// As [`TestAuth::token_for`].
    pub async fn token_with_scopes(
        &self,
        username: &str,
        roles: &[&str],
        scopes: &[&str],
    ) -> String {
        self.mint(username, roles, Some(&scopes.join(" "))).await
    }

    async fn mint(&self, username: &str, roles: &[&str], scope: Option<&str>) -> String {
        let roles: Vec<Role> = roles
            .iter()
            .map(|name| {
                Role::new(name).unwrap_or_else(|_| panic!("not a valid role name: {name:?}"))
            })
            .collect();
        let hash = self.hasher.hash_blocking(&self.password).expect("hashing a test password");
        let user = User { roles, ..User::new(username) };
        // Replaced whole: a user minted before with other roles gets these.
        let _ = self.users.delete_user(username).await;
        self.users.insert(UserRecord { user, password_hash: hash }).expect("adding a test user");
        let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
        match self.auth.login_with_scope(username, self.password.clone(), scope, localhost).await {
            Ok(issued) => issued.access_token,
            Err(error) => panic!("TestAuth could not log {username:?} in: {error}"),
        }
    }
}
