//! Every attribute shape, in a crate that turns every warning into an error:
//! generated code must not set off lints in the user's crate.
#![deny(warnings)]

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use rbac_core::{
    Auth, User, authenticated, requires, requires_permission, requires_role, requires_scope,
};

rbac_core::policy! {
    pub mod policy {
        role "viewer" grants "items:read";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
    }
}

#[authenticated]
async fn signed_in() {}

#[requires_role("editor")]
async fn one_role() {}

#[requires_role(any("admin", "editor"))]
async fn any_role() {}

#[requires_role(all("viewer", not("admin")))]
async fn all_not() {}

#[requires_permission("posts:write")]
async fn one_permission() {}

#[requires_scope("items:read")]
async fn one_scope() {}

#[requires(owner(username))]
async fn owner_alone(Path(username): Path<String>) -> String {
    username
}

#[requires(not(owner(username)))]
async fn not_owner(Path(username): Path<String>) -> String {
    username
}

async fn is_lead(user: &User, team: &String) -> bool {
    *team == user.username
}

#[requires(check(is_lead(team)))]
async fn check_alone(Path(team): Path<String>) -> String {
    team
}

#[requires(any(role("admin"), owner(username), check(is_lead(username))))]
async fn mixed(Path(username): Path<String>, State(_auth): State<Auth>) -> String {
    username
}

#[requires(all(role("viewer"), scope("items:read"), not(permission("users:manage"))))]
async fn with_scope() {}

#[requires_role("viewer")]
#[requires_scope("items:read")]
async fn stacked() {}

#[requires_role("editor", policy = crate::policy)]
async fn named_policy() {}

/// Associated functions, through `#[handlers]`.
struct Reports;

#[rbac_core::handlers]
impl Reports {
    #[requires_role("admin")]
    async fn stats() {}

    #[requires(owner(name))]
    async fn mine(Path(name): Path<String>) -> String {
        name
    }
}

fn main() {
    let _: Router<Auth> = Router::new()
        .route("/a", get(signed_in))
        .route("/b", get(one_role))
        .route("/c", get(any_role))
        .route("/d", get(all_not))
        .route("/e", get(one_permission))
        .route("/f", get(one_scope))
        .route("/g/{username}", get(owner_alone))
        .route("/h/{username}", get(not_owner))
        .route("/i/{team}", get(check_alone))
        .route("/j/{username}", get(mixed))
        .route("/k", get(with_scope))
        .route("/l", get(stacked))
        .route("/m", get(named_policy))
        .route("/n", get(Reports::stats))
        .route("/o/{name}", get(Reports::mine));
}
