//! Axum extractors for the current user.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::auth::Auth;
use crate::browser::Transport;
use crate::error::AuthError;
use crate::rejection::AuthRejection;
use crate::token::Claims;
use crate::user::User;

/// The authenticated, active user of this request.
///
/// Use it as an ordinary handler parameter, with or without
/// `#[authenticated]`; on its own it enforces the same checks. However many
/// extractors ask, the token is verified and the user loaded once per request.
///
/// ```
/// use axum::{Json, Router, routing::get};
/// use rbac_core::{Auth, CurrentUser, User};
///
/// async fn me(CurrentUser(user): CurrentUser) -> Json<User> {
///     Json(User::clone(&user))
/// }
///
/// let app: Router<Auth> = Router::new().route("/users/me", get(me));
/// ```
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Arc<User>);

impl Deref for CurrentUser {
    type Target = User;

    fn deref(&self) -> &User {
        &self.0
    }
}

impl<S> FromRequestParts<S> for CurrentUser
where
    Auth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AuthRejection> {
        let auth = Auth::from_ref(state);
        current_user(parts, &auth).await.map(CurrentUser).map_err(|error| auth.reject(error, parts))
    }
}

/// `Option<CurrentUser>`: `None` when the request carries no `Authorization`
/// header at all (nor, with cookies on, an access cookie); a present but bad credential is still rejected, so a
/// forged token never silently degrades to anonymous.
impl<S> OptionalFromRequestParts<S> for CurrentUser
where
    Auth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, AuthRejection> {
        let auth = Auth::from_ref(state);
        if !crate::browser::has_credential(&parts.headers, auth.cookies()) {
            return Ok(None);
        }
        match current_user(parts, &auth).await {
            Ok(user) => Ok(Some(CurrentUser(user))),
            Err(error) => Err(auth.reject(error, parts)),
        }
    }
}

/// The client's IP address, as [`Auth::client_ip`] determines it (socket
/// peer, or `X-Forwarded-For` only behind a trusted proxy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub std::net::IpAddr);

impl<S> FromRequestParts<S> for ClientIp
where
    Auth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(Auth::from_ref(state).client_ip(parts)))
    }
}

/// The per-request cache. The type is private, so nothing outside this crate
/// can plant a user in the request extensions.
#[derive(Clone)]
struct Authenticated {
    /// [`Auth::id`] of the configuration that verified the token: a guard
    /// with another key or store must verify again.
    auth: usize,
    user: Arc<User>,
    claims: Arc<Claims>,
}

/// Verifies the bearer token and loads the user, once per request.
pub(crate) async fn current_user(parts: &mut Parts, auth: &Auth) -> Result<Arc<User>, AuthError> {
    current_principal(parts, auth).await.map(|(user, _)| user)
}

/// The user and the claims of the token that authenticated them, verified
/// once per request.
pub(crate) async fn current_principal(
    parts: &mut Parts,
    auth: &Auth,
) -> Result<(Arc<User>, Arc<Claims>), AuthError> {
    if let Some(cached) = parts.extensions.get::<Authenticated>()
        && cached.auth == auth.id()
    {
        return Ok((Arc::clone(&cached.user), Arc::clone(&cached.claims)));
    }
    let (token, transport) = crate::browser::access_token(&parts.headers, auth.cookies())?;
    let (user, claims) = auth.authenticate_shared(token).await?;
    if let (Transport::Cookie, Some(cookies)) = (transport, auth.cookies()) {
        crate::browser::check_cookie_request(cookies, &parts.method, &parts.headers, &claims)?;
    }
    Ok(remember(parts, auth, user, claims))
}

/// Keeps the principal in the request, so later extractors need not verify again.
pub(crate) fn remember(
    parts: &mut Parts,
    auth: &Auth,
    user: Arc<User>,
    claims: Claims,
) -> (Arc<User>, Arc<Claims>) {
    let claims = Arc::new(claims);
    let (cached_user, cached_claims) = (Arc::clone(&user), Arc::clone(&claims));
    parts.extensions.insert(Authenticated {
        auth: auth.id(),
        user: cached_user,
        claims: cached_claims,
    });
    (user, claims)
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive,
/// RFC 6750 §2.1).
///
/// No header, or another scheme: [`AuthError::NotAuthenticated`]. A bearer
/// header whose token is empty, not UTF-8, or repeated across several
/// `Authorization` headers: [`AuthError::InvalidToken`].
pub(crate) fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next().ok_or(AuthError::NotAuthenticated)?.as_bytes();
    let (scheme, token) = match value.iter().position(|&b| b == b' ') {
        Some(space) => (&value[..space], &value[space + 1..]),
        None => (value, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(AuthError::NotAuthenticated);
    }
    if values.next().is_some() {
        return Err(AuthError::InvalidToken);
    }
    let token = std::str::from_utf8(token).map_err(|_| AuthError::InvalidToken)?.trim_matches(' ');
    if token.is_empty() {
        return Err(AuthError::InvalidToken);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn parse(values: &[&[u8]]) -> Result<String, AuthError> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(AUTHORIZATION, HeaderValue::from_bytes(value).expect("valid header"));
        }
        bearer_token(&headers).map(str::to_owned)
    }

    #[test]
    fn scheme_is_case_insensitive() {
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            assert_eq!(parse(&[format!("{scheme} abc").as_bytes()]), Ok("abc".to_owned()));
        }
    }

    #[test]
    fn missing_or_foreign_schemes_are_not_authenticated() {
        assert_eq!(parse(&[]), Err(AuthError::NotAuthenticated));
        for value in [&b"Basic dXNlcjpwYXNz"[..], b"Bearerabc", b"Token abc", b"abc"] {
            assert_eq!(parse(&[value]), Err(AuthError::NotAuthenticated), "{value:?}");
        }
    }

    #[test]
    fn malformed_bearer_values_are_invalid_tokens() {
        assert_eq!(parse(&[b"Bearer"]), Err(AuthError::InvalidToken));
        assert_eq!(parse(&[b"Bearer    "]), Err(AuthError::InvalidToken));
        assert_eq!(parse(&[b"Bearer \xff\xfe"]), Err(AuthError::InvalidToken));
        assert_eq!(parse(&[b"Bearer a", b"Bearer b"]), Err(AuthError::InvalidToken));
    }
}
