//! User and session stores in SQL databases, with [sqlx]: embedded SQLite
//! (feature `sqlite`) and PostgreSQL (feature `postgres`).
//!
//! Each store is one type implementing [`UserStore`](crate::UserStore),
//! [`WritableUserStore`](crate::WritableUserStore) and
//! [`SessionStore`](crate::SessionStore), so many instances of a service
//! sharing one PostgreSQL database verify each other's tokens, and see each
//! other's revocations and user changes. Versioned migrations run when a
//! store connects.
//!
//! # The cache, and how stale it may be
//!
//! Every guarded request looks up its user and checks its token for
//! revocation. To keep that off the database most of the time, each store
//! keeps three bounded caches ([`SqlOptions::cache_capacity`] entries each):
//! users by name, their scoped role assignments by name, and revocation
//! answers by token id (`jti`). An entry is
//! served for at most [`SqlOptions::cache_ttl`] (default 1 s) after the query
//! that read it *started*. So a change made elsewhere (another instance, the
//! CLI) takes effect here within that bound; a change made through this
//! store object takes effect at once, because it invalidates the entry. Set
//! the TTL to zero to read the database on every request.
//!
//! ```no_run
//! # #[cfg(feature = "sqlite")]
//! # async fn run() -> Result<(), rbac_core::StoreError> {
//! use rbac_core::sql::{SqlOptions, SqliteStore};
//! use rbac_core::{Auth, JwtSecret, Tokens};
//!
//! let store = SqliteStore::connect("sqlite://rbac.db", SqlOptions::default()).await?;
//! let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), store.clone())
//!     .with_session_store(store);
//! # Ok(())
//! # }
//! ```

use std::borrow::Cow;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::store::StoreError;
use crate::user::{Role, User};

/// The versioned migrations of one database, embedded from
/// `rbac-core/migrations/<database>/` (what `sqlx::migrate!` expands to,
/// without needing sqlx's proc macros). Every database has the same
/// versions, each in a file of the same name.
macro_rules! migrator {
    ($database:literal) => {
        $crate::sql::embedded_migrator(&[
            (
                1,
                "users and sessions",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/",
                    $database,
                    "/0001_users_and_sessions.sql"
                )),
            ),
            (
                2,
                "issue 10 sessions",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/",
                    $database,
                    "/0002_issue10_sessions.sql"
                )),
            ),
            (
                3,
                "issue 16 scoped roles",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/",
                    $database,
                    "/0003_scoped_roles.sql"
                )),
            ),
        ])
    };
}
use migrator;

mod cache;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// How a SQL store matches usernames and caches lookups.
#[derive(Debug, Clone)]
pub struct SqlOptions {
    /// Usernames differing only in case are the same user. Fixed when the
    /// database is created: connecting with the other setting fails.
    ///
    /// Enforced by the unique `username_key` column, which the store fills
    /// with the lowercase name computed in Rust. The schema has no
    /// `CHECK (username_key = lower(username))`: SQL's `lower()` (ASCII only
    /// in SQLite, collation-dependent in PostgreSQL) disagrees with Rust's on
    /// non-ASCII names. Rows written by hand must follow the same rule.
    pub case_insensitive_usernames: bool,
    /// How long a cached user or revocation answer may be served (default
    /// 1 s); zero turns the caches off.
    pub cache_ttl: Duration,
    /// Entries per cache (default 65 536).
    pub cache_capacity: usize,
    /// Connections in the pool (default 8).
    pub max_connections: u32,
    /// PostgreSQL only: the schema to use (created by the caller), for
    /// example one per test. Default: the server's `search_path`.
    pub schema: Option<String>,
}

impl Default for SqlOptions {
    fn default() -> Self {
        Self {
            case_insensitive_usernames: false,
            cache_ttl: Duration::from_secs(1),
            cache_capacity: 65_536,
            max_connections: 8,
            schema: None,
        }
    }
}

/// A user row as queried: username, email, full name, disabled, roles.
type UserRow = (String, Option<String>, Option<String>, bool, String);

/// Roles are stored space-separated: role names never contain spaces.
fn roles_column(roles: &[Role]) -> String {
    roles.iter().map(Role::as_str).collect::<Vec<_>>().join(" ")
}

fn user_from_row(
    (username, email, full_name, disabled, roles): UserRow,
) -> Result<User, StoreError> {
    let roles = roles
        .split_whitespace()
        .map(|name| {
            Role::new(name).map_err(|_| StoreError::new(format!("bad role `{name}` stored")))
        })
        .collect::<Result<_, _>>()?;
    Ok(User { username, email, full_name, disabled, roles })
}

/// Seconds as the databases' signed 64-bit integers.
fn seconds(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn store_error(error: sqlx::Error) -> StoreError {
    StoreError::new(error)
}

/// A migrator running `migrations` (version, description, SQL) in order.
fn embedded_migrator(migrations: &[(i64, &'static str, &'static str)]) -> Migrator {
    let migrations = migrations.iter().map(|&(version, description, sql)| {
        Migration::new(
            version,
            Cow::Borrowed(description),
            MigrationType::Simple,
            Cow::Borrowed(sql),
            false,
        )
    });
    Migrator { migrations: Cow::Owned(migrations.collect()), ..Migrator::DEFAULT }
}

/// Prune expired sessions and denials after this many new sessions.
const PRUNE_EVERY: u32 = 1024;

/// The name of the setting that records username matching.
const MATCHING_SETTING: &str = "username_matching";

fn matching_value(case_insensitive: bool) -> &'static str {
    if case_insensitive { "case-insensitive" } else { "exact" }
}
