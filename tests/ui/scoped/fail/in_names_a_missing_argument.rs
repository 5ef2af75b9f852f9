use axum::extract::Path;
use rbac_core::requires;

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
        domain "org";
        global "admin" in "org";
    }
}

#[requires(role("editor", in = org_id))]
async fn handler(Path((org, project)): Path<(String, u32)>) -> String {
    format!("{org}/{project}")
}

fn main() {}
