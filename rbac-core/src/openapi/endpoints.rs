//! Operations for the endpoints `rbac-core` serves ([`crate::oauth2`]), to
//! put at the paths an app mounts them on. Their bodies' schemas are derived
//! from the types the handlers read and write, so they cannot drift.
//! [`OpenApiSecurity::apply`](super::OpenApiSecurity::apply) then adds
//! each one's security from the route table, as for any other operation.
//!
//! ```
//! use utoipa::openapi::path::{HttpMethod, Paths};
//! use rbac_core::openapi::endpoints;
//!
//! let mut paths = Paths::new();
//! paths.add_path_operation("/token", vec![HttpMethod::Post], endpoints::token());
//! paths.add_path_operation("/.well-known/jwks.json", vec![HttpMethod::Get], endpoints::jwks());
//! ```

use utoipa::PartialSchema;
use utoipa::openapi::path::{Operation, OperationBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Content, Ref, RefOr, Required};

use super::responses::ERROR_SCHEMA;
use crate::oauth2::{IntrospectionRequest, RevocationRequest, TokenRequest};

const FORM: &str = "application/x-www-form-urlencoded";

/// `POST /token` ([`oauth2::token_route`](crate::oauth2::token_route)):
/// the password and refresh grants.
pub fn token() -> Operation {
    let token_body = Content::new(Some(crate::oauth2::TokenBody::schema()));
    OperationBuilder::new()
        .operation_id(Some("issue_token"))
        .summary(Some("Log in, or refresh a token"))
        .description(Some(
            "OAuth2 token endpoint: `grant_type=password` with `username` and `password` \
             (the default), or `grant_type=refresh_token` with a `refresh_token`, which is \
             rotated on use.",
        ))
        .request_body(Some(form_body(TokenRequest::schema())))
        .response(
            "200",
            ResponseBuilder::new()
                .description("A new token.")
                .content("application/json", token_body),
        )
        .response(
            "400",
            error("Invalid request, grant or scope, or an inactive user (`error` says which)."),
        )
        .response("401", error("Incorrect username or password."))
        .response("413", error("Request body too large."))
        .response("429", error("Too many failed logins; retry after `Retry-After` seconds."))
        .response(
            "503",
            error("Service temporarily unavailable; retry after `Retry-After` seconds."),
        )
        .build()
}

/// `POST /token/revoke` ([`oauth2::revoke_route`](crate::oauth2::revoke_route)), RFC 7009.
pub fn revoke() -> Operation {
    OperationBuilder::new()
        .operation_id(Some("revoke_token"))
        .summary(Some("Revoke a token"))
        .description(Some(
            "RFC 7009: revokes an access or refresh token; 200 whether or not it was known.",
        ))
        .request_body(Some(form_body(RevocationRequest::schema())))
        .response("200", Response::new("Revoked, or not a known token."))
        .response("400", error("Malformed request."))
        .build()
}

/// `POST /token/introspect` ([`oauth2::introspect`](crate::oauth2::introspect)), RFC 7662.
pub fn introspect() -> Operation {
    let active = ObjectBuilder::new()
        .property("active", ObjectBuilder::new().schema_type(Type::Boolean))
        .required("active")
        .description(Some("RFC 7662 §2.2: `active`, and the token's claims when it is active."))
        .build();
    OperationBuilder::new()
        .operation_id(Some("introspect_token"))
        .summary(Some("Introspect a token"))
        .request_body(Some(form_body(IntrospectionRequest::schema())))
        .response(
            "200",
            ResponseBuilder::new()
                .description("Whether the token is active, and its claims if so.")
                .content("application/json", Content::new(Some(Schema::from(active)))),
        )
        .response("400", error("Malformed request."))
        .build()
}

/// `POST /logout` ([`oauth2::logout`](crate::oauth2::logout)).
pub fn logout() -> Operation {
    OperationBuilder::new()
        .operation_id(Some("logout"))
        .summary(Some("Log out"))
        .description(Some(
            "Revokes the caller's session: this access token, its siblings and its refresh tokens.",
        ))
        .response("204", Response::new("Logged out."))
        .response("401", error("No bearer token, or an invalid one."))
        .build()
}

/// `POST /session` ([`browser::log_in`](crate::browser::log_in)): a
/// browser's login, answered with the session cookies.
pub fn session_log_in() -> Operation {
    let credentials = ObjectBuilder::new()
        .property("username", ObjectBuilder::new().schema_type(Type::String))
        .property("password", ObjectBuilder::new().schema_type(Type::String))
        .required("username")
        .required("password")
        .build();
    let started = ObjectBuilder::new()
        .property("username", ObjectBuilder::new().schema_type(Type::String))
        .property("expires_in", ObjectBuilder::new().schema_type(Type::Integer))
        .property("csrf_token", ObjectBuilder::new().schema_type(Type::String))
        .build();
    let body = RequestBodyBuilder::new()
        .content("application/json", Content::new(Some(Schema::from(credentials.clone()))))
        .content(FORM, Content::new(Some(Schema::from(credentials))))
        .required(Some(Required::True))
        .build();
    OperationBuilder::new()
        .operation_id(Some("session_log_in"))
        .summary(Some("Log a browser in"))
        .description(Some(
            "Checks the credentials as `/token` does and sets the session cookies: the access \
             token (HttpOnly), the refresh token (HttpOnly, refresh path only) and the CSRF \
             token (readable, to echo as `X-CSRF-Token`). Refused from a foreign `Origin`.",
        ))
        .request_body(Some(body))
        .response(
            "200",
            ResponseBuilder::new()
                .description("Logged in; the cookies are set.")
                .content("application/json", Content::new(Some(Schema::from(started)))),
        )
        .response("400", error("Malformed request, or an inactive user."))
        .response("401", error("Incorrect username or password."))
        .response("403", error("Cross-site request refused."))
        .response("429", error("Too many failed logins; retry after `Retry-After` seconds."))
        .build()
}

/// `POST /session/refresh` ([`browser::refresh`](crate::browser::refresh)).
pub fn session_refresh() -> Operation {
    OperationBuilder::new()
        .operation_id(Some("session_refresh"))
        .summary(Some("Refresh a browser session"))
        .description(Some(
            "Rotates the refresh cookie (a replayed one ends the session) and sets fresh \
             access and CSRF cookies.",
        ))
        .response("200", Response::new("Refreshed; the cookies are set."))
        .response("400", error("Unknown, spent or revoked refresh token."))
        .response("401", error("No refresh cookie."))
        .response("403", error("Cross-site request refused."))
        .build()
}

/// `DELETE /session` ([`browser::log_out`](crate::browser::log_out)).
pub fn session_log_out() -> Operation {
    OperationBuilder::new()
        .operation_id(Some("session_log_out"))
        .summary(Some("Log a browser out"))
        .description(Some("Ends the session and clears the cookies; needs `X-CSRF-Token`."))
        .response("204", Response::new("Logged out; the cookies are cleared."))
        .build()
}

/// `GET /.well-known/jwks.json` ([`oauth2::jwks`](crate::oauth2::jwks)), RFC 7517.
pub fn jwks() -> Operation {
    let key_set = ObjectBuilder::new()
        .property("keys", ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::Object)))
        .required("keys")
        .build();
    OperationBuilder::new()
        .operation_id(Some("jwks"))
        .summary(Some("Public verification keys"))
        .description(Some("RFC 7517 key set: empty when tokens are signed with an HMAC secret."))
        .response(
            "200",
            ResponseBuilder::new()
                .description("The JWK set.")
                .content("application/json", Content::new(Some(Schema::from(key_set)))),
        )
        .build()
}

fn form_body(schema: RefOr<Schema>) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .content(FORM, Content::new(Some(schema)))
        .required(Some(Required::True))
        .build()
}

fn error(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(Ref::from_schema_name(ERROR_SCHEMA))))
        .build()
}
