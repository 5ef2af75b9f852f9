//! The browser session endpoints: log in (set the cookies), refresh
//! (rotate them), log out (end the session, clear them).

use std::fmt;

use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{DefaultBodyLimit, FromRef, FromRequest, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};

use super::{CookieTransport, access_token, single_cookie};
use crate::auth::Auth;
use crate::error::AuthError;
use crate::extract::ClientIp;
use crate::oauth2::TOKEN_BODY_LIMIT;
use crate::routing::{SecureRouter, post};
use crate::token::IssuedToken;

/// `POST /session` (log in, public), `DELETE /session` (log out, any
/// authenticated user) and `POST /session/refresh` (public: the refresh
/// cookie is the credential), for a [`SecureRouter`].
pub fn session_routes<S>() -> SecureRouter<S>
where
    Auth: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    SecureRouter::new()
        .route(
            "/session",
            post(log_in).layer(DefaultBodyLimit::max(TOKEN_BODY_LIMIT)).delete(log_out),
        )
        .route("/session/refresh", post(refresh))
}

/// A browser's login: `username` and `password`, as a form or as JSON.
#[derive(Deserialize)]
pub struct Credentials {
    /// The username.
    pub username: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// The body of a successful login or refresh; the tokens themselves are
/// only in `HttpOnly` cookies.
#[derive(Debug, Serialize)]
pub struct SessionStarted {
    /// Who is logged in.
    pub username: String,
    /// Seconds until the access cookie expires (refresh before then).
    pub expires_in: u64,
    /// The CSRF token to send as `X-CSRF-Token` on state-changing requests
    /// (also in the readable CSRF cookie).
    pub csrf_token: String,
}

/// `POST /session`: checks the credentials as `/token` does (throttling,
/// disabled users, timing) and sets the access, refresh and CSRF cookies.
/// Login CSRF is refused by the Fetch-Metadata and `Origin` check.
#[rbac_macros::public]
pub async fn log_in(
    State(auth): State<Auth>,
    ClientIp(ip): ClientIp,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let outcome = async {
        let cookies = enabled(&auth)?;
        cookies.check_origin(&parts.headers)?;
        let credentials = credentials(&parts, body).await?;
        let issued = auth.login(&credentials.username, credentials.password, ip).await?;
        Ok::<_, AuthError>(started(cookies, issued))
    };
    outcome.await.unwrap_or_else(|error| auth.reject(error, &parts).into_response())
}

/// `POST /session/refresh`: rotates the refresh cookie (reuse detection
/// as for bearer clients) and sets fresh access and CSRF cookies.
#[rbac_macros::public]
pub async fn refresh(State(auth): State<Auth>, request: Parts) -> Response {
    let outcome = async {
        let cookies = enabled(&auth)?;
        cookies.check_origin(&request.headers)?;
        let presented = single_cookie(&request.headers, cookies.refresh_cookie())?
            .ok_or(AuthError::NotAuthenticated)?;
        let issued = auth.refresh(presented, None).await?;
        Ok::<_, AuthError>(started(cookies, issued))
    };
    outcome.await.unwrap_or_else(|error| auth.reject(error, &request).into_response())
}

/// `DELETE /session`: ends the session (its access and refresh tokens stop
/// working) and clears the cookies. Authenticated, so a cookie request
/// passes the CSRF checks first.
#[rbac_macros::authenticated]
pub async fn log_out(State(auth): State<Auth>, request: Parts) -> Response {
    let outcome = async {
        let cookies = enabled(&auth)?;
        let (token, _) = access_token(&request.headers, Some(cookies))?;
        auth.logout(token).await?;
        let mut headers = HeaderMap::new();
        for name in [cookies.access_cookie(), cookies.refresh_cookie(), cookies.csrf_cookie()] {
            headers.append(SET_COOKIE, cookies.set_cookie(name, "", Some(0)));
        }
        Ok::<_, AuthError>((StatusCode::NO_CONTENT, headers).into_response())
    };
    outcome.await.unwrap_or_else(|error| auth.reject(error, &request).into_response())
}

fn enabled(auth: &Auth) -> Result<&CookieTransport, AuthError> {
    auth.cookies().ok_or(AuthError::InvalidRequest("Browser sessions are not enabled"))
}

async fn credentials(parts: &Parts, body: axum::body::Body) -> Result<Credentials, AuthError> {
    let json = parts
        .headers
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    let request = Request::from_parts(parts.clone(), body);
    let too_large = |status: StatusCode| status == StatusCode::PAYLOAD_TOO_LARGE;
    if json {
        Json::<Credentials>::from_request(request, &()).await.map(|Json(found)| found).map_err(
            |rejection: JsonRejection| match too_large(rejection.status()) {
                true => AuthError::PayloadTooLarge,
                false => AuthError::InvalidRequest("Expected a username and a password"),
            },
        )
    } else {
        Form::<Credentials>::from_request(request, &()).await.map(|Form(found)| found).map_err(
            |rejection: FormRejection| match too_large(rejection.status()) {
                true => AuthError::PayloadTooLarge,
                false => AuthError::InvalidRequest("Expected a username and a password"),
            },
        )
    }
}

fn started(cookies: &CookieTransport, issued: IssuedToken) -> Response {
    let session = issued.claims.sid.as_deref().unwrap_or_default();
    let csrf_token = cookies.csrf_token(session);
    let mut headers = HeaderMap::new();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let access =
        cookies.set_cookie(cookies.access_cookie(), &issued.access_token, Some(issued.expires_in));
    headers.append(SET_COOKIE, access);
    if let Some(refresh) = &issued.refresh_token {
        // A session cookie: the browser drops it on exit; the server's
        // session lifetime bounds it either way.
        headers.append(SET_COOKIE, cookies.set_cookie(cookies.refresh_cookie(), refresh, None));
    }
    headers.append(SET_COOKIE, cookies.set_cookie(cookies.csrf_cookie(), &csrf_token, None));
    let body =
        SessionStarted { username: issued.claims.sub, expires_in: issued.expires_in, csrf_token };
    (headers, Json(body)).into_response()
}
