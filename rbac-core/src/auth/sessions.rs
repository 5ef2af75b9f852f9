//! Sessions on [`Auth`]: issuing refresh tokens, rotating them, revoking.

use super::{AUDIT, Auth, Issuer, session_store_failed};
use crate::error::AuthError;
use crate::session::{FamilySecret, RefreshError, SessionGrant};
use crate::token::{IssuedToken, TokenSubject, unix_now};
use crate::user::{User, UserRecord};

impl Auth {
    /// A new session for a user who just proved who they are: an access
    /// token and a refresh token.
    pub(super) async fn start_session(
        &self,
        issuer: &Issuer,
        checked: &UserRecord,
        requested_scope: Option<&str>,
    ) -> Result<IssuedToken, AuthError> {
        let user = &checked.user;
        // Refused here, after the password was found right, so the answer
        // tells nothing to someone without it. Resource servers trust our
        // tokens without asking us, so none may be issued to a disabled user.
        if user.disabled {
            tracing::info!(target: AUDIT, username = user.username, reason = "inactive", "login refused");
            return Err(AuthError::InactiveUser);
        }
        let scope = match &issuer.scopes {
            Some(policy) => Some(policy.grant(user, requested_scope)?),
            None => None,
        };
        let session =
            issuer.sessions.start(&user.username, scope.as_deref().unwrap_or(""), unix_now());
        let session = session.await.map_err(session_store_failed)?;
        // Deleting a user revokes the sessions it finds; one that committed
        // between the password check and the start above found none. So look
        // again, now that the session exists: the account must still be the
        // one the password was checked against (a re-created user has
        // another hash).
        let current = issuer.store.find_credentials(&user.username).await.map_err(|error| {
            tracing::error!(%error, "user store failed during login");
            AuthError::Unavailable
        })?;
        let unchanged = current.is_some_and(|current| {
            current.password_hash.as_phc() == checked.password_hash.as_phc()
        });
        if !unchanged {
            issuer.sessions.revoke_session(&session).await.map_err(session_store_failed)?;
            tracing::info!(target: AUDIT, username = user.username, reason = "changed_during_login", "login failed");
            return Err(AuthError::IncorrectCredentials);
        }
        self.issue_in(issuer, user, &session, None, scope.as_deref()).await
    }

    async fn issue_in(
        &self,
        issuer: &Issuer,
        user: &User,
        session: &str,
        family: Option<&FamilySecret>,
        scope: Option<&str>,
    ) -> Result<IssuedToken, AuthError> {
        let sessions = &issuer.sessions;
        let subject = TokenSubject {
            username: &user.username,
            session: Some(session),
            generation: sessions.generation(&user.username).await.map_err(session_store_failed)?,
            scope,
            roles: &user.roles,
        };
        let mut issued = self.0.tokens.issue_for(&subject).map_err(|error| {
            tracing::error!(%error, "could not sign a token");
            AuthError::Unavailable
        })?;
        issued.refresh_token =
            sessions.issue(session, family, unix_now()).await.map_err(session_store_failed)?;
        Ok(issued)
    }

    /// The refresh grant (RFC 6749 §6) with rotation: the presented refresh
    /// token is spent, and a new access token and refresh token are issued in
    /// the same session. A refresh token presented twice revokes the whole
    /// session (OAuth 2.0 Security BCP §4.14), as does a refresh for a user
    /// who has since been disabled or deleted.
    ///
    /// `scope`, if given, narrows the scopes first granted; asking for one
    /// outside them is `invalid_scope` (RFC 6749 §6).
    ///
    /// The user is looked up and the scope checked before the token is
    /// spent, so a rejection or a user-store failure there leaves it usable
    /// for a retry. A session-store failure after the spend (issuing the
    /// successor) still leaves the client to log in again.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<IssuedToken, AuthError> {
        let issuer = self.issuer().ok_or(AuthError::UnsupportedGrantType)?;
        let grant = issuer.sessions.granted(refresh_token).await.map_err(session_store_failed)?;
        let prepared = match &grant {
            Some(grant) => Some(prepare_refresh(issuer, grant, scope).await?),
            None => None,
        };
        let rotated = issuer.sessions.rotate(refresh_token, unix_now()).await;
        let rotation = rotated.map_err(session_store_failed)?.map_err(|error| {
            match error {
                RefreshError::Reused => {
                    tracing::warn!(target: AUDIT, reason = "reuse", "refresh token reused; session revoked");
                }
                RefreshError::Invalid => tracing::info!(target: AUDIT, reason = "invalid", "refresh failed"),
            }
            AuthError::InvalidGrant
        })?;
        // Only a current token rotates, and `granted` found every current one.
        let Some((user, scope)) = prepared else { return Err(AuthError::InvalidGrant) };
        let user = match user {
            Ok(user) => user,
            Err(refusal) => {
                let revoked = issuer.sessions.revoke_session(&rotation.session).await;
                revoked.map_err(session_store_failed)?;
                tracing::info!(target: AUDIT, username = rotation.username, reason = "inactive", "refresh failed");
                return Err(refusal);
            }
        };
        let family = Some(&rotation.family);
        let issued =
            self.issue_in(issuer, &user, &rotation.session, family, scope.as_deref()).await?;
        tracing::info!(target: AUDIT, username = rotation.username, jti = issued.claims.jti, "refresh succeeded");
        Ok(issued)
    }

    /// The user and granted scopes of a refresh token that a refresh would
    /// accept now (current, in a live session, its user active); `None`
    /// otherwise. Spends nothing. For introspection (RFC 7662).
    pub(crate) async fn live_refresh_grant(
        &self,
        refresh_token: &str,
    ) -> Result<Option<(String, String)>, AuthError> {
        let issuer = self.issuing()?;
        let grant = issuer.sessions.granted(refresh_token).await.map_err(session_store_failed)?;
        let Some(grant) = grant else { return Ok(None) };
        Ok(active_user(issuer, &grant.username).await?.ok().map(|_| (grant.username, grant.scope)))
    }

    /// Token revocation (RFC 7009): a refresh token revokes its session; a
    /// valid access token is refused from now until it would have expired
    /// (past [`MAX_DENIED_PER_SESSION`](crate::session::MAX_DENIED_PER_SESSION)
    /// revocations in its session, by revoking the session).
    /// Unknown or invalid tokens change nothing, and the caller cannot tell.
    /// Fails only when the session store does.
    pub async fn revoke_token(&self, token: &str) -> Result<(), AuthError> {
        let sessions = &self.issuing()?.sessions;
        if sessions.revoke_refresh(token).await.map_err(session_store_failed)? {
            tracing::info!(target: AUDIT, kind = "refresh_token", "token revoked");
        } else if let Ok(claims) = self.0.tokens.verify(token) {
            let sid = claims.sid.as_deref();
            let denied = sessions.deny_token(&claims.sub, sid, &claims.jti, claims.exp, unix_now());
            denied.await.map_err(session_store_failed)?;
            tracing::info!(target: AUDIT, username = claims.sub, jti = claims.jti, kind = "access_token", "token revoked");
        }
        Ok(())
    }

    /// Logs out the session of this access token: the token itself, the
    /// other access tokens and the refresh tokens of its session.
    pub async fn logout(&self, access_token: &str) -> Result<(), AuthError> {
        let sessions = &self.issuing()?.sessions;
        let claims = self.verify_access(access_token).await?;
        match &claims.sid {
            // Revoking the session refuses this token too: no denial needed.
            Some(session) => {
                sessions.revoke_session(session).await.map_err(session_store_failed)?;
            }
            None => {
                let denied =
                    sessions.deny_token(&claims.sub, None, &claims.jti, claims.exp, unix_now());
                denied.await.map_err(session_store_failed)?;
            }
        }
        tracing::info!(target: AUDIT, username = claims.sub, jti = claims.jti, "logout");
        Ok(())
    }

    /// "Log out everywhere": every access and refresh token `username` holds
    /// stops working at once; new logins work as usual. Fails only when the
    /// session store does.
    pub async fn revoke_all_tokens(&self, username: &str) -> Result<(), AuthError> {
        self.issuing()?.sessions.revoke_user(username).await.map_err(session_store_failed)?;
        tracing::info!(target: AUDIT, username, "all tokens revoked");
        Ok(())
    }
}

/// The session's user if still active (else the rejection), and the
/// scopes to grant: what a refresh needs, found before its token is spent.
async fn prepare_refresh(
    issuer: &Issuer,
    grant: &SessionGrant,
    requested: Option<&str>,
) -> Result<(Result<User, AuthError>, Option<String>), AuthError> {
    crate::scope::check_narrowing(&grant.scope, requested)?;
    let user = match active_user(issuer, &grant.username).await? {
        Ok(user) => user,
        Err(refusal) => return Ok((Err(refusal), None)),
    };
    let scope = match &issuer.scopes {
        Some(policy) => Some(policy.regrant(&user, &grant.scope, requested)?),
        None => None,
    };
    Ok((Ok(user), scope))
}

/// `username` from the store if still active; else the rejection for a
/// refresh grant: `InactiveUser` for a disabled user, `InvalidGrant`
/// for one that is gone.
async fn active_user(
    issuer: &Issuer,
    username: &str,
) -> Result<Result<User, AuthError>, AuthError> {
    let user = issuer.store.find_user(username).await.map_err(|error| {
        tracing::error!(%error, "user store failed during refresh");
        AuthError::Unavailable
    })?;
    Ok(match user {
        Some(user) if user.disabled => Err(AuthError::InactiveUser),
        Some(user) => Ok(user),
        None => Err(AuthError::InvalidGrant),
    })
}
