//! A second service that trusts `example-app`'s tokens without holding any
//! secret: it verifies them against the issuer's JWKS
//! ([`RemoteJwks`](rbac_core::RemoteJwks)) and takes the user from the
//! token's claims ([`Auth::resource_server`]). Its handlers use the same
//! attributes as the issuer's.
//!
//! | route | access |
//! |---|---|
//! | `GET /whoami` | any valid token |
//! | `GET /reports` | role `viewer` (or any role inheriting it) |
//! | `POST /reports` | permission `posts:write` |
//! | `DELETE /reports/{id}` | role `admin` |
//! | `GET /items` | scope `items:read` in the token |
//! | `GET /health` | public |
//!
//! It can trust an external OpenID provider too ([`Config`]'s `--oidc-*`
//! flags): the provider's groups, roles and scopes are mapped to this
//! policy's, and `example-app`'s tokens keep working.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use rbac_core::{Auth, RemoteJwks, Tokens};
//!
//! let jwks = RemoteJwks::http("http://127.0.0.1:8000/.well-known/jwks.json")?;
//! let auth = Auth::resource_server(Tokens::remote(jwks));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8001").await?;
//! axum::serve(listener, example_resource::app(auth)).await?;
//! # Ok(()) }
//! ```

pub mod config;

pub use config::{Config, auth_from};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::{Json, Router};
use rbac_core::routing::{SecureRouter, delete, get};
use rbac_core::{
    Auth, CurrentUser, authenticated, public, requires_permission, requires_role, requires_scope,
};
use serde::Serialize;

rbac_core::policy! {
    /// The issuer's roles, as this service uses them. Role names travel in
    /// the token's `roles` claim; what they allow here is decided here.
    pub mod policy {
        role "viewer" grants "items:read";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage", "tokens:introspect";
        alias "user" = "viewer";
    }
}

/// The service's router over `auth` (a [`Auth::resource_server`]).
pub fn app(auth: Auth) -> Router {
    secure_routes(auth).into_axum()
}

/// [`app`] on the secured router, with its route table.
pub fn secure_routes(auth: Auth) -> SecureRouter {
    SecureRouter::new()
        .route("/whoami", get(whoami))
        .route("/reports", get(list_reports).post(create_report))
        .route("/reports/{id}", delete(delete_report))
        .route("/items", get(items))
        .route("/health", get(health))
        .with_state(auth)
}

/// Liveness probe; public.
#[public]
async fn health() -> &'static str {
    "ok"
}

/// Who the token says the caller is.
#[derive(Debug, Serialize)]
pub struct WhoAmI {
    /// The token's subject.
    pub username: String,
    /// The roles the token lists.
    pub roles: Vec<String>,
}

#[authenticated]
async fn whoami(user: CurrentUser) -> Json<WhoAmI> {
    let roles = user.roles.iter().map(|role| role.as_str().to_owned()).collect();
    Json(WhoAmI { username: user.username.clone(), roles })
}

#[requires_role("viewer")]
async fn list_reports() -> Json<Vec<&'static str>> {
    Json(vec!["q1", "q2"])
}

#[requires_permission("posts:write")]
async fn create_report(user: CurrentUser) -> (StatusCode, String) {
    (StatusCode::CREATED, format!("report created by {}", user.username))
}

#[requires_role("admin")]
async fn delete_report(Path(id): Path<u32>) -> String {
    format!("report {id} deleted")
}

#[requires_scope("items:read")]
async fn items(user: CurrentUser) -> Json<Vec<String>> {
    Json(vec![format!("item of {}", user.username)])
}
