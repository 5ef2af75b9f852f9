//! The OAuth 2.0 password grant at `POST /token` (RFC 6749 §4.3).

use std::fmt;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use serde::{Deserialize, Serialize};

use crate::auth::Auth;
use crate::error::AuthError;
use crate::extract::ClientIp;
use crate::token::IssuedToken;

/// The largest `/token` request body accepted, in bytes; larger ones get 413.
pub const TOKEN_BODY_LIMIT: usize = 4 * 1024;

/// The form of a password grant, as FastAPI's `OAuth2PasswordRequestForm`.
#[derive(Deserialize)]
pub struct TokenRequest {
    /// The login name.
    pub username: String,
    /// The password; redacted in `Debug`.
    pub password: String,
    /// Must be `password` when present.
    #[serde(default)]
    pub grant_type: Option<String>,
    /// Requested scopes, space-separated. Accepted and not yet acted on.
    #[serde(default)]
    pub scope: Option<String>,
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("grant_type", &self.grant_type)
            .field("scope", &self.scope)
            .finish()
    }
}

/// A successful token response: `{"access_token", "token_type": "bearer",
/// "expires_in"}` with `Cache-Control: no-store` and `Pragma: no-cache`
/// (RFC 6749 §5.1).
pub struct TokenResponse(pub IssuedToken);

#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
}

impl IntoResponse for TokenResponse {
    fn into_response(self) -> Response {
        let body = TokenBody {
            access_token: &self.0.access_token,
            token_type: "bearer",
            expires_in: self.0.expires_in,
        };
        let mut response = (StatusCode::OK, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        response
    }
}

/// The `/token` handler: checks the form and credentials, issues a token.
///
/// Prefer [`token_route`], which also caps the body size.
pub async fn issue_token(
    State(auth): State<Auth>,
    ClientIp(client_ip): ClientIp,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<TokenResponse, AuthError> {
    let Form(request) = form.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AuthError::PayloadTooLarge,
        _ => AuthError::InvalidRequest(
            "Expected an application/x-www-form-urlencoded body with `username` and `password`",
        ),
    })?;
    if request.grant_type.as_deref().is_some_and(|grant| grant != "password") {
        return Err(AuthError::UnsupportedGrantType);
    }
    auth.login(&request.username, request.password, client_ip).await.map(TokenResponse)
}

/// `POST` [`issue_token`] with the body capped at [`TOKEN_BODY_LIMIT`].
///
/// ```
/// use axum::Router;
/// use rbac_core::{Auth, oauth2};
///
/// let app: Router<Auth> = Router::new().route("/token", oauth2::token_route());
/// ```
pub fn token_route<S>() -> MethodRouter<S>
where
    Auth: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    post(issue_token).layer(DefaultBodyLimit::max(TOKEN_BODY_LIMIT))
}
