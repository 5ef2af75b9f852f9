//! Rejections: what a refused request gets, replaceable app-wide.

use std::fmt;
use std::sync::Arc;

use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::AuthError;

/// Builds the response for a refused request, app-wide; set it with
/// [`Auth::with_rejection_responder`](crate::Auth::with_rejection_responder).
///
/// It receives the error and the request's head. Start from
/// `error.into_response()` to keep the status and `WWW-Authenticate`
/// header, as [`problem_json`] does, or replace them on purpose, as
/// [`login_redirect`] does for browsers.
pub type RejectionResponder = Arc<dyn Fn(AuthError, &Parts) -> Response + Send + Sync>;

/// The rejection of every `rbac-core` extractor: the error, already rendered
/// by the app's [`RejectionResponder`] (or the default FastAPI-style body).
///
/// ```
/// use axum::{http::StatusCode, response::IntoResponse};
/// use rbac_core::{AuthError, AuthRejection};
///
/// let rejection = AuthRejection::from(AuthError::Forbidden);
/// assert_eq!(rejection.error(), AuthError::Forbidden);
/// assert_eq!(rejection.into_response().status(), StatusCode::FORBIDDEN);
/// ```
pub struct AuthRejection {
    error: AuthError,
    response: Response,
}

impl AuthRejection {
    pub(crate) fn new(error: AuthError, response: Response) -> Self {
        Self { error, response }
    }

    /// Why the request was refused.
    pub fn error(&self) -> AuthError {
        self.error
    }
}

impl From<AuthError> for AuthRejection {
    fn from(error: AuthError) -> Self {
        Self { error, response: error.into_response() }
    }
}

impl fmt::Debug for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRejection")
            .field("error", &self.error)
            .field("status", &self.response.status())
            .finish()
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        self.response
    }
}

#[derive(Serialize)]
struct Problem {
    r#type: &'static str,
    title: &'static str,
    status: u16,
    detail: &'static str,
}

/// RFC 7807 `application/problem+json` bodies, keeping the status code and
/// the `WWW-Authenticate` header of the default response.
///
/// ```
/// use axum::{body::Body, http::Request, response::IntoResponse};
/// use rbac_core::{AuthError, rejection::problem_json};
///
/// let (parts, _) = Request::new(Body::empty()).into_parts();
/// let response = problem_json(AuthError::InvalidToken, &parts);
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers()["content-type"], "application/problem+json");
/// assert_eq!(response.headers()["www-authenticate"], r#"Bearer error="invalid_token""#);
/// ```
pub fn problem_json(error: AuthError, _request: &Parts) -> Response {
    let default = error.into_response();
    let status = default.status();
    let problem = Problem {
        r#type: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail: error.detail(),
    };
    let mut response = (status, axum::Json(problem)).into_response();
    for (name, value) in default.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}

/// Sends browsers (requests that accept `text/html`) without valid
/// credentials to `login_path` with a 303; everything else, and every other/// denial, gets the default response. This is a deliberate status override,
/// for HTML routes.
///
/// ```
/// use axum::{body::Body, http::Request};
/// use rbac_core::{AuthError, rejection::login_redirect};
///
/// let responder = login_redirect("/login");
/// let (browser, _) = Request::get("/").header("accept", "text/html").body(Body::empty()).unwrap().into_parts();
/// assert_eq!(responder(AuthError::NotAuthenticated, &browser).headers()["location"], "/login");
/// let (api, _) = Request::get("/").body(Body::empty()).unwrap().into_parts();
/// assert_eq!(responder(AuthError::NotAuthenticated, &api).status(), 401);
/// ```
pub fn login_redirect(
    login_path: &'static str,
) -> impl Fn(AuthError, &Parts) -> Response + Send + Sync + 'static {
    move |error, request| {
        let wants_html = request
            .headers
            .get(header::ACCEPT)
            .and_then(|accept| accept.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
        let unauthenticated = error.status() == StatusCode::UNAUTHORIZED;
        if wants_html && unauthenticated {
            (StatusCode::SEE_OTHER, [(header::LOCATION, login_path)]).into_response()
        } else {
            error.into_response()
        }
    }
}
