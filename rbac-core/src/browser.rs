//! Browser sessions: the access token in an `HttpOnly` cookie, with CSRF
//! protection, beside bearer tokens, under the same guards.
//!
//! Opt in with [`Auth::with_cookies`](crate::Auth::with_cookies) and route
//! [`session_routes`] (`POST /session` to log in, `POST /session/refresh`,
//! `DELETE /session` to log out). Then every guard and extractor reads the
//! `Authorization: Bearer` header first and, without one, the access-token
//! cookie. A request authenticated by cookie is checked against CSRF:
//!
//! - **Fetch Metadata and `Origin`**, on every state-changing request
//!   (anything but `GET`, `HEAD`, `OPTIONS`) and on WebSocket upgrades: a
//!   `Sec-Fetch-Site` other than `same-origin` or `none` is refused, and so is
//!   an `Origin` that is not in the allow-list;
//! - **a signed double-submit token**, on every state-changing request: the
//!   `X-CSRF-Token` header must equal the readable CSRF cookie, and that
//!   value must carry an HMAC of this session's id under a server key, so a
//!   token from another session (or one an attacker planted) is refused.
//!
//! A refusal is 403 with a `detail` saying which check failed, and an audit
//! event. Bearer requests are exempt: a browser never attaches an
//! `Authorization` header on its own.
//!
//! ```
//! use rbac_core::browser::{CookieTransport, session_routes};
//! use rbac_core::routing::SecureRouter;
//! use rbac_core::{Auth, JwtSecret, MemoryUserStore, Tokens};
//!
//! let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), MemoryUserStore::new())
//!     .with_cookies(CookieTransport::new(["https://app.example.com"]));
//! let app: SecureRouter = session_routes().with_state(auth);
//! ```

use std::fmt;
use std::sync::Arc;

use axum::http::header::{AUTHORIZATION, COOKIE, ORIGIN, UPGRADE};
use axum::http::{HeaderMap, HeaderValue, Method};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit as _, Mac as _};
use zeroize::Zeroizing;

use crate::auth::AUDIT;
use crate::error::AuthError;
use crate::extract::bearer_token;
use crate::token::Claims;

mod endpoints;
mod watch;

pub use endpoints::{Credentials, SessionStarted, log_in, log_out, refresh, session_routes};
pub use watch::{SessionEnded, SessionWatch};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The request header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How browsers hold their session: cookie names and attributes, the
/// origins allowed to send state-changing requests, and the key that signs
/// CSRF tokens.
///
/// Secure by default: `__Host-` cookies, `Secure`, `HttpOnly` (but the CSRF
/// cookie, which scripts must read), `SameSite=Lax`.
#[derive(Clone)]
pub struct CookieTransport {
    secure: bool,
    allowed_origins: Arc<[String]>,
    csrf_key: Arc<Zeroizing<[u8; 32]>>,
    refresh_path: Arc<str>,
}

impl fmt::Debug for CookieTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieTransport")
            .field("secure", &self.secure)
            .field("allowed_origins", &self.allowed_origins)
            .field("csrf_key", &"[redacted]")
            .field("refresh_path", &self.refresh_path)
            .finish()
    }
}

impl CookieTransport {
    /// Cookies for an app served from `allowed_origins` (scheme, host and
    /// port, as browsers send `Origin`: `https://app.example.com`), with a
    /// random CSRF key. Instances behind one load balancer must share the
    /// key: [`CookieTransport::with_csrf_key`].
    ///
    /// # Panics
    ///
    /// When the system's random number generator fails.
    pub fn new(allowed_origins: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let key = crate::random::random_bytes::<32>().expect("the system RNG");
        Self {
            secure: true,
            allowed_origins: allowed_origins.into_iter().map(Into::into).collect(),
            csrf_key: Arc::new(Zeroizing::new(key)),
            refresh_path: Arc::from("/session/refresh"),
        }
    }

    /// Signs CSRF tokens with `key` (32 bytes, from a secret store), so that
    /// every instance accepts the tokens any of them issued.
    #[must_use]
    pub fn with_csrf_key(mut self, key: [u8; 32]) -> Self {
        self.csrf_key = Arc::new(Zeroizing::new(key));
        self
    }

    /// Where [`session_routes`]'s refresh endpoint is served: the refresh
    /// cookie is sent to this path only. `/session/refresh` by default;
    /// change it when you nest the routes elsewhere.
    #[must_use]
    pub fn with_refresh_path(mut self, path: impl Into<String>) -> Self {
        self.refresh_path = Arc::from(path.into());
        self
    }

    /// For development over plain `http://localhost` only: cookies without
    /// `Secure` and without the `__Host-`/`__Secure-` prefixes (which
    /// browsers refuse over HTTP). Logged as a warning; never use it where
    /// the app is reached over a network.
    #[must_use]
    pub fn insecure_http_for_development(mut self) -> Self {
        tracing::warn!(
            "browser session cookies without Secure and __Host- (insecure_http_for_development): \
             for plain-HTTP development only"
        );
        self.secure = false;
        self
    }

    pub(crate) fn access_cookie(&self) -> &'static str {
        if self.secure { "__Host-access_token" } else { "access_token" }
    }

    pub(crate) fn csrf_cookie(&self) -> &'static str {
        if self.secure { "__Host-csrf_token" } else { "csrf_token" }
    }

    pub(crate) fn refresh_cookie(&self) -> &'static str {
        // `__Host-` requires `Path=/`; this one is scoped to the refresh path.
        if self.secure { "__Secure-refresh_token" } else { "refresh_token" }
    }

    /// A `Set-Cookie` value: `max_age` 0 deletes the cookie, `None` makes a
    /// session cookie.
    pub(crate) fn set_cookie(&self, name: &str, value: &str, max_age: Option<u64>) -> HeaderValue {
        let path = if name == self.refresh_cookie() { &*self.refresh_path } else { "/" };
        // Scripts must read the CSRF token to echo it; nothing else.
        let http_only = if name == self.csrf_cookie() { "" } else { "; HttpOnly" };
        let secure = if self.secure { "; Secure" } else { "" };
        let same_site = if name == self.refresh_cookie() { "Strict" } else { "Lax" };
        let max_age = max_age.map(|seconds| format!("; Max-Age={seconds}")).unwrap_or_default();
        let cookie = format!(
            "{name}={value}; Path={path}{max_age}; SameSite={same_site}{secure}{http_only}"
        );
        HeaderValue::try_from(cookie).expect("cookie values are base64url and JWTs")
    }

    /// A fresh CSRF token bound to `session`: `nonce.mac`.
    pub(crate) fn csrf_token(&self, session: &str) -> String {
        let nonce = crate::random::random_id::<16>().expect("the system RNG");
        let mac = self.csrf_mac(session, &nonce).finalize().into_bytes();
        format!("{nonce}.{}", URL_SAFE_NO_PAD.encode(mac))
    }

    fn csrf_mac(&self, session: &str, nonce: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.csrf_key[..]).expect("any key length");
        mac.update(b"rbac-csrf\0");
        mac.update(session.as_bytes());
        mac.update(b"\0");
        mac.update(nonce.as_bytes());
        mac
    }

    fn csrf_token_is_for(&self, token: &str, session: &str) -> bool {
        let Some((nonce, mac)) = token.split_once('.') else { return false };
        let Ok(mac) = URL_SAFE_NO_PAD.decode(mac) else { return false };
        self.csrf_mac(session, nonce).verify_slice(&mac).is_ok()
    }

    /// The Fetch-Metadata and `Origin` check, for a state-changing request
    /// or a WebSocket upgrade that came with cookies.
    pub(crate) fn check_origin(&self, headers: &HeaderMap) -> Result<(), AuthError> {
        if let Some(site) = headers.get("sec-fetch-site")
            && !matches!(site.as_bytes(), b"same-origin" | b"none")
        {
            return Err(refused(
                "cross-site",
                AuthError::CrossSiteRequest("Cross-site request refused"),
            ));
        }
        if let Some(origin) = headers.get(ORIGIN) {
            let allowed =
                self.allowed_origins.iter().any(|allowed| allowed.as_bytes() == origin.as_bytes());
            if !allowed {
                return Err(refused("origin", AuthError::CrossSiteRequest("Origin not allowed")));
            }
        }
        Ok(())
    }

    /// The double-submit check: header equals cookie, and is this session's.
    fn check_csrf_token(&self, headers: &HeaderMap, claims: &Claims) -> Result<(), AuthError> {
        let missing =
            || refused("csrf_token", AuthError::CrossSiteRequest("CSRF token missing or invalid"));
        let header =
            headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok()).ok_or_else(missing)?;
        let cookie =
            single_cookie(headers, self.csrf_cookie()).ok().flatten().ok_or_else(missing)?;
        let session = claims.sid.as_deref().ok_or_else(missing)?;
        let same = constant_time_eq(header.as_bytes(), cookie.as_bytes());
        if same && self.csrf_token_is_for(header, session) { Ok(()) } else { Err(missing()) }
    }
}

/// Equal bytes, in time independent of where they differ (lengths are not secret).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

fn refused(check: &'static str, error: AuthError) -> AuthError {
    tracing::info!(target: AUDIT, check, "cross-site request refused");
    error
}

/// How a request presented its access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Bearer,
    Cookie,
}

/// The request's access token: the bearer header if there is one, else
/// (when cookies are on) the access cookie.
pub(crate) fn access_token<'a>(
    headers: &'a HeaderMap,
    cookies: Option<&CookieTransport>,
) -> Result<(&'a str, Transport), AuthError> {
    match (bearer_token(headers), cookies) {
        (Err(AuthError::NotAuthenticated), Some(cookies))
            if !headers.contains_key(AUTHORIZATION) =>
        {
            match single_cookie(headers, cookies.access_cookie())? {
                Some(token) => Ok((token, Transport::Cookie)),
                None => Err(AuthError::NotAuthenticated),
            }
        }
        (result, _) => result.map(|token| (token, Transport::Bearer)),
    }
}

/// Whether the request carries a credential at all (for `Option<CurrentUser>`).
pub(crate) fn has_credential(headers: &HeaderMap, cookies: Option<&CookieTransport>) -> bool {
    headers.contains_key(AUTHORIZATION)
        || cookies.is_some_and(|cookies| {
            matches!(single_cookie(headers, cookies.access_cookie()), Ok(Some(_)) | Err(_))
        })
}

/// The CSRF checks a cookie-authenticated request must pass, once its token
/// is verified.
pub(crate) fn check_cookie_request(
    cookies: &CookieTransport,
    method: &Method,
    headers: &HeaderMap,
    claims: &Claims,
) -> Result<(), AuthError> {
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let upgrade = headers
        .get(UPGRADE)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if !safe || upgrade {
        cookies.check_origin(headers)?;
    }
    if !safe {
        cookies.check_csrf_token(headers, claims)?;
    }
    Ok(())
}

/// The value of the cookie `name`; the same name twice is refused, since a
/// planted duplicate must not shadow the real one.
pub(crate) fn single_cookie<'a>(
    headers: &'a HeaderMap,
    name: &str,
) -> Result<Option<&'a str>, AuthError> {
    let mut found = None;
    for header in headers.get_all(COOKIE) {
        let Ok(header) = header.to_str() else { continue };
        for pair in header.split(';') {
            let Some((key, value)) = pair.trim().split_once('=') else { continue };
            if key == name {
                if found.is_some() {
                    return Err(AuthError::InvalidToken);
                }
                found = Some(value);
            }
        }
    }
    Ok(found.filter(|value| !value.is_empty()))
}

#[cfg(test)]
mod tests;
