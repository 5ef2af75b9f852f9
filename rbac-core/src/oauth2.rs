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
use crate::denial::AuthRejection;
use crate::error::AuthError;
use crate::extract::{ClientIp, bearer_token};
use crate::token::IssuedToken;
use axum::http::request::Parts;

/// The largest `/token` request body accepted, in bytes; larger ones get 413.
pub const TOKEN_BODY_LIMIT: usize = 4 * 1024;

/// The `/token` form: a password grant, as FastAPI's
/// `OAuth2PasswordRequestForm`, or a refresh grant.
#[derive(Deserialize)]
pub struct TokenRequest {
    /// The login name (password grant).
    #[serde(default)]
    pub username: Option<String>,
    /// The password (password grant); redacted in `Debug`.
    #[serde(default)]
    pub password: Option<String>,
    /// `password` (the default) or `refresh_token`.
    #[serde(default)]
    pub grant_type: Option<String>,
    /// The refresh token (refresh grant); redacted in `Debug`.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Requested scopes, space-separated; see [`ScopePolicy`](crate::ScopePolicy).
    #[serde(default)]
    pub scope: Option<String>,
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("grant_type", &self.grant_type)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[redacted]"))
            .field("scope", &self.scope)
            .finish()
    }
}

/// A successful token response: `{"access_token", "token_type": "bearer",
/// "expires_in", "refresh_token", "scope"}` with `Cache-Control: no-store` and
/// `Pragma: no-cache` (RFC 6749 §5.1).
pub struct TokenResponse(pub IssuedToken);

#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
}

impl IntoResponse for TokenResponse {
    fn into_response(self) -> Response {
        let body = TokenBody {
            access_token: &self.0.access_token,
            token_type: "bearer",
            expires_in: self.0.expires_in,
            refresh_token: self.0.refresh_token.as_deref(),
            scope: self.0.claims.scope.as_deref(),
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
    let Form(request) = form.map_err(form_error)?;
    match request.grant_type.as_deref() {
        None | Some("password") => {
            let (Some(username), Some(password)) = (request.username, request.password) else {
                return Err(AuthError::InvalidRequest("`username` and `password` are required"));
            };
            let scope = request.scope.as_deref();
            auth.login_with_scope(&username, password, scope, client_ip).await.map(TokenResponse)
        }
        Some("refresh_token") => {
            let Some(refresh_token) = request.refresh_token else {
                return Err(AuthError::InvalidRequest("`refresh_token` is required"));
            };
            auth.refresh(&refresh_token, request.scope.as_deref()).await.map(TokenResponse)
        }
        Some(_) => Err(AuthError::UnsupportedGrantType),
    }
}

/// The RFC 7009 revocation form.
#[derive(Deserialize)]
pub struct RevocationRequest {
    /// An access or refresh token.
    pub token: String,
    /// `access_token` or `refresh_token`; both are tried either way.
    #[serde(default)]
    pub token_type_hint: Option<String>,
}

/// `POST /token/revoke` (RFC 7009): revokes an access or refresh token.
/// Answers 200 whether or not the token was known, as the RFC requires.
pub async fn revoke_token(
    State(auth): State<Auth>,
    form: Result<Form<RevocationRequest>, FormRejection>,
) -> Result<impl IntoResponse, AuthError> {
    let Form(request) = form.map_err(form_error)?;
    auth.revoke_token(&request.token).await?;
    Ok((StatusCode::OK, [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]))
}

/// `POST /logout`: revokes the caller's session (this access token, its
/// siblings and its refresh tokens). 204 on success.
pub async fn logout(State(auth): State<Auth>, request: Parts) -> Result<StatusCode, AuthRejection> {
    let token = bearer_token(&request.headers).map_err(|error| auth.reject(error, &request))?;
    auth.logout(token).await.map_err(|error| auth.reject(error, &request))?;
    Ok(StatusCode::NO_CONTENT)
}

fn form_error(rejection: FormRejection) -> AuthError {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AuthError::PayloadTooLarge,
        _ => AuthError::InvalidRequest("Expected an application/x-www-form-urlencoded body"),
    }
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

/// `POST` [`revoke_token`] with the body capped at [`TOKEN_BODY_LIMIT`].
pub fn revoke_route<S>() -> MethodRouter<S>
where
    Auth: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    post(revoke_token).layer(DefaultBodyLimit::max(TOKEN_BODY_LIMIT))
}

/// `GET /.well-known/jwks.json`: the public verification keys (RFC 7517), so
/// other services can verify tokens without any secret. Empty with HS256.
pub async fn jwks(State(auth): State<Auth>) -> impl IntoResponse {
    let cache = HeaderValue::from_static("public, max-age=300");
    ([(header::CACHE_CONTROL, cache)], axum::Json(auth.tokens().jwks()))
}

/// The RFC 7662 introspection form.
#[derive(Deserialize)]
pub struct IntrospectionRequest {
    /// The token to describe.
    pub token: String,
    /// Ignored: only access tokens are described.
    #[serde(default)]
    pub token_type_hint: Option<String>,
}

impl fmt::Debug for IntrospectionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionRequest")
            .field("token", &"[redacted]")
            .field("token_type_hint", &self.token_type_hint)
            .finish()
    }
}

/// An RFC 7662 introspection answer: `{"active": false}` for anything that
/// would not be accepted right now (invalid, expired, revoked, or its user
/// disabled or gone; refresh tokens are never described), else `active`
/// with the token's claims.
///
/// ```
/// use axum::response::IntoResponse;
/// use rbac_core::oauth2::Introspection;
///
/// let response = Introspection(None).into_response();
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["cache-control"], "no-store");
/// ```
#[derive(Debug)]
pub struct Introspection(pub Option<crate::token::Claims>);

#[derive(Serialize)]
struct IntrospectionBody<'a> {
    active: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    claims: Option<&'a crate::token::Claims>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
}

impl IntoResponse for Introspection {
    fn into_response(self) -> Response {
        let body = IntrospectionBody {
            active: self.0.is_some(),
            claims: self.0.as_ref(),
            username: self.0.as_ref().map(|claims| claims.sub.as_str()),
            token_type: self.0.as_ref().map(|_| "Bearer"),
        };
        let mut response = axum::Json(body).into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// `POST /token/introspect` (RFC 7662) for the form in `form`. The caller
/// must be allowed to ask: put this behind a guard, like
/// `#[requires_permission("tokens:introspect")]`, and cap the body with
/// [`TOKEN_BODY_LIMIT`].
pub async fn introspect(
    auth: &Auth,
    form: Result<Form<IntrospectionRequest>, FormRejection>,
) -> Result<Introspection, AuthError> {
    let Form(request) = form.map_err(form_error)?;
    if auth.is_resource_server() {
        // It cannot see the issuer's revocations, so it never vouches for a token.
        return Ok(Introspection(None));
    }
    Ok(Introspection(auth.authenticate_with_claims(&request.token).await.ok().map(|(_, c)| c)))
}
