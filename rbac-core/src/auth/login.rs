//! The password grant on [`Auth`]: throttling, the credential check and the
//! start of a session.

use std::net::IpAddr;

use zeroize::Zeroizing;

use super::{AUDIT, Auth, Issuer, MAX_USERNAME_BYTES, truncate};
use crate::error::AuthError;
use crate::password::{MAX_PASSWORD_BYTES, PasswordError};
use crate::throttle::{Attempt, ThrottleError};
use crate::token::IssuedToken;
use crate::user::UserRecord;

impl Auth {
    /// Checks a username and password and issues an access token.
    ///
    /// An unknown username costs one full password verification (against a
    /// decoy hash), so response time does not tell which usernames exist.
    ///
    /// A disabled user with the right password gets
    /// [`AuthError::InactiveUser`] and no token, unlike in the FastAPI
    /// tutorial: resource servers accept our tokens without asking us, so a
    /// token issued to a disabled user would open them all. Tokens issued
    /// before the user was disabled get 400 `Inactive user` on every
    /// guarded route here.
    pub async fn login(
        &self,
        username: &str,
        password: String,
        client_ip: IpAddr,
    ) -> Result<IssuedToken, AuthError> {
        self.login_with_scope(username, password, None, client_ip).await
    }

    /// [`Auth::login`] asking for `scope` (space-separated); what is granted
    /// follows the [`ScopePolicy`](crate::ScopePolicy) and is in the token's `scope` claim.
    pub async fn login_with_scope(
        &self,
        username: &str,
        password: String,
        scope: Option<&str>,
        client_ip: IpAddr,
    ) -> Result<IssuedToken, AuthError> {
        let Some(issuer) = self.issuer() else {
            return Err(AuthError::UnsupportedGrantType);
        };
        // A malformed scope is refused before it costs a password hash.
        if let Some(scope) = scope {
            crate::scope::check_syntax(scope)?;
        }
        let password = Zeroizing::new(password);
        let submitted = truncate(username, MAX_USERNAME_BYTES);
        // Keyed as the store keys users, so that spellings of one name
        // (`JohnDoe`, `johndoe`) share one budget.
        let account = issuer.store.account_key(submitted);
        let attempt = Attempt { account: &account, ip: client_ip };
        if let Some(throttle) = &issuer.throttle {
            // Counted as a failure from here on, unless the password is right.
            match throttle.reserve(attempt).await {
                Ok(()) => {}
                Err(ThrottleError::Throttled(wait)) => {
                    tracing::info!(target: AUDIT, username = submitted, %client_ip, reason = "throttled", "login refused");
                    return Err(AuthError::Throttled(wait.as_secs().saturating_add(1)));
                }
                Err(ThrottleError::Unavailable) => return Err(AuthError::Unavailable),
            }
        }
        let outcome = check_credentials(issuer, username, password).await;
        if let (Some(throttle), Ok(_) | Err(AuthError::IncorrectCredentials)) =
            (&issuer.throttle, &outcome)
        {
            throttle.record(attempt, outcome.is_ok()).await;
        }
        match outcome {
            Ok(record) => {
                let issued = self.start_session(issuer, &record, scope).await?;
                tracing::info!(target: AUDIT, username, %client_ip, jti = issued.claims.jti, "login succeeded");
                Ok(issued)
            }
            Err(error) => {
                if error == AuthError::IncorrectCredentials {
                    tracing::info!(target: AUDIT, username = submitted, %client_ip, reason = "bad_credentials", "login failed");
                }
                Err(error)
            }
        }
    }
}

/// The user and the hash that matched, if the password is right. Costs
/// one verification whether or not the user exists.
async fn check_credentials(
    issuer: &Issuer,
    username: &str,
    password: Zeroizing<String>,
) -> Result<UserRecord, AuthError> {
    if username.len() > MAX_USERNAME_BYTES || password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::IncorrectCredentials);
    }
    let record = issuer.store.find_credentials(username).await.map_err(|error| {
        tracing::error!(%error, "user store failed during login");
        AuthError::Unavailable
    })?;
    let hash = record.as_ref().map(|record| &record.password_hash);
    let verified = issuer.hasher.verify_zeroizing(password, hash).await.map_err(|error| {
        tracing::debug!(%error, "password verification did not run");
        match error {
            PasswordError::TooLong => AuthError::IncorrectCredentials,
            PasswordError::Busy => AuthError::Overloaded,
            PasswordError::MalformedHash | PasswordError::Unavailable => AuthError::Unavailable,
        }
    })?;
    match record {
        Some(record) if verified => Ok(record),
        _ => Err(AuthError::IncorrectCredentials),
    }
}
