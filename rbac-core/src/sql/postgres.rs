//! The PostgreSQL store, shared by many instances of a service.

use std::str::FromStr;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::SqlOptions;
use crate::store::StoreError;

type Db = sqlx::Postgres;
type DbPool = sqlx::PgPool;

/// Row locks serialize concurrent writers of one row in PostgreSQL.
async fn begin_write(pool: &DbPool) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
    pool.begin().await
}

/// The versioned migrations of `migrations/postgres/`.
fn migrator() -> Migrator {
    super::migrator!("postgres")
}

/// The public name of the store type.
const STORE_NAME: &str = "PostgresStore";

mod store {
    use super::{Db, DbPool, STORE_NAME, begin_write, migrator};
    include!("store_body.rs");
    include!("session_body.rs");
}

/// The PostgreSQL store; see [`sql`](crate::sql).
pub use store::Store as PostgresStore;

impl PostgresStore {
    /// Connects to `url`, such as `postgres://postgres@127.0.0.1:5432/test`,
    /// and runs the migrations (in [`SqlOptions::schema`] if set).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), rbac_core::StoreError> {
    /// use rbac_core::sql::{PostgresStore, SqlOptions};
    /// use rbac_core::{Auth, JwtSecret, Tokens};
    ///
    /// let store =
    ///     PostgresStore::connect("postgres://postgres@127.0.0.1:5432/test", SqlOptions::default())
    ///         .await?;
    /// let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), store.clone())
    ///     .with_session_store(store);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(url: &str, options: SqlOptions) -> Result<Self, StoreError> {
        let mut connect = PgConnectOptions::from_str(url).map_err(StoreError::new)?;
        if let Some(schema) = &options.schema {
            connect = connect.options([("search_path", schema.as_str())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .connect_with(connect)
            .await
            .map_err(StoreError::new)?;
        Self::open(pool, &options).await
    }
}
