// The store, written once and compiled for each backend: the including
// module defines `Db`, `DbPool` and `begin_write`. The SQL is the common
// subset of SQLite and PostgreSQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::session::{
    REMEMBERED_USED, RefreshError, Rotation, SessionStore, digest, new_refresh_token, session_of,
};
use crate::sql::cache::TtlCache;
use crate::sql::{
    MATCHING_SETTING, PRUNE_EVERY, SqlOptions, UserRow, matching_value, roles_column, seconds,
    store_error, user_from_row,
};
use crate::store::{StoreError, UserStore, UserUpdate, UserWriteError, WritableUserStore, username_key};
use crate::password::PasswordHash;
use crate::user::{User, UserRecord};

/// Users, password hashes, roles, sessions and revocations in one database;
/// see [`sql`](crate::sql) for the cache and its staleness bound. Cheap to
/// clone: clones share the pool and the caches.
#[derive(Clone)]
pub struct Store {
    pool: DbPool,
    case_insensitive: bool,
    users: Arc<TtlCache<Option<User>>>,
    revocations: Arc<TtlCache<bool>>,
    new_sessions: Arc<AtomicU32>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("case_insensitive", &self.case_insensitive).finish_non_exhaustive()
    }
}

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
        let (found,): (String,) = sqlx::query_as("SELECT value FROM store_settings WHERE name = $1")
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
            revocations: Arc::new(TtlCache::new(options.cache_ttl, options.cache_capacity)),
            new_sessions: Arc::new(AtomicU32::new(0)),
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

    /// Drops expired sessions and denials, every so often.
    async fn prune_sometimes(&self, now: u64) -> Result<(), StoreError> {
        if !self.new_sessions.fetch_add(1, Ordering::Relaxed).wrapping_add(1).is_multiple_of(PRUNE_EVERY) {
            return Ok(());
        }
        for table in ["sessions", "denied_access_tokens"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE expires_at < $1"))
                .bind(seconds(now))
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
        }
        Ok(())
    }
}

impl UserStore for Store {
    async fn find_user(&self, username: &str) -> Result<Option<User>, StoreError> {
        let key = self.key(username);
        if let Some(user) = self.users.get(&key) {
            return Ok(user);
        }
        let ticket = self.users.ticket();
        let user = self.read_user(&key).await?;
        self.users.fill(&key, ticket, user.clone());
        Ok(user)
    }

    async fn find_credentials(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username_key = $1");
        let row: Option<(String, Option<String>, Option<String>, bool, String, String)> =
            sqlx::query_as(&sql)
                .bind(self.key(username))
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)?;
        let Some((username, email, full_name, disabled, roles, hash)) = row else { return Ok(None) };
        let user = user_from_row((username, email, full_name, disabled, roles))?;
        let password_hash =
            PasswordHash::from_phc(hash).map_err(|_| StoreError::new("malformed password hash stored"))?;
        Ok(Some(UserRecord { user, password_hash }))
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
        let rows: Vec<UserRow> = sqlx::query_as(&sql).fetch_all(&self.pool).await.map_err(store_error)?;
        rows.into_iter().map(user_from_row).collect()
    }
}

impl WritableUserStore for Store {
    async fn create_user(&self, record: UserRecord) -> Result<(), UserWriteError> {
        let user = &record.user;
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
        match inserted {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                Err(UserWriteError::Duplicate(user.username.clone()))
            }
            Err(error) => Err(UserWriteError::Store(store_error(error))),
        }
    }

    async fn update_user(&self, username: &str, update: UserUpdate) -> Result<User, UserWriteError> {
        let key = self.key(username);
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
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        self.users.invalidate(&key);
        let row = row.ok_or_else(|| UserWriteError::UnknownUser(username.to_owned()))?;
        Ok(user_from_row(row)?)
    }

    async fn delete_user(&self, username: &str) -> Result<(), UserWriteError> {
        let key = self.key(username);
        let deleted = sqlx::query("DELETE FROM users WHERE username_key = $1")
            .bind(&key)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        self.users.invalidate(&key);
        if deleted.rows_affected() == 0 {
            return Err(UserWriteError::UnknownUser(username.to_owned()));
        }
        Ok(())
    }
}

impl SessionStore for Store {
    async fn generation(&self, username: &str) -> Result<u64, StoreError> {
        let found: Option<(i64,)> =
            sqlx::query_as("SELECT generation FROM token_generations WHERE username_key = $1")
                .bind(self.key(username))
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)?;
        Ok(found.map_or(0, |(generation,)| u64::try_from(generation).unwrap_or(0)))
    }

    async fn start(&self, username: &str, now: u64) -> Result<String, StoreError> {
        self.prune_sometimes(now).await?;
        let id = crate::token::random_id(16).ok_or_else(|| StoreError::new("no randomness"))?;
        let expires_at = now.saturating_add(crate::REFRESH_LIFETIME.as_secs());
        sqlx::query(
            "INSERT INTO sessions (id, username, username_key, revoked, expires_at, rotations) \
             VALUES ($1, $2, $3, FALSE, $4, 0)",
        )
        .bind(&id)
        .bind(username)
        .bind(self.key(username))
        .bind(seconds(expires_at))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(id)
    }

    async fn issue(&self, session: &str, now: u64) -> Result<Option<String>, StoreError> {
        let token = new_refresh_token(session).ok_or_else(|| StoreError::new("no randomness"))?;
        let expires_at = now.saturating_add(crate::REFRESH_LIFETIME.as_secs());
        let updated =
            sqlx::query("UPDATE sessions SET current_digest = $2, expires_at = $3 WHERE id = $1")
                .bind(session)
                .bind(&digest(&token)[..])
                .bind(seconds(expires_at))
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
        Ok((updated.rows_affected() == 1).then_some(token))
    }

    async fn rotate(
        &self,
        presented: &str,
        now: u64,
    ) -> Result<Result<Rotation, RefreshError>, StoreError> {
        let Some(session) = session_of(presented) else { return Ok(Err(RefreshError::Invalid)) };
        let presented = digest(presented);
        let mut tx = begin_write(&self.pool).await.map_err(store_error)?;
        // Check and spend in one statement: of two concurrent uses, the
        // second finds the digest already gone (and then spent: reuse).
        let spent: Option<(String, i64)> = sqlx::query_as(
            "UPDATE sessions SET current_digest = NULL, rotations = rotations + 1 \
             WHERE id = $1 AND current_digest = $2 AND NOT revoked AND expires_at >= $3 \
             RETURNING username, rotations",
        )
        .bind(session)
        .bind(&presented[..])
        .bind(seconds(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let outcome = if let Some((username, seq)) = spent {
            sqlx::query("INSERT INTO spent_refresh_tokens (digest, session_id, seq) VALUES ($1, $2, $3)")
                .bind(&presented[..])
                .bind(session)
                .bind(seq)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
            let forget_before = seq.saturating_sub(i64::try_from(REMEMBERED_USED).unwrap_or(i64::MAX));
            sqlx::query("DELETE FROM spent_refresh_tokens WHERE session_id = $1 AND seq <= $2")
                .bind(session)
                .bind(forget_before)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
            Ok(Rotation { username, session: session.to_owned() })
        } else {
            let reused = sqlx::query(
                "UPDATE sessions SET revoked = TRUE WHERE id = $1 AND NOT revoked AND expires_at >= $3 \
                 AND EXISTS (SELECT 1 FROM spent_refresh_tokens WHERE digest = $2 AND session_id = $1)",
            )
            .bind(session)
            .bind(&presented[..])
            .bind(seconds(now))
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
            Err(if reused.rows_affected() == 1 { RefreshError::Reused } else { RefreshError::Invalid })
        };
        tx.commit().await.map_err(store_error)?;
        if outcome == Err(RefreshError::Reused) {
            self.revocations.clear();
        }
        Ok(outcome)
    }

    async fn revoke_refresh(&self, presented: &str) -> Result<bool, StoreError> {
        let Some(session) = session_of(presented) else { return Ok(false) };
        let presented = digest(presented);
        let revoked = sqlx::query(
            "UPDATE sessions SET revoked = TRUE WHERE id = $1 AND (current_digest = $2 OR EXISTS \
             (SELECT 1 FROM spent_refresh_tokens WHERE digest = $2 AND session_id = $1))",
        )
        .bind(session)
        .bind(&presented[..])
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        self.revocations.clear();
        Ok(revoked.rows_affected() == 1)
    }

    async fn revoke_session(&self, session: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET revoked = TRUE WHERE id = $1")
            .bind(session)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        self.revocations.clear();
        Ok(())
    }

    async fn deny(&self, jti: &str, exp: u64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO denied_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
        )
        .bind(jti)
        .bind(seconds(exp))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        self.revocations.invalidate(jti);
        Ok(())
    }

    async fn revoke_user(&self, username: &str) -> Result<(), StoreError> {
        let key = self.key(username);
        let mut tx = begin_write(&self.pool).await.map_err(store_error)?;
        sqlx::query(
            "INSERT INTO token_generations (username_key, generation) VALUES ($1, 1) \
             ON CONFLICT (username_key) DO UPDATE SET generation = token_generations.generation + 1",
        )
        .bind(&key)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        sqlx::query("UPDATE sessions SET revoked = TRUE WHERE username_key = $1")
            .bind(&key)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        self.revocations.clear();
        Ok(())
    }

    async fn is_revoked(
        &self,
        sub: &str,
        jti: &str,
        sid: Option<&str>,
        generation: u64,
    ) -> Result<bool, StoreError> {
        if let Some(revoked) = self.revocations.get(jti) {
            return Ok(revoked);
        }
        let ticket = self.revocations.ticket();
        let (denied, current, live_sessions): (i64, Option<i64>, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM denied_access_tokens WHERE jti = $1), \
             (SELECT generation FROM token_generations WHERE username_key = $2), \
             (SELECT COUNT(*) FROM sessions WHERE id = $3 AND NOT revoked)",
        )
        .bind(jti)
        .bind(self.key(sub))
        .bind(sid.unwrap_or(""))
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        let current = current.map_or(0, |generation| u64::try_from(generation).unwrap_or(0));
        let revoked = denied > 0 || current != generation || (sid.is_some() && live_sessions == 0);
        self.revocations.fill(jti, ticket, revoked);
        Ok(revoked)
    }
}
