//! Handlers in one crate naming the roles of a policy declared in another
//! (`shared_policy`), with every attribute that takes `policy = ...`.

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use rbac_core::{Auth, requires, requires_permission, requires_role, requires_scope};

#[requires_role("editor", policy = shared_policy::policy)]
async fn edit() {}

#[requires_permission("tickets:read", policy = shared_policy::policy)]
async fn read() {}

#[requires_scope("tickets:write", policy = shared_policy::policy)]
async fn write_scope() {}

#[requires(any(role("admin"), owner(name)), policy = shared_policy::policy)]
async fn profile(Path(name): Path<String>) -> String {
    name
}

fn main() {
    let _: Router<Auth> = Router::new()
        .route("/edit", get(edit))
        .route("/read", get(read))
        .route("/write", get(write_scope))
        .route("/users/{name}", get(profile));
    let _ = shared_policy::policy::roles::ADMIN;
}
