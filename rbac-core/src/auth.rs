//! [`Auth`]: the authentication configuration handlers reach through `FromRef`.

use std::fmt;
use std::sync::Arc;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, OriginalUri};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::browser::CookieTransport;
use crate::error::AuthError;
use crate::oauth2::TokenErrorStyle;
use crate::password::PasswordHasher;
use crate::rejection::{AuthRejection, RejectionResponder};
use crate::scope::ScopePolicy;
use crate::session::{DynSessionStore, MemorySessionStore, SessionStore};
use crate::store::{DynUserStore, UserStore};
use crate::throttle::{DynLoginThrottle, LoginThrottle, MemoryThrottle};
use crate::token::Tokens;

pub(crate) use crate::password::MAX_USERNAME_BYTES;

mod login;
mod scoped;
pub use scoped::{Held, ScopeList};
mod sessions;
#[cfg(test)]
mod tests;
mod verify;

// Audit events go to this `tracing` target.
pub(crate) use crate::AUDIT_TARGET as AUDIT;

/// The authentication configuration every guard and endpoint reads.
///
/// Every `Auth` holds the token keys ([`Tokens`]), the rejection responder
/// ([`Auth::with_rejection_responder`]) and the trusted proxies
/// ([`Auth::with_trusted_proxies`]). It is one of two kinds:
/// - an **issuer** ([`Auth::new`]): it also holds the user store, the
///   password hasher and its pool, the login throttle
///   ([`Auth::with_login_throttle`]), the session store
///   ([`Auth::with_session_store`]), the scope policy ([`Auth::with_scopes`])
///   and how `/token` answers ([`Auth::with_token_error_style`]);
/// - a **resource server** ([`Auth::resource_server`]): it verifies another
///   service's tokens and holds none of those.
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
    responder: Option<RejectionResponder>,
    trusted_proxies: Arc<[IpAddr]>,
    cookies: Option<CookieTransport>,
    mode: Mode,
    /// A resource server trusting several issuers verifies with these.
    #[cfg(feature = "oidc")]
    issuers: Option<crate::token::TrustedIssuers>,
}

/// What this `Auth` is: each holds only what it uses.
#[derive(Clone)]
enum Mode {
    /// Logs users in from its store, issues their tokens, keeps their sessions.
    Issuer(Box<Issuer>),
    /// Verifies another service's tokens; users come from their claims.
    ResourceServer,
}

/// An issuer's parts: none of them exist on a resource server.
#[derive(Clone)]
pub(crate) struct Issuer {
    store: Arc<dyn DynUserStore>,
    hasher: PasswordHasher,
    throttle: Option<Arc<dyn DynLoginThrottle>>,
    sessions: Arc<dyn DynSessionStore>,
    scopes: Option<ScopePolicy>,
    token_errors: TokenErrorStyle,
    /// `/token` rejections go through the responder too.
    responder_at_token_endpoint: bool,
    /// Set once a scope guard has refused while no scopes are granted here,
    /// so that misconfiguration is logged once, not on every request.
    reported_missing_scopes: Arc<std::sync::atomic::AtomicBool>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Auth");
        debug.field("tokens", &self.0.tokens);
        match &self.0.mode {
            Mode::Issuer(issuer) => debug.field("hasher", &issuer.hasher),
            Mode::ResourceServer => debug.field("mode", &"resource server"),
        };
        debug.finish_non_exhaustive()
    }
}

impl Auth {
    /// Combines token keys and a store, with the default argon2id parameters.
    pub fn new(tokens: Tokens, store: impl UserStore) -> Self {
        Self::with_hasher(tokens, store, PasswordHasher::default())
    }

    /// Like [`Auth::new`] with explicit password hashing parameters.
    pub fn with_hasher(tokens: Tokens, store: impl UserStore, hasher: PasswordHasher) -> Self {
        let issuer = Issuer {
            store: Arc::new(store),
            hasher,
            throttle: Some(Arc::new(MemoryThrottle::default())),
            sessions: Arc::new(MemorySessionStore::default()),
            scopes: None,
            token_errors: TokenErrorStyle::default(),
            responder_at_token_endpoint: false,
            reported_missing_scopes: Arc::default(),
        };
        Self::with_mode(tokens, Mode::Issuer(Box::new(issuer)))
    }

    fn with_mode(tokens: Tokens, mode: Mode) -> Self {
        Self(Arc::new(Inner {
            tokens,
            responder: None,
            trusted_proxies: Arc::from([]),
            cookies: None,
            mode,
            #[cfg(feature = "oidc")]
            issuers: None,
        }))
    }

    /// A resource server: it verifies tokens another service issued (with
    /// [`Tokens::verifier`] or [`Tokens::remote`]) and takes the user from
    /// the token's claims (`sub`, `roles`, `scope`), since it has no user
    /// store. It cannot log anyone in, and holds no user store, session
    /// store, login throttle or hashing pool; the issuer's settings
    /// (`with_scopes`, `with_session_store`, ...) do nothing on it.
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
        Self::with_mode(tokens, Mode::ResourceServer)
    }

    /// A resource server trusting several issuers, such as your own
    /// issuer and an OpenID provider: each token is verified by the issuer
    /// its `iss` names, and its user's roles and scopes come from that
    /// issuer's claims (see [`TrustedIssuers`](crate::TrustedIssuers)).
    /// Otherwise as [`Auth::resource_server`]; [`Auth::tokens`] is an empty
    /// verifier.
    ///
    /// ```no_run
    /// use rbac_core::{Auth, ClaimMapping, RemoteJwks, Tokens, TrustedIssuer, TrustedIssuers};
    ///
    /// rbac_core::policy! { pub mod policy { role "viewer"; role "editor": "viewer"; } }
    ///
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let own = RemoteJwks::http("http://127.0.0.1:8000/.well-known/jwks.json")?;
    /// let idp = "https://idp.acme.example";
    /// let issuers = TrustedIssuers::for_policy::<policy::Policy>([
    ///     TrustedIssuer::own(Tokens::remote(own).with_issuer("http://127.0.0.1:8000")),
    ///     TrustedIssuer::external(idp, RemoteJwks::discover(idp)?)
    ///         .with_audience("https://reports.acme.example")
    ///         .with_mapping(ClaimMapping::groups("groups").group("/acme/editors", "editor")),
    /// ])?;
    /// let auth = Auth::resource_server_trusting(issuers);
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "oidc")]
    pub fn resource_server_trusting(issuers: crate::token::TrustedIssuers) -> Self {
        Self::resource_server(Tokens::verifier([]))
            .with_inner(|inner| inner.issuers = Some(issuers))
    }

    /// The issuer's parts; `None` on a resource server.
    pub(crate) fn issuer(&self) -> Option<&Issuer> {
        match &self.0.mode {
            Mode::Issuer(issuer) => Some(issuer),
            Mode::ResourceServer => None,
        }
    }

    /// The issuer's parts, or the rejection of an issuer-only operation
    /// (revocation, logout) on a resource server.
    pub(crate) fn issuing(&self) -> Result<&Issuer, AuthError> {
        self.issuer().ok_or(AuthError::InvalidRequest("this service does not issue tokens"))
    }

    /// Logs, once, that a scope guard refused a request that could never
    /// pass: this issuer has no [`ScopePolicy`], so its tokens carry no
    /// scopes. (A resource server reads scopes its issuer granted.)
    pub(crate) fn report_scopes_never_granted(&self, handler: &str, policy: Option<&str>) {
        use std::sync::atomic::Ordering;
        let Some(issuer) = self.issuer() else { return };
        if issuer.scopes.is_some() || issuer.reported_missing_scopes.swap(true, Ordering::Relaxed) {
            return;
        }
        let policy = policy.unwrap_or("crate::policy");
        tracing::error!(
            handler,
            "`{handler}` requires OAuth2 scopes, but this Auth grants none at /token, so it \
             refuses every request: configure `Auth::with_scopes(ScopePolicy::from_policy::<{policy}::Policy>())`"
        );
    }

    /// Grants OAuth2 scopes at `/token` by `policy`; see [`ScopePolicy`].
    /// Without one, tokens carry no scopes and `scope(...)` requirements
    /// always fail.
    #[must_use]
    pub fn with_scopes(self, policy: ScopePolicy) -> Self {
        self.with_issuer(|issuer| issuer.scopes = Some(policy))
    }

    fn with_inner(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner::clone(&self.0);
        change(&mut inner);
        Self(Arc::new(inner))
    }

    /// Changes an issuer's setting; a resource server has none to change.
    fn with_issuer(self, change: impl FnOnce(&mut Issuer)) -> Self {
        self.with_inner(|inner| {
            if let Mode::Issuer(issuer) = &mut inner.mode {
                change(issuer);
            }
        })
    }

    /// How `/token` answers a wrong password: FastAPI's 401 (the default)
    /// or RFC 6749's 400; both bodies carry `"error": "invalid_grant"`.
    /// See [`TokenErrorStyle`].
    #[must_use]
    pub fn with_token_error_style(self, style: TokenErrorStyle) -> Self {
        self.with_issuer(|issuer| issuer.token_errors = style)
    }

    /// How `/token` answers a wrong password.
    pub fn token_error_style(&self) -> TokenErrorStyle {
        self.issuer().map(|issuer| issuer.token_errors).unwrap_or_default()
    }

    /// Renders `/token` rejections with the [rejection
    /// responder](Auth::with_rejection_responder) too, so an API has one error
    /// shape. The responder then decides the body: OAuth2 client libraries
    /// read the RFC 6749 `error` code ([`AuthError::oauth_error`]), so keep
    /// it if such clients call `/token`. Without a responder this changes
    /// nothing.
    ///
    /// ```
    /// use rbac_core::{Auth, JwtSecret, MemoryUserStore, Tokens, rejection};
    ///
    /// let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), MemoryUserStore::new())
    ///     .with_rejection_responder(rejection::problem_json)
    ///     .with_responder_at_token_endpoint();
    /// ```
    #[must_use]
    pub fn with_responder_at_token_endpoint(self) -> Self {
        self.with_issuer(|issuer| issuer.responder_at_token_endpoint = true)
    }

    /// Whether `/token` rejections go through the rejection responder.
    pub(crate) fn responds_at_token_endpoint(&self) -> bool {
        self.issuer().is_some_and(|issuer| issuer.responder_at_token_endpoint)
            && self.0.responder.is_some()
    }

    /// Replaces the login throttle. The default is an in-process
    /// [`MemoryThrottle`] with [`ThrottleConfig::default`](crate::throttle::ThrottleConfig);
    /// see [`throttle`](crate::throttle) for the scheme.
    #[must_use]
    pub fn with_login_throttle(self, throttle: impl LoginThrottle) -> Self {
        self.with_issuer(|issuer| issuer.throttle = Some(Arc::new(throttle)))
    }

    /// Replaces where sessions, refresh tokens and revocations live. The
    /// default, [`MemorySessionStore`], is per process; a SQL store shares
    /// them between instances and keeps them across restarts.
    #[must_use]
    pub fn with_session_store(self, store: impl SessionStore) -> Self {
        self.with_issuer(|issuer| issuer.sessions = Arc::new(store))
    }

    /// Turns login throttling off (for tests that need many failed logins).
    #[must_use]
    pub fn without_login_throttle(self) -> Self {
        self.with_issuer(|issuer| issuer.throttle = None)
    }

    /// Peers whose `X-Forwarded-For` header is believed. Without any, the
    /// client IP is always the socket's peer address, so a client cannot
    /// spoof its address to dodge throttling.
    #[must_use]
    pub fn with_trusted_proxies(self, proxies: impl IntoIterator<Item = IpAddr>) -> Self {
        let proxies: Arc<[IpAddr]> = proxies.into_iter().map(|ip| ip.to_canonical()).collect();
        self.with_inner(|inner| inner.trusted_proxies = proxies)
    }

    /// Browsers may hold their session in cookies ([`crate::browser`]):
    /// guards and extractors then read the bearer header first and the
    /// access cookie next, and check cookie-authenticated requests against
    /// CSRF. Route [`crate::browser::session_routes`] for the login,
    /// refresh and logout endpoints that set the cookies.
    #[must_use]
    pub fn with_cookies(self, cookies: CookieTransport) -> Self {
        self.with_inner(|inner| inner.cookies = Some(cookies))
    }

    /// The cookie settings, when browsers may use cookies.
    pub(crate) fn cookies(&self) -> Option<&CookieTransport> {
        self.0.cookies.as_ref()
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
    /// [`problem_json`](crate::rejection::problem_json).
    ///
    /// ```
    /// use rbac_core::{Auth, JwtSecret, MemoryUserStore, Tokens, rejection};
    ///
    /// let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), MemoryUserStore::new())
    ///     .with_rejection_responder(rejection::problem_json);
    /// ```
    #[must_use]
    pub fn with_rejection_responder(
        self,
        responder: impl Fn(AuthError, &Parts) -> Response + Send + Sync + 'static,
    ) -> Self {
        self.with_inner(|inner| inner.responder = Some(Arc::new(responder)))
    }

    /// Renders a rejection with the app's responder, or the default body.
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

    /// Where this `Auth` keeps sessions and revocations; `None` on a
    /// resource server.
    pub(crate) fn session_store(&self) -> Option<Arc<dyn DynSessionStore>> {
        self.issuer().map(|issuer| Arc::clone(&issuer.sessions))
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

    /// The password hasher, for creating users; `None` on a resource
    /// server, which has none.
    pub fn password_hasher(&self) -> Option<&PasswordHasher> {
        self.issuer().map(|issuer| &issuer.hasher)
    }
}

/// The request head with the URI the client sent, when a `nest` changed it.
/// A copy only on this (rejection) path, never on a granted request.
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
