//! [`AuthError`]: every way a request is refused, and the HTTP response it
//! renders. The other errors of the crate describe failures of one part
//! (`TokenError`, `PasswordError`, `StoreError`, `UserWriteError`,
//! `KeyError`, `JwksError`, ...); the request paths map them to an
//! `AuthError`, so clients only ever see these answers.

use std::fmt;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Every way authentication or authorization can refuse a request.
///
/// Bodies use FastAPI's shape, `{"detail": "..."}`; headers follow RFC 6750.
/// Messages are fixed strings: they never say which username exists or why
/// a token failed.
///
/// | variant | status | `WWW-Authenticate` |
/// |---|---|---|
/// | `NotAuthenticated` | 401 | `Bearer` |
/// | `InvalidToken` | 401 | `Bearer error="invalid_token"` |
/// | `IncorrectCredentials` | 401 | `Bearer` |
/// | `InactiveUser` | 400 | |
/// | `Forbidden` | 403 | `Bearer error="insufficient_scope"` |
/// | `InsufficientScope(s)` | 403 | `Bearer error="insufficient_scope", scope="s"` |
/// | `CrossSiteRequest` | 403 | |
/// | `UnsupportedGrantType`, `InvalidGrant`, `InvalidScope` | 400 | |
/// | `InvalidRequest` | 400 | |
/// | `PayloadTooLarge` | 413 | |
/// | `Throttled` | 429 + `Retry-After` | |
/// | `Unavailable`, `Overloaded` | 503 + `Retry-After` | |
///
/// ```
/// use axum::{http::StatusCode, response::IntoResponse};
/// use rbac_core::AuthError;
///
/// let response = AuthError::Forbidden.into_response();
/// assert_eq!(response.status(), StatusCode::FORBIDDEN);
/// assert_eq!(
///     response.headers()["www-authenticate"],
///     r#"Bearer error="insufficient_scope""#
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    NotAuthenticated,
    /// The token is invalid, expired or forged, or its user no longer exists.
    InvalidToken,
    /// Login with a wrong username or password (indistinguishable by design).
    IncorrectCredentials,
    /// The user exists but is disabled.
    InactiveUser,
    /// The user lacks a required role.
    Forbidden,
    /// The token was not granted the scopes a route requires (space-separated).
    InsufficientScope(&'static str),
    /// `/token` with a `grant_type` other than `password` or `refresh_token`.
    UnsupportedGrantType,
    /// A refresh token that is unknown, expired, spent or revoked.
    InvalidGrant,
    /// `/token` asked for a malformed scope, or (when so configured) for
    /// scopes the user may not hold.
    InvalidScope,
    /// A malformed `/token` request; the message is a fixed hint for the client.
    InvalidRequest(&'static str),
    /// A request body over the configured limit.
    PayloadTooLarge,
    /// The user store or the hashing pool failed; logged server-side.
    Unavailable,
    /// Every password-hashing slot is busy: shed load now rather than queue.
    Overloaded,
    /// Too many failed logins for this account or client; retry after this many seconds.
    Throttled(u64),
    /// A cookie-authenticated request failed a CSRF check (cross-site
    /// `Sec-Fetch-Site`, an `Origin` not allowed, or no valid CSRF token);
    /// the message says which.
    CrossSiteRequest(&'static str),
}

impl AuthError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotAuthenticated | Self::InvalidToken | Self::IncorrectCredentials => {
                StatusCode::UNAUTHORIZED
            }
            Self::InactiveUser
            | Self::UnsupportedGrantType
            | Self::InvalidGrant
            | Self::InvalidScope
            | Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Self::Forbidden | Self::InsufficientScope(_) | Self::CrossSiteRequest(_) => {
                StatusCode::FORBIDDEN
            }
            Self::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable | Self::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `detail` sent to the client.
    pub fn detail(&self) -> &'static str {
        match self {
            Self::NotAuthenticated => "Not authenticated",
            Self::InvalidToken => "Could not validate credentials",
            Self::IncorrectCredentials => "Incorrect username or password",
            Self::InactiveUser => "Inactive user",
            Self::Forbidden | Self::InsufficientScope(_) => "Not enough permissions",
            Self::UnsupportedGrantType => {
                "Unsupported grant_type: use `password` or `refresh_token`"
            }
            Self::InvalidGrant => "Invalid refresh token",
            Self::InvalidScope => "Invalid scope",
            Self::InvalidRequest(hint) | Self::CrossSiteRequest(hint) => hint,
            Self::PayloadTooLarge => "Request body too large",
            Self::Unavailable => "Service temporarily unavailable",
            Self::Overloaded => "Too many logins in progress; retry shortly",
            Self::Throttled(_) => "Too many failed login attempts; retry later",
        }
    }

    /// The OAuth 2.0 `error` code (RFC 6749 §5.2), for `/token` errors. At
    /// `/token`, [`AuthError::InactiveUser`] is `invalid_grant` too; elsewhere
    /// it is a plain 400.
    pub fn oauth_error(&self) -> Option<&'static str> {
        match self {
            Self::IncorrectCredentials => Some("invalid_grant"),
            Self::UnsupportedGrantType => Some("unsupported_grant_type"),
            Self::InvalidGrant => Some("invalid_grant"),
            Self::InvalidScope => Some("invalid_scope"),
            Self::InvalidRequest(_) => Some("invalid_request"),
            _ => None,
        }
    }

    fn www_authenticate(&self) -> Option<HeaderValue> {
        let fixed = match self {
            Self::NotAuthenticated | Self::IncorrectCredentials => "Bearer",
            Self::InvalidToken => r#"Bearer error="invalid_token""#,
            Self::Forbidden => r#"Bearer error="insufficient_scope""#,
            Self::InsufficientScope(scope) => {
                // Scope names are checked at compile time to be printable
                // ASCII without `"` or `\`, so this quoting is exact.
                let challenge = format!(r#"Bearer error="insufficient_scope", scope="{scope}""#);
                return Some(HeaderValue::from_str(&challenge).unwrap_or_else(|_| {
                    HeaderValue::from_static(r#"Bearer error="insufficient_scope""#)
                }));
            }
            _ => return None,
        };
        Some(HeaderValue::from_static(fixed))
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.detail())
    }
}

impl std::error::Error for AuthError {}

/// An error, in FastAPI's shape: `detail`, plus the OAuth 2.0 fields at `/token`.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct ErrorBody {
    /// What went wrong, as a fixed message.
    detail: &'static str,
    /// The OAuth 2.0 error code (RFC 6749 §5.2), on `/token` errors only.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    /// `detail` again, for OAuth 2.0 clients, on `/token` errors only.
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'static str>,
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        self.render(self.oauth_error())
    }
}

impl AuthError {
    /// The response, with `code` as the OAuth 2.0 `error` (RFC 6749 §5.2):
    /// then `error_description` repeats `detail`, and the answer is never
    /// cached.
    pub(crate) fn render(self, code: Option<&'static str>) -> Response {
        let detail = self.detail();
        let body = ErrorBody { detail, error: code, error_description: code.map(|_| detail) };
        let mut response = (self.status(), axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(challenge) = self.www_authenticate() {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        if matches!(self, Self::Unavailable | Self::Overloaded) {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Self::Throttled(seconds) = self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if code.is_some() {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        }
        response
    }
}
