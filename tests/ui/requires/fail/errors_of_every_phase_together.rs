//! A signature error, a stacked attribute's error and an argument error are
//! reported in one build, not one per build.

use axum::extract::Path;
use rbac_core::requires;

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "admin": "viewer";
    }
}

#[requires(any(role("admin"), owner(username)))]
#[rbac_core::requires_role("")]
fn handler(Path(name): Path<String>) -> String {
    name
}

fn main() {}
