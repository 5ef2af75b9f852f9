//! The refusals every guarded operation can answer with, in FastAPI's
//! error shape, with the details and challenges [`AuthError`] sends.

use utoipa::openapi::response::{Response, ResponseBuilder, Responses};
use utoipa::openapi::schema::{Object, Schema, Type};
use utoipa::openapi::{Content, Header, Ref, RefOr};

use crate::error::AuthError;

/// The name of the error body's schema in `components.schemas`.
pub const ERROR_SCHEMA: &str = "ErrorDetail";

/// FastAPI's error body, `{"detail": "..."}` (plus `error` and
/// `error_description` at `/token`), derived from the type every
/// [`AuthError`] response serializes.
pub fn error_schema() -> RefOr<Schema> {
    <crate::error::ErrorBody as utoipa::PartialSchema>::schema()
}

/// Adds 401, 403 (when `can_forbid`) and 400 `Inactive user`. 401 and 403
/// replace what the app documented: the guard answers them, before the
/// handler runs. A 400 the app documents stays, its description extended.
pub(super) fn add_refusals(responses: &mut Responses, can_forbid: bool) {
    let unauthorized = refusal(
        "Not authenticated: no bearer token, or an invalid, expired or revoked one.",
        AuthError::NotAuthenticated,
        Some("`Bearer`, or `Bearer error=\"invalid_token\"` for a token that does not verify."),
    );
    responses.responses.insert("401".to_owned(), unauthorized.into());
    if can_forbid {
        let forbidden = refusal(
            "Not enough permissions: the user or the token lacks what the rule requires.",
            AuthError::Forbidden,
            Some(
                "`Bearer error=\"insufficient_scope\"`, with `scope=\"...\"` when a scope is missing.",
            ),
        );
        responses.responses.insert("403".to_owned(), forbidden.into());
    }
    const INACTIVE: &str = "Inactive user: the account is disabled.";
    match responses.responses.get_mut("400") {
        Some(RefOr::T(documented)) => {
            documented.description = format!("{} Or: {INACTIVE}", documented.description);
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            let inactive = refusal(INACTIVE, AuthError::InactiveUser, None);
            responses.responses.insert("400".to_owned(), inactive.into());
        }
    }
}

fn refusal(description: &str, error: AuthError, challenge: Option<&str>) -> Response {
    let mut content = Content::new(Some(Ref::from_schema_name(ERROR_SCHEMA)));
    content.example = Some(serde_json::json!({ "detail": error.detail() }));
    let mut response =
        ResponseBuilder::new().description(description).content("application/json", content);
    if let Some(challenge) = challenge {
        let mut header = Header::new(Object::with_type(Type::String));
        header.description = Some(challenge.to_owned());
        response = response.header("WWW-Authenticate", header);
    }
    response.build()
}
