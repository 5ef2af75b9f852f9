//! Opening each store for the conformance suite: memory, SQLite (a fresh
//! temporary file) and PostgreSQL (a fresh schema, so tests run in parallel).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use rbac_core::sql::{PostgresStore, SqlOptions, SqliteStore};
use rbac_core::{MemorySessionStore, MemoryUserStore, SessionStore, WritableUserStore};

/// A store under test: its users and its sessions (one object for the SQL
/// stores, two for memory).
pub trait Backend {
    /// The user side.
    type Users: WritableUserStore + Clone;
    /// The session side.
    type Sessions: SessionStore;
    /// A fresh, empty store.
    fn open(case_insensitive: bool) -> impl Future<Output = (Self::Users, Self::Sessions)> + Send;
    /// How many access-token denials the session store holds.
    fn denials(sessions: &Self::Sessions) -> impl Future<Output = usize> + Send;
}

/// Rows of a SQL store's denylist (a macro: one query for two pool types).
macro_rules! denied_rows {
    ($pool:expr) => {{
        let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM denied_access_tokens")
            .fetch_one($pool)
            .await
            .expect("count");
        usize::try_from(rows).expect("count")
    }};
}

/// The in-memory stores.
#[derive(Debug)]
pub enum Memory {}

impl Backend for Memory {
    type Users = MemoryUserStore;
    type Sessions = MemorySessionStore;
    async fn open(case_insensitive: bool) -> (MemoryUserStore, MemorySessionStore) {
        if case_insensitive {
            (MemoryUserStore::case_insensitive(), MemorySessionStore::case_insensitive())
        } else {
            (MemoryUserStore::new(), MemorySessionStore::default())
        }
    }
    async fn denials(sessions: &MemorySessionStore) -> usize {
        sessions.denied_len()
    }
}

/// SQLite in a new temporary file.
#[derive(Debug)]
pub enum Sqlite {}

impl Backend for Sqlite {
    type Users = SqliteStore;
    type Sessions = SqliteStore;
    async fn open(case_insensitive: bool) -> (SqliteStore, SqliteStore) {
        let options =
            SqlOptions { case_insensitive_usernames: case_insensitive, ..SqlOptions::default() };
        let store =
            SqliteStore::connect(&sqlite_url(&temp_db_path()), options).await.expect("sqlite");
        (store.clone(), store)
    }
    async fn denials(sessions: &SqliteStore) -> usize {
        denied_rows!(sessions.pool())
    }
}

/// PostgreSQL, in a new schema of [`postgres_url`]'s database.
#[derive(Debug)]
pub enum Postgres {}

impl Backend for Postgres {
    type Users = PostgresStore;
    type Sessions = PostgresStore;
    async fn open(case_insensitive: bool) -> (PostgresStore, PostgresStore) {
        let options = SqlOptions {
            case_insensitive_usernames: case_insensitive,
            schema: Some(new_postgres_schema().await),
            ..SqlOptions::default()
        };
        let store = PostgresStore::connect(&postgres_url(), options).await.expect("postgres");
        (store.clone(), store)
    }
    async fn denials(sessions: &PostgresStore) -> usize {
        denied_rows!(sessions.pool())
    }
}

/// A name no other test in any process uses.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    format!("{prefix}_{}_{nanos}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A path for a new SQLite database in `$TMPDIR/rbac-tests`. The first call
/// in a process removes what earlier runs left there over an hour ago, so
/// test databases do not pile up.
pub fn temp_db_path() -> PathBuf {
    static SWEEP: std::sync::Once = std::sync::Once::new();
    let dir = std::env::temp_dir().join("rbac-tests");
    SWEEP.call_once(|| {
        let _ = std::fs::create_dir_all(&dir);
        let old = |entry: &std::fs::DirEntry| {
            let modified = entry.metadata().and_then(|meta| meta.modified());
            modified.is_ok_and(|at| at.elapsed().is_ok_and(|age| age.as_secs() > 3600))
        };
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if old(&entry) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    });
    dir.join(format!("{}.db", unique_name("rbac_test")))
}

/// The `sqlite://` URL of a file.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}

/// `RBAC_TEST_POSTGRES_URL`, or the CI database.
pub fn postgres_url() -> String {
    std::env::var("RBAC_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Creates an empty schema for one test and returns its name,
/// `rbac_test_<unix seconds>_...`. The first call in a process drops the
/// schemas earlier runs left over an hour ago.
pub async fn new_postgres_schema() -> String {
    use sqlx::Connection as _;
    static SWEPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let mut connection =
        sqlx::PgConnection::connect(&postgres_url()).await.expect("connect to PostgreSQL");
    if !SWEPT.swap(true, Ordering::Relaxed) {
        let names: Vec<(String,)> = sqlx::query_as(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, 'rbac_test_')",
        )
        .fetch_all(&mut connection)
        .await
        .unwrap_or_default();
        for (name,) in names {
            let created = name.split('_').nth(2).and_then(|secs| secs.parse::<u64>().ok());
            if created.is_some_and(|secs| secs.saturating_add(3600) < now) {
                let drop = format!("DROP SCHEMA {name} CASCADE");
                let _ = sqlx::query(&drop).execute(&mut connection).await;
            }
        }
    }
    let schema = unique_name(&format!("rbac_test_{now}"));
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut connection).await.expect("schema");
    schema
}
