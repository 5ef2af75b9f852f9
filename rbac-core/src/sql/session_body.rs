// The session half of the store of `store_body.rs`, compiled with it.

impl SessionStore for Store {
    async fn generation(&self, username: &str) -> Result<u64, StoreError> {
        if !storable(username) {
            return Ok(0);
        }
        let found: Option<(i64,)> =
            sqlx::query_as("SELECT generation FROM token_generations WHERE username_key = $1")
                .bind(self.key(username))
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)?;
        Ok(found.map_or(0, |(generation,)| u64::try_from(generation).unwrap_or(0)))
    }

    async fn start(&self, username: &str, scope: &str, now: u64) -> Result<String, StoreError> {
        self.prune_sometimes(now).await?;
        let id = crate::token::random_id(16).ok_or_else(|| StoreError::new("no randomness"))?;
        let expires_at = now.saturating_add(crate::REFRESH_LIFETIME.as_secs());
        sqlx::query(
            "INSERT INTO sessions (id, username, username_key, scope, revoked, expires_at, rotations) \
             VALUES ($1, $2, $3, $4, FALSE, $5, 0)",
        )
        .bind(&id)
        .bind(username)
        .bind(self.key(username))
        .bind(scope)
        .bind(seconds(expires_at))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        self.evict_beyond_cap(username).await?;
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
        let Some(session) = session_of(presented).filter(|session| storable(session)) else {
            return Ok(Err(RefreshError::Invalid));
        };
        let presented = digest(presented);
        let mut tx = begin_write(&self.pool).await.map_err(store_error)?;
        // Check and spend in one statement: of two concurrent uses, the
        // second finds the digest already gone (and then spent: reuse).
        let spent: Option<(String, String, i64)> = sqlx::query_as(
            "UPDATE sessions SET current_digest = NULL, rotations = rotations + 1 \
             WHERE id = $1 AND current_digest = $2 AND NOT revoked AND expires_at >= $3 \
             RETURNING username, scope, rotations",
        )
        .bind(session)
        .bind(&presented[..])
        .bind(seconds(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let outcome = if let Some((username, scope, seq)) = spent {
            sqlx::query(
                "INSERT INTO spent_refresh_tokens (digest, session_id, seq) VALUES ($1, $2, $3)",
            )
            .bind(&presented[..])
            .bind(session)
            .bind(seq)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
            let forget_before =
                seq.saturating_sub(i64::try_from(REMEMBERED_USED).unwrap_or(i64::MAX));
            sqlx::query("DELETE FROM spent_refresh_tokens WHERE session_id = $1 AND seq <= $2")
                .bind(session)
                .bind(forget_before)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
            Ok(Rotation { username, scope, session: session.to_owned() })
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
            Err(if reused.rows_affected() == 1 {
                RefreshError::Reused
            } else {
                RefreshError::Invalid
            })
        };
        tx.commit().await.map_err(store_error)?;
        if outcome == Err(RefreshError::Reused) {
            self.forget_session(session);
        }
        Ok(outcome)
    }

    async fn granted(&self, presented: &str) -> Result<Option<Grant>, StoreError> {
        let Some(session) = session_of(presented).filter(|session| storable(session)) else {
            return Ok(None);
        };
        let found: Option<(String, String)> = sqlx::query_as(
            "SELECT username, scope FROM sessions WHERE id = $1 AND current_digest = $2",
        )
        .bind(session)
        .bind(&digest(presented)[..])
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(found.map(|(username, scope)| Grant { username, scope }))
    }

    async fn revoke_refresh(&self, presented: &str) -> Result<bool, StoreError> {
        let Some(session) = session_of(presented).filter(|session| storable(session)) else {
            return Ok(false);
        };
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
        // Only a real revocation touches the cache: this endpoint is public,
        // and garbage tokens must not be able to empty it.
        let revoked = revoked.rows_affected() > 0;
        if revoked {
            self.forget_session(session);
        }
        Ok(revoked)
    }

    async fn revoke_session(&self, session: &str) -> Result<(), StoreError> {
        if !storable(session) {
            return Ok(());
        }
        let revoked = sqlx::query("UPDATE sessions SET revoked = TRUE WHERE id = $1")
            .bind(session)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        if revoked.rows_affected() > 0 {
            self.forget_session(session);
        }
        Ok(())
    }

    async fn deny(&self, jti: &str, exp: u64) -> Result<(), StoreError> {
        if !storable(jti) {
            return Err(StoreError::new("a jti with a NUL character cannot be stored"));
        }
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
        revoke_user_in(&mut tx, &key).await?;
        tx.commit().await.map_err(store_error)?;
        self.revocations.invalidate_where(|verdict| verdict.user_key == key);
        Ok(())
    }

    async fn is_revoked(
        &self,
        sub: &str,
        jti: &str,
        sid: Option<&str>,
        generation: u64,
    ) -> Result<bool, StoreError> {
        if ![sub, jti, sid.unwrap_or_default()].into_iter().all(storable) {
            return Ok(true);
        }
        // Every guarded request comes here: read the answer, clone nothing.
        if let Some(revoked) = self.revocations.read(jti, |verdict| verdict.revoked) {
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
        let verdict = Verdict { revoked, user_key: self.key(sub), session: sid.map(str::to_owned) };
        self.revocations.fill(jti, ticket, verdict);
        Ok(revoked)
    }
}

impl Store {
    /// Ends the user's least recently used sessions beyond
    /// [`MAX_SESSIONS_PER_USER`](crate::MAX_SESSIONS_PER_USER). A user rarely
    /// has many, so reading their ids and deleting the surplus one by one is
    /// portable and cheap next to the login's password hash.
    async fn evict_beyond_cap(&self, username: &str) -> Result<(), StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM sessions WHERE username_key = $1 ORDER BY expires_at DESC, id DESC",
        )
        .bind(self.key(username))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        for id in ids.iter().skip(crate::MAX_SESSIONS_PER_USER) {
            // Spent digests go with their session (ON DELETE CASCADE).
            sqlx::query("DELETE FROM sessions WHERE id = $1")
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
            self.forget_session(id);
        }
        Ok(())
    }

    /// Drops the cached answers about access tokens of `session`.
    fn forget_session(&self, session: &str) {
        self.revocations.invalidate_where(|verdict| verdict.session.as_deref() == Some(session));
    }
}
