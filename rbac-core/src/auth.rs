//! [`Auth`]: the authentication configuration handlers reach through `FromRef`.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, OriginalUri};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::denial::{AuthRejection, DenialResponder};
use crate::error::AuthError;
use crate::oauth2::TokenErrorStyle;
use crate::password::{MAX_PASSWORD_BYTES, PasswordError, PasswordHasher};
use crate::scope::ScopePolicy;
use crate::session::{DynSessionStore, MemorySessionStore, SessionStore};
use crate::store::{DynUserStore, UserStore};
use crate::throttle::{Attempt, DynLoginThrottle, LoginThrottle, MemoryThrottle, ThrottleError};
use crate::token::{IssuedToken, Tokens};
use crate::user::UserRecord;

/// The longest username accepted at login, in bytes; longer ones fail like a
/// wrong password without touching the store.
pub const MAX_USERNAME_BYTES: usize = 128;

mod sessions;
#[cfg(test)]
mod tests;
mod verify;

// Audit events go to this `tracing` target.
pub(crate) use crate::AUDIT_TARGET as AUDIT;

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
    throttle: Option<Arc<dyn DynLoginThrottle>>,
    trusted_proxies: Arc<[IpAddr]>,
    sessions: Arc<dyn DynSessionStore>,
    scopes: Option<ScopePolicy>,
    token_errors: TokenErrorStyle,
    /// `/token` refusals go through `responder` too.
    responder_at_token_endpoint: bool,
    /// Set once a scope guard has refused while no scopes are granted here,
    /// so that misconfiguration is logged once, not on every request.
    reported_missing_scopes: Arc<std::sync::atomic::AtomicBool>,
    /// A resource server: users come from token claims, not a store.
    users_from_claims: bool,
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
        Self(Arc::new(Inner {
            tokens,
            store: Arc::new(store),
            hasher,
            responder: None,
            throttle: Some(Arc::new(MemoryThrottle::default())),
            trusted_proxies: Arc::from([]),
            sessions: Arc::new(MemorySessionStore::default()),
            scopes: None,
            token_errors: TokenErrorStyle::default(),
            responder_at_token_endpoint: false,
            reported_missing_scopes: Arc::default(),
            users_from_claims: false,
        }))
    }

    /// A resource server: it verifies tokens another service issued (with
    /// [`Tokens::verifier`] or [`Tokens::remote`]) and takes the user from
    /// the token's claims (`sub`, `roles`, `scope`), since it has no user
    /// store. It cannot log anyone in.
    ///
    /// What the issuer decides after a token was issued reaches a resource
    /// server only when that token expires: a revocation, a role change, or
    /// disabling the user (the issuer issues no new token to a disabled
    /// user, but one it already issued stays good here until its `exp`).
    /// Keep token lifetimes short, or ask the issuer's RFC 7662
    /// introspection endpoint where that window matters.
    ///
    /// ```no_run
    /// use rbac_core::{Auth, RemoteJwks, Tokens};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwks = RemoteJwks::http("http://127.0.0.1:8000/.well-known/jwks.json")?;
    /// jwks.refresh().await?;
    /// let auth = Auth::resource_server(Tokens::remote(jwks));
    /// # Ok(()) }
    /// ```
    pub fn resource_server(tokens: Tokens) -> Self {
        let auth = Self::new(tokens, crate::store::MemoryUserStore::new()).without_login_throttle();
        auth.with_inner(|inner| inner.users_from_claims = true)
    }

    /// Logs, once, that a scope guard refused a request that could never
    /// pass: this issuer has no [`ScopePolicy`], so its tokens carry no
    /// scopes. (A resource server reads scopes its issuer granted.)
    pub(crate) fn report_scopes_never_granted(&self, handler: &str, policy: Option<&str>) {
        use std::sync::atomic::Ordering;
        if self.0.users_from_claims || self.0.scopes.is_some() {
            return;
        }
        if self.0.reported_missing_scopes.swap(true, Ordering::Relaxed) {
            return;
        }
        let policy = policy.unwrap_or("crate::policy");
        tracing::error!(
            handler,
            "`{handler}` requires OAuth2 scopes, but this Auth grants none at /token, so it \
             refuses every request: configure `Auth::with_scopes(ScopePolicy::from_policy::<{policy}::Policy>())`"
        );
    }

    /// Whether this is a [`Auth::resource_server`].
    pub(crate) fn is_resource_server(&self) -> bool {
        self.0.users_from_claims
    }

    /// Grants OAuth2 scopes at `/token` by `policy`; see [`ScopePolicy`].
    /// Without one, tokens carry no scopes and `scope(...)` requirements
    /// always fail.
    #[must_use]
    pub fn with_scopes(self, policy: ScopePolicy) -> Self {
        self.with_inner(|inner| inner.scopes = Some(policy))
    }

    fn with_inner(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner::clone(&self.0);
        change(&mut inner);
        Self(Arc::new(inner))
    }

    /// How `/token` answers a wrong password: FastAPI's 401 (the default)
    /// or RFC 6749's 400; both bodies carry `"error": "invalid_grant"`.
    /// See [`TokenErrorStyle`].
    #[must_use]
    pub fn with_token_error_style(self, style: TokenErrorStyle) -> Self {
        self.with_inner(|inner| inner.token_errors = style)
    }

    /// How `/token` answers a wrong password.
    pub fn token_error_style(&self) -> TokenErrorStyle {
        self.0.token_errors
    }

    /// Renders `/token` refusals with the [denial
    /// responder](Auth::with_denial_responder) too, so an API has one error
    /// shape. The responder then decides the body: OAuth2 client libraries
    /// read the RFC 6749 `error` code ([`AuthError::oauth_error`]), so keep
    /// it if such clients call `/token`. Without a responder this changes
    /// nothing.
    ///
    /// ```
    /// use rbac_core::{Auth, JwtSecret, MemoryUserStore, Tokens, denial};
    ///
    /// let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), MemoryUserStore::new())
    ///     .with_denial_responder(denial::problem_json)
    ///     .with_responder_at_token_endpoint();
    /// ```
    #[must_use]
    pub fn with_responder_at_token_endpoint(self) -> Self {
        self.with_inner(|inner| inner.responder_at_token_endpoint = true)
    }

    /// Whether `/token` refusals go through the denial responder.
    pub(crate) fn responds_at_token_endpoint(&self) -> bool {
        self.0.responder_at_token_endpoint && self.0.responder.is_some()
    }

    /// Replaces the login throttle. The default is an in-process
    /// [`MemoryThrottle`] with [`ThrottleConfig::default`](crate::throttle::ThrottleConfig);
    /// see [`throttle`](crate::throttle) for the scheme.
    #[must_use]
    pub fn with_login_throttle(self, throttle: impl LoginThrottle) -> Self {
        self.with_inner(|inner| inner.throttle = Some(Arc::new(throttle)))
    }

    /// Replaces where sessions, refresh tokens and revocations live. The
    /// default, [`MemorySessionStore`], is per process; a SQL store shares
    /// them between instances and keeps them across restarts.
    #[must_use]
    pub fn with_session_store(self, store: impl SessionStore) -> Self {
        self.with_inner(|inner| inner.sessions = Arc::new(store))
    }

    /// Turns login throttling off (for tests that need many failed logins).
    #[must_use]
    pub fn without_login_throttle(self) -> Self {
        self.with_inner(|inner| inner.throttle = None)
    }

    /// Peers whose `X-Forwarded-For` header is believed. Without any, the
    /// client IP is always the socket's peer address, so a client cannot
    /// spoof its address to dodge throttling.
    #[must_use]
    pub fn with_trusted_proxies(self, proxies: impl IntoIterator<Item = IpAddr>) -> Self {
        let proxies: Arc<[IpAddr]> = proxies.into_iter().map(|ip| ip.to_canonical()).collect();
        self.with_inner(|inner| inner.trusted_proxies = proxies)
    }

    /// The client's address: the socket peer (from axum's `ConnectInfo`), or,
    /// when the peer is a trusted proxy, the rightmost `X-Forwarded-For` entry
    /// that is not one. `0.0.0.0` when the server provides no peer address.
    pub fn client_ip(&self, request: &Parts) -> IpAddr {
        let Some(ConnectInfo(peer)) = request.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        };
        let peer = peer.ip().to_canonical();
        let trusted = &self.0.trusted_proxies;
        if !trusted.contains(&peer) {
            return peer;
        }
        // Right to left: each trusted hop vouches for the entry before it. Stop
        // at the first entry that is not a trusted proxy (the client), and
        // never read past something unparseable: that part is the client's.
        let header = request.headers.get_all("x-forwarded-for");
        let entries =
            header.iter().filter_map(|value| value.to_str().ok()).flat_map(|v| v.split(','));
        let mut client = peer;
        for entry in entries.collect::<Vec<_>>().into_iter().rev() {
            match entry.trim().parse::<IpAddr>() {
                Ok(ip) if trusted.contains(&ip.to_canonical()) => client = ip.to_canonical(),
                Ok(ip) => return ip.to_canonical(),
                Err(_) => break,
            }
        }
        client
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
    #[must_use]
    pub fn with_denial_responder(
        self,
        responder: impl Fn(AuthError, &Parts) -> Response + Send + Sync + 'static,
    ) -> Self {
        self.with_inner(|inner| inner.responder = Some(Arc::new(responder)))
    }

    /// Renders a refusal with the app's responder, or the default body.
    ///
    /// The responder sees the URI the client asked for, also under
    /// `Router::nest` (which strips the prefix from the request's own URI),
    /// so a login redirect or a `problem+json` `instance` names the real path.
    pub fn reject(&self, error: AuthError, request: &Parts) -> AuthRejection {
        let response = match &self.0.responder {
            Some(responder) => match as_requested(request) {
                Some(original) => responder(error, &original),
                None => responder(error, request),
            },
            None => error.into_response(),
        };
        AuthRejection::new(error, response)
    }

    /// `store` as a [`UserDirectory`](crate::UserDirectory) that revokes
    /// through this `Auth`'s session store when the user store does not keep
    /// sessions itself, so a password change or a delete always ends the
    /// user's tokens.
    pub fn user_directory(&self, store: impl crate::WritableUserStore) -> crate::UserDirectory {
        crate::UserDirectory::new(store).revoking_with(self)
    }

    /// Where this `Auth` keeps sessions and revocations.
    pub(crate) fn session_store(&self) -> Arc<dyn DynSessionStore> {
        Arc::clone(&self.0.sessions)
    }

    /// The token issuer and verifier.
    pub fn tokens(&self) -> &Tokens {
        &self.0.tokens
    }

    /// Identifies this configuration (clones share it), so a cached user is
    /// only reused by the `Auth` that verified it.
    pub(crate) fn id(&self) -> usize {
        Arc::as_ptr(&self.0).addr()
    }

    /// The password hasher, for creating users.
    pub fn password_hasher(&self) -> &PasswordHasher {
        &self.0.hasher
    }

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
    /// follows the [`ScopePolicy`] and is in the token's `scope` claim.
    pub async fn login_with_scope(
        &self,
        username: &str,
        password: String,
        scope: Option<&str>,
        client_ip: IpAddr,
    ) -> Result<IssuedToken, AuthError> {
        if self.0.users_from_claims {
            return Err(AuthError::UnsupportedGrantType);
        }
        // A malformed scope is refused before it costs a password hash.
        if let Some(scope) = scope {
            crate::scope::check_syntax(scope)?;
        }
        let password = Zeroizing::new(password);
        let submitted = truncate(username, MAX_USERNAME_BYTES);
        // Keyed as the store keys users, so that spellings of one name
        // (`JohnDoe`, `johndoe`) share one budget.
        let account = self.0.store.account_key(submitted);
        let attempt = Attempt { account: &account, ip: client_ip };
        if let Some(throttle) = &self.0.throttle {
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
        let outcome = self.check_credentials(username, password).await;
        if let (Some(throttle), Ok(_) | Err(AuthError::IncorrectCredentials)) =
            (&self.0.throttle, &outcome)
        {
            throttle.record(attempt, outcome.is_ok()).await;
        }
        match outcome {
            Ok(record) => {
                let issued = self.start_session(&record, scope).await?;
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

    /// The user and the hash that matched, if the password is right. Costs
    /// one verification whether or not the user exists.
    async fn check_credentials(
        &self,
        username: &str,
        password: Zeroizing<String>,
    ) -> Result<UserRecord, AuthError> {
        if username.len() > MAX_USERNAME_BYTES || password.len() > MAX_PASSWORD_BYTES {
            return Err(AuthError::IncorrectCredentials);
        }
        let record = self.0.store.find_credentials(username).await.map_err(|error| {
            tracing::error!(%error, "user store failed during login");
            AuthError::Unavailable
        })?;
        let hash = record.as_ref().map(|record| &record.password_hash);
        let verified = self.0.hasher.verify_zeroizing(password, hash).await.map_err(|error| {
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
}

/// The request head with the URI the client sent, when a `nest` changed it.
/// A copy only on this (refusal) path, never on a granted request.
fn as_requested(request: &Parts) -> Option<Parts> {
    let OriginalUri(original) = request.extensions.get::<OriginalUri>()?;
    if *original == request.uri {
        return None;
    }
    let mut copy = request.clone();
    copy.uri = original.clone();
    Some(copy)
}

/// The path the client asked for, for logs: the nest prefix included.
pub(crate) fn requested_path(request: &Parts) -> &str {
    request.extensions.get::<OriginalUri>().map_or(request.uri.path(), |original| original.path())
}

/// A session store failure: logged, answered with a 503.
fn session_store_failed(error: crate::store::StoreError) -> AuthError {
    tracing::error!(%error, "session store failed");
    AuthError::Unavailable
}

/// The longest prefix of `text` within `max` bytes, on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
