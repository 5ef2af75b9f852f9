use axum::extract::Path;
use rbac_core::requires_scope;

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
        domain "org";
        global "admin" in "org";
    }
}

#[requires_scope("posts:write", in = org_id)]
async fn handler(Path(org_id): Path<String>) -> String {
    org_id
}

fn main() {}
