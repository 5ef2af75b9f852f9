use axum::extract::Path;
use rbac_core::requires_role;

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
        domain "org";
        global "admin" in "org";
    }
}

#[requires_role("editor", in = orgs_id)]
async fn handler(Path(orgs_id): Path<String>) -> String {
    orgs_id
}

fn main() {}
