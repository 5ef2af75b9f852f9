//! The typed constants `policy!` generates name roles and permissions in
//! every attribute, and carry their policy with them, also across crates.

use axum::Router;
use axum::routing::get;
use rbac_core::{Auth, requires, requires_permission, requires_role};

rbac_core::policy! {
    pub mod policy {
        role "viewer" grants "items:read";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
    }
}

#[requires_role(policy::roles::ADMIN)]
async fn admin_only() {}

#[requires_role(any(policy::roles::EDITOR, "admin"))]
async fn mixed_with_literals() {}

#[requires_permission(crate::policy::permissions::POSTS_WRITE)]
async fn by_permission() {}

#[requires(all(role(policy::roles::VIEWER), scope("items:read")))]
async fn in_requires() {}

#[requires_role(shared_policy::policy::roles::EDITOR)]
async fn another_crates_policy() {}

fn main() {
    let requirements = rbac_core::requirements_of!(admin_only);
    assert_eq!(requirements.requires.to_string(), r#"role("admin")"#);
    let _: Router<Auth> = Router::new()
        .route("/a", get(admin_only))
        .route("/b", get(mixed_with_literals))
        .route("/c", get(by_permission))
        .route("/d", get(in_requires))
        .route("/e", get(another_crates_policy));
}
