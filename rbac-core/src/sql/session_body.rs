// The session half of the store of `store_body.rs`: `impl SessionStore for
// Store` and its helpers. Included right after `store_body.rs`, in the same
// module; rustfmt-checked by .ci/run like it.
//
// Contract. It defines no imports of its own and relies on:
// - from the including module (see `store_body.rs`): `begin_write`, and
//   `Db` through `revoke_user_in`;
// - from `store_body.rs`: the `Store` type and its fields (`pool`,
//   `revocations`, `max_lifetime`, `refresh_lifetime`), `Store::key`, `Store::prune_sometimes`,
//   `Verdict`, `storable`, `revoke_user_in`, and its imports: the
//   `crate::session` items (`SessionStore`, `FamilySecret`, `SessionGrant`,
//   `Rotation`, `RefreshError`, `MAX_DENIED_PER_SESSION`, `digest`,
//   `new_refresh_token`, `parse_refresh_token`), `random_id`, `StoreError`,
//   and `crate::sql`'s `seconds` and `store_error`.

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
        let id = random_id::<16>().map_err(StoreError::new)?;
        let idle = now.saturating_add(self.refresh_lifetime);
        let expires_at = idle.min(now.saturating_add(self.max_lifetime));
        sqlx::query(
            "INSERT INTO sessions \
             (id, username, username_key, scope, revoked, expires_at, rotations, started_at) \
             VALUES ($1, $2, $3, $4, FALSE, $5, 0, $6)",
        )
        .bind(&id)
        .bind(username)
        .bind(self.key(username))
        .bind(scope)
        .bind(seconds(expires_at))
        .bind(seconds(now))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        self.evict_beyond_cap(username, &id).await?;
        Ok(id)
    }

    async fn issue(
        &self,
        session: &str,
        family: Option<&FamilySecret>,
        now: u64,
    ) -> Result<Option<String>, StoreError> {
        if !storable(session) {
            return Ok(None);
        }
        let drawn = match family {
            Some(_) => None,
            None => Some(FamilySecret::generate().map_err(StoreError::new)?),
        };
        let Some(family) = family.or(drawn.as_ref()) else { return Ok(None) };
        let token = new_refresh_token(session, family).map_err(StoreError::new)?;
        let idle = seconds(now.saturating_add(self.refresh_lifetime));
        // The sooner of the idle expiry and the absolute one, without
        // computing `started_at + max`, which could overflow.
        let capped_before = idle.saturating_sub(seconds(self.max_lifetime));
        // A drawn family is set only where none is; a given one must match.
        let family_check =
            if drawn.is_some() { "family_digest IS NULL" } else { "family_digest = $5" };
        let sql = format!(
            "UPDATE sessions SET current_digest = $2, family_digest = $5, expires_at = \
             CASE WHEN started_at < $4 THEN started_at + $6 ELSE $3 END \
             WHERE id = $1 AND {family_check}"
        );
        let updated = sqlx::query(&sql)
            .bind(session)
            .bind(&digest(&token)[..])
            .bind(idle)
            .bind(capped_before)
            .bind(&family.digest()[..])
            .bind(seconds(self.max_lifetime))
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
        let Some((session, family)) = presented_parts(presented) else {
            return Ok(Err(RefreshError::Invalid));
        };
        let presented = digest(presented);
        let family_digest = digest(family);
        let started_after = seconds(now.saturating_sub(self.max_lifetime));
        let mut tx = begin_write(&self.pool).await.map_err(store_error)?;
        // Check and spend in one statement: of two concurrent uses, the
        // second finds the digest already gone (and then spent: reuse).
        let spent: Option<(String, String)> = sqlx::query_as(
            "UPDATE sessions SET current_digest = NULL, rotations = rotations + 1 \
             WHERE id = $1 AND current_digest = $2 AND family_digest = $3 AND NOT revoked \
             AND expires_at >= $4 AND started_at >= $5 \
             RETURNING username, scope",
        )
        .bind(session)
        .bind(&presented[..])
        .bind(&family_digest[..])
        .bind(seconds(now))
        .bind(started_after)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let outcome = if let Some((username, scope)) = spent {
            let family = FamilySecret::presented(family);
            Ok(Rotation { username, scope, session: session.to_owned(), family })
        } else {
            // Not the current token, but of the family: a spent one.
            let reused = sqlx::query(
                "UPDATE sessions SET revoked = TRUE WHERE id = $1 AND family_digest = $2 \
                 AND NOT revoked AND expires_at >= $3 AND started_at >= $4",
            )
            .bind(session)
            .bind(&family_digest[..])
            .bind(seconds(now))
            .bind(started_after)
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

    async fn granted(&self, presented: &str) -> Result<Option<SessionGrant>, StoreError> {
        let Some((session, _)) = presented_parts(presented) else {
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
        Ok(found.map(|(username, scope)| SessionGrant { username, scope }))
    }

    async fn revoke_refresh(&self, presented: &str) -> Result<bool, StoreError> {
        let Some((session, family)) = presented_parts(presented) else {
            return Ok(false);
        };
        let revoked =
            sqlx::query("UPDATE sessions SET revoked = TRUE WHERE id = $1 AND family_digest = $2")
                .bind(session)
                .bind(&digest(family)[..])
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

    async fn deny_token(
        &self,
        sub: &str,
        sid: Option<&str>,
        jti: &str,
        exp: u64,
        now: u64,
    ) -> Result<(), StoreError> {
        if ![sub, jti, sid.unwrap_or_default()].into_iter().all(storable) {
            return Err(StoreError::new("a jti with a NUL character cannot be stored"));
        }
        let key = self.key(sub);
        let mut tx = begin_write(&self.pool).await.map_err(store_error)?;
        // Lock the owner's row first, so that concurrent denials in one
        // session (or of one user) count each other.
        let (owner, owner_sql) = match sid {
            Some(sid) => {
                let live = sqlx::query(
                    "UPDATE sessions SET revoked = revoked WHERE id = $1 AND NOT revoked",
                )
                .bind(sid)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
                if live.rows_affected() == 0 {
                    // Gone or revoked: every token naming it is refused already.
                    return Ok(());
                }
                (sid, "session_id = $1")
            }
            None => {
                sqlx::query(
                    "INSERT INTO token_generations (username_key, generation) VALUES ($1, 0) \
                     ON CONFLICT (username_key) DO UPDATE SET generation = token_generations.generation",
                )
                .bind(&key)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
                (key.as_str(), "session_id IS NULL AND username_key = $1")
            }
        };
        let unverifiable = now.saturating_sub(crate::Tokens::MAX_LEEWAY.as_secs());
        sqlx::query(&format!(
            "DELETE FROM denied_access_tokens WHERE {owner_sql} AND expires_at < $2"
        ))
        .bind(owner)
        .bind(seconds(unverifiable))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        let (held,): (i64,) =
            sqlx::query_as(&format!("SELECT COUNT(*) FROM denied_access_tokens WHERE {owner_sql}"))
                .bind(owner)
                .fetch_one(&mut *tx)
                .await
                .map_err(store_error)?;
        let full = usize::try_from(held).unwrap_or(usize::MAX) >= MAX_DENIED_PER_SESSION;
        if full {
            // Revoking the session (or the user) refuses this token and every
            // other one listed, so their rows can go.
            match sid {
                Some(sid) => {
                    sqlx::query("UPDATE sessions SET revoked = TRUE WHERE id = $1")
                        .bind(sid)
                        .execute(&mut *tx)
                        .await
                        .map_err(store_error)?;
                }
                None => revoke_user_in(&mut tx, &key).await?,
            }
            sqlx::query(&format!("DELETE FROM denied_access_tokens WHERE {owner_sql}"))
                .bind(owner)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        } else {
            sqlx::query(
                "INSERT INTO denied_access_tokens (jti, expires_at, session_id, username_key) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (jti) DO NOTHING",
            )
            .bind(jti)
            .bind(seconds(exp))
            .bind(sid)
            .bind(sid.is_none().then_some(&key))
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
        self.revocations.invalidate(jti);
        match (full, sid) {
            (true, Some(sid)) => self.forget_session(sid),
            (true, None) => self.revocations.invalidate_where(|verdict| verdict.user_key == key),
            (false, _) => {}
        }
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

/// The session and family secret of a presented refresh token, if it has
/// the shape of one and can be stored.
fn presented_parts(presented: &str) -> Option<(&str, &str)> {
    parse_refresh_token(presented).filter(|(session, _)| storable(session))
}

impl Store {
    /// Sets the absolute session lifetime (default
    /// [`MAX_SESSION_LIFETIME`](crate::session::MAX_SESSION_LIFETIME)): a session
    /// ends this long after its login, however often it is refreshed. It
    /// applies to sessions already started too. Set it on every instance
    /// sharing a database alike.
    #[must_use]
    pub fn with_max_session_lifetime(mut self, lifetime: std::time::Duration) -> Self {
        self.max_lifetime = lifetime.as_secs();
        self
    }

    /// Sets how long a refresh token lives unused (default
    /// [`REFRESH_LIFETIME`](crate::session::REFRESH_LIFETIME), 14 days): each refresh
    /// moves a session's end this far out, up to the absolute lifetime. Set
    /// it on every instance sharing a database alike.
    #[must_use]
    pub fn with_refresh_lifetime(mut self, lifetime: std::time::Duration) -> Self {
        self.refresh_lifetime = lifetime.as_secs();
        self
    }
    /// Ends the user's least recently used sessions beyond
    /// [`MAX_SESSIONS_PER_USER`](crate::session::MAX_SESSIONS_PER_USER). A user rarely
    /// has many, so reading their ids and deleting the surplus one by one is
    /// portable and cheap next to the login's password hash.
    /// The new session `kept` is never the one evicted: logins within one
    /// second tie on expiry.
    async fn evict_beyond_cap(&self, username: &str, kept: &str) -> Result<(), StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM sessions WHERE username_key = $1 AND id <> $2 \
             ORDER BY expires_at DESC, id DESC",
        )
        .bind(self.key(username))
        .bind(kept)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        for id in ids.iter().skip(crate::session::MAX_SESSIONS_PER_USER - 1) {
            // Its denials go with it (ON DELETE CASCADE).
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
