//! The OAuth 2.0 endpoints: `POST /token` with the password grant (RFC 6749
//! §4.3) and the refresh grant with rotation (§6), `POST /token/revoke`
//! (RFC 7009), `POST /token/introspect` (RFC 7662), `POST /logout`, and the
//! JWKS document (RFC 7517); their request forms, responses and error bodies
//! (RFC 6749 §5.2).

use std::fmt;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::auth::Auth;
use crate::error::AuthError;
use crate::extract::ClientIp;
use crate::rejection::AuthRejection;
use crate::routing::{SecureMethodRouter, get, post};
use crate::token::IssuedToken;
use axum::http::request::Parts;

mod introspection;

pub use introspection::{Introspection, IntrospectionRequest, introspect};

/// The largest `/token` request body accepted, in bytes; larger ones get 413.
pub const TOKEN_BODY_LIMIT: usize = 4 * 1024;

/// The `/token` form: a password grant, as FastAPI's
/// `OAuth2PasswordRequestForm`, or a refresh grant.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRequest {
    /// The login name (password grant).
    #[serde(default)]
    pub username: Option<String>,
    /// The password (password grant); redacted in `Debug`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = Password))]
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
/// `Pragma: no-cache` (RFC 6749 §5.1). Its `Debug` is [`IssuedToken`]'s,
/// tokens redacted.
#[derive(Debug)]
pub struct TokenResponse(pub IssuedToken);

/// The token response body (RFC 6749 §5.1).
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct TokenBody<'a> {
    /// The JWT to send as `Authorization: Bearer <access_token>`.
    access_token: &'a str,
    /// Always `bearer`.
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: u64,
    /// Single use: trade it at the token endpoint with `grant_type=refresh_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    /// The scopes granted, space-separated.
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

/// How `/token` answers a wrong username or password.
///
/// Both put `"error": "invalid_grant"` and `error_description` in the body
/// beside FastAPI's `detail`, which is what OAuth2 client libraries read
/// (RFC 6749 §5.2); they differ only in the status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TokenErrorStyle {
    /// 401 with `WWW-Authenticate: Bearer`, as the FastAPI tutorial answers
    /// and its clients expect. The default.
    #[default]
    FastApi,
    /// 400, as RFC 6749 §5.2 specifies, for strict clients such as
    /// `oauth4webapi`.
    Rfc6749,
}

/// A refused `/token` request, rendered as RFC 6749 §5.2 asks: the OAuth
/// `error` code and `error_description` beside FastAPI's `detail`, and
/// `Cache-Control: no-store`.
///
/// A wrong password and a disabled user's login both answer `invalid_grant`
/// (the latter with `detail` `Inactive user`, and only once the password
/// was right, so it tells nothing to someone without it).
///
/// ```
/// use axum::response::IntoResponse;
/// use rbac_core::AuthError;
/// use rbac_core::oauth2::{TokenEndpointError, TokenErrorStyle};
///
/// let wrong = TokenEndpointError::new(AuthError::IncorrectCredentials, TokenErrorStyle::FastApi);
/// assert_eq!(wrong.into_response().status(), 401);
/// let strict = TokenEndpointError::new(AuthError::IncorrectCredentials, TokenErrorStyle::Rfc6749);
/// assert_eq!(strict.into_response().status(), 400);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenEndpointError {
    error: AuthError,
    style: TokenErrorStyle,
}

impl TokenEndpointError {
    /// `error` as `/token` answers it in `style`.
    pub fn new(error: AuthError, style: TokenErrorStyle) -> Self {
        Self { error, style }
    }

    /// The underlying rejection.
    pub fn error(&self) -> AuthError {
        self.error
    }

    /// The RFC 6749 §5.2 error code, where there is one.
    fn code(&self) -> Option<&'static str> {
        match self.error {
            AuthError::InactiveUser => Some("invalid_grant"),
            other => other.oauth_error(),
        }
    }
}

impl IntoResponse for TokenEndpointError {
    fn into_response(self) -> Response {
        let mut response = self.error.render(self.code());
        if self.style == TokenErrorStyle::Rfc6749 && self.error == AuthError::IncorrectCredentials {
            *response.status_mut() = StatusCode::BAD_REQUEST;
            response.headers_mut().remove(header::WWW_AUTHENTICATE);
        }
        response
    }
}

/// The `/token` handler: checks the form and credentials, issues a token.
/// Rejections are [`TokenEndpointError`]s, or go through the app's rejection
/// responder when [`Auth::with_responder_at_token_endpoint`] says so.
///
/// Prefer [`token_route`], which also caps the body size.
#[rbac_macros::public]
pub async fn issue_token(
    State(auth): State<Auth>,
    ClientIp(client_ip): ClientIp,
    request: Parts,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<TokenResponse, Response> {
    grant(&auth, client_ip, form).await.map_err(|error| {
        if auth.responds_at_token_endpoint() {
            auth.reject(error, &request).into_response()
        } else {
            TokenEndpointError::new(error, auth.token_error_style()).into_response()
        }
    })
}

async fn grant(
    auth: &Auth,
    client_ip: std::net::IpAddr,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<TokenResponse, AuthError> {
    let Form(request) = form.map_err(form_error)?;
    // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
    let given = |value: Option<String>| value.filter(|value| !value.is_empty());
    let scope = given(request.scope);
    match given(request.grant_type).as_deref() {
        None | Some("password") => {
            let (Some(username), Some(password)) =
                (given(request.username), given(request.password))
            else {
                return Err(AuthError::InvalidRequest("`username` and `password` are required"));
            };
            auth.login_with_scope(&username, password, scope.as_deref(), client_ip)
                .await
                .map(TokenResponse)
        }
        Some("refresh_token") => {
            let Some(refresh_token) = given(request.refresh_token) else {
                return Err(AuthError::InvalidRequest("`refresh_token` is required"));
            };
            auth.refresh(&refresh_token, scope.as_deref()).await.map(TokenResponse)
        }
        Some(_) => Err(AuthError::UnsupportedGrantType),
    }
}

/// The RFC 7009 revocation form.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevocationRequest {
    /// An access or refresh token; redacted in `Debug`.
    pub token: String,
    /// `access_token` or `refresh_token`; both are tried either way.
    #[serde(default)]
    pub token_type_hint: Option<String>,
}

impl fmt::Debug for RevocationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationRequest")
            .field("token", &"[redacted]")
            .field("token_type_hint", &self.token_type_hint)
            .finish()
    }
}

/// `POST /token/revoke` (RFC 7009): revokes an access or refresh token.
/// Answers 200 whether or not the token was known, as the RFC requires.
/// Public: the token in the body is the credential.
#[rbac_macros::public]
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
#[rbac_macros::authenticated]
pub async fn logout(State(auth): State<Auth>, request: Parts) -> Result<StatusCode, AuthRejection> {
    let (token, _) = crate::browser::access_token(&request.headers, auth.cookies())
        .map_err(|error| auth.reject(error, &request))?;
    auth.logout(token).await.map_err(|error| auth.reject(error, &request))?;
    Ok(StatusCode::NO_CONTENT)
}

fn form_error(rejection: FormRejection) -> AuthError {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AuthError::PayloadTooLarge,
        _ => AuthError::InvalidRequest("Expected an application/x-www-form-urlencoded body"),
    }
}

/// `POST` [`issue_token`] with the body capped at [`TOKEN_BODY_LIMIT`],
/// for a [`SecureRouter`](crate::routing::SecureRouter); the route table
/// lists it as public. On a plain axum `Router`, add `.into_axum()`.
///
/// ```
/// use rbac_core::routing::SecureRouter;
/// use rbac_core::{Auth, oauth2};
///
/// let app: SecureRouter<Auth> = SecureRouter::new().route("/token", oauth2::token_route());
/// let plain: axum::Router<Auth> =
///     axum::Router::new().route("/token", oauth2::token_route().into_axum());
/// ```
pub fn token_route<S>() -> SecureMethodRouter<S>
where
    Auth: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    post(issue_token).layer(DefaultBodyLimit::max(TOKEN_BODY_LIMIT))
}

/// `POST` [`revoke_token`] with the body capped at [`TOKEN_BODY_LIMIT`].
pub fn revoke_route<S>() -> SecureMethodRouter<S>
where
    Auth: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    post(revoke_token).layer(DefaultBodyLimit::max(TOKEN_BODY_LIMIT))
}

/// `GET` [`jwks`], public.
pub fn jwks_route<S>() -> SecureMethodRouter<S>
where
    Auth: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    get(jwks)
}

/// `POST` [`logout`], for any authenticated user.
pub fn logout_route<S>() -> SecureMethodRouter<S>
where
    Auth: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    post(logout)
}

/// `GET /.well-known/jwks.json`: the public verification keys (RFC 7517), so
/// other services can verify tokens without any secret. Empty with HS256.
#[rbac_macros::public]
pub async fn jwks(State(auth): State<Auth>) -> impl IntoResponse {
    let cache = HeaderValue::from_static("public, max-age=300");
    ([(header::CACHE_CONTROL, cache)], axum::Json(auth.tokens().jwks()))
}
