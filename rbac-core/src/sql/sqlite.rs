//! The SQLite store: one file, WAL mode, created if missing.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::SqlOptions;
use crate::store::StoreError;

type Db = sqlx::Sqlite;
type DbPool = sqlx::SqlitePool;

/// Writes take the database lock up front (`BEGIN IMMEDIATE`): a transaction
/// that read first and then had to wait for the lock would fail instead.
async fn begin_write(pool: &DbPool) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// The versioned migrations of `migrations/sqlite/`.
fn migrator() -> Migrator {
    super::migrator!("sqlite")
}

/// The public name of the store type.
const STORE_NAME: &str = "SqliteStore";

mod store {
    use super::{Db, DbPool, STORE_NAME, begin_write, migrator};
    include!("store_body.rs");
    include!("session_body.rs");
}

/// The SQLite store; see [`sql`](crate::sql).
pub use store::Store as SqliteStore;

impl SqliteStore {
    /// Opens (creating it if missing) the database at `url`, such as
    /// `sqlite://rbac.db`, in WAL mode with full fsync on commit, and runs
    /// the migrations. A new file is readable by its owner only (it holds
    /// password hashes); SQLite gives its `-wal` and `-shm` files the same
    /// permissions. An existing file that others may read is logged.
    pub async fn connect(url: &str, options: SqlOptions) -> Result<Self, StoreError> {
        let connect = SqliteConnectOptions::from_str(url).map_err(StoreError::new)?;
        if !in_memory(url) {
            private_file(connect.get_filename())?;
        }
        let connect = connect
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections)
            .connect_with(connect)
            .await
            .map_err(StoreError::new)?;
        Self::open(pool, &options).await
    }
}

/// Whether `url` names an in-memory database, as sqlx reads it: it then
/// reports an internal name (`file:sqlx-in-memory-N`) that is no file.
fn in_memory(url: &str) -> bool {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    rest.starts_with(":memory:")
        || rest.split_once('?').is_some_and(|(_, q)| q.contains("mode=memory"))
}

/// Creates `path` readable and writable by its owner only, if it is missing
/// (an in-memory database has no file).
fn private_file(path: &std::path::Path) -> Result<(), StoreError> {
    if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        let created =
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path);
        match created {
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                let mode = std::fs::metadata(path).map_err(StoreError::new)?.permissions().mode();
                if mode & 0o077 != 0 {
                    tracing::warn!(path = %path.display(), "the user database is readable by other users; chmod 600 it");
                }
            }
            Err(error) => return Err(StoreError::new(error)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SessionStore as _;

    #[tokio::test]
    async fn a_denial_outlives_exp_by_the_clock_leeway() {
        let options =
            SqlOptions { cache_ttl: Duration::ZERO, max_connections: 1, ..SqlOptions::default() };
        let store = SqliteStore::connect("sqlite::memory:", options).await.expect("sqlite");
        store.deny_token("u", None, "jti", 1000, 900).await.expect("deny");
        let leeway = crate::Tokens::MAX_LEEWAY.as_secs();
        store.prune(1000 + leeway).await.expect("prune");
        assert!(store.is_revoked("u", "jti", None, 0).await.expect("store"), "still verifies");
        store.prune(1000 + leeway + 1).await.expect("prune");
        assert!(!store.is_revoked("u", "jti", None, 0).await.expect("store"), "pruned");
    }

    #[tokio::test]
    async fn the_refresh_lifetime_is_configurable() {
        let store = SqliteStore::connect("sqlite::memory:", SqlOptions::default()).await;
        let store = store.expect("sqlite").with_refresh_lifetime(Duration::from_secs(60));
        let session = store.start("johndoe", "", 100).await.expect("session");
        let token = store.issue(&session, None, 100).await.expect("issue").expect("token");
        let rotated = store.rotate(&token, 161).await.expect("store");
        assert_eq!(rotated.map(|_| ()), Err(crate::session::RefreshError::Invalid), "idle 61 s");
    }

    #[tokio::test]
    async fn debug_names_the_public_type() {
        let store = SqliteStore::connect("sqlite::memory:", SqlOptions::default()).await;
        let debug = format!("{:?}", store.expect("sqlite"));
        assert!(debug.starts_with("SqliteStore {"), "{debug}");
    }

    #[test]
    fn in_memory_urls_are_recognised() {
        for url in ["sqlite::memory:", "sqlite://:memory:", "sqlite:data.db?mode=memory"] {
            assert!(in_memory(url), "{url}");
        }
        for url in ["sqlite://rbac.db", "sqlite:memory.db", "sqlite:///tmp/x.db?mode=rwc"] {
            assert!(!in_memory(url), "{url}");
        }
    }

    #[tokio::test]
    async fn an_in_memory_database_leaves_no_file_behind() {
        let stray = || {
            std::fs::read_dir(".")
                .into_iter()
                .flatten()
                .flatten()
                .filter(|entry| {
                    entry.file_name().to_string_lossy().starts_with("file:sqlx-in-memory")
                })
                .count()
        };
        let before = stray();
        let store = SqliteStore::connect("sqlite::memory:", SqlOptions::default()).await;
        drop(store.expect("sqlite"));
        assert_eq!(stray(), before);
    }
}
