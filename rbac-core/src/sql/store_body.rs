// The store, written once and compiled for each backend: `sqlite.rs` and
// `postgres.rs` each include this file, then `session_body.rs`, into a
// module of their own (`mod store`). The SQL is the common subset of SQLite
// and PostgreSQL. Included with include!(), so cargo fmt skips it: .ci/run
// checks it with rustfmt directly.
//
// Contract. The including module must bring into scope (`use super::...`):
// - `type Db`: the sqlx database (`sqlx::Sqlite`, `sqlx::Postgres`);
// - `type DbPool`: its connection pool (`sqlx::Pool<Db>`);
// - `async fn begin_write(&DbPool)
//   -> Result<sqlx::Transaction<'static, Db>, sqlx::Error>`: the
//   transaction every write runs in;
// - `fn migrator() -> sqlx::migrate::Migrator`: the database's migrations
//   (`crate::sql::migrator!("<database>")`);
// - `const STORE_NAME: &str`: the public name of the type (`SqliteStore`,
//   `PostgresStore`), which `Debug` prints.
// Everything else is named by `crate::` paths below. In return it defines
// `Store`, which the backend re-exports under `STORE_NAME`, with
// `Store::open(DbPool, &SqlOptions)` for the backend's `connect`; and,
// for `session_body.rs`, the imports and private items that file uses.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::domain::{ScopedRole, ScopedRoles};
use crate::password::PasswordHash;
use crate::random::random_id;
use crate::session::{
    FamilySecret, MAX_DENIED_PER_SESSION, RefreshError, Rotation, SessionGrant, SessionStore,
    digest, new_refresh_token, parse_refresh_token,
};
use crate::sql::cache::TtlCache;
use crate::sql::{
    MATCHING_SETTING, PRUNE_EVERY, SqlOptions, UserRow, matching_value, roles_column, seconds,
    store_error, user_from_row,
};
use crate::store::{
    StoreError, UserStore, UserUpdate, UserWriteError, WritableUserStore, account_key, username_key,
};
use crate::user::{Role, User, UserRecord};

/// Users, password hashes, roles, sessions and revocations in one database;
/// see [`sql`](crate::sql) for the cache and its staleness bound. Cheap to
/// clone: clones share the pool and the caches.
#[derive(Clone)]
pub struct Store {
    pool: DbPool,
    case_insensitive: bool,
    users: Arc<TtlCache<Option<Arc<User>>>>,
    /// Scoped role assignments by user key: the same bound as `users`.
    scoped_roles: Arc<TtlCache<ScopedRoles>>,
    revocations: Arc<TtlCache<Verdict>>,
    new_sessions: Arc<AtomicU32>,
    /// The absolute session lifetime, in seconds.
    max_lifetime: u64,
    /// How long a refresh token lives unused, in seconds.
    refresh_lifetime: u64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(STORE_NAME)
            .field("case_insensitive", &self.case_insensitive)
            .finish_non_exhaustive()
    }
}

/// A cached answer of `is_revoked` for one `jti`, with whose token it is, so
/// a revocation drops only the answers it changes.
#[derive(Debug, Clone)]
struct Verdict {
    revoked: bool,
    user_key: String,
    session: Option<String>,
}

/// PostgreSQL text cannot hold NUL; no stored name contains one, so a name
/// that does is answered without asking the database.
fn storable(text: &str) -> bool {
    !text.contains('\0')
}

/// A [`UserRow`] followed by the password hash.
type CredentialsRow = (String, Option<String>, Option<String>, bool, String, String);

const USER_COLUMNS: &str = "username, email, full_name, disabled, roles";

impl Store {
    /// Runs the migrations, checks the username matching the database was
    /// created with, and wraps the pool.
    pub(super) async fn open(pool: DbPool, options: &SqlOptions) -> Result<Self, StoreError> {
        migrator().run(&pool).await.map_err(StoreError::new)?;
        let wanted = matching_value(options.case_insensitive_usernames);
        sqlx::query(
            "INSERT INTO store_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(MATCHING_SETTING)
        .bind(wanted)
        .execute(&pool)
        .await
        .map_err(store_error)?;
        let (found,): (String,) =
            sqlx::query_as("SELECT value FROM store_settings WHERE name = $1")
                .bind(MATCHING_SETTING)
                .fetch_one(&pool)
                .await
                .map_err(store_error)?;
        if found != wanted {
            return Err(StoreError::new(format!(
                "this database matches usernames {found}, but {wanted} was configured"
            )));
        }
        Ok(Self {
            pool,
            case_insensitive: options.case_insensitive_usernames,
            users: Arc::new(TtlCache::new(options.cache_ttl, options.cache_capacity)),
            scoped_roles: Arc::new(TtlCache::new(options.cache_ttl, options.cache_capacity)),
            revocations: Arc::new(TtlCache::new(options.cache_ttl, options.cache_capacity)),
            new_sessions: Arc::new(AtomicU32::new(0)),
            max_lifetime: crate::session::MAX_SESSION_LIFETIME.as_secs(),
            refresh_lifetime: crate::session::REFRESH_LIFETIME.as_secs(),
        })
    }

    /// The connection pool, for tooling and tests.
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    fn key(&self, username: &str) -> String {
        username_key(username, self.case_insensitive)
    }

    async fn read_user(&self, key: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username_key = $1");
        let row: Option<UserRow> =
            sqlx::query_as(&sql).bind(key).fetch_optional(&self.pool).await.map_err(store_error)?;
        row.map(user_from_row).transpose()
    }

    async fn read_scoped_roles(&self, key: &str) -> Result<ScopedRoles, StoreError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT domain, scope, role FROM scoped_roles WHERE username_key = $1 \
             ORDER BY domain, scope, role",
        )
        .bind(key)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.into_iter()
            .map(|(domain, scope, role)| {
                let role = Role::new(&role).ok();
                role.and_then(|role| ScopedRole::new(&domain, &scope, role).ok())
                    .ok_or_else(|| StoreError::new("bad scoped role stored"))
            })
            .collect()
    }

    /// Whether the user with `key` exists, inside `tx`.
    async fn user_exists_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        key: &str,
    ) -> Result<bool, StoreError> {
        let found: Option<(String,)> =
            sqlx::query_as("SELECT username_key FROM users WHERE username_key = $1")
                .bind(key)
                .fetch_optional(&mut **tx)
                .await
                .map_err(store_error)?;
        Ok(found.is_some())
    }

    /// Drops expired sessions and denials, every so often.
    async fn prune_sometimes(&self, now: u64) -> Result<(), StoreError> {
        if !self
            .new_sessions
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1)
            .is_multiple_of(PRUNE_EVERY)
        {
            return Ok(());
        }
        self.prune(now).await
    }

    /// Drops expired sessions, and denials of tokens that no longer verify:
    /// a token is accepted up to the clock leeway past its `exp`.
    pub(crate) async fn prune(&self, now: u64) -> Result<(), StoreError> {
        let unverifiable = now.saturating_sub(crate::Tokens::MAX_LEEWAY.as_secs());
        for (table, before) in [("sessions", now), ("denied_access_tokens", unverifiable)] {
            sqlx::query(&format!("DELETE FROM {table} WHERE expires_at < $1"))
                .bind(seconds(before))
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
        }
        Ok(())
    }
}

impl UserStore for Store {
    async fn find_user(&self, username: &str) -> Result<Option<User>, StoreError> {
        Ok(self.find_user_shared(username).await?.map(Arc::unwrap_or_clone))
    }

    async fn find_user_shared(&self, username: &str) -> Result<Option<Arc<User>>, StoreError> {
        if !storable(username) {
            return Ok(None);
        }
        let key = self.key(username);
        if let Some(user) = self.users.get(&key) {
            return Ok(user);
        }
        let ticket = self.users.ticket();
        let user = self.read_user(&key).await?.map(Arc::new);
        self.users.fill(&key, ticket, user.clone());
        Ok(user)
    }

    async fn find_credentials(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        if !storable(username) {
            return Ok(None);
        }
        let sql =
            format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username_key = $1");
        let row: Option<CredentialsRow> = sqlx::query_as(&sql)
            .bind(self.key(username))
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        let Some((username, email, full_name, disabled, roles, hash)) = row else {
            return Ok(None);
        };
        let user = user_from_row((username, email, full_name, disabled, roles))?;
        let password_hash = PasswordHash::from_phc(hash)
            .map_err(|_| StoreError::new("malformed password hash stored"))?;
        Ok(Some(UserRecord { user, password_hash }))
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
        let rows: Vec<UserRow> =
            sqlx::query_as(&sql).fetch_all(&self.pool).await.map_err(store_error)?;
        rows.into_iter().map(user_from_row).collect()
    }

    fn account_key<'a>(&self, username: &'a str) -> std::borrow::Cow<'a, str> {
        account_key(username, self.case_insensitive)
    }

    async fn find_scoped_roles(&self, username: &str) -> Result<ScopedRoles, StoreError> {
        if !storable(username) {
            return Ok(ScopedRoles::from([]));
        }
        let key = account_key(username, self.case_insensitive);
        if let Some(roles) = self.scoped_roles.get(&key) {
            return Ok(roles);
        }
        let ticket = self.scoped_roles.ticket();
        let roles = self.read_scoped_roles(&key).await?;
        self.scoped_roles.fill(&key, ticket, ScopedRoles::clone(&roles));
        Ok(roles)
    }
}

/// "Log out everywhere" for the user with `key`, inside `tx`: bumps the
/// generation (kept after a delete, so a re-created user inherits no
/// tokens) and revokes their sessions.
async fn revoke_user_in(
    tx: &mut sqlx::Transaction<'static, Db>,
    key: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO token_generations (username_key, generation) VALUES ($1, 1) \
         ON CONFLICT (username_key) DO UPDATE SET generation = token_generations.generation + 1",
    )
    .bind(key)
    .execute(&mut **tx)
    .await
    .map_err(store_error)?;
    sqlx::query("UPDATE sessions SET revoked = TRUE WHERE username_key = $1")
        .bind(key)
        .execute(&mut **tx)
        .await
        .map_err(store_error)?;
    Ok(())
}

impl WritableUserStore for Store {
    fn keeps_sessions(&self) -> bool {
        true
    }

    async fn create_user(&self, record: UserRecord) -> Result<(), UserWriteError> {
        let user = &record.user;
        if ![Some(&user.username), user.email.as_ref(), user.full_name.as_ref()]
            .into_iter()
            .flatten()
            .all(|text| storable(text))
        {
            return Err(UserWriteError::Store(StoreError::new(
                "text with a NUL character cannot be stored",
            )));
        }
        let key = self.key(&user.username);
        let inserted = sqlx::query(
            "INSERT INTO users (username_key, username, email, full_name, disabled, roles, password_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&key)
        .bind(&user.username)
        .bind(&user.email)
        .bind(&user.full_name)
        .bind(user.disabled)
        .bind(roles_column(&user.roles))
        .bind(record.password_hash.as_phc())
        .execute(&self.pool)
        .await;
        self.users.invalidate(&key);
        self.scoped_roles.invalidate(&key);
        match inserted {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                Err(UserWriteError::Duplicate(user.username.clone()))
            }
            Err(error) => Err(UserWriteError::Store(store_error(error))),
        }
    }

    async fn update_user(
        &self,
        username: &str,
        update: UserUpdate,
    ) -> Result<User, UserWriteError> {
        if !storable(username) {
            return Err(UserWriteError::UnknownUser(username.to_owned()));
        }
        let texts = [&update.email, &update.full_name];
        if !texts.into_iter().flatten().flatten().all(|text| storable(text)) {
            return Err(UserWriteError::Store(StoreError::new(
                "text with a NUL character cannot be stored",
            )));
        }
        let key = self.key(username);
        let mut tx = begin_write(&self.pool).await.map_err(store_error)?;
        let sql = format!(
            "UPDATE users SET roles = COALESCE($2, roles), disabled = COALESCE($3, disabled), \
             password_hash = COALESCE($4, password_hash), \
             email = CASE WHEN $5 THEN $6 ELSE email END, \
             full_name = CASE WHEN $7 THEN $8 ELSE full_name END \
             WHERE username_key = $1 RETURNING {USER_COLUMNS}"
        );
        let row: Option<UserRow> = sqlx::query_as(&sql)
            .bind(&key)
            .bind(update.roles.as_deref().map(roles_column))
            .bind(update.disabled)
            .bind(update.password_hash.as_ref().map(|hash| hash.as_phc()))
            .bind(update.email.is_some())
            .bind(update.email.clone().flatten())
            .bind(update.full_name.is_some())
            .bind(update.full_name.clone().flatten())
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_error)?;
        let row = row.ok_or_else(|| UserWriteError::UnknownUser(username.to_owned()))?;
        let user = user_from_row(row)?;
        if update.revoke_tokens {
            revoke_user_in(&mut tx, &key).await?;
        }
        tx.commit().await.map_err(store_error)?;
        self.users.invalidate(&key);
        if update.revoke_tokens {
            self.revocations.invalidate_where(|verdict| verdict.user_key == key);
        }
        Ok(user)
    }

    async fn delete_user(&self, username: &str) -> Result<(), UserWriteError> {
        if !storable(username) {
            return Err(UserWriteError::UnknownUser(username.to_owned()));
        }
        let key = self.key(username);
        let mut tx = begin_write(&self.pool).await.map_err(store_error)?;
        let deleted = sqlx::query("DELETE FROM users WHERE username_key = $1")
            .bind(&key)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        if deleted.rows_affected() == 0 {
            return Err(UserWriteError::UnknownUser(username.to_owned()));
        }
        // The foreign key cascades too; explicit, so it holds whatever the
        // connection's foreign-key setting.
        sqlx::query("DELETE FROM scoped_roles WHERE username_key = $1")
            .bind(&key)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        // In the same transaction: no session or token of the deleted user
        // outlives it, and one re-created under the name inherits none.
        revoke_user_in(&mut tx, &key).await?;
        tx.commit().await.map_err(store_error)?;
        self.users.invalidate(&key);
        self.scoped_roles.invalidate(&key);
        self.revocations.invalidate_where(|verdict| verdict.user_key == key);
        Ok(())
    }

    async fn grant_scoped_role(
        &self,
        username: &str,
        grant: ScopedRole,
    ) -> Result<bool, UserWriteError> {
        if !storable(username) {
            return Err(UserWriteError::UnknownUser(username.to_owned()));
        }
        let key = self.key(username);
        let mut tx = begin_write(&self.pool).await.map_err(store_error)?;
        // Through the user's row: no grant for a user that does not exist.
        let inserted = sqlx::query(
            "INSERT INTO scoped_roles (username_key, domain, scope, role) \
             SELECT username_key, $2, $3, $4 FROM users WHERE username_key = $1 \
             ON CONFLICT DO NOTHING",
        )
        .bind(&key)
        .bind(&*grant.domain)
        .bind(&*grant.scope)
        .bind(grant.role.as_str())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        let new = inserted.rows_affected() > 0;
        if !new && !Self::user_exists_in(&mut tx, &key).await? {
            return Err(UserWriteError::UnknownUser(username.to_owned()));
        }
        tx.commit().await.map_err(store_error)?;
        self.scoped_roles.invalidate(&key);
        Ok(new)
    }

    async fn revoke_scoped_role(
        &self,
        username: &str,
        grant: &ScopedRole,
    ) -> Result<bool, UserWriteError> {
        if !storable(username) {
            return Err(UserWriteError::UnknownUser(username.to_owned()));
        }
        let key = self.key(username);
        let mut tx = begin_write(&self.pool).await.map_err(store_error)?;
        let deleted = sqlx::query(
            "DELETE FROM scoped_roles \
             WHERE username_key = $1 AND domain = $2 AND scope = $3 AND role = $4",
        )
        .bind(&key)
        .bind(&*grant.domain)
        .bind(&*grant.scope)
        .bind(grant.role.as_str())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        let held = deleted.rows_affected() > 0;
        if !held && !Self::user_exists_in(&mut tx, &key).await? {
            return Err(UserWriteError::UnknownUser(username.to_owned()));
        }
        tx.commit().await.map_err(store_error)?;
        self.scoped_roles.invalidate(&key);
        Ok(held)
    }
}
