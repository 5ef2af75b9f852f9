//! [`Auth`]: the authentication configuration handlers reach through `FromRef`.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::denial::{AuthRejection, DenialResponder};
use crate::error::AuthError;
use crate::password::{MAX_PASSWORD_BYTES, PasswordError, PasswordHasher};
use crate::store::{DynUserStore, UserStore};
use crate::token::{IssuedToken, TokenError, Tokens};
use crate::user::User;

/// The longest username accepted at login, in bytes; longer ones fail like a
/// wrong password without touching the store.
pub const MAX_USERNAME_BYTES: usize = 128;

/// Audit events go to this `tracing` target.
pub(crate) const AUDIT: &str = "rbac::audit";

/// Token keys, user store and password hasher, shared by every request.
///
/// Cheap to clone (one `Arc`). Put it in your router state, directly or as a
/// field reached through [`FromRef`](axum::extract::FromRef):
///
/// ```
/// use axum::extract::FromRef;
/// use rbac_core::{Auth, JwtSecret, MemoryUserStore, Tokens};
///
/// #[derive(Clone)]
/// struct AppState {
///     auth: Auth,
///     greeting: &'static str,
/// }
///
/// impl FromRef<AppState> for Auth {
///     fn from_ref(state: &AppState) -> Auth {
///         state.auth.clone()
///     }
/// }
///
/// let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), MemoryUserStore::new());
/// let state = AppState { auth, greeting: "hi" };
/// ```
#[derive(Clone)]
pub struct Auth(Arc<Inner>);

#[derive(Clone)]
struct Inner {
    tokens: Tokens,
    store: Arc<dyn DynUserStore>,
    hasher: PasswordHasher,
    responder: Option<DenialResponder>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("tokens", &self.0.tokens)
            .field("hasher", &self.0.hasher)
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Combines token keys and a store, with the default argon2id parameters.
    pub fn new(tokens: Tokens, store: impl UserStore) -> Self {
        Self::with_hasher(tokens, store, PasswordHasher::default())
    }

    /// Like [`Auth::new`] with explicit password hashing parameters.
    pub fn with_hasher(tokens: Tokens, store: impl UserStore, hasher: PasswordHasher) -> Self {
        Self(Arc::new(Inner { tokens, store: Arc::new(store), hasher, responder: None }))
    }

    /// Replaces the responses of refused requests app-wide (guards and
    /// [`CurrentUser`](crate::CurrentUser)), for example with
    /// [`problem_json`](crate::denial::problem_json).
    ///
    /// ```
    /// use rbac_core::{Auth, JwtSecret, MemoryUserStore, Tokens, denial};
    ///
    /// let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), MemoryUserStore::new())
    ///     .with_denial_responder(denial::problem_json);
    /// ```
    pub fn with_denial_responder(
        self,
        responder: impl Fn(AuthError, &Parts) -> Response + Send + Sync + 'static,
    ) -> Self {
        let mut inner = Inner::clone(&self.0);
        inner.responder = Some(Arc::new(responder));
        Self(Arc::new(inner))
    }

    /// Renders a refusal with the app's responder, or the default body.
    pub fn reject(&self, error: AuthError, request: &Parts) -> AuthRejection {
        let response = match &self.0.responder {
            Some(responder) => responder(error, request),
            None => error.into_response(),
        };
        AuthRejection::new(error, response)
    }

    /// The token issuer and verifier.
    pub fn tokens(&self) -> &Tokens {
        &self.0.tokens
    }

    /// The password hasher, for creating users.
    pub fn password_hasher(&self) -> &PasswordHasher {
        &self.0.hasher
    }

    /// Checks a username and password and issues an access token.
    ///
    /// An unknown username costs one full password verification (against a
    /// decoy hash), so response time does not tell which usernames exist.
    /// As in the FastAPI tutorial, a disabled user can log in; every guarded
    /// route then answers 400 `Inactive user`.
    pub async fn login(&self, username: &str, password: String) -> Result<IssuedToken, AuthError> {
        let password = Zeroizing::new(password);
        if username.len() > MAX_USERNAME_BYTES || password.len() > MAX_PASSWORD_BYTES {
            tracing::info!(target: AUDIT, reason = "oversized", "login failed");
            return Err(AuthError::IncorrectCredentials);
        }
        let record = self.0.store.find_credentials(username).await.map_err(|error| {
            tracing::error!(%error, "user store failed during login");
            AuthError::Unavailable
        })?;
        let hash = record.as_ref().map(|record| &record.password_hash);
        let verified = self.0.hasher.verify_zeroizing(password, hash).await.map_err(|error| {
            tracing::error!(%error, "password verification failed to run");
            match error {
                PasswordError::TooLong => AuthError::IncorrectCredentials,
                PasswordError::Busy => AuthError::Overloaded,
                PasswordError::MalformedHash | PasswordError::Unavailable => AuthError::Unavailable,
            }
        })?;
        let user = match record {
            Some(record) if verified => record.user,
            _ => {
                tracing::info!(target: AUDIT, username, reason = "bad_credentials", "login failed");
                return Err(AuthError::IncorrectCredentials);
            }
        };
        let issued = self.0.tokens.issue(&user.username).map_err(|error| {
            tracing::error!(%error, "could not sign a token");
            AuthError::Unavailable
        })?;
        tracing::info!(target: AUDIT, username, jti = issued.claims.jti, "login succeeded");
        Ok(issued)
    }

    /// Verifies a bearer token and loads its user fresh from the store.
    ///
    /// Fails with [`AuthError::InvalidToken`] for any bad token or a user
    /// that no longer exists, and [`AuthError::InactiveUser`] for a disabled one.
    pub async fn authenticate(&self, bearer_token: &str) -> Result<User, AuthError> {
        let claims = self.0.tokens.verify(bearer_token).map_err(|error: TokenError| {
            tracing::debug!(target: AUDIT, %error, "token rejected");
            AuthError::InvalidToken
        })?;
        let user = self.0.store.find_user(&claims.sub).await.map_err(|error| {
            tracing::error!(%error, "user store failed during authentication");
            AuthError::Unavailable
        })?;
        let user = user.ok_or_else(|| {
            tracing::info!(target: AUDIT, username = claims.sub, "token for unknown user");
            AuthError::InvalidToken
        })?;
        if user.disabled {
            tracing::info!(target: AUDIT, username = user.username, "inactive user refused");
            return Err(AuthError::InactiveUser);
        }
        Ok(user)
    }
}
