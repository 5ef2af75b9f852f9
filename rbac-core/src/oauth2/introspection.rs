//! RFC 7662 token introspection: who a token belongs to and whether it
//! would be accepted now, for callers allowed to ask.

use std::fmt;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::form_error;
use crate::auth::Auth;
use crate::error::AuthError;

/// The RFC 7662 introspection form.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntrospectionRequest {
    /// The token to describe: an access token or a refresh token.
    pub token: String,
    /// Ignored: both kinds are tried.
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

/// An RFC 7662 introspection answer.
///
/// `{"active": false}` for anything that would not be accepted right now
/// (invalid, expired, spent, revoked, or its user disabled or gone). A live
/// access token is described by its claims; a live refresh token by its
/// user and scopes, with `token_type` `refresh_token` (never its digest).
///
/// ```
/// use axum::response::IntoResponse;
/// use rbac_core::oauth2::Introspection;
///
/// let response = Introspection::Inactive.into_response();
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["cache-control"], "no-store");
/// ```
#[derive(Debug)]
pub enum Introspection {
    /// Not a token this server would accept now.
    Inactive,
    /// A live access token, with its verified claims.
    Access(crate::token::Claims),
    /// A live refresh token: the session's user and granted scopes.
    Refresh {
        /// Whose session it is.
        username: String,
        /// The scopes granted at login, space-separated.
        scope: String,
    },
}

#[derive(Serialize)]
struct IntrospectionBody<'a> {
    active: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    claims: Option<&'a crate::token::Claims>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
}

impl IntoResponse for Introspection {
    fn into_response(self) -> Response {
        let inactive = IntrospectionBody {
            active: false,
            claims: None,
            sub: None,
            username: None,
            scope: None,
            token_type: None,
        };
        let body = match &self {
            Self::Inactive => inactive,
            Self::Access(claims) => IntrospectionBody {
                active: true,
                claims: Some(claims),
                username: Some(&claims.sub),
                token_type: Some("Bearer"),
                ..inactive
            },
            Self::Refresh { username, scope } => IntrospectionBody {
                active: true,
                sub: Some(username),
                username: Some(username),
                scope: Some(scope),
                token_type: Some("refresh_token"),
                ..inactive
            },
        };
        let mut response = axum::Json(body).into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// `POST /token/introspect` (RFC 7662) for the form in `form`. The caller
/// must be allowed to ask: put this behind a guard, like
/// `#[requires_permission("tokens:introspect")]`, and cap the body with
/// [`TOKEN_BODY_LIMIT`](super::TOKEN_BODY_LIMIT).
pub async fn introspect(
    auth: &Auth,
    form: Result<Form<IntrospectionRequest>, FormRejection>,
) -> Result<Introspection, AuthError> {
    let Form(request) = form.map_err(form_error)?;
    if auth.issuer().is_none() {
        // It cannot see the issuer's revocations, so it never vouches for a token.
        return Ok(Introspection::Inactive);
    }
    if let Ok((_, claims)) = auth.authenticate_with_claims(&request.token).await {
        return Ok(Introspection::Access(claims));
    }
    Ok(match auth.live_refresh_grant(&request.token).await? {
        Some((username, scope)) => Introspection::Refresh { username, scope },
        None => Introspection::Inactive,
    })
}
