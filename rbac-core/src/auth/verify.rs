//! Authenticating a request: verifying the bearer token (fetching remote
//! keys when needed), checking revocation, and loading the user.

use std::sync::Arc;

use super::{AUDIT, Auth, session_store_failed};
use crate::error::AuthError;
use crate::token::{Claims, TokenError};
use crate::user::User;

impl Auth {
    /// Verifies a bearer token and loads its user fresh from the store.
    ///
    /// Fails with [`AuthError::InvalidToken`] for any bad token or a user
    /// that no longer exists, and [`AuthError::InactiveUser`] for a disabled one.
    pub async fn authenticate(&self, bearer_token: &str) -> Result<User, AuthError> {
        self.authenticate_with_claims(bearer_token).await.map(|(user, _)| user)
    }

    /// [`Auth::authenticate`], also returning the token's verified claims.
    pub async fn authenticate_with_claims(
        &self,
        bearer_token: &str,
    ) -> Result<(User, Claims), AuthError> {
        let (user, claims) = self.authenticate_shared(bearer_token).await?;
        Ok((Arc::unwrap_or_clone(user), claims))
    }

    /// [`Auth::authenticate_with_claims`] with the user as the store shares
    /// it: what the extractors call.
    pub(crate) async fn authenticate_shared(
        &self,
        bearer_token: &str,
    ) -> Result<(Arc<User>, Claims), AuthError> {
        let mut claims = self.verify_bearer(bearer_token).await?;
        if self.issuer().is_none() {
            let user = user_from_claims(&claims)?;
            return Ok((Arc::new(user), claims));
        }
        let user = self.load_user(&claims.sub).await?;
        if let Some(narrowed) = self.narrowed_scope(&user, &claims) {
            claims.scope = Some(narrowed);
        }
        Ok((user, claims))
    }

    /// The active user `username` names, from the issuer's store.
    pub(crate) async fn load_user(&self, username: &str) -> Result<Arc<User>, AuthError> {
        let Some(issuer) = self.issuer() else {
            return Err(AuthError::InvalidToken);
        };
        let user = issuer.store.find_user_shared(username).await.map_err(|error| {
            tracing::error!(%error, "user store failed during authentication");
            AuthError::Unavailable
        })?;
        let user = user.ok_or_else(|| {
            tracing::info!(target: AUDIT, username, "token for unknown user");
            AuthError::InvalidToken
        })?;
        if user.disabled {
            tracing::info!(target: AUDIT, username = user.username, "inactive user refused");
            return Err(AuthError::InactiveUser);
        }
        Ok(user)
    }

    /// The token's `scope` narrowed to what the user's current roles still
    /// allow; `None` when all of it is, or when no scopes are granted here.
    pub(crate) fn narrowed_scope(&self, user: &User, claims: &Claims) -> Option<String> {
        let (Some(policy), Some(scope)) = (&self.issuer()?.scopes, &claims.scope) else {
            return None;
        };
        policy.still_allowed(user, scope)
    }

    /// Verifies a bearer token; with remote keys, refetches them (rate
    /// limited) when stale or when the token names a key not yet known. The
    /// signature is checked once, or twice only after such a refetch.
    async fn verify_bearer(&self, token: &str) -> Result<Claims, AuthError> {
        #[cfg(feature = "oidc")]
        if let Some(issuers) = &self.0.issuers {
            return self.accept(issuers.verify(token).await).await;
        }
        let Some(remote) = self.0.tokens.remote_jwks() else {
            return self.verify_access(token).await;
        };
        if remote.is_stale() {
            remote.refetch_rate_limited().await;
        }
        let verified = match self.0.tokens.verify(token) {
            Err(TokenError::UnknownKey) if remote.refetch_rate_limited().await => {
                self.0.tokens.verify(token)
            }
            verified => verified,
        };
        self.accept(verified).await
    }
}

/// A resource server's user: who the issuer said, with the roles it listed.
fn user_from_claims(claims: &Claims) -> Result<User, AuthError> {
    let mut user = User::new(claims.sub.clone());
    for role in &claims.roles {
        let role = crate::user::Role::new(role).map_err(|_| AuthError::InvalidToken)?;
        user.roles.push(role);
    }
    Ok(user)
}

/// Verifies an access token: signature, claims, and that it was not revoked.
impl Auth {
    pub(crate) async fn verify_access(&self, token: &str) -> Result<Claims, AuthError> {
        self.accept(self.0.tokens.verify(token)).await
    }

    /// Turns a verification result into claims that were not revoked.
    async fn accept(&self, verified: Result<Claims, TokenError>) -> Result<Claims, AuthError> {
        let claims = verified.map_err(|error| {
            tracing::debug!(target: AUDIT, %error, "token rejected");
            AuthError::InvalidToken
        })?;
        if self.is_revoked(&claims).await? {
            tracing::info!(target: AUDIT, username = claims.sub, jti = claims.jti, "revoked token refused");
            return Err(AuthError::InvalidToken);
        }
        Ok(claims)
    }

    /// Whether the session store says these claims were revoked; never on
    /// a resource server, whose tokens' sessions live at the issuer.
    pub(crate) async fn is_revoked(&self, claims: &Claims) -> Result<bool, AuthError> {
        let Some(issuer) = self.issuer() else { return Ok(false) };
        let sid = claims.sid.as_deref();
        let revoked = issuer.sessions.is_revoked(&claims.sub, &claims.jti, sid, claims.generation);
        revoked.await.map_err(session_store_failed)
    }
}
